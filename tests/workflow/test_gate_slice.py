"""The regression gate in CI (issue #29 item 5): the shared slice of the default profile
(``computed_default``, tests/computed.py) matches its committed snapshot, cell by cell, figure by
figure, claim by claim; and its NAS-Bench-201 table has the random-sampling row and the RI column
(item 1), consistent with the row and our cells; each cell of ours its seeds, interval and broad
verdict, each row its reproducibility level, each column its data split (items 2, 3)."""

import csv
import json

import numpy as np
import pytest

from nasrepro import cli
from nasrepro.layout import Layout
from nasrepro.report.reproducibility import EXACT, NOT_RERUN
from nasrepro.report.splits import ROW_LABEL
from nasrepro.report.table import RI_TAG
from tests.computed import SLICE_ITEMS

SELECT = ["--select", ",".join(SLICE_ITEMS)]


@pytest.mark.slow
def test_the_slice_matches_its_committed_snapshot(computed_default, capsys):
    code = cli.main(["diff-results", "--root", str(computed_default.path), *SELECT])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "matches" in out and "2 tables" in out and "3 figures" in out


@pytest.mark.slow
def test_the_slice_table_2_3_has_the_random_sampling_row_and_ri(computed_default):
    path = computed_default.path / Layout("default").table("table_2_3", "csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    ours = "CIFAR-10 Test Acc (%) [ours; stand-in: digits]"
    ri = f"{ours[:-1]}; {RI_TAG}]"
    *methods, random, searched, split = rows
    assert split["Method"] == ROW_LABEL
    assert random["Method"] == "Random sampling (5 uniformly sampled cells, retrained)"
    assert searched["run"] == "en2as-random-search" and searched[ours]  # the next test
    baseline = float(random[ours].split(" ± ")[0])
    assert methods and all(row[ri] for row in methods)
    for row in methods:  # RI from the printed (rounded) numbers: within their rounding
        mean = float(row[ours].split(" ± ")[0])
        assert float(row[ri]) == pytest.approx(100 * (mean - baseline) / baseline, abs=0.02)
        assert (float(row[ri]) > 0) == (mean > baseline)


@pytest.mark.slow
def test_the_slice_table_2_3_has_the_budget_matched_random_search(computed_default):
    """Issue #29: per seed of Table 2.3, a random search over the slice's 5 probe cells whose
    budget is EN²AS's search of that seed (its run.json) and whose draws cost each cell's
    measured retraining (its run.json); the incumbent is the best drawn by validation, and the
    row reports the incumbents' test accuracies (mean ± std over the 2 seeds)."""
    layout, root = Layout("default"), computed_default.path
    tests = []
    for seed in (0, 1):
        found = json.loads((root / layout.random_search("nb201", "cifar10", "en2as", seed))
                           .read_text())
        search = json.loads((root / layout.search_file("nb201", "cifar10", "en2as", seed,
                                                       "run.json")).read_text())
        probes = {}
        for index in range(5):
            final = root / layout.eval_file("nb201", "cifar10", f"probe-{index}", 0, "cifar10",
                                            "final.json")
            record = json.loads(final.read_text())
            seconds = json.loads((final.parent / "run.json").read_text())["wall_time_s"]
            probes[record["arch"]] = (record["valid_acc"], record["test_acc"], seconds)
        assert found["seed"] == seed and found["budget_s"] == search["wall_time_s"]
        assert found["used_s"] == pytest.approx(sum(probes[c][2] for c in found["draws"]))
        assert found["used_s"] <= found["budget_s"] < found["used_s"] + probes[
            found["stopped_by"]["cell"]][2]
        assert found["draws"], "an EN²AS search outlasts one probe retraining"
        assert probes[found["incumbent"]][0] == max(probes[c][0] for c in found["draws"])
        tests.append(probes[found["incumbent"]][1])
    path = root / layout.table("table_2_3", "csv")
    with open(path, newline="") as handle:
        row = list(csv.DictReader(handle))[-2]
    assert row["Method"].startswith("Random search (budget-matched: en2as's search time, ")
    assert row["CIFAR-10 Test Acc (%) [ours; stand-in: digits]"] == (
        f"{np.mean(tests):.2f} ± {np.std(tests):.2f}")


@pytest.mark.slow
def test_the_slice_table_6_2_has_the_sampled_row_and_error_ri(computed_default):
    """The DARTS-space row (issue #29): one genotype sampled with seed 0 and retrained on the
    search dataset (the slice's random_sampling), its CIFAR-10 error beside the selected cells';
    an error below random sampling's is a positive RI (the sign turned), CIFAR-100 has no row."""
    path = computed_default.path / Layout("default").table("table_6_2", "csv")
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
        handle.seek(0)
        rows = list(csv.DictReader(handle))
    *methods, random, split = rows  # the last row: each column's data split
    assert random["Method"] == "Random sampling (K = 1 uniformly sampled genotypes, seed 0, retrained)"
    ri = [h for h in header if h.endswith(f"; {RI_TAG}]")]
    ours = {r: header[header.index(r) - 1] for r in ri}
    cifar10 = next(r for r in ri if r.startswith("CIFAR-10 "))
    baseline = float(random[ours[cifar10]])  # K = 1: the value alone
    ran = [row for row in methods if row[ours[cifar10]]]  # the slice's runs; the rest quoted
    assert len(ran) == 3 and all(row[cifar10] for row in ran)
    assert not any(row[cifar10] for row in methods if not row[ours[cifar10]])
    for row in ran:
        mean = float(row[ours[cifar10]].split(" ± ")[0])
        assert float(row[cifar10]) == pytest.approx(100 * (baseline - mean) / baseline, abs=0.02)
        assert (float(row[cifar10]) > 0) == (mean < baseline)
    cifar100 = next(r for r in ri if r.startswith("CIFAR-100 "))
    assert random[ours[cifar100]] == "" and not any(row[cifar100] for row in methods)


def _rows(computed_default, table):
    with open(computed_default.path / Layout("default").table(table, "csv"), newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_the_slice_tables_carry_seeds_intervals_levels_and_splits(computed_default):
    ours = "CIFAR-10 Test Acc (%) [ours; stand-in: digits]"
    *methods, random, searched, split = _rows(computed_default, "table_2_3")
    exact = {(c.run, c.key) for c in EXACT if c.table == "table_2_3"}
    assert searched[f"{ours[:-1]}; n]"] == "2"  # the random search: one incumbent per seed
    for row in methods:  # two seeds (0, 1): n, the printed mean and std, an interval around it
        stat = {name: row[f"{ours[:-1]}; {name}]"] for name in
                ("n", "mean", "std", "95% CI low", "95% CI high", "95% CI contains thesis")}
        assert stat["n"] == "2" and row[ours] == f"{stat['mean']} ± {stat['std']}"
        low, high, thesis = (float(stat["95% CI low"]), float(stat["95% CI high"]),
                             float(row["CIFAR-10 Test Acc (%) [thesis]"].split("±")[0]))
        assert low <= float(stat["mean"]) <= high
        assert stat["95% CI contains thesis"] == ("yes" if low <= thesis <= high else "no")
        assert row["Broad reproducibility [ours]"].startswith(("yes", "no"))
        assert (row["Exact reproducibility [ours]"] == NOT_RERUN) == (
            (row["run"], "cifar10_test") not in exact)
    assert random[f"{ours[:-1]}; n]"] == ""  # the space's cells, not seeds
    assert split[ours] == "test (protocol nb201)"
    assert split["CIFAR-10 Test Acc (%) [thesis]"] == "literature"
    assert split["tau metric [ours; stand-in: digits]"].startswith("supernet scores on search_valid")
    *methods, random, split = _rows(computed_default, "table_6_2")  # one seed: no interval
    ours = "CIFAR-10 test error (%) [ours; stand-in: digits; selected cell]"
    built = [row for row in methods if row[ours]]
    assert built and all(row[f"{ours[:-1]}; n]"] == "1" and row[f"{ours[:-1]}; 95% CI low]"] == ""
                         and row["Broad reproducibility [ours]"] == "too few seeds"
                         for row in built)
    assert split[ours] == ("official_test (protocol darts); the cell selected on search_valid "
                           "(protocol heldout)")
