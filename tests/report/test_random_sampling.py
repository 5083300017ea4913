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
from nasrepro.report import splits
from nasrepro.report.latex import to_latex
from nasrepro.report.table import (RI_TAG, build, has_ri, random_row, ri_cell, to_csv,
                                   write_table)
from nasrepro.spaces.nb201.benchmark import THESIS_COLUMNS, Nb201Benchmark
from nasrepro.spaces.nb201.space import Nb201Space
from tests.conftest import ROOT
from tests.table_results import NOTE, fake_results

RANDOM_TABLES = [t for t in TABLES.names() if TABLES.get(t).random_row]


def test_the_row_is_in_every_nas_bench_201_and_darts_space_table_with_an_evaluated_column():
    spaces = {t for t in TABLES.names() if TABLES.get(t).space in RANDOM_SAMPLING_SPACES}
    assert spaces - set(RANDOM_TABLES) == {"table_1_1", "table_4_5"}  # spaces' sizes; search times
    assert {t for t in RANDOM_TABLES if TABLES.get(t).space != "nb201"} == {
        "table_2_1", "table_2_2", "table_3_1", "table_3_2", "table_4_6", "table_5_1", "table_6_2"}
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
                                    "test_acc": test, "arch": f"cell{i}"}))
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


def made_up_row(spec) -> dict:
    """A random-sampling row with mean 80 ± 2 in every field of every target of ``spec``."""
    return {"source": space_mean.BENCHMARK, "cells": 15625, "partial": None,
            "label": "Random sampling (space mean; all 15,625 cells)",
            "values": {t: {f: {"mean": 80.0, "std": 2.0, "n": 15625} for f in space_mean.FIELDS}
                       for t in spec.targets()}}



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
    spec = TABLES.get(next(t for t in RANDOM_TABLES if TABLES.get(t).space == "nb201"))
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
    *_, last, split = list(csv.reader(io.StringIO(raw.decode())))  # then each column's data split
    assert {cell for cell in last if cell} == {label, "50.00 ± 1.00", NOTE}
    assert split[0] == splits.ROW_LABEL
    line = next(x for x in (tmp_path / "t.md").read_text().splitlines() if x.startswith(f"| {label} "))
    assert {cell.strip() for cell in line.strip("|").split("|") if cell.strip()} == {
        label, "50.00 ± 1.00"}


@pytest.mark.parametrize("table", RANDOM_TABLES)
def test_every_table_gets_the_row_and_ri_and_keeps_everything_else(table, tmp_path):
    spec = TABLES.get(table)
    files = fake_results(spec, tmp_path / "runs", seeds=(0, 1))
    random = made_up_row(spec)
    with_row = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random)
    without = build(spec, spec.thesis_csv(ROOT), files, NOTE)
    ri_keys = {f"{c.key}_ri" for c in spec.columns if has_ri(spec, c)}
    assert len(with_row) == len(without) + 1
    for a, b in zip(with_row, without):  # the thesis' rows: every other cell unchanged
        assert {k: v for k, v in a.items() if k not in ri_keys} == \
            {k: v for k, v in b.items() if k not in ri_keys}
    last = with_row[-1]
    assert last["Method"] == random["label"] and last["run"] == "" and last["seeds"] == ""
    scored = [c for c in spec.columns if has_ri(spec, c)]
    assert scored, "every table with the row has a column it scores"
    # an error column shows the random row's error, 100 - 80
    assert all(last[f"{c.key}_reproduced"] == ("20.00 ± 2.00" if c.error else "80.00 ± 2.00")
               for c in scored)
    filled = [row for row in with_row[:-1] for c in scored if row.get(f"{c.key}_reproduced")]
    assert filled, "made-up results fill some cell of ours"
    for row in with_row[:-1]:
        for column in scored:
            ours = row[f"{column.key}_reproduced"]
            if not ours:
                assert row[f"{column.key}_ri"] == ""
                continue
            mean, random_mean = float(ours.split(" ± ")[0]), 20.0 if column.error else 80.0
            gain = random_mean - mean if column.lower_is_better else mean - random_mean
            assert row[f"{column.key}_ri"] == f"{100 * gain / random_mean:+.2f}"  # exact means
    header = next(csv.reader(io.StringIO(to_csv(spec, with_row))))
    for column in scored:  # the RI column right after ours
        at = next(i for i, h in enumerate(header)
                  if h.startswith(f"{column.ours_label} [ours") and h.endswith(f"; {RI_TAG}]"))
        assert header[at - 1].startswith(f"{column.ours_label} [ours")
        assert RI_TAG not in header[at - 1]
    tex = to_latex(spec, with_row, NOTE)  # the .tex has the RI cells and the row too
    ri_cells = [row[f"{c.key}_ri"] for row in with_row[:-1] for c in scored
                if row[f"{c.key}_ri"]]
    assert ri_cells and all(cell in tex for cell in ri_cells)
    assert tex.count("ours; RI vs random sampling (\\%)") == len(scored)
    assert "Random sampling (space mean; all 15,625 cells)" in tex
    others = [c for c in spec.columns if c.reproduced and not has_ri(spec, c)]
    assert all(last.get(f"{c.key}_reproduced", "") == "" for c in others)  # e.g. tau, params


