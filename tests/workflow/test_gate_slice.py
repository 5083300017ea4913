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
    *methods, random = rows
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
