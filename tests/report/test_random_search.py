"""The budget-matched random search by lookup (issue #29 item 1; ``analysis.random_search``, rule
random_search): the draw is uniform and seeded, it stops at the budget (the crossing draw not
counted), the incumbent is the best by validation accuracy and no reported (test) value is read
during the search, the command reads both lookup tables (a converted benchmark with times, the
probe cells' retrainings with their measured times), and the row appears last in the
NAS-Bench-201 tables, ignored by the regression gate."""

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from nasrepro import cli
from nasrepro.analysis import random_search
from nasrepro.analysis.random_search import Lookups
from nasrepro.data.protocols import SealedSplitRead
from nasrepro.experiments.specs import RANDOM_SEARCH_SPACES
from nasrepro.jobs import has_search, random_search_run
from nasrepro.params import ConfigError
from nasrepro.profile import resolve
from nasrepro.layout import Layout, parse_run_path
from nasrepro.registry import TABLES
from nasrepro.report import gate
from nasrepro.report.table import build, to_csv, write_table
from nasrepro.spaces.nb201.benchmark import THESIS_COLUMNS
from nasrepro.spaces.nb201.space import Nb201Space
from tests.conftest import ROOT
from tests.table_results import NOTE, fake_results

SEARCH_TABLES = [t for t in TABLES.names() if TABLES.get(t).random_search]


def planted(valid, seconds, test=None) -> Lookups:
    """A lookup table of cells c0, c1, ... with planted validation accuracies, times and
    (reported) test accuracies on cifar10."""
    cells = tuple(f"c{i}" for i in range(len(valid)))
    test = test if test is not None else valid
    reported = {c: {"cifar10": {"valid_acc": v, "test_acc": t}}
                for c, v, t in zip(cells, valid, test)}
    return Lookups(cells, dict(zip(cells, valid)), dict(zip(cells, seconds)),
                   reported.__getitem__, random_search.STANDIN)


def test_the_draw_is_uniform_and_seeded():
    lookups = planted([50.0] * 8, [1.0] * 8)
    first = random_search.search(lookups, 4000.0, seed=3)
    assert first["draws"] == random_search.search(lookups, 4000.0, seed=3)["draws"]
    assert first["draws"] != random_search.search(lookups, 4000.0, seed=4)["draws"]
    counts = Counter(first["draws"])
    assert len(first["draws"]) == 4000 and set(counts) == set(lookups.cells)
    assert chisquare([counts[c] for c in lookups.cells]).pvalue > 0.01
    # a smaller budget draws a prefix of the same stream
    assert random_search.search(lookups, 10.0, seed=3)["draws"] == first["draws"][:10]


def test_it_stops_at_the_budget_and_the_crossing_draw_does_not_count():
    lookups = planted([50.0, 60.0, 70.0], [10.0, 25.0, 40.0])
    for seed in range(20):
        for budget in (9.0, 10.0, 55.0, 100.0, 333.0):
            found = random_search.search(lookups, budget, seed)
            spent = sum(lookups.seconds[c] for c in found["draws"])
            assert found["used_s"] == pytest.approx(spent) and spent <= budget
            # the next draw would have passed the budget: it is named, not counted
            assert spent + found["stopped_by"]["seconds"] > budget
            assert found["stopped_by"]["cell"] in lookups.cells
    nothing = random_search.search(lookups, 9.0, 0)  # below the cheapest lookup
    assert nothing["draws"] == [] and nothing["incumbent"] is None


def test_the_incumbent_is_the_best_by_validation_and_no_test_value_is_read():
    """A planted table where test and validation disagree: the best cell by validation has the
    worst test accuracy. The search returns it, and the run reports its (bad) test accuracy; the
    search itself sees a table whose reported values raise SealedSplitRead."""
    valid = [70.0, 90.0, 80.0, 60.0]
    test = [95.0, 10.0, 85.0, 99.0]
    lookups = planted(valid, [1.0] * 4, test)
    result = random_search.run(lookups, 50.0, seed=1, matched={"run": "gdas", "seed": 1})
    drawn = set(result["draws"])
    assert drawn == set(lookups.cells)  # 50 draws of 4 cells: every one seen
    assert result["incumbent"] == "c1" and result["incumbent_valid"] == 90.0
    assert result["values"] == {"cifar10": {"valid_acc": 90.0, "test_acc": 10.0}}
    with pytest.raises(SealedSplitRead, match="search-time decisions read validation"):
        lookups.for_search().report("c1")
    # on a tie the first draw of the best score stays the incumbent
    tie = planted([80.0, 80.0], [1.0, 1.0])
    found = random_search.search(tie, 30.0, seed=0)
    assert found["incumbent"] == found["draws"][0]


