"""The regression gate in CI (issue #29 item 5): the shared slice of the default profile
(``computed_default``, tests/computed.py) matches its committed snapshot, cell by cell, figure by
figure, claim by claim; and its NAS-Bench-201 table has the random-sampling row and the RI column
(item 1), consistent with the row and our cells."""

import csv

import pytest

from nasrepro import cli
from nasrepro.layout import Layout
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
    *methods, random = rows
    assert random["Method"] == "Random sampling (5 uniformly sampled cells, retrained)"
    baseline = float(random[ours].split(" ± ")[0])
    assert methods and all(row[ri] for row in methods)
    for row in methods:  # RI from the printed (rounded) numbers: within their rounding
        mean = float(row[ours].split(" ± ")[0])
        assert float(row[ri]) == pytest.approx(100 * (mean - baseline) / baseline, abs=0.02)
        assert (float(row[ri]) > 0) == (mean > baseline)
