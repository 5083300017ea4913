"""Chapter 6 (iDARTS): its claims (``experiments.claims``), from §6.4 (Tables 6.1-6.3, Fig. 6.2)."""

from __future__ import annotations

from nasrepro.experiments.claims import Cell, Claim, chain, register_claims, versus
from nasrepro.experiments.common import NB201_TARGETS
from nasrepro.experiments.runs import idarts_run

_C10 = "cifar10_test"


def _t63(t: int, k: int) -> Cell:
    return Cell("table_6_3", _C10, idarts_run(t, k))


def _fig62(run: str) -> Cell:
    """A run of Fig. 6.2's sweeps, read as Table 6.3's CIFAR-10 test column."""
    return Cell("table_6_3", _C10, run, via="fig_6_2")


register_claims(*(
    Claim(f"c6-nb201-{target.lower()}", 6, "§6.4.2",
          f"iDARTS finds better NAS-Bench-201 cells than DARTS (2nd) on {dataset} (test accuracy)",
          versus(Cell("table_6_1", f"{target}_test", "idarts"),
                 Cell("table_6_1", f"{target}_test", "darts-2nd")))
    for target, dataset in NB201_TARGETS))

register_claims(
    Claim("c6-vs-darts-space", 6, "§6.4.3",
          "iDARTS' cell has a lower CIFAR-10 test error than DARTS' (DARTS space)",
          versus(Cell("table_6_2", "cifar10_test_error", "idarts"),
                 Cell("table_6_2", "cifar10_test_error", "darts-2nd")), relation="less"),
    Claim("c6-one-term-vs-darts", 6, "§6.4.4",
          "With one inner step, one Neumann term (T = 1, K = 1) beats DARTS (T = 1, K = 0) "
          "(CIFAR-10 test)",
          versus(_t63(1, 1), Cell("table_6_3", _C10, "darts-2nd"))),
    Claim("c6-k-order", 6, "§6.4.4",
          "At T = 4 the cells improve with K from 0 to 2 (CIFAR-10 test: K = 2 > K = 1 > K = 0)",
          chain(_t63(4, 2), _t63(4, 1), _t63(4, 0)),
          flagged="92.44 ± 1.14 (K = 1) against 90.36 ± 1.79 (K = 0) is within the noise"),
    Claim("c6-k-not-worse", 6, "§6.4.4",
          "iDARTS with K >= 1 is not worse than K = 0 at T = 4 (CIFAR-10 test, margin 0.5 point)",
          tuple((_t63(4, k), _t63(4, 0)) for k in (1, 2, 3)), relation="not_less", margin=0.5),
    Claim("c6-k3-drops", 6, "§6.4.4",
          "At T = 4, K = 3 gives worse cells than K = 2 (CIFAR-10 test)",
          versus(_t63(4, 3), _t63(4, 2)), relation="less"),
    Claim("c6-more-steps", 6, "§6.4.2",
          "More inner steps help: T = 4 beats T = 1 (K = 2; Fig. 6.2 a, CIFAR-10 test)",
          versus(_fig62(idarts_run(4, 2)), _fig62(idarts_run(1, 2)))),
    Claim("c6-small-gamma", 6, "§6.4.2",
          "A smaller inner learning rate is preferred: gamma = 0.01 beats 0.025 (Fig. 6.2 b, "
          "CIFAR-10 test)",
          versus(_fig62("idarts-gamma-1e-2"), _fig62("idarts"))),
    Claim("c6-small-gamma-alpha", 6, "§6.4.2",
          "A smaller architecture learning rate is preferred: gamma_alpha x1 beats x3 (Fig. 6.2 "
          "c, CIFAR-10 test)",
          versus(_fig62("idarts"), _fig62("idarts-galpha-x3"))),
)
