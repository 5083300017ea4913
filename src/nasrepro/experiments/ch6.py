"""Chapter 6 (iDARTS): Tables 6.1-6.3, Figures 6.1-6.4 and the iDARTS runs.

iDARTS takes T inner steps and K Neumann terms (default T = 4, K = 2: Tables 6.1, 6.3;
``runs.IDARTS_DEFAULT``); on the DARTS spaces it follows DARTS' protocols (``DARTS_PROTOCOLS``).
The (T, K) grid of its runs is Table 6.3's ablation (``TABLE_GRIDS``) with Fig. 6.2 (a)'s and
Fig. 6.1's T sweep (K = 2) and Fig. 6.4's K ablation at T = 1 and T = 5. Fig. 6.2 (b), (c) sweep
the inner learning rate gamma (``w_lr``, 0.025 by default) and the architecture learning rate
gamma_alpha as a multiple of the profile's ``a_lr``; the thesis' grids are not printed (the figure
is lost): these span each default (docs/methods.md).
"""

from __future__ import annotations

from nasrepro.experiments.common import (DARTS_TRANSFER, NB1SHOT1_SPACES, NB201_COLUMNS,
                                         multiply_adds)
from nasrepro.experiments.runs import DARTS_PROTOCOLS, IDARTS_DEFAULT, RunVariant, idarts_run
from nasrepro.experiments.specs import FigureSpec, TableSpec, register

# (T, K): Table 6.3's iDARTS rows (after DARTS, T = 1 and K = 0), the T sweep at K = 2 (Figs. 6.1,
# 6.2 a) and the K ablation at T = 1 and T = 5 (Fig. 6.4)
TABLE_6_3_POINTS = ((1, 1), (4, 0), (4, 1), (4, 2), (4, 3))
T_SWEEP = tuple((t, 2) for t in (1, 2, 3, 4, 5))
K_ABLATION = {t: tuple((t, k) for k in range(4)) for t in (1, 5)}
TABLE_GRIDS = {"table_6_3": tuple(idarts_run(*point) for point in TABLE_6_3_POINTS)}

# Fig. 6.2 (b), (c): (value, run)
_GAMMAS = ((0.005, "idarts-gamma-5e-3"), (0.01, "idarts-gamma-1e-2"), (0.025, "idarts"),
           (0.05, "idarts-gamma-5e-2"))
_SCALES = ((0.3, "idarts-galpha-x03"), (1.0, "idarts"), (3.0, "idarts-galpha-x3"),
           (10.0, "idarts-galpha-x10"))
# panel label -> ((value label, run), ...)
FIG_6_2_SWEEPS = (
    ("(a) inner steps T", tuple((str(t), idarts_run(t, k)) for t, k in T_SWEEP)),
    ("(b) inner learning rate gamma", tuple((f"{lr:g}", name) for lr, name in _GAMMAS)),
    ("(c) gamma_alpha / a_lr", tuple((f"{scale:g}", name) for scale, name in _SCALES)),
)

register(RunVariant("idarts", "idarts", space_params=DARTS_PROTOCOLS))
for _t, _k in sorted(set(TABLE_6_3_POINTS + T_SWEEP + K_ABLATION[1] + K_ABLATION[5])
                     - {IDARTS_DEFAULT}):
    register(RunVariant(idarts_run(_t, _k), "idarts", {"inner_steps": _t, "neumann_terms": _k}))
register(*(RunVariant(name, "idarts", {"w_lr": lr}) for lr, name in _GAMMAS if name != "idarts"),
         *(RunVariant(name, "idarts", {"a_lr_scale": scale}) for scale, name in _SCALES
           if name != "idarts"))

# NAS-Bench-1Shot1 (§6.4.1): Fig. 6.1 adds GDAS and RandomNAS (the baselines) to the
# thesis' DARTS; Fig. 6.4 one group of runs per T
_K_GROUPS = (("T = 1", ("darts-2nd",) + tuple(idarts_run(*point) for point in K_ABLATION[1])),
             ("T = 5", tuple(idarts_run(*point) for point in K_ABLATION[5])))

register(
    TableSpec("table_6_1", "Table 6.1: Comparison results with NAS baselines on NAS-Bench-201.",
              "nb201", NB201_COLUMNS, budget_run="idarts"),
    TableSpec(
        "table_6_2", "Table 6.2: Comparison results with state-of-the-art weight-sharing NAS "
        "approaches (DARTS search space).", "darts_cnn",
        DARTS_TRANSFER + (multiply_adds("madds_m", "Multiply-adds (M)", "imagenet"),)),
    TableSpec("table_6_3", "Table 6.3: Ablation study on K for iDARTS on NAS-Bench-201.", "nb201",
              NB201_COLUMNS, budget_run="idarts"),

    FigureSpec("fig_6_1", "Figure 6.1: Validation error and test regret of iDARTS with different "
               "T (K = 2) and the baselines on NAS-Bench-1Shot1 (the thesis: space 3)",
               "nb1shot1-s3", ("darts-2nd", "gdas", "random-nas")
               + tuple(idarts_run(*point) for point in T_SWEEP),
               kind="regret", spaces=NB1SHOT1_SPACES),
    FigureSpec("fig_6_2", "Figure 6.2: iDARTS on NAS-Bench-201 against (a) inner steps T, (b) "
               "inner learning rate gamma, (c) architecture learning rate gamma_alpha", "nb201",
               tuple(dict.fromkeys(run for _, points in FIG_6_2_SWEEPS for _, run in points)),
               kind="sweep", sweeps=FIG_6_2_SWEEPS),
    FigureSpec("fig_6_3", "Figure 6.3: The best cells discovered by iDARTS on the DARTS search "
               "space", "darts_cnn", ("idarts",), kind="cell"),
    FigureSpec("fig_6_4", "Figure 6.4: Ablation study on K for iDARTS with T = 1 and T = 5 on "
               "NAS-Bench-1Shot1", "nb1shot1-s3",
               tuple(dict.fromkeys(run for _, runs in _K_GROUPS for run in runs)),
               kind="regret", spaces=NB1SHOT1_SPACES, groups=_K_GROUPS),
)