def test_a_lookup_without_a_positive_time_is_refused():
    with pytest.raises(ValueError, match="lookup of cell c1 takes nan s"):
        planted([1.0, 2.0], [1.0, float("nan")])
    with pytest.raises(ValueError, match="lookup of cell c0 takes 0.0 s"):
        planted([1.0], [0.0])


def _budget(tmp_path, run: str, seed: int, seconds: float) -> str:
    path = Layout("test").search_file("nb201", "cifar10", run, seed, "run.json")
    full = tmp_path / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(json.dumps({"config": {"run": run, "seed": seed}, "wall_time_s": seconds}))
    return str(full)


def test_the_command_searches_the_converted_benchmark_by_its_12_epoch_times(tmp_path):
    """Three cells with planted 12-epoch validation accuracies and times, and 200-epoch values
    where test and validation disagree: the search reads the 12-epoch entries only (cell 2 is
    best there, worst at 200 epochs) and reports the incumbent at 200 epochs on every target."""
    space, rows = Nb201Space(), []
    for index, (valid12, seconds) in enumerate([(40.0, 100.0), (50.0, 100.0), (60.0, 100.0)]):
        arch = space.to_string(space.from_index(index * 7))
        for (target, column), (dataset, split) in THESIS_COLUMNS.items():
            for epochs, acc, train in ((12, valid12, seconds - 1.0), (200, 90.0 - 10 * index,
                                                                      5000.0)):
                rows.append({"index": index, "arch": arch, "dataset": dataset, "split": split,
                             "epochs": epochs, "mean_accuracy": acc + (column == "test"),
                             "train_time": train, "eval_time": 1.0})
    pd.DataFrame(rows).to_parquet(tmp_path / "nb201.parquet")
    out = tmp_path / "rs.json"
    budget = _budget(tmp_path, "gdas", 1, 1050.0)
    assert cli.main(["random-search", "--space", "nb201", "--target", "cifar10", "--budget",
                     budget, "--out", str(out), "--benchmark",
                     str(tmp_path / "nb201.parquet")]) == 0
    result = json.loads(out.read_text())
    assert len(result["draws"]) == 10 and result["used_s"] == pytest.approx(1000.0)
    assert result["seed"] == 1 and result["run"] == random_search_run("gdas")
    assert result["matched"] == {"run": "gdas", "seed": 1, "search": budget}
    best = space.to_string(space.from_index(14))
    assert best in result["draws"] and result["incumbent"] == best
    assert result["values"]["cifar100"] == {"valid_acc": 70.0, "test_acc": 71.0}
    assert set(result["values"]) == {"cifar10", "cifar100", "ImageNet16-120"}
    assert result["source"] == random_search.BENCHMARK and result["cells"] == 3


def test_the_budget_scale_multiplies_the_measured_time_and_the_label_says_so(tmp_path):
    """``random_search.budget_scale`` (the rehearsal's searches measure a time below one lookup):
    the budget is the measured time times the scale, end to end from the profile to the row."""
    lookups = planted([50.0, 60.0, 70.0], [100.0, 100.0, 100.0])
    matched = {"run": "gdas", "seed": 0}
    plain = random_search.run(lookups, 2.5, 0, matched)
    assert plain["draws"] == [] and plain["budget_s"] == 2.5 and plain["budget_scale"] == 1.0
    scaled = random_search.run(lookups, 2.5, 0, matched, budget_scale=400.0)
    assert scaled["budget_s"] == 1000.0 and len(scaled["draws"]) == 10
    assert scaled["draws"] == random_search.search(lookups, 1000.0, 0)["draws"]
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="budget scale"):
            random_search.run(lookups, 2.5, 0, matched, budget_scale=bad)
    out = tmp_path / "rs.json"
    random_search.write(out, "nb201", random_search_run("gdas"), scaled)
    row = random_search.summary([out])
    assert row["budget_scale"] == 400.0 and "x 400 (random_search.budget_scale)" in \
        random_search.label(row)
    random_search.write(out, "nb201", random_search_run("gdas"), plain)
    assert "budget_scale" not in random_search.label(random_search.summary([out]))
    # the profile key reaches the job: the rule's command line carries it
    assert resolve.random_search({"random_search": {"budget_scale": 400}}).budget_scale == 400
    assert resolve.random_search({}).budget_scale == 1.0
    with pytest.raises(ConfigError, match="budget_scale"):
        resolve.random_search({"random_search": {"budget_scale": 0}})
    rule = (ROOT / "workflow/rules/search.smk").read_text()
    assert "--budget-scale {params.scale}" in rule
    assert "resolve.random_search(config).budget_scale" in rule


