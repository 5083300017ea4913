"""The random-sampling row and RI (issue #29 item 1; ``analysis.space_mean``, rule space_mean):
the row equals a mean computed independently on a tiny benchmark table and on a few retrained
cells; RI's value and sign on hand examples (accuracy, error, perplexity); every NAS-Bench-201
table gets the row last and an RI column after each accuracy column of ours, and nothing else of
the table changes."""

import csv
import io
import json
import statistics

import numpy as np
import pandas as pd
import pytest

from nasrepro import cli
from nasrepro.analysis import space_mean
from nasrepro.experiments.specs import RANDOM_SAMPLING_SPACES, Column, TableSpec
from nasrepro.registry import TABLES
from nasrepro.report.latex import to_latex
from nasrepro.report.table import (RI_TAG, build, has_ri, random_row, ri_cell, to_csv,
                                   write_table)
from nasrepro.spaces.nb201.benchmark import THESIS_COLUMNS, Nb201Benchmark
from nasrepro.spaces.nb201.space import Nb201Space
from tests.conftest import ROOT
from tests.table_results import NOTE, fake_results

NB201_TABLES = [t for t in TABLES.names() if TABLES.get(t).random_row]


def test_the_row_is_in_every_nas_bench_201_table_with_an_evaluated_column():
    nb201 = {t for t in TABLES.names() if TABLES.get(t).space in RANDOM_SAMPLING_SPACES}
    assert nb201 - set(NB201_TABLES) == {"table_1_1", "table_4_5"}  # spaces' sizes; search times
    assert not {t for t in TABLES.names() if TABLES.get(t).space not in RANDOM_SAMPLING_SPACES
                and TABLES.get(t).random_row}


def tiny_table(cells: int = 3) -> tuple[pd.DataFrame, dict]:
    """A converted-format table of ``cells`` cells with made-up accuracies at 200 epochs (and a
    12-epoch entry that must not count), and the accuracies per thesis column by hand."""
    space, rows, by_hand = Nb201Space(), [], {}
    for index in range(cells):
        arch = space.to_string(space.from_index(index * 101))
        for (target, column), (dataset, split) in THESIS_COLUMNS.items():
            accuracy = 50.0 + 7.0 * index + len(target) + (column == "test")
            by_hand.setdefault((target, f"{column}_acc"), []).append(accuracy)
            for epochs, value in ((200, accuracy), (12, 10.0)):
                rows.append({"index": index, "arch": arch, "dataset": dataset, "split": split,
                             "epochs": epochs, "mean_accuracy": value})
    return pd.DataFrame(rows), by_hand


def test_the_row_is_the_exact_mean_and_population_std_over_every_cell_of_the_table():
    table, by_hand = tiny_table()
    bench = Nb201Benchmark(table)
    row = space_mean.from_columns({(t, f"{c}_acc"): bench.column(t, c) for t, c in bench.columns})
    assert row["cells"] == 3 and row["source"] == space_mean.BENCHMARK
    for (target, field), values in by_hand.items():
        assert row["values"][target][field] == {
            "mean": pytest.approx(statistics.fmean(values)),
            "std": pytest.approx(statistics.pstdev(values)), "n": 3}
    assert space_mean.label(row) == "Random sampling (space mean; all 3 cells of the benchmark)"
    partial = {"cells": 3, "of": 15625, "source": "x"}
    assert "3 of 15,625 cells: a partial table" in space_mean.label({**row, "partial": partial})


def test_the_command_reads_the_converted_table(tmp_path):
    table, by_hand = tiny_table(4)
    table.to_parquet(tmp_path / "nb201.parquet")
    out = tmp_path / "mean.json"
    assert cli.main(["space-mean", "--space", "nb201", "--out", str(out), "--benchmark",
                     str(tmp_path / "nb201.parquet")]) == 0
    row = json.loads(out.read_text())
    assert row["values"]["cifar100"]["test_acc"]["mean"] == pytest.approx(
        statistics.fmean(by_hand[("cifar100", "test_acc")]))
    assert row["label"].startswith("Random sampling (space mean; all 4 cells")
    assert row["space"] == "nb201" and row["partial"] is None


