"""Chapter 5 (BaLeNAS): its claims (``experiments.claims``), from §5.4 (Tables 5.1-5.2, Figs.
5.4-5.6)."""

from __future__ import annotations

from nasrepro.experiments.ch5 import BALENAS_SAMPLES
from nasrepro.experiments.claims import Cell, Claim, Epochs, register_claims, versus
from nasrepro.experiments.common import NB201_TARGETS
from nasrepro.experiments.runs import balenas_run

_DEPTH = "balenas-2nd-depth"  # Table 5.1's "BaLeNAS"; "BaLeNAS w/o" is balenas-2nd

register_claims(*(
    Claim(f"c5-nb201-{target.lower()}", 5, "§5.4.1.1",
          f"BaLeNAS (2nd) finds better NAS-Bench-201 cells than DARTS (2nd) on {dataset} (test "
          "accuracy)",
          versus(Cell("table_5_2", f"{target}_test", "balenas-2nd"),
                 Cell("table_5_2", f"{target}_test", "darts-2nd")))
    for target, dataset in NB201_TARGETS))

register_claims(
    Claim("c5-one-sample-best", 5, "§5.4.3",
          "One MCMC sample (M = 1) gives better cells than M = 2, 3, 4 (CIFAR-10 test)",
          versus(*(Cell("table_5_2", "cifar10_test", balenas_run(m)) for m in BALENAS_SAMPLES)),
          flagged="94.33 ± 0.04 (M = 1) against 94.03 ± 0.35 (M = 3) is within the noise"),
    Claim("c5-vs-darts-space", 5, "§5.4.2.1",
          "BaLeNAS' cell has a lower CIFAR-10 test error than DARTS (2nd)'s (DARTS space)",
          versus(Cell("table_5_1", "cifar10_test_error", _DEPTH),
                 Cell("table_5_1", "cifar10_test_error", "darts-2nd")), relation="less"),
    Claim("c5-depth-transfers", 5, "§5.4.2.3",
          "BaLeNAS' deeper cell has lower CIFAR-100 and ImageNet test errors than BaLeNAS w/o "
          "depth regularisation",
          tuple((Cell("table_5_1", key, _DEPTH), Cell("table_5_1", key, "balenas-2nd"))
                for key in ("cifar100_test_error", "imagenet_top1")), relation="less"),
    Claim("c5-deeper", 5, "§5.4.2.3",
          "Depth-aware regularisation makes BaLeNAS derive a deeper normal cell (Fig. 5.4 a: depth "
          "at the last epoch)",
          ((Epochs("fig_5_4", _DEPTH, "depth"), Epochs("fig_5_4", "balenas-2nd", "depth")),)),
    Claim("c5-fewer-skips", 5, "§5.4.4",
          "BaLeNAS keeps fewer skip connections in its normal cell than DARTS (2nd) during the "
          "search (Fig. 5.5: mean skip ratio over the epochs)",
          ((Epochs("fig_5_5", "balenas-2nd", "skip_ratio", "mean"),
            Epochs("fig_5_5", "darts-2nd", "skip_ratio", "mean")),), relation="less"),
    Claim("c5-hessian", 5, "§5.4.5",
          "BaLeNAS keeps the dominant Hessian eigenvalue lower than DARTS (2nd) (Fig. 5.6: its "
          "largest value over the search)",
          ((Epochs("fig_5_6", "balenas-2nd", "hessian_eig", "max"),
            Epochs("fig_5_6", "darts-2nd", "hessian_eig", "max")),), relation="less"),
    Claim("c5-cost", 5, "§5.4.2.1",
          "BaLeNAS (2nd)'s search is cheaper than DARTS (2nd)'s (Table 5.1: 1.3 against 4 "
          "GPU-days)",
          versus(Cell("table_5_1", "search_cost", _DEPTH),
                 Cell("table_5_1", "search_cost", "darts-2nd")), relation="less"),
    Claim("c5-memory", 5, "§5.5",
          "BaLeNAS needs no more memory than DARTS (the same memory class)",
          ((Cell("table_2_1", "memory", "balenas-2nd", via="table_5_1"),
            Cell("table_2_1", "memory", "darts-2nd", "DARTS (2nd) [95]", "table_5_1")),),
          relation="equal"),
)
