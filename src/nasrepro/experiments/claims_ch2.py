"""Chapter 2 (EN²AS): its claims (``experiments.claims``), from §2.4 (Tables 2.1-2.3, Figs.
2.2-2.3)."""

from __future__ import annotations

from nasrepro.experiments.claims import Cell, Claim, Const, Epochs, register_claims, versus


def _t23(run: str, key: str) -> Cell:
    return Cell("table_2_3", key, run)


_BASELINES = ("random-nas", "gdas")
_CIFAR10_ERROR = "cifar10_test_error"

register_claims(
    Claim("c2-nb201-test", 2, "§2.4.4",
          "EN²AS finds better NAS-Bench-201 cells (CIFAR-10 test accuracy) than RandomNAS (RS WS) "
          "and GDAS",
          versus(_t23("en2as", "cifar10_test"), *(_t23(r, "cifar10_test") for r in _BASELINES)),
          flagged="93.36 ± 0.3 against RS WS' 91.93 ± 1.2 over three seeds is within the noise"),
    Claim("c2-tau-vs-baselines", 2, "§2.4.4",
          "EN²AS' supernet ranks the probe cells closer to the ground truth (higher Kendall tau) "
          "than RandomNAS' and GDAS'",
          versus(_t23("en2as", "tau"), *(_t23(r, "tau") for r in _BASELINES))),
    Claim("c2-tau-positive", 2, "§2.4.3",
          "EN²AS' supernet ranking correlates positively with the ground truth (tau > 0)",
          ((_t23("en2as", "tau"), Const(0.0)),)),
    Claim("c2-tau-baselines-negative", 2, "§2.4.3",
          "RandomNAS' and GDAS' supernet rankings correlate negatively with the ground truth "
          "(tau < 0: rank disorder)",
          tuple((_t23(r, "tau"), Const(0.0)) for r in _BASELINES), relation="less",
          flagged="-0.016 ± 0.100 and -0.067 ± 0.109 over three seeds are not below 0"),
    Claim("c2-s-tau", 2, "§2.4.4",
          "EN²AS' rankings are more stable over seeds (higher s-tau) than RandomNAS' and GDAS'",
          versus(_t23("en2as", "s_tau"), *(_t23(r, "s_tau") for r in _BASELINES))),
    Claim("c2-ptb-vs-darts1", 2, "§2.4.2.1",
          "EN²AS' recurrent cell has a lower PTB validation and test perplexity than DARTS (1st)'s",
          tuple((Cell("table_2_2", key, "en2as"), Cell("table_2_2", key, "darts-1st"))
                for key in ("ptb_valid", "ptb_test")), relation="less"),
    Claim("c2-cifar10-vs-baselines", 2, "§2.4.1.1",
          "EN²AS' convolutional cell has a lower CIFAR-10 test error than RandomNAS' and GDAS' "
          "(DARTS space)",
          versus(Cell("table_2_1", _CIFAR10_ERROR, "en2as"),
                 Cell("table_2_1", _CIFAR10_ERROR, "random-nas", "RandomNAS [86]", "table_4_6"),
                 Cell("table_2_1", _CIFAR10_ERROR, "gdas", "GDAS [40]", "table_4_6")),
          relation="less"),
    Claim("c2-memory", 2, "§2.4.1.1",
          "EN²AS' search keeps the memory of training one architecture (single path)",
          ((Cell("table_2_1", "memory", "en2as"), Const("single path")),), relation="equal"),
    Claim("c2-no-forgetting", 2, "§2.4.3",
          "EN²AS' fixed cells do not lose inherited-weight validation accuracy during supernet "
          "training (Fig. 2.2 b: last minus first record, not below -1 point)",
          ((Epochs("fig_2_2", "en2as", "probe_valid", "change"), Const(0.0)),),
          relation="not_less", margin=1.0),
)
