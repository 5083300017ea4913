"""Seeds, intervals and reproducibility levels (issue #29 item 2; ``analysis.seeds``,
``report.reproducibility``): the percentile bootstrap on hand examples (one seed, two seeds,
identical values, a set whose percentiles follow from the binomial law), its fixed generator
and resample count applied; the broad verdict's three outcomes and the row's summary; and a
built table carrying n, mean, std, the interval and the verdicts in the CSV, compactly in
Markdown and LaTeX, the exact level where ``EXACT`` names the row."""

import csv
import io
import math

import numpy as np
import pytest

from nasrepro.analysis import seeds
from nasrepro.analysis.seeds import BOOTSTRAP, FEW, NO, YES, Bootstrap, SeedStats, interval
from nasrepro.experiments.specs import Column
from nasrepro.registry import TABLES
from nasrepro.report import reproducibility
from nasrepro.report.latex import to_latex
from nasrepro.report.reproducibility import (EXACT, NOT_RERUN, ExactCheck, exact_text, row_broad,
                                             stat_cells)
from nasrepro.report.table import build, to_csv, to_markdown
from tests.conftest import ROOT
from tests.table_results import DEFAULT_STANDINS, NOTE, fake_results


# ------------------------------------------------------------------------ the bootstrap
def test_one_seed_has_no_interval_and_two_seeds_span_their_range():
    assert interval([93.1]) is None and SeedStats.of([93.1]).ci is None
    # two values a < b: a resample's mean is a, (a+b)/2 or b with probabilities 1/4, 1/2, 1/4,
    # so the 2.5th and 97.5th percentiles are a and b
    assert interval([2.0, 1.0]) == (1.0, 2.0)
    assert interval([5.25, 5.25, 5.25]) == (5.25, 5.25)  # identical values: no spread


def test_percentiles_follow_the_binomial_law_of_the_resampled_means():
    # values {0, 0, 0, 1}: a resample's mean is k/4, k ~ Binomial(4, 1/4): P(k <= 2) = 0.949 and
    # P(k <= 3) = 0.996, so the 97.5th percentile is 3/4; P(k = 0) = 0.316, the 2.5th is 0
    assert interval([0.0, 0.0, 0.0, 1.0]) == (0.0, 0.75)
    # {0, 0, 1}: k ~ Binomial(3, 1/3), P(k <= 2) = 0.963 < 0.975: the 97.5th percentile is 1
    assert interval([0.0, 0.0, 1.0]) == (0.0, 1.0)


def test_the_fixed_generator_and_resample_count_are_applied():
    values = [0.11, 0.53, 0.97, 0.31, 0.29, 0.83, 0.71, 0.67, 0.41, 1.13, 0.05]
    assert BOOTSTRAP == Bootstrap(resamples=10_000, seed=0, level=0.95)
    assert interval(values) == interval(values)  # a pure function of the values
    rng = np.random.default_rng(0)  # the same draw, written out
    means = np.asarray(values)[rng.integers(0, 11, size=(10_000, 11))].mean(axis=1)
    assert interval(values) == tuple(np.percentile(means, [2.5, 97.5]))
    assert interval(values, Bootstrap(10_000, 1, 0.95)) != interval(values)  # the seed counts
    lo, hi = interval(values, Bootstrap(1, 0, 0.95))  # one resample: one mean, no width
    assert lo == hi
    narrow = interval(values, Bootstrap(10_000, 0, 0.5))
    assert interval(values)[0] < narrow[0] < narrow[1] < interval(values)[1]  # the level counts


def test_the_cell_statistics_are_the_printed_mean_and_population_std():
    stats = SeedStats.of([1.0, 3.0])
    assert (stats.n, stats.mean, stats.std, stats.ci) == (2, 2.0, 1.0, (1.0, 3.0))
    assert SeedStats.of([4.0]).std is None
    with pytest.raises(ValueError, match="no values"):
        SeedStats.of([])


# ----------------------------------------------------------------------- broad verdict
def test_the_broad_verdict_has_three_outcomes():
    stats = SeedStats.of([93.0, 94.0])
    assert stats.broad(93.5) == YES and stats.broad(94.0) == YES  # the ends belong to it
    assert stats.broad(94.01) == NO and stats.broad(92.0) == NO
    assert SeedStats.of([93.5]).broad(93.5) == FEW  # one seed: not decidable
    assert seeds.BROAD == (YES, NO, FEW) and seeds.MIN_SEEDS == 2  # the claims' threshold


def test_the_row_summarises_its_cells():
    assert row_broad([YES, YES]) == "yes (2 of 2 cells)"
    assert row_broad([YES, NO, FEW]) == "no (1 of 2 cells outside the 95% CI)"
    assert row_broad([FEW, FEW]) == FEW
    assert row_broad([]) == ""  # nothing of ours beside a thesis number


