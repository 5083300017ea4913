"""The seeds behind one cell of a table (issue #29 item 2; Li and Talwalkar, UAI 2019: exact
against broad reproducibility): how many seeds, their mean and std, a 95 % bootstrap interval of
the mean, and whether that interval contains the thesis' printed value.

- ``n``: the number of per-seed values behind the cell;
- ``mean`` and ``std``: the mean and the **population** std (numpy's default), the numbers our
  table cells print as "mean ± std" (``report.table.fmt``; NAS-Bench-201 prints the same);
- ``interval``: the **percentile bootstrap** of the mean over the seed values (Efron and
  Tibshirani 1993, §13.3): ``BOOTSTRAP.resamples`` resamples of the ``n`` values drawn with
  replacement from numpy's PCG64 generator seeded with ``BOOTSTRAP.seed``, the mean of each, and
  the 2.5th and 97.5th percentiles of those means (numpy's linear interpolation). A fixed seed
  makes the interval a pure function of the values, so a rebuild prints the same digits (the
  regression gate compares them at tolerance 0). With ``n`` < ``verdict.MIN_SEEDS`` (one seed)
  there is no interval: one value has no spread to resample. The bootstrap interval of two
  seeds is their range (each resample's mean is a, (a + b) / 2 or b, the ends with probability
  1/4 each); it is wide by design: two seeds say little;
- ``broad``: the broad-reproducibility verdict of the cell, "yes" when the interval contains the
  thesis' printed value (``lo <= thesis <= hi``, the printed number as it is, no widening for
  its rounding), "no" when it does not, "too few seeds" with fewer than ``verdict.MIN_SEEDS``.

The claims (issue #24, ``analysis.verdict``) test a *difference* between two quantities with
Welch's t; this module states one cell's spread and its agreement with the printed value. It
shares the claims' threshold of seeds (``MIN_SEEDS``). No torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasrepro.analysis.verdict import MIN_SEEDS


@dataclass(frozen=True)
class Bootstrap:
    """The percentile bootstrap's settings: resamples, the generator's seed, the level."""

    resamples: int
    seed: int
    level: float

    @property
    def percentiles(self) -> tuple[float, float]:
        tail = 100.0 * (1.0 - self.level) / 2.0
        return tail, 100.0 - tail


# The one setting of every interval the tables print: 10,000 resamples, seed 0, 95 %. (At this
# count, 30 other generator seeds moved the ends by at most 2.1 % of the range of the values, for
# 2, 3, 6 and 10 values: the seed is fixed for byte-stable tables, not because it matters.)
BOOTSTRAP = Bootstrap(resamples=10_000, seed=0, level=0.95)

YES, NO, FEW = "yes", "no", "too few seeds"
BROAD = (YES, NO, FEW)


def interval(values, spec: Bootstrap = BOOTSTRAP) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of the mean of ``values`` (module docstring); None with
    fewer than ``MIN_SEEDS`` values."""
    values = np.asarray(values, dtype=float)
    if values.size < MIN_SEEDS:
        return None
    rng = np.random.default_rng(spec.seed)
    means = values[rng.integers(0, values.size, size=(spec.resamples, values.size))].mean(axis=1)
    lo, hi = np.percentile(means, spec.percentiles)
    return float(lo), float(hi)


@dataclass(frozen=True)
class SeedStats:
    """A cell's seeds: ``n``, ``mean``, population ``std`` (None for one seed) and the bootstrap
    ``ci`` (None for one seed)."""

    n: int
    mean: float
    std: float | None
    ci: tuple[float, float] | None

    @classmethod
    def of(cls, values) -> "SeedStats":
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            raise ValueError("no values: a cell without seeds has no statistics")
        std = float(np.std(values)) if values.size > 1 else None
        return cls(int(values.size), float(np.mean(values)), std, interval(values))

    def broad(self, thesis: float) -> str:
        """Whether the interval contains the thesis' value ``thesis``: ``BROAD``."""
        if self.ci is None:
            return FEW
        return YES if self.ci[0] <= thesis <= self.ci[1] else NO
