"""Supernet predictive ability (thesis §2.4.3-2.4.4, §3.4.1.3): Kendall's tau between the ranking
of a fixed set of cells by inherited-weight validation score and by ground truth (retraining or
benchmark lookup), and s-tau, the stability of the supernet rankings across runs.

``kendall_tau`` is tau-b (ties in either ranking handled as scipy's default does);
``s_tau`` is 2 / (N (N - 1)) sum_{i < j} tau(R_i, R_j) over N runs (§2.4.4).
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two paired samples (nan when either is constant)."""
    if len(x) != len(y):
        raise ValueError(f"kendall_tau needs paired samples; got {len(x)} and {len(y)} values")
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif (dx > 0) == (dy > 0):
            concordant += 1
        else:
            discordant += 1
    denom = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    return (concordant - discordant) / denom if denom else float("nan")


def s_tau(rankings: Sequence[Sequence[float]]) -> float:
    """Mean pairwise Kendall tau between the score vectors of N >= 2 runs (§2.4.4)."""
    pairs = list(itertools.combinations(rankings, 2))
    if not pairs:
        return float("nan")
    return sum(kendall_tau(a, b) for a, b in pairs) / len(pairs)