def test_a_perplexity_ri_is_positive_when_ours_is_lower(tmp_path):
    """Table 2.2 (DARTS recurrent space): our perplexity below random sampling's is a positive
    RI, above it a negative one (the sign turned, issue #29)."""
    spec = TABLES.get("table_2_2")
    files = fake_results(spec, tmp_path / "runs", seeds=(0,))  # test_ppl 58, valid_ppl 60
    ppl = [c for c in spec.columns if c.field.endswith("_ppl")]
    assert ppl and all(has_ri(spec, c) for c in ppl)
    for random_ppl, sign in ((70.0, 1), (50.0, -1)):
        random = {"source": space_mean.SAMPLED, "cells": 2, "seed": 0, "label": "R",
                  "values": {t: {f: {"mean": random_ppl, "std": 1.0, "n": 2}
                                 for f in ("valid_ppl", "test_ppl")} for t in spec.targets()}}
        rows = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random)
        cells = [(float(row[f"{c.key}_reproduced"]), float(row[f"{c.key}_ri"]))
                 for row in rows[:-1] for c in ppl if row[f"{c.key}_ri"]]
        assert cells
        for ours, ri in cells:
            assert ri == pytest.approx(100 * (random_ppl - ours) / random_ppl, abs=0.005)
            assert (ri > 0) == (sign > 0)


# ------------------------------------------------------------- the DARTS spaces' sampled cells
def test_sampled_cells_are_seeded_and_a_smaller_k_is_a_prefix():
    from nasrepro.spaces.darts_cnn.space import DartsCnnSpace

    space = DartsCnnSpace()
    eight = space_mean.sample_cells(space, 8, seed=0)
    assert eight == space_mean.sample_cells(space, 8, seed=0)       # the seed fixes the draw
    assert space_mean.sample_cells(space, 2, seed=0) == eight[:2]   # K = 2 is K = 8's prefix
    assert space_mean.sample_cells(space, 8, seed=1) != eight
    assert len(set(eight)) == 8 and all(space.to_string(space.from_string(c)) == c for c in eight)


def _uniform(counts, categories: int) -> float:
    """p-value of a chi-square test of ``counts`` (a Counter) against ``categories`` equally
    likely outcomes (absent ones count 0)."""
    from scipy.stats import chisquare

    observed = list(counts.values()) + [0] * (categories - len(counts))
    return chisquare(observed).pvalue


def test_darts_cnn_sampling_is_uniform_over_operations_and_input_pairs():
    """Every gene's operation is uniform over the 7 non-none operations and node i's pair of
    inputs uniform over the C(i, 2) pairs of its predecessors, independently per cell kind: each
    genotype equally likely (Yang et al.'s random sampling). 1,400 seeded draws, chi-square
    p > 0.001 for every one of the 2 x (8 operation + 4 input) marginals."""
    from collections import Counter
    from math import comb

    from nasrepro.spaces.darts_cnn.space import CELLS, NON_NONE, NODES, DartsCnnSpace

    space = DartsCnnSpace()
    archs = [space.from_string(c) for c in space_mean.sample_cells(space, 1400, seed=0)]
    for cell in CELLS:
        genes = [arch.cell(cell) for arch in archs]
        for g in range(2 * NODES):
            ops = Counter(gene[g][0] for gene in genes)
            assert set(ops) <= set(NON_NONE) and _uniform(ops, len(NON_NONE)) > 1e-3
        for node in range(NODES):
            pairs = Counter(frozenset((gene[2 * node][1], gene[2 * node + 1][1])) for gene in genes)
            assert all(len(p) == 2 and max(p) < node + 2 for p in pairs)
            assert len(pairs) == comb(node + 2, 2)  # every pair drawn
            assert node == 0 or _uniform(pairs, comb(node + 2, 2)) > 1e-3  # node 0: one pair


def test_darts_rnn_sampling_is_uniform_over_operations_and_inputs():
    from collections import Counter

    from nasrepro.spaces.darts_rnn.space import CELL_OPS, DartsRNNSpace

    space = DartsRNNSpace()
    archs = [space.from_string(c) for c in space_mean.sample_cells(space, 1000, seed=0)]
    for i in range(len(archs[0].genes)):
        ops = Counter(arch.genes[i][0] for arch in archs)
        inputs = Counter(arch.genes[i][1] for arch in archs)
        assert _uniform(ops, len(CELL_OPS)) > 1e-3 and set(ops) <= set(CELL_OPS)
        assert max(inputs) <= i and (i == 0 or _uniform(inputs, i + 1) > 1e-3)


