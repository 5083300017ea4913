"""Chapter 4 (E²NAS): Tables 4.1-4.6, Figures 4.3-4.5 and the E²NAS and replay runs.

Tables 4.1-4.5 are on NAS-Bench-201, Table 4.6 on the DARTS space. The grids (``TABLE_GRIDS``)
are the one source of their runs: Table 4.2, eps = 0 with static gamma in {0, 0.2, 0.5, 0.8} or
Sig_gamma(b), b in {1, 2, 5, 10}; Table 4.4, eps in {0, 0.2, 0.5, 0.8} x Sig_gamma(b) (rows eps,
columns b); Table 4.3 / Fig. 4.4, RandomNAS, GDAS and E²NAS with the replay strategies AC, RP, OP
and eps in {0 (NA: the baseline), 0.2, 0.5, 0.8} (rows base and eps, columns strategy). E²NAS with
AC is the eps grid at Sig_gamma(10) (``runs.replay_run``).
"""

from __future__ import annotations

from nasrepro.experiments.common import DARTS_TRANSFER, NB201_COLUMNS, SEARCH_COST, multiply_adds
from nasrepro.experiments.runs import (DARTS_SPACE_50, DARTS_SPACE_PROTOCOL, REPLAY_BASES,
                                       RunVariant, e2nas_gamma_params, e2nas_run, replay_run)
from nasrepro.experiments.specs import Column, FigureSpec, TableSpec, register

E2NAS_EPSILONS = (0.0, 0.2, 0.5, 0.8)
E2NAS_GAMMAS = (0.0, 0.2, 0.5, 0.8, "sig1", "sig2", "sig5", "sig10")
# The replay strategies Table 4.3 compares: ``methods.parts.replay.STRATEGIES`` less ``na``
# (no replay: eps = 0, the baseline)
REPLAY_STRATEGIES = ("ac", "rp", "op")
REPLAY_EPSILONS = (0.2, 0.5, 0.8)

# (eps, gamma) of Tables 4.2 and 4.4; (base, strategy, eps) of Table 4.3
TABLE_4_2_POINTS = tuple((0.0, gamma) for gamma in E2NAS_GAMMAS)
TABLE_4_4_POINTS = tuple((eps, gamma) for eps in E2NAS_EPSILONS
                         for gamma in E2NAS_GAMMAS if isinstance(gamma, str))
TABLE_4_3_POINTS = tuple((base, strategy, eps) for base in REPLAY_BASES
                         for eps in (0.0,) + REPLAY_EPSILONS for strategy in REPLAY_STRATEGIES)
TABLE_GRIDS = {"table_4_2": tuple(e2nas_run(*point) for point in TABLE_4_2_POINTS),
               "table_4_3": tuple(replay_run(*point) for point in TABLE_4_3_POINTS),
               "table_4_4": tuple(e2nas_run(*point) for point in TABLE_4_4_POINTS)}

