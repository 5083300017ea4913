"""The statistics of a claim's verdict (``report.claims``): does quantity A stand in the claimed
relation to quantity B, given their values over seeds?

A side is a :class:`Sample`: its mean, its sample standard deviation (ddof = 1) and its number of
seeds ``n``; a constant (a threshold such as tau = 0) has ``n = inf`` and no spread. The signed
effect ``d`` is ``a - b`` for a claim that A is larger ("greater", "not_less") and ``b - a`` for
one that A is smaller ("less", "not_greater"). The test is **Welch's t, one-sided, at
alpha = 0.05** (unequal variances, Welch-Satterthwaite degrees of freedom):

- *holds* when ``d + margin > 0`` is significant (``margin`` > 0 only for the non-inferiority
  relations "not_less" / "not_greater": A is not worse than B by more than ``margin``);
- *fails* when ``d < 0`` is significant (A is significantly on the wrong side of B);
- *inconclusive* otherwise (the interval contains no effect), and whenever a side has fewer than
  ``MIN_SEEDS`` seeds: one seed gives no spread to test against.

Zero spread on both sides (e.g. NAS-Bench-201 lookups of one cell) makes ``t`` infinite: the sign
of ``d`` decides, and ``d = 0`` is inconclusive. A *point* comparison (values that are one per
run, like s-tau or a memory class, or printed values without seeds) compares the two numbers
and says so. ``interval`` is the two-sided 95 % Welch interval of ``d``, the uncertainty the
report prints beside the effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
MIN_SEEDS = 2
RELATIONS = {"greater": 1, "not_less": 1, "less": -1, "not_greater": -1}  # relation -> sign of d
VERDICTS = ("holds", "fails", "inconclusive")
WELCH = "Welch's t, one-sided, alpha = 0.05"
POINT = "point comparison (one value, no spread to test)"


@dataclass(frozen=True)
class Sample:
    """One side of a comparison: mean, sample std (ddof = 1), seeds (``inf``: a constant)."""

    mean: float
    std: float
    n: float

    @classmethod
    def of(cls, values) -> "Sample":
        values = np.asarray(values, dtype=float)
        std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        return cls(float(np.mean(values)), std, len(values))

    @classmethod
    def const(cls, value: float) -> "Sample":
        return cls(float(value), 0.0, math.inf)

    @classmethod
    def printed(cls, mean: float, std: float | None, n: int | None) -> "Sample":
        """A value printed as ``mean ± std`` over ``n`` seeds (the population std, as
        NAS-Bench-201 and our tables print it, turned into the sample std); without a std or a
        known ``n`` one value (n = 1)."""
        if std is None or not n or n < 2:
            return cls(float(mean), 0.0, 1)
        return cls(float(mean), float(std) * math.sqrt(n / (n - 1)), n)

    @property
    def constant(self) -> bool:
        return math.isinf(self.n)

    def term(self) -> float:
        """Its share of the squared standard error of a difference."""
        return 0.0 if self.constant else self.std ** 2 / self.n


@dataclass(frozen=True)
class Outcome:
    """A verdict with what it rests on: the signed effect ``d``, its 95 % interval, the one-sided
    p-values of ``d + margin > 0`` (``p_holds``) and of ``d < 0`` (``p_fails``), the test."""

    verdict: str
    effect: float
    interval: tuple[float, float]
    p_holds: float
    p_fails: float
    test: str
    reason: str = ""


def _df(a: Sample, b: Sample) -> float:
    """Welch-Satterthwaite degrees of freedom (a constant side adds none)."""
    parts = [(s.term(), s.n - 1) for s in (a, b) if not s.constant]
    num = sum(t for t, _ in parts) ** 2
    den = sum(t ** 2 / dof for t, dof in parts if dof > 0)
    if den == 0:
        return float(min(dof for _, dof in parts)) if parts else math.inf
    return num / den


def compare(a: Sample, b: Sample, relation: str, margin: float = 0.0, *, point: bool = False,
            alpha: float = ALPHA) -> Outcome:
    """The verdict that A stands in ``relation`` (``RELATIONS``) to B (see the module docstring);
    ``point``: compare the two values alone (one value per run)."""
    if relation not in RELATIONS:
        raise ValueError(f"relation {relation!r}: use one of {sorted(RELATIONS)}")
    d = RELATIONS[relation] * (a.mean - b.mean)
    if point:
        verdict = "holds" if d + margin > 0 else "fails" if d < 0 else "inconclusive"
        return Outcome(verdict, d, (d, d), math.nan, math.nan, POINT)
    few = [s for s in (a, b) if not s.constant and s.n < MIN_SEEDS]
    if few:
        return Outcome("inconclusive", d, (math.nan, math.nan), math.nan, math.nan, WELCH,
                       f"too few seeds (n = {min(int(s.n) for s in few)}; the test needs "
                       f">= {MIN_SEEDS} a side)")
    se = math.sqrt(a.term() + b.term())
    if se == 0:  # no spread on either side: the sign decides
        p_holds = 0.0 if d + margin > 0 else 1.0
        p_fails = 0.0 if d < 0 else 1.0
        interval = (d, d)
    else:
        dof = _df(a, b)
        p_holds = float(stats.t.sf((d + margin) / se, dof))
        p_fails = float(stats.t.cdf(d / se, dof))
        half = float(stats.t.ppf(0.975, dof)) * se
        interval = (d - half, d + half)
    verdict = "holds" if p_holds < alpha else "fails" if p_fails < alpha else "inconclusive"
    reason = "" if verdict != "inconclusive" else "the interval contains no effect"
    return Outcome(verdict, d, interval, p_holds, p_fails, WELCH, reason)


def combine(verdicts: list[str]) -> str:
    """The verdict of a claim made of several comparisons (each must hold): fails if one fails,
    holds if all hold, else inconclusive."""
    if "fails" in verdicts:
        return "fails"
    if verdicts and all(v == "holds" for v in verdicts):
        return "holds"
    return "inconclusive"