def test_the_sampled_row_is_the_mean_over_its_planted_records_and_lists_the_genotypes(tmp_path):
    """Planted final.json of K = 3 sampled recurrent cells on PTB and WikiText-2: the row's mean
    and population std per target and field equal statistics' own; the genotypes and the seed are
    recorded; the label states K and the seed."""
    planted = {("sampled-0", "ptb"): (410.0, 400.0), ("sampled-1", "ptb"): (380.0, 371.5),
               ("sampled-2", "ptb"): (395.5, 390.0), ("sampled-0", "wikitext2"): (500.0, 490.0),
               ("sampled-1", "wikitext2"): (470.0, 466.0), ("sampled-2", "wikitext2"): (530.0, 520.0)}
    files = []
    for (run, target), (valid, test) in planted.items():
        path = tmp_path / f"{run}-{target}.json"
        path.write_text(json.dumps({"run": run, "target": target, "arch": f"cell of {run}",
                                    "valid_ppl": valid, "test_ppl": test, "params_m": 1.0}))
        files.append(path)
    out = tmp_path / "row.json"
    assert cli.main(["space-mean", "--space", "darts_rnn", "--out", str(out), "--sampling-seed",
                     "7", *map(str, files)]) == 0
    row = json.loads(out.read_text())
    assert row["source"] == space_mean.SAMPLED and row["cells"] == 3 and row["seed"] == 7
    assert row["genotypes"] == {f"sampled-{k}": f"cell of sampled-{k}" for k in range(3)}
    for target in ("ptb", "wikitext2"):
        for i, field in enumerate(("valid_ppl", "test_ppl")):
            values = [v[i] for (run, t), v in planted.items() if t == target]
            assert row["values"][target][field] == {
                "mean": pytest.approx(statistics.fmean(values)),
                "std": pytest.approx(statistics.pstdev(values)), "n": 3}
    assert "params_m" not in row["values"]["ptb"]  # an architecture count, not a score
    assert row["label"] == "Random sampling (K = 3 uniformly sampled genotypes, seed 7, retrained)"


def test_the_sampled_cell_command_writes_the_kth_draw(tmp_path):
    from nasrepro.spaces.darts_cnn.space import DartsCnnSpace

    out = tmp_path / "genotype.json"
    assert cli.main(["sampled-cell", "--space", "darts_cnn", "--dataset", "cifar10", "--index",
                     "2", "--sampling-seed", "5", "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["arch"] == space_mean.sample_cells(DartsCnnSpace(), 3, seed=5)[2]
    assert (written["run"], written["method"], written["seed"], written["sampling_seed"]) == (
        "sampled-2", "sampled", 0, 5)


@pytest.mark.parametrize("profile, cells, cnn, rnn", [
    ("config.yaml", 2, ["cifar10"], ["ptb"]),
    ("thesis.yaml", 8, ["cifar10", "cifar100", "imagenet"], ["ptb", "wikitext2"]),
])
def test_each_profile_samples_k_cells_on_its_targets(profile, cells, cnn, rnn):
    """The default profile: K = 2 on the search dataset; the thesis profile: K = 8 on every
    target of the DARTS-space tables; NAS-Bench-201 has no sampled cells (benchmark or probes)."""
    import yaml

    from nasrepro.profile import resolve

    config = yaml.safe_load((ROOT / "config" / profile).read_text())
    assert resolve.sampled_targets(config, "darts_cnn") == cnn
    assert resolve.sampled_targets(config, "darts_rnn") == rnn
    assert resolve.sampled_runs(config, "darts_cnn") == [f"sampled-{k}" for k in range(cells)]
    assert resolve.sampled_runs(config, "nb201") == []
    # no DARTS-space table in the profile: no sampled cell
    assert resolve.sampled_runs({**config, "tables": {"table_2_3": {}}}, "darts_cnn") == []


def test_the_darts_row_names_the_network_its_cells_were_retrained_with(tmp_path):
    """Table 6.2 names each row's evaluation network; the random-sampling row names its own,
    read from its cells' final.json (the same protocol as the rows': same text here)."""
    spec = TABLES.get("table_6_2")
    files = fake_results(spec, tmp_path / "runs", seeds=(0,), targets=["cifar10"])
    net = {"C": 6, "layers": 4, "auxiliary": True}
    for path in files:
        if path.endswith("final.json"):
            record = json.loads(open(path).read())
            open(path, "w").write(json.dumps({**record, "net": net}))
    finals = []
    for k in range(2):
        path = tmp_path / f"sampled-{k}.json"
        path.write_text(json.dumps({"run": f"sampled-{k}", "target": "cifar10", "arch": f"g{k}",
                                    "test_acc": 90.0 + k, "net": net}))
        finals.append(path)
    random = {**space_mean.from_finals(finals, seed=0), "label": "R"}
    rows = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random)
    assert rows[-1]["net"] == "cifar10: C=6, layers=4"
    assert [row["net"] for row in rows[:-1] if row["net"]] and all(
        row["net"] == rows[-1]["net"] for row in rows[:-1] if row["net"])
    assert rows[-1]["cifar10_test_error_reproduced"] == "9.50 ± 0.50"  # errors: 10 and 9
    one = {**space_mean.from_finals(finals[:1], seed=0), "label": "R"}  # K = 1: the value alone
    assert build(spec, spec.thesis_csv(ROOT), files, NOTE, random=one)[-1][
        "cifar10_test_error_reproduced"] == "10.00"