def test_the_command_scales_the_budget(tmp_path):
    space, rows = Nb201Space(), []
    for index in range(3):
        arch = space.to_string(space.from_index(index))
        for (target, column), (dataset, split) in THESIS_COLUMNS.items():
            for epochs in (12, 200):
                rows.append({"index": index, "arch": arch, "dataset": dataset, "split": split,
                             "epochs": epochs, "mean_accuracy": 50.0 + index,
                             "train_time": 99.0, "eval_time": 1.0})
    pd.DataFrame(rows).to_parquet(tmp_path / "nb201.parquet")
    budget = _budget(tmp_path, "gdas", 0, 3.0)  # 3 s measured: below one 100 s lookup
    for scale, draws in (("1", 0), ("100", 3)):
        out = tmp_path / f"rs{scale}.json"
        assert cli.main(["random-search", "--space", "nb201", "--target", "cifar10", "--budget",
                         budget, "--budget-scale", scale, "--out", str(out), "--benchmark",
                         str(tmp_path / "nb201.parquet")]) == 0
        assert len(json.loads(out.read_text())["draws"]) == draws


def test_a_table_converted_without_times_is_one_line_naming_the_fix(tmp_path, capsys):
    space, rows = Nb201Space(), []
    for (target, column), (dataset, split) in THESIS_COLUMNS.items():
        rows.append({"index": 0, "arch": space.to_string(space.from_index(3)), "dataset": dataset,
                     "split": split, "epochs": 12, "mean_accuracy": 50.0})
    pd.DataFrame(rows).to_parquet(tmp_path / "old.parquet")
    code = cli.main(["--log", str(tmp_path / "rs.log"), "random-search", "--space", "nb201",
                     "--target", "cifar10", "--budget", _budget(tmp_path, "gdas", 0, 99.0),
                     "--out", str(tmp_path / "rs.json"), "--benchmark",
                     str(tmp_path / "old.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "no training time for cifar10-valid/x-valid at 12 epochs" in err
    assert "convert the archive again" in err and not (tmp_path / "rs.json").exists()


def test_the_command_searches_the_probe_cells_by_their_measured_retraining_times(tmp_path):
    finals = []
    for i, (valid, test, seconds) in enumerate([(40.0, 90.0, 3.0), (70.0, 20.0, 4.0)]):
        folder = tmp_path / f"probe-{i}"
        folder.mkdir()
        (folder / "final.json").write_text(json.dumps(
            {"run": f"probe-{i}", "target": "cifar10", "arch": f"cell{i}", "valid_acc": valid,
             "test_acc": test, "test_top5_acc": None}))
        (folder / "run.json").write_text(json.dumps({"wall_time_s": seconds}))
        finals.append(str(folder / "final.json"))
    out = tmp_path / "rs.json"
    assert cli.main(["random-search", "--space", "nb201", "--target", "cifar10", "--budget",
                     _budget(tmp_path, "en2as", 0, 13.9), "--out", str(out), *finals]) == 0
    result = json.loads(out.read_text())
    assert result["used_s"] == pytest.approx(sum({"cell0": 3.0, "cell1": 4.0}[c]
                                                 for c in result["draws"]))
    assert result["used_s"] <= 13.9 and result["source"] == random_search.STANDIN
    assert "cell1" in result["draws"] and result["incumbent"] == "cell1"
    assert result["values"] == {"cifar10": {"valid_acc": 70.0, "test_acc": 20.0}}


def _search_file(tmp_path, seed: int, test: float, budget: float = 30.0) -> str:
    path = tmp_path / Layout("default").random_search("nb201", "cifar10", "en2as", seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    random_search.write(path, "nb201", random_search_run("en2as"), {
        "seed": seed, "budget_s": budget, "used_s": budget - 1, "draws": ["a", "b", "c"],
        "incumbent": "a", "incumbent_valid": 50.0, "stopped_by": {"cell": "a", "seconds": 9.0},
        "values": {"cifar10": {"valid_acc": 50.0, "test_acc": test}},
        "source": random_search.STANDIN, "cells": 10,
        "matched": {"run": "en2as", "seed": seed, "search": "x"}})
    return str(path)


def test_the_row_appears_last_in_a_table_built_from_planted_records(tmp_path):
    """Table 2.3 from made-up results and two planted searches (test 80 and 84): the last row is
    the random search with 82.00 ± 2.00 in CIFAR-10 test, its seed statistics and its RI over the
    random-sampling row; the thesis' rows are those of the table without it; the gate stores
    the row's cells as wall clock (its budget is a measured time)."""
    spec = TABLES.get("table_2_3")
    files = fake_results(spec, tmp_path / "runs", seeds=(0, 1))
    searched = random_search.summary([_search_file(tmp_path, 1, 84.0),
                                      _search_file(tmp_path, 0, 80.0, budget=32.0)])
    random = {"label": "Random sampling (x)", "values": {"cifar10": {
        "test_acc": {"mean": 80.0, "std": 1.0, "n": 10}}}}
    rows = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random, searched=searched)
    without = build(spec, spec.thesis_csv(ROOT), files, NOTE, random=random)
    assert rows[:-1] == without
    last = rows[-1]
    assert last["Method"] == ("Random search (budget-matched: en2as's search time, 31.0 s; 3/3 "
                              "draws of the probe cells' retrainings)")
    assert last["run"] == "en2as-random-search" and last["seeds"] == 2
    assert last["cifar10_test_reproduced"] == "82.00 ± 2.00"
    assert last["cifar10_test_reproduced_n"] == "2"
    assert last["cifar10_test_ri"] == f"{100 * 2 / 80:+.2f}"
    assert not last.get("tau_reproduced") and not last.get("s_tau_reproduced")
    # through write_table into every format, and the gate's view of the CSV
    write_table(spec, str(spec.thesis_csv(ROOT)), files, str(tmp_path / "t"), NOTE,
                search_files=[_search_file(tmp_path, 0, 80.0, budget=32.0)])
    for suffix in ("csv", "md", "tex"):
        assert "en2as's search time, 32.0 s" in (tmp_path / f"t.{suffix}").read_text(), suffix
    (tmp_path / "g.csv").write_text(to_csv(spec, rows))
    stored = gate.read_table("table_2_3", tmp_path / "g.csv")
    run_at = stored["columns"].index("run")
    row = next(r for r in stored["rows"] if r[run_at] == "en2as-random-search")
    assert {c for i, c in enumerate(row) if i != run_at and c} == {gate.WALL_CLOCK}
    others = [r for r in stored["rows"] if r[run_at] != "en2as-random-search"]
    assert gate.WALL_CLOCK not in {c for r in others for c in r}  # Table 2.3: no timed column


def test_every_nas_bench_201_table_with_the_random_row_names_a_searched_run_it_has():
    nb201 = [t for t in TABLES.names() if TABLES.get(t).random_row
             and TABLES.get(t).space in RANDOM_SEARCH_SPACES]
    assert sorted(SEARCH_TABLES) == sorted(nb201) and len(nb201) == 14
    for table in SEARCH_TABLES:
        spec = TABLES.get(table)
        assert has_search(spec.budget_run) and spec.budget_run in spec.runs(ROOT), table
    assert {TABLES.get(t).budget_run for t in ("table_6_1", "table_6_3")} == {"idarts"}


def test_the_pseudo_run_parses_back_and_is_never_searched():
    path = Layout("default").random_search("nb201", "cifar10", "gdas-nsas", 100)
    assert path == ("results/default/runs/nb201/cifar10/gdas-nsas-random-search/seed100/search/"
                    "random_search.json")
    found = parse_run_path(path)
    assert (found.run, found.seed, found.kind) == ("gdas-nsas-random-search", 100, "search")
    assert not has_search(found.run)
    import re

    from nasrepro.layout import SEARCHED_RUN

    assert not re.fullmatch(SEARCHED_RUN, found.run) and re.fullmatch(SEARCHED_RUN, "gdas-nsas")


def test_the_summary_averages_per_target_and_field_over_the_seeds(tmp_path):
    files = [_search_file(tmp_path, s, t) for s, t in ((0, 80.0), (1, 84.0), (2, 83.0))]
    row = random_search.summary(files)
    assert row["seeds"] == [0, 1, 2] and row["draws"] == [3, 3, 3]
    assert row["values"]["cifar10"]["test_acc"]["mean"] == pytest.approx(np.mean([80, 84, 83]))
    assert row["per_seed"]["cifar10/test_acc"] == [80.0, 84.0, 83.0]
    assert random_search.summary([]) is None
    with open(files[0]) as handle:
        assert json.load(handle)["space"] == "nb201"


def test_reruns_compare_the_random_search_row_by_its_label_prefix_only(tmp_path):
    """tests/computed.py ``reproducible_bytes`` (the fault and Slurm tests' byte comparison): the
    row's measured budget, draws and values may differ between two runs; its presence and every
    other line may not."""
    from tests.computed import reproducible_bytes

    row = random_search.LABEL_PREFIX + "en2as's search time, {} s; {} draws) | {} |"
    lines = [("| DARTS | 91 |", row.format(2.8, 2, 96.9)), ("| DARTS | 91 |", row.format(2.1, 1, 94.8)),
             ("| DARTS | 91 |", "| other |"), ("| DARTS | 92 |", row.format(2.8, 2, 96.9))]
    found = []
    for k, text in enumerate(lines):
        (tmp_path / str(k) / "tables").mkdir(parents=True)
        (tmp_path / str(k) / "tables/t.md").write_text("\n".join(text) + "\n")
        found.append(reproducible_bytes(tmp_path / str(k), "tables"))
    first, second, without, other_cell = found
    assert first == second
    assert without != first and other_cell != first
    assert list(first.values())[0] == b"| DARTS | 91 |\n" + random_search.LABEL_PREFIX.encode() + b"\n"