# E²NAS (Alg. 4): eps = 0.5, Sig_gamma(10); E²NAS-R adds the depth term (zeta = 0.05, M = 10).
# On the DARTS space §4.4.2: DARTS' protocol, 100 epochs, batch 32 (8 cells, C = 16: the space's
# search network). GDAS-A (Table 4.2) and the single-path baselines with the complementation loss
# of Eq. 4.12 (Table 4.3, Fig. 4.4): on the DARTS space with their baselines' protocol (50 epochs).
E2NAS_DARTS = {"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 100, "batch_size": 32}}
# Table 4.6: the final-epoch errors of the author's released retraining logs of the cells
# (docs/methods.md, "Architecture columns": which log each comes from)
TABLE_4_6_LOGS = tuple(
    Column(f"{target}_log_error", f"{label} error (%)", target, source="log")
    for target, label in (("cifar10", "CIFAR-10 test"), ("cifar100", "CIFAR-100 test"),
                          ("imagenet", "ImageNet top-1")))

register(RunVariant("gdas-a", "gdas-a", space_params=DARTS_SPACE_50),
         RunVariant("e2nas-r", "e2nas", {"depth_weight": 0.05}, E2NAS_DARTS))
for _eps, _gamma in sorted(set(TABLE_4_2_POINTS + TABLE_4_4_POINTS), key=str):
    register(RunVariant(e2nas_run(_eps, _gamma), "e2nas",
                        {"epsilon": _eps, **e2nas_gamma_params(_gamma)}, E2NAS_DARTS))
for _base, _strategy, _eps in TABLE_4_3_POINTS:
    if _eps == 0 or (_base, _strategy) == ("e2nas", "ac"):
        continue  # the baselines, and E²NAS with AC: the (eps, gamma) grid above
    _params = {"replay": _strategy, "epsilon": _eps}
    register(RunVariant(replay_run(_base, _strategy, _eps), "e2nas", _params, E2NAS_DARTS)
             if _base == "e2nas" else
             RunVariant(replay_run(_base, _strategy, _eps), f"{_base}-replay", _params,
                        DARTS_SPACE_50))

# Fig. 4.4 (a): each baseline with AC against eps
_AC_SWEEPS = tuple((label, tuple((f"{eps:g}", replay_run(base, "ac", eps)) for eps in E2NAS_EPSILONS))
                   for label, base in (("RandomNAS", "random-nas"), ("GDAS", "gdas"), ("E²NAS", "e2nas")))

register(
    TableSpec("table_4_1", "Table 4.1: Comparison results with state-of-the-art NAS approaches "
              "on NAS-Bench-201.", "nb201", NB201_COLUMNS, budget_run="e2nas"),
    # "Best": the test accuracy of the best cell over all epochs of the search, the evaluation of
    # pseudo-run ``<run>-best`` (``jobs.BEST_SUFFIX``, ``analysis.best_cell``)
    TableSpec(
        "table_4_2", "Table 4.2: Analysis of E²NAS with different gamma on NAS-Bench-201 (eps = 0; "
        "Best: the best cell over all epochs of the search).", "nb201",
        (Column("cifar10_test", "CIFAR-10 Test (%)", "cifar10", "test_acc"),
         Column("cifar10_best", "CIFAR-10 Best (%)", "cifar10", "test_acc"),
         Column("cifar100_test", "CIFAR-100 Test (%)", "cifar100", "test_acc"),
         Column("ImageNet16-120_test", "ImageNet16-120 Test (%)", "ImageNet16-120", "test_acc")),
        budget_run="gdas"),
    TableSpec(
        "table_4_3", "Table 4.3: Analysis of one-shot NAS with different eps settings on CIFAR-10 "
        "(NAS-Bench-201; E²NAS with gamma = Sig_gamma(10); test accuracy, %).", "nb201",
        tuple(Column(key, f"{key.upper()} Test Acc (%)", "cifar10", "test_acc")
              for key in REPLAY_STRATEGIES), budget_run="e2nas"),
    TableSpec(
        "table_4_4", "Table 4.4: The CIFAR-10 test accuracy (%) of E²NAS with different eps and "
        "gamma settings (NAS-Bench-201).", "nb201",
        tuple(Column(gamma, f"Sig_gamma({gamma[3:]})", "cifar10", "test_acc")
              for gamma in E2NAS_GAMMAS if isinstance(gamma, str)), budget_run="e2nas"),
    TableSpec(
        "table_4_5", "Table 4.5: The searching time of differentiable NAS baselines "
        "(NAS-Bench-201, CIFAR-10; seconds, and the ratio to GDAS).", "nb201",
        (Column("search_s", "Searching time (s)", "cifar10", source="search_seconds",
                significant=3),
         Column("ratio_gdas", "Ratio to GDAS", "cifar10", "gdas", source="search_ratio"))),
    TableSpec(
        "table_4_6", "Table 4.6: Comparison results with state-of-the-art weight-sharing NAS "
        "approaches (DARTS search space).", "darts_cnn",
        DARTS_TRANSFER + (multiply_adds("flops_m", "FLOPs (M)", "imagenet",
                                        ours="Multiply-adds (M; for FLOPs)"),
                          multiply_adds("madds_m", "Multiply-adds (M)", "imagenet"),
                          SEARCH_COST) + TABLE_4_6_LOGS),

    FigureSpec("fig_4_3", "Figure 4.3: Sigmoid-type function Sig_gamma(b) for the hyperparameter "
               "gamma over the training epochs (Eq. 4.16)", "nb201", (), kind="gamma_schedule",
               values=(1.0, 2.0, 5.0, 10.0)),
    FigureSpec("fig_4_4a", "Figure 4.4 (a): validation (dashed) and test accuracy of the found "
               "cells against eps of the complementation loss (NAS-Bench-201, AC)", "nb201",
               tuple(dict.fromkeys(run for _, points in _AC_SWEEPS for _, run in points)),
               kind="sweep", sweeps=_AC_SWEEPS, keys=("valid_acc", "test_acc"), overlay=True,
               values_label="eps of the complementation loss (Eq. 4.12; AC)"),
    FigureSpec("fig_4_4b", "Figure 4.4 (b): validation accuracy of the derived cell with "
               "inherited weights per search epoch (DARTS space)", "darts_cnn",
               ("darts-1st", "darts-2nd", "gdas", "gdas-ac-e05")),
    FigureSpec("fig_4_5", "Figure 4.5: Best found cells with E²NAS and E²NAS-R on CIFAR-10",
               "darts_cnn", ("e2nas", "e2nas-r"), kind="cell"),
)
