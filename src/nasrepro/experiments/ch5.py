"""Chapter 5 (BaLeNAS): Tables 5.1-5.2, Figures 5.2-5.6 and the BaLeNAS runs.

BaLeNAS takes M = 1 MCMC sample (Table 5.2 varies M: its grid, ``TABLE_GRIDS``); with the
depth-aware regulariser (eta_1 = 0.05, §5.4.2.1) it is Table 5.1's "BaLeNAS", without it "BaLeNAS
w/o". On the DARTS spaces the runs follow DARTS' protocols (``DARTS_PROTOCOLS``).
"""

from __future__ import annotations

from nasrepro.experiments.common import (DARTS_TRANSFER, NB1SHOT1_SPACES, NB201_COLUMNS,
                                         SEARCH_COST, multiply_adds)
from nasrepro.experiments.runs import (DARTS_PROTOCOLS, DARTS_SPACE_PROTOCOL, RunVariant,
                                       balenas_run)
from nasrepro.experiments.specs import FigureSpec, TableSpec, register

BALENAS_SAMPLES = (1, 2, 3, 4)  # Table 5.2's M, one row each

TABLE_GRIDS = {"table_5_2": tuple(balenas_run(m) for m in BALENAS_SAMPLES)}

register(
    RunVariant("balenas-1st", "balenas-1st", space_params=DARTS_PROTOCOLS),
    RunVariant("balenas-2nd", "balenas-2nd", space_params=DARTS_PROTOCOLS),
    RunVariant("balenas-2nd-depth", "balenas-2nd", {"depth_weight": 0.05},
               {"darts_cnn": DARTS_SPACE_PROTOCOL}),
    *(RunVariant(balenas_run(m), "balenas-2nd", {"samples": m}, DARTS_PROTOCOLS)
      for m in BALENAS_SAMPLES[1:]),

    TableSpec(
        "table_5_1", "Table 5.1: Comparison results with state-of-the-art weight-sharing NAS "
        "approaches (DARTS search space).", "darts_cnn",
        DARTS_TRANSFER + (multiply_adds("flops_m", "FLOPs (M, multiply-adds)", "imagenet"),
                          SEARCH_COST)),
    TableSpec(
        "table_5_2", "Table 5.2: Comparison results with different MCMC number for BaLeNAS on "
        "NAS-Bench-201.", "nb201", NB201_COLUMNS, budget_run="balenas-2nd"),

    # NAS-Bench-1Shot1 (§5.4.1.2): BaLeNAS and DARTS, first and second order
    FigureSpec("fig_5_2", "Figure 5.2: Validation error and test regret of BaLeNAS and DARTS "
               "(first and second order) on the search spaces of NAS-Bench-1Shot1 (the thesis: "
               "space 3)", "nb1shot1-s3", ("darts-1st", "darts-2nd", "balenas-1st", "balenas-2nd"),
               kind="regret", spaces=NB1SHOT1_SPACES),
    FigureSpec("fig_5_3", "Figure 5.3: The best normal cells discovered by BaLeNAS with and "
               "without depth regularization", "darts_cnn", ("balenas-2nd-depth", "balenas-2nd"),
               kind="cell", cells=("normal",)),
    FigureSpec("fig_5_4", "Figure 5.4: (a) depth of the derived normal cell during the search with "
               "and without depth-aware regularisation, (b) validation accuracy of the found cells "
               "during their evaluation", "darts_cnn", ("balenas-2nd-depth", "balenas-2nd"),
               kind="epoch_stats", keys=("depth",), curve_targets=("imagenet", "cifar10")),
    FigureSpec("fig_5_5", "Figure 5.5: skip-connection ratio of the derived normal cell during the "
               "search (DARTS space)", "darts_cnn", ("darts-2nd", "balenas-2nd"),
               kind="epoch_stats", keys=("skip_ratio",)),
    FigureSpec("fig_5_6", "Figure 5.6: trajectory of the Hessian norm (dominant eigenvalue) "
               "during the search (DARTS space)", "darts_cnn", ("darts-2nd", "balenas-2nd"),
               kind="epoch_stats", keys=("hessian_eig",)),
)
