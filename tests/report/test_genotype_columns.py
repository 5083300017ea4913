"""The architecture columns computed from a row's released genotype (issue 20, item 5): every
DARTS-space table with a Params or multiply-adds column has a third cell, headed "[computed from
the published genotype]", filled for the rows whose CSV names a released cell, in every format."""

from __future__ import annotations

import csv
import io
import json

import pytest

from nasrepro.experiments.specs import GENOTYPE_TAG, Column, row_sizes, size_key
from nasrepro.registry import TABLES
from nasrepro.report.table import build, genotype_cell, write_table
from tests.conftest import ROOT

ARCH_TABLES = ("table_2_1", "table_3_1", "table_3_2", "table_4_6", "table_5_1", "table_6_2")


def _released() -> set[str]:
    from nasrepro.spaces.darts_cnn.genotypes import ALL

    return set(ALL)


@pytest.mark.parametrize("table", ARCH_TABLES)
def test_every_genotype_a_table_names_is_released(table):
    spec = TABLES.get(table)
    assert spec.genotype_columns, table
    with open(spec.thesis_csv(ROOT), newline="", encoding="utf-8") as handle:
        named = {row["genotype"] for row in csv.DictReader(handle)} - {""}
    assert named and named <= _released(), sorted(named - _released())


def test_no_other_table_has_genotype_columns():
    assert {t for t in TABLES.names() if TABLES.get(t).genotype_columns} == set(ARCH_TABLES)


def _fake() -> dict:
    keys = ["cifar10", "imagenet"] + [size_key(t, o) for _, t, o in row_sizes(ROOT)]
    return {name: {t: {"params_m": 3.349, "madds_m": 529.9} for t in keys}
            for name in _released()}


def test_cells_filled_from_the_file_in_every_format(tmp_path):
    spec = TABLES.get("table_4_6")
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_fake()))
    write_table(spec, str(spec.thesis_csv(ROOT)), [], str(tmp_path / "t"), "note",
                complexity_file=str(path))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    darts = next(r for r in rows if r["Method"] == "DARTS (2nd) [95]")
    assert darts[f"Params (M) [{GENOTYPE_TAG}]"] == "3.35"
    assert darts[f"Multiply-adds (M) [{GENOTYPE_TAG}]"] == "530"
    assert darts["Multiply-adds (M) [thesis]"] == "574"
    nasnet = next(r for r in rows if r["Method"].startswith("NASNet"))
    assert nasnet[f"Params (M) [{GENOTYPE_TAG}]"] == ""
    assert f"[{GENOTYPE_TAG}]" in (tmp_path / "t.md").read_text()
    tex = (tmp_path / "t.tex").read_text()
    body = [line for line in tex.splitlines() if line.startswith("DARTS (2nd)")]
    width = tex.split(r"\begin{tabular}{", 1)[1].split("}", 1)[0]
    assert body and body[0].count("&") == len(width) - 1 and "& 3.35 & 530 &" in body[0]


def test_without_the_file_the_cells_are_empty_and_an_unknown_cell_is_an_error(tmp_path):
    spec = TABLES.get("table_3_1")
    rows = build(spec, spec.thesis_csv(ROOT), [], "note")
    assert all(row["params_m_genotype"] == "" for row in rows)
    bad = tmp_path / "t.csv"
    bad.write_text("row,run,genotype,params_m\nX,,NOPE,1\n")
    with pytest.raises(KeyError, match="NOPE"):
        build(spec, bad, [], "note", complexity=_fake())


def test_table_4_6_carries_the_author_logs_as_reference_columns(tmp_path):
    spec = TABLES.get("table_4_6")
    write_table(spec, str(spec.thesis_csv(ROOT)), [], str(tmp_path / "t"), "note")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    e2nas = next(r for r in rows if r["Method"] == "E²NAS")
    assert e2nas["CIFAR-10 test error (%) [author's retraining log]"] == "2.58"
    assert e2nas["ImageNet top-1 error (%) [author's retraining log]"] == "25.16"
    assert not any(key.startswith("CIFAR-10 test error (%) [author") and "ours" in key
                   for key in rows[0])


def test_a_cell_is_empty_for_a_row_without_a_genotype_and_takes_the_columns_digits():
    spec, complexity = TABLES.get("table_4_6"), _fake()
    name = sorted(complexity)[0]
    column = Column("params_m", "Params (M)", "cifar10", "params_m", digits=1)
    assert genotype_cell(spec, column, {"row": "X"}, complexity) == ""     # no genotype column
    assert genotype_cell(spec, column, {"row": "X", "genotype": ""}, complexity) == ""
    assert genotype_cell(spec, column, {"row": "X", "genotype": name}, None) == ""  # no file
    assert genotype_cell(spec, column, {"row": "X", "genotype": name}, complexity) == "3.3"
    figures = Column("madds_m", "Multiply-adds (M)", "imagenet", "madds_m", significant=2)
    assert genotype_cell(spec, figures, {"row": "X", "genotype": name}, complexity) == "530"
    other = Column("params_m", "Params (M)", "cifar100", "params_m", digits=1)
    with pytest.raises(KeyError, match=rf"row 'X': no count of {name} at '.*' in the complexity "
                                       r"file; rebuild it \(rule genotype_complexity\)"):
        genotype_cell(spec, other, {"row": "X", "genotype": name},
                      {name: {k: v for k, v in complexity[name].items() if "cifar100" not in k}})