def test_a_retraining_profile_averages_its_probe_cells_per_target(tmp_path):
    files = []
    for i, (valid, test) in enumerate([(40.0, 41.0), (60.0, 58.0), (50.0, 53.0)]):
        path = tmp_path / f"p{i}.json"
        path.write_text(json.dumps({"run": f"probe-{i}", "target": "cifar10", "valid_acc": valid,
                                    "test_acc": test}))
        files.append(path)
    row = space_mean.from_finals(files)
    assert row["cells"] == 3 and list(row["values"]) == ["cifar10"]
    assert row["values"]["cifar10"]["test_acc"]["mean"] == pytest.approx((41 + 58 + 53) / 3)
    assert row["values"]["cifar10"]["valid_acc"]["std"] == pytest.approx(np.std([40, 60, 50]))
    assert space_mean.label(row) == "Random sampling (3 uniformly sampled cells, retrained)"
    assert space_mean.stats(row, "cifar100", "test_acc") is None  # no cell evaluated there
    assert row["source"] == space_mean.RETRAINED and row["partial"] is None


def test_an_empty_row_says_why_and_a_partial_table_says_so():
    """No cell at all (no benchmark table, no probe cells): 0 cells and the label that names the
    settings to set; a partial benchmark table keeps its ``partial`` record."""
    empty = space_mean.from_finals([])
    assert empty["cells"] == 0 and empty["values"] == {}
    assert space_mean.from_columns({})["cells"] == 0
    assert space_mean.label(empty) == (
        "Random sampling (not available: no benchmark table and no probe cells; set "
        "spaces.<space>.probes or benchmark.<space>)")
    partial = {"of": 15625}
    row = space_mean.from_columns({("cifar10", "test_acc"): np.array([1.0, 2.0])}, partial)
    assert row["partial"] == partial and row["cells"] == 2


def test_ri_value_and_sign_on_hand_examples():
    assert space_mean.relative_improvement(94.0, 90.0) == pytest.approx(100 * 4 / 90)
    assert space_mean.relative_improvement(88.0, 90.0) == pytest.approx(-100 * 2 / 90)
    # lower is better (error, perplexity): the sign turned, better is positive
    assert space_mean.relative_improvement(80.0, 100.0, lower_is_better=True) == pytest.approx(20.0)
    assert space_mean.relative_improvement(120.0, 100.0, lower_is_better=True) == pytest.approx(-20.0)
    accuracy = Column("c", "C", "cifar10", "test_acc")
    error = Column("e", "E", "cifar10", "test_acc", error=True)
    perplexity = Column("p", "P", "ptb", "test_ppl")
    assert not accuracy.lower_is_better and error.lower_is_better and perplexity.lower_is_better
    random = {"values": {"cifar10": {"test_acc": {"mean": 97.0, "std": 0.5, "n": 9}}}}
    assert ri_cell(accuracy, [97.5, 98.5], random) == f"{100 * 1 / 97:+.2f}" == "+1.03"
    # an error column compares errors: random 3.0 %, ours 2.5 % -> +16.67
    assert ri_cell(error, [2.5], random) == "+16.67"
    assert ri_cell(accuracy, [], random) == "" and ri_cell(accuracy, [90.0], None) == ""


def test_the_row_fills_only_the_ri_columns_in_their_own_format_and_carries_the_note():
    """The random-sampling row: mean ± std in each column with RI (``has_ri``), in that column's
    digits or significant figures and unit (an error column: 100 - accuracy), nothing in a column
    without RI even where the random file has a number for its target and field, and the note."""
    spec = TableSpec("t", "T", "nb201", (
        Column("acc", "Acc", "cifar10", "test_acc", significant=3),
        Column("err", "Err", "cifar10", "valid_acc", error=True, digits=1),
        Column("tau", "Tau", "cifar10", "test_acc", source="tau")))
    random = {"label": "Random sampling (x)", "values": {"cifar10": {
        "test_acc": {"mean": 91.2345, "std": 0.5, "n": 3},
        "valid_acc": {"mean": 90.0, "std": 1.5, "n": 3}}}}
    assert random_row(spec, random, NOTE) == {
        "Method": "Random sampling (x)", "run": "", "seeds": "", "reproduced_with": NOTE,
        "acc_reproduced": "91.2 ± 0.5", "err_reproduced": "10.0 ± 1.5"}


