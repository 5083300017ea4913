"""Chapter 3 (NSAS): Tables 3.1-3.7, Figures 3.1 and 3.3-3.6 and the NSAS runs.

The named runs: RandomNAS-NSAS (M = 5, beta = 0.5) and GDAS-NSAS (M = 2, beta = 0.2) (Table 3.3
note; ``runs.NSAS_DEFAULTS``); "-c": NSAS-C, the fixed-depth variant (§3.4.1.2, Tables 3.1-3.2);
on the DARTS space with DARTS' protocol and 50 epochs like the baselines (``DARTS_SPACE_50``).

The grids (``TABLE_GRIDS``) are the one source of their runs: the hyperparameter grid of Table 3.4
(RandomNAS-NSAS, M in 2..5, beta in {0 (the baseline), 0.2, 0.5, 0.8}), in the order of the
table's rows, and the constraint-selection study of Tables 3.5-3.7 (M = 2, both baselines, beta
in {0.2, 0.5, 0.8}, six strategies), row by row (baseline, beta) and column by column (strategy).
The thesis' CSVs name the same runs in the same order (``tests/project/test_experiments.py``).
"""

from __future__ import annotations

from nasrepro.experiments.common import (DARTS_ERRORS, MEMORY, NB201_COLUMNS, NB201_TARGETS,
                                         SEARCH_COST, multiply_adds, params)
from nasrepro.experiments.runs import DARTS_SPACE_50, RunVariant, nsas_run
from nasrepro.experiments.specs import Column, FigureSpec, TableSpec, register
from nasrepro.registry import RUNS

# The six constraint selection strategies Tables 3.5-3.7 compare (column key, label); the method's
# ``methods.parts.constraints.STRATEGIES``
CONSTRAINT_STRATEGIES = (("nsas", "NSAS"), ("nsas-g", "NSAS-G"), ("nsas-lg", "NSAS-LG"),
                         ("rg", "RG"), ("low", "LoW"), ("low-r", "LoW-R"))
NSAS_BETAS = (0.2, 0.5, 0.8)
# (base, strategy, M, beta) of each cell
TABLE_3_4_POINTS = tuple(("random-nas", "nsas", m, beta)
                         for m in (2, 3, 4, 5) for beta in (0.0,) + NSAS_BETAS)
CONSTRAINT_POINTS = tuple((base, strategy, 2, beta) for base in ("random-nas", "gdas")
                          for beta in NSAS_BETAS for strategy, _ in CONSTRAINT_STRATEGIES)
TABLE_GRIDS = {"table_3_4": tuple(nsas_run(*point) for point in TABLE_3_4_POINTS),
               **{f"table_3_{n}": tuple(nsas_run(*point) for point in CONSTRAINT_POINTS)
                  for n in (5, 6, 7)}}

# §3.4.2 (Table 3.2): "We trained RandomNAS-NSAS with 52 initial channels C and RandomNAS-NSAS-C
# with C = 50, GDAS-NSAS and GDAS-NSAS-C were set to C = 50" on ImageNet (the space's: 48)
IMAGENET_C52 = {"darts_cnn": {"imagenet": {"C": 52}}}
IMAGENET_C50 = {"darts_cnn": {"imagenet": {"C": 50}}}

register(
    RunVariant("random-nas-nsas", "random-nas-nsas", space_params=DARTS_SPACE_50,
               eval_params=IMAGENET_C52),
    RunVariant("gdas-nsas", "gdas-nsas", space_params=DARTS_SPACE_50, eval_params=IMAGENET_C50),
    RunVariant("random-nas-nsas-c", "random-nas-nsas", {"depth_constraint": True}, DARTS_SPACE_50,
               IMAGENET_C50),
    RunVariant("gdas-nsas-c", "gdas-nsas", {"depth_constraint": True}, DARTS_SPACE_50,
               IMAGENET_C50),
)
for _base, _strategy, _m, _beta in sorted(set(TABLE_3_4_POINTS + CONSTRAINT_POINTS)):
    _name = nsas_run(_base, _strategy, _m, _beta)
    if _name not in RUNS:  # not a baseline (beta = 0) or a named run above
        register(RunVariant(_name, f"{_base}-nsas",
                            {"strategy": _strategy, "constraints": _m, "beta": _beta}))

register(
    TableSpec(
        "table_3_1", "Table 3.1: Results with NAS approaches on CIFAR-10 and CIFAR-100 (DARTS "
        "search space).", "darts_cnn",
        DARTS_ERRORS + (params("cifar10"),
                        multiply_adds("flops_m", "FLOPs (M, multiply-adds)", "cifar10"),
                        SEARCH_COST, MEMORY)),
    TableSpec(
        "table_3_2", "Table 3.2: Results on ImageNet (mobile setting; DARTS search space).",
        "darts_cnn",
        (Column("imagenet_test_error", "ImageNet test error (%)", "imagenet", "test_acc",
                error=True),
         params("imagenet"), multiply_adds("flops_m", "FLOPs (M, multiply-adds)", "imagenet"))),
    TableSpec("table_3_3", "Table 3.3: Results of one-shot NAS baselines on NAS-Bench-201.",
              "nb201", NB201_COLUMNS, budget_run="gdas-nsas"),
    TableSpec("table_3_4", "Table 3.4: RandomNAS-NSAS with various settings for beta and M on "
              "NAS-Bench-201.", "nb201", NB201_COLUMNS, budget_run="random-nas-nsas"),
    *(TableSpec(f"table_3_{number}", f"Table 3.{number}: One-shot NAS with constraint selection "
                f"strategies on {label} (M = 2; test accuracy, %).", "nb201",
                tuple(Column(key, f"{name} Test Acc (%)", target, "test_acc")
                      for key, name in CONSTRAINT_STRATEGIES),
                budget_run="random-nas-nsas-m2-b05")
      for number, (target, label) in zip((5, 6, 7), NB201_TARGETS)),

    FigureSpec("fig_3_1", "Figure 3.1 (right): inherited-weight (Arch) and retrained (Arch-R) "
               "validation accuracy of four cells during GDAS supernet training", "nb201",
               ("gdas",), kind="forgetting", retrained=True),
    FigureSpec("fig_3_3", "Figure 3.3: The best found cells with NSAS and NSAS-C on CIFAR-10",
               "darts_cnn", ("random-nas-nsas", "random-nas-nsas-c"), kind="cell"),
    FigureSpec("fig_3_4", "Figure 3.4: inherited-weight (Arch) and retrained (Arch-R) validation "
               "accuracy of four cells, RandomNAS-NSAS and GDAS-NSAS", "nb201",
               ("random-nas-nsas", "gdas-nsas"), kind="forgetting", retrained=True),
    FigureSpec("fig_3_5", "Figure 3.5: Kendall tau of the supernet ranking during the search",
               "nb201", ("random-nas", "random-nas-nsas", "gdas", "gdas-nsas"), kind="tau_curves"),
    FigureSpec("fig_3_6", "Figure 3.6: (a) supernet against ground-truth ranks of the probe cells "
               "(b) retrained validation accuracy of the found cells", "nb201",
               ("random-nas", "random-nas-nsas", "gdas", "gdas-nsas"), kind="rank_scatter"),
)