def test_a_cell_compares_with_the_thesis_only_in_the_thesis_unit():
    accuracy = Column("c", "CIFAR-10 Test Acc (%)", "cifar10", "test_acc")
    cells = stat_cells("c_reproduced", accuracy, [93.0, 94.0], "93.36±0.3")
    assert cells == {"c_reproduced_n": "2", "c_reproduced_mean": "93.50",
                     "c_reproduced_std": "0.50", "c_reproduced_ci_lo": "93.00",
                     "c_reproduced_ci_hi": "94.00", "c_reproduced_broad": YES}
    assert stat_cells("c_reproduced", accuracy, [93.0, 94.0], "95.1")["c_reproduced_broad"] == NO
    assert "c_reproduced_broad" not in stat_cells("c_reproduced", accuracy, [93.0, 94.0], "-")
    hours = Column("s", "Search cost (GPU-days)", "cifar10", source="search_cost",
                   significant=3, ours="Search cost (wall-clock hours)")
    cells = stat_cells("s_reproduced", hours, [0.0006, 0.0007], "0.3")
    assert "s_reproduced_broad" not in cells and cells["s_reproduced_n"] == "2"
    tau = Column("t", "tau", "cifar10", source="tau", digits=3)
    assert "t_reproduced_broad" not in stat_cells("t_reproduced", tau, [math.nan, 0.2], "0.1")
    one = stat_cells("c_reproduced", accuracy, [93.0], "93.0")
    assert one["c_reproduced_ci_lo"] == one["c_reproduced_std"] == "" and \
        one["c_reproduced_broad"] == FEW


# ---------------------------------------------------------------------- a built table
def _table(tmp_path, table="table_2_3", seeds_=(0, 1)):
    spec = TABLES.get(table)
    return spec, build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path, seeds_), NOTE)


def test_a_built_table_carries_the_statistics_in_the_csv_and_compactly_elsewhere(tmp_path):
    spec, table = _table(tmp_path)
    *rows, _ = csv.DictReader(io.StringIO(to_csv(spec, table, DEFAULT_STANDINS)))
    ours = "CIFAR-10 Test Acc (%) [ours; stand-in: digits"
    en2as = next(r for r in rows if r["run"] == "en2as")
    # fake results: test_acc 91 + 2 * seed on seeds 0, 1; thesis 93.36±0.3
    assert en2as[f"{ours}]"] == "92.00 ± 1.00"
    assert [en2as[f"{ours}; {s}]"] for s in ("n", "mean", "std", "95% CI low", "95% CI high",
                                              "95% CI contains thesis")] == \
        ["2", "92.00", "1.00", "91.00", "93.00", NO]
    assert en2as["Broad reproducibility [ours]"].startswith(NO)
    assert "tau metric [ours; stand-in: digits; n]" in en2as
    assert "s-tau metric [ours; stand-in: digits; n]" not in en2as  # one value per run
    md = to_markdown(spec, table, NOTE, DEFAULT_STANDINS)
    assert "| 92.00 ± 1.00 (n=2) |" in md and "95% CI low" not in md
    assert r"92.00 $\pm$ 1.00 (n=2)" in to_latex(spec, table, NOTE, DEFAULT_STANDINS)


def test_the_thesis_inside_the_interval_is_broadly_reproduced(tmp_path):
    spec, table = _table(tmp_path, seeds_=(1, 2))  # test_acc 93 and 95: [93, 95] holds 93.36
    row = next(r for r in table if r["run"] == "en2as")
    assert row["cifar10_test_reproduced_broad"] == YES
    spec, table = _table(tmp_path / "one", seeds_=(0,))
    row = next(r for r in table if r["run"] == "en2as")
    assert row["cifar10_test_reproduced_broad"] == FEW and row["broad"] == FEW


def test_a_selecting_table_states_both_cells_and_judges_the_selected_one(tmp_path):
    spec, table = _table(tmp_path, "table_6_2", (0, 1))
    row = next(r for r in table if r["run"] == "darts-2nd")
    # the selected cell: its search's retraining and one more (fake: 3 points higher)
    assert row["cifar10_test_error_reproduced_n"] == "2"
    assert row["cifar10_test_error_searches_n"] == "2"  # each search's cell
    assert "cifar10_test_error_reproduced_broad" in row
    assert "cifar10_test_error_searches_broad" not in row  # the thesis reports the selected cell


def test_exact_names_the_registered_cell_and_only_its_row():
    spec = TABLES.get("table_2_3")
    assert EXACT and all(c.table in TABLES and c.run in TABLES.get(c.table).runs(ROOT)
                         and c.key in {col.key for col in TABLES.get(c.table).columns}
                         for c in EXACT)
    check = ExactCheck("table_2_3", "gdas", "tau", 1, "tests/x.py")
    assert exact_text(spec, "gdas", (check,)) == \
        "yes (tau metric, seed 1, rerun on CPU: identical; tests/x.py)"
    assert exact_text(spec, "en2as", (check,)) == NOT_RERUN
    assert exact_text(spec, "", (ExactCheck("table_2_3", "", "tau", 0, "t"),)) == NOT_RERUN
    assert reproducibility.EXACT_HEADER[1] == "Exact reproducibility"