def test_write_table_reads_the_random_file_into_every_format(tmp_path):
    """``random_file`` (rule space_mean's output) reaches the table: the row last in the CSV,
    Markdown and LaTeX, with an RI cell of ours beside it."""
    spec = TABLES.get(NB201_TABLES[0])
    files = fake_results(spec, tmp_path / "runs")
    label = "Random sampling (space mean; all 2 cells of the benchmark)"
    values = {t: {f: {"mean": 50.0, "std": 1.0, "n": 2} for f in space_mean.FIELDS}
              for t in spec.targets()}
    random_file = tmp_path / "mean.json"
    random_file.write_text(json.dumps({"source": space_mean.BENCHMARK, "cells": 2, "partial": None,
                                       "values": values, "label": label}))
    table = write_table(spec, str(spec.thesis_csv(ROOT)), files, str(tmp_path / "t"), NOTE,
                        random_file=str(random_file))
    assert table[-1]["Method"] == label
    assert any(row.get(f"{c.key}_ri") for row in table[:-1] for c in spec.columns if has_ri(spec, c))
    for suffix in ("csv", "md", "tex"):
        assert label in (tmp_path / f"t.{suffix}").read_text(), suffix
    # the row's other cells are empty in every format (it has no thesis value, run or seeds)
    raw = (tmp_path / "t.csv").read_bytes()
    assert b"\r" not in raw  # the CSV's lines end in "\n" alone, as the other outputs
    last = list(csv.reader(io.StringIO(raw.decode())))[-1]
    assert {cell for cell in last if cell} == {label, "50.00 ± 1.00", NOTE}
    line = (tmp_path / "t.md").read_text().splitlines()[-3]
    assert {cell.strip() for cell in line.strip("|").split("|") if cell.strip()} == {
        label, "50.00 ± 1.00"}


@pytest.mark.parametrize("table", NB201_TABLES)
def test_every_nas_bench_201_table_gets_the_row_and_ri_and_keeps_everything_else(table, tmp_path):
    spec = TABLES.get(table)
    files = fake_results(spec, tmp_path / "runs", seeds=(0, 1))
    values = {(t, f): {"mean": 80.0, "std": 2.0, "n": 15625}
              for t in ("cifar10", "cifar100", "ImageNet16-120") for f in space_mean.FIELDS}
    random = {"source": space_mean.BENCHMARK, "cells": 15625, "partial": None,
              "values": {}, "label": "Random sampling (space mean; all 15,625 cells)"}
    for (target, field), stats in values.items():
        random["values"].setdefault(target, {})[field] = stats
    with_row = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random)
    without = build(spec, spec.thesis_csv(ROOT), files, NOTE)
    ri_keys = {f"{c.key}_ri" for c in spec.columns if has_ri(spec, c)}
    assert len(with_row) == len(without) + 1
    for a, b in zip(with_row, without):  # the thesis' rows: every other cell unchanged
        assert {k: v for k, v in a.items() if k not in ri_keys} == \
            {k: v for k, v in b.items() if k not in ri_keys}
    last = with_row[-1]
    assert last["Method"] == random["label"] and last["run"] == "" and last["seeds"] == ""
    accuracy = [c for c in spec.columns if has_ri(spec, c)]
    assert all(last[f"{c.key}_reproduced"] == "80.00 ± 2.00" for c in accuracy)
    filled = [row for row in with_row[:-1] for c in accuracy if row.get(f"{c.key}_reproduced")]
    assert filled, "made-up results fill some cell of ours"
    for row in with_row[:-1]:
        for column in accuracy:
            ours = row[f"{column.key}_reproduced"]
            expected = "" if not ours else \
                f"{100 * (float(ours.split(' ± ')[0]) - 80.0) / 80.0:+.2f}"
            assert row[f"{column.key}_ri"] == expected  # made-up means print exactly
    header = next(csv.reader(io.StringIO(to_csv(spec, with_row))))
    for column in accuracy:  # the RI column right after ours
        at = header.index(f"{column.ours_label} [ours; {RI_TAG}]")
        assert header[at - 1] == f"{column.ours_label} [ours]"
    tex = to_latex(spec, with_row, NOTE)  # the .tex has the RI cells and the row too
    ri_cells = [row[f"{c.key}_ri"] for row in with_row[:-1] for c in accuracy
                if row[f"{c.key}_ri"]]
    assert ri_cells and all(cell in tex for cell in ri_cells)
    assert tex.count("ours; RI vs random sampling (\\%)") == len(accuracy)
    assert "Random sampling (space mean; all 15,625 cells)" in tex
    others = [c for c in spec.columns if c.reproduced and not has_ri(spec, c)]
    assert all(last.get(f"{c.key}_reproduced", "") == "" for c in others)  # e.g. tau, seconds
