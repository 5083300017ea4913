"""Each table says which data split each column comes from (issue #29 item 3, ``report.splits``):
generated from the data protocols (``data.protocols.PROTOCOLS``) and the column definitions,
so flipping a protocol's split or a column's field changes the statement in every format; the
driver sends each space's protocols (``resolve.protocols_option``); a table job stays torch-free."""

import csv
import dataclasses
import io
import subprocess
import sys

import pytest

from nasrepro.data import protocols
from nasrepro.data.protocols import PROTOCOLS, SPLITS
from nasrepro.experiments.specs import Column, TableSpec
from nasrepro.registry import TABLES
from nasrepro.report import splits
from nasrepro.report.latex import latex_text, to_latex
from nasrepro.report.table import build, to_csv, to_markdown
from tests.conftest import ROOT
from tests.table_results import DEFAULT_STANDINS, NOTE, fake_results

OURS = "CIFAR-10 Test Acc (%) [ours; stand-in: digits]"
NB201 = {"cifar10": "nb201"}


def _formats(tmp_path, table="table_2_3", protocols_=NB201, lookup=""):
    """(the CSV's split row, the Markdown, the LaTeX) of a table built from made-up results."""
    spec = TABLES.get(table)
    rows = build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path, (0, 1)), NOTE)
    *_, split = csv.DictReader(io.StringIO(to_csv(spec, rows, DEFAULT_STANDINS, lookup,
                                                  protocols_)))
    return (split, to_markdown(spec, rows, NOTE, DEFAULT_STANDINS, lookup, protocols_),
            to_latex(spec, rows, NOTE, DEFAULT_STANDINS, lookup, protocols_))


def test_every_column_states_its_split_in_the_csv_row(tmp_path):
    split, md, tex = _formats(tmp_path)
    assert split["Method"] == splits.ROW_LABEL and split["run"] == ""
    assert split["CIFAR-10 Test Acc (%) [thesis]"] == "literature"
    assert split[OURS] == "test (protocol nb201)"
    for stat in ("n", "95% CI low", "95% CI contains thesis"):  # a statistic: its cell's split
        assert split[f"{OURS[:-1]}; {stat}]"] == "test (protocol nb201)"
    assert split["tau metric [ours; stand-in: digits]"] == (
        "supernet scores on search_valid (the search) against the probe cells' search_valid "
        "(protocol nb201)")
    assert split["s-tau metric [ours; stand-in: digits]"] == \
        "supernet scores on search_valid (the search)"
    assert split["Seeds [ours]"] == "" and split["reproduced_with"] == ""
    for text, escape in ((md, str), (tex, latex_text)):
        assert escape("Data splits: the [thesis] columns: literature") in text
        assert escape("test (protocol nb201)") in text
        assert escape("search_valid: the search") in text


def test_flipping_a_protocols_split_changes_the_statement(tmp_path, monkeypatch):
    before = _formats(tmp_path / "a")
    flipped = dataclasses.replace(PROTOCOLS["nb201"], test="official_test", valid="test")
    monkeypatch.setitem(PROTOCOLS, "nb201", flipped)
    split, md, tex = _formats(tmp_path / "b")
    assert before[0][OURS] == "test (protocol nb201)"
    assert split[OURS] == "official_test (protocol nb201)"
    assert split["tau metric [ours; stand-in: digits]"].endswith("probe cells' test (protocol nb201)")
    assert "official_test (protocol nb201)" in md
    assert latex_text("official_test (protocol nb201)") in tex
    assert "official_test (protocol nb201)" not in before[1]


def test_a_columns_field_and_the_space_protocol_decide_it():
    spec = TableSpec("t", "T", "nb201", (Column("v", "V", "cifar10", "valid_acc"),
                                         Column("p", "P", "cifar10", "params_m")))
    found = splits.by_key(spec, NB201)
    assert found["v_reproduced"] == "search_valid (protocol nb201)"
    assert found["p_reproduced"] == "no data split (the network's size)"
    assert splits.by_key(spec, {"cifar10": "darts"})["v_reproduced"] == \
        "official_test (protocol darts)"  # DARTS' train.py scores its test set as "valid"
    assert splits.by_key(spec, {}, "nb201")["v_reproduced"] == "benchmark nb201: its valid split"
    assert "no --protocols" in splits.by_key(spec, {})["v_reproduced"]
    with pytest.raises(ValueError, match="no retraining protocol 'x'"):
        splits.by_key(spec, {"cifar10": "x"})


def test_a_selecting_table_names_the_split_that_selected_the_cell(tmp_path):
    split, md, _ = _formats(tmp_path, "table_6_2", {t: "darts" for t in ("cifar10", "cifar100",
                                                                         "imagenet")})
    ours = "CIFAR-10 test error (%) [ours; stand-in: digits; selected cell]"
    assert split[ours] == ("official_test (protocol darts); the cell selected on search_valid "
                           "(protocol heldout)")
    assert split[ours.replace("selected cell", "across searches")] == \
        "official_test (protocol darts)"
    assert split["Selected cell [ours]"] == "selected on search_valid (protocol heldout)"
    assert split["Params (M) [computed from the published genotype]"].startswith("no data split")


def test_every_protocol_part_is_explained():
    parts = {p.split(role) for p in PROTOCOLS.values() for role in ("train", "valid", "test")}
    assert parts | {protocols.SEARCH_VALID} <= set(SPLITS)


def test_the_driver_sends_each_space_protocol():
    from nasrepro import plugins
    from nasrepro.profile import resolve

    plugins.load("spaces")
    assert resolve.protocols_option("table_2_3") == " --protocols cifar10=nb201"
    assert resolve.protocols_option("table_6_2") == \
        " --protocols cifar10=darts,cifar100=darts,imagenet=darts"
    assert resolve.protocols_option("table_2_2") == " --protocols ptb=darts_rnn,wikitext2=darts_rnn"
    assert resolve.protocols_option("table_1_1") == ""  # computed from the spaces


def test_a_table_job_imports_no_torch():
    code = ("import sys, nasrepro.report.table, nasrepro.report.latex; "
            "assert 'torch' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
