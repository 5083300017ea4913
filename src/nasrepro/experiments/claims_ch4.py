"""Chapter 4 (E²NAS): its claims (``experiments.claims``), from §4.4 (Tables 4.1-4.6, Fig. 4.5)."""

from __future__ import annotations

from nasrepro.experiments.claims import Cell, Claim, Const, Epochs, register_claims, versus
from nasrepro.experiments.common import NB201_TARGETS
from nasrepro.experiments.runs import e2nas_run, replay_run

_C10 = "cifar10_test"
_ERR = "cifar10_test_error"
_E00 = e2nas_run(0.0, 0.0)  # E²NAS without exploration and complementation (Table 4.2)


def _t42(run: str, key: str = _C10) -> Cell:
    return Cell("table_4_2", key, run)


def _ac(base: str, strategy: str, eps: float) -> Cell:
    """Table 4.3: ``base`` trained with replay ``strategy`` at ``eps`` (CIFAR-10 test)."""
    return Cell("table_4_3", strategy, replay_run(base, strategy, eps))


register_claims(*(
    Claim(f"c4-e2nas-vs-gdas-{target.lower()}", 4, "§4.4.1.1",
          f"E²NAS finds better NAS-Bench-201 cells than GDAS on {dataset} (test accuracy)",
          versus(Cell("table_4_1", f"{target}_test", "e2nas"),
                 Cell("table_4_1", f"{target}_test", "gdas")),
          flagged="" if target == "ImageNet16-120" else
          "E²NAS' gain over GDAS is within the noise of four seeds (the text: 'only slightly "
          "better' on CIFAR-10)")
    for target, dataset in NB201_TARGETS))

register_claims(
    Claim("c4-e2nas-vs-baselines", 4, "§4.4.1.1",
          "E²NAS outperforms RandomNAS and NAO on NAS-Bench-201 (CIFAR-10 test)",
          versus(Cell("table_4_1", _C10, "e2nas"), *(Cell("table_4_1", _C10, r)
                                                     for r in ("random-nas", "nao")))),
    Claim("c4-injective", 4, "§4.4.1.2",
          "E²NAS without exploration and complementation (gamma = 0, eps = 0) still outperforms "
          "NAO, GDAS-A and GDAS (CIFAR-10 test)",
          versus(_t42(_E00), *(_t42(r) for r in ("nao", "gdas-a", "gdas"))),
          flagged="92.75 ± 0.56 is below GDAS' 93.37 ± 0.42"),
    Claim("c4-gdas-over-gdas-a", 4, "§4.4.1.3",
          "GDAS (Gumbel sampling: exploration) greatly outperforms GDAS-A (argmax) on all three "
          "datasets (test accuracy)",
          tuple((_t42("gdas", key), _t42("gdas-a", key))
                for key in (_C10, "cifar100_test", "ImageNet16-120_test")),
          flagged="GDAS-A's spread over four seeds (± 3.33, 6.86, 4.81) leaves every gap within "
                  "the noise"),
    Claim("c4-sig2-best", 4, "§4.4.1.3",
          "Exploration with Sig_gamma(2) improves E²NAS' best cell over gamma = 0 (CIFAR-10 "
          "Best)",
          versus(_t42(f"{e2nas_run(0.0, 'sig2')}-best", "cifar10_best"),
                 _t42(f"{_E00}-best", "cifar10_best"))),
    Claim("c4-sig10-vs-gdas", 4, "§4.4.1.3",
          "E²NAS with Sig_gamma(10) (eps = 0) still outperforms GDAS (CIFAR-10 test)",
          versus(_t42(e2nas_run(0.0, "sig10")), _t42("gdas")),
          flagged="93.43 ± 0.29 against 93.37 ± 0.42 is within the noise"),
    Claim("c4-ac-improves", 4, "§4.4.1.4",
          "The complementation loss (AC, eps = 0.5) improves RandomNAS, GDAS and E²NAS over eps = "
          "0 (CIFAR-10 test)",
          tuple((_ac(base, "ac", 0.5), _ac(base, "ac", 0.0))
                for base in ("random-nas", "gdas", "e2nas")),
          flagged="GDAS: 93.41 ± 0.31 against 93.37 ± 0.42, E²NAS: 93.89 ± 0.47 against 93.43 ± "
                  "0.29 are within the noise"),
    Claim("c4-ac-over-rp", 4, "§4.4.1.4",
          "Complementation (AC) beats a random replayed cell (RP) for E²NAS at every eps "
          "(CIFAR-10 test)",
          tuple((_ac("e2nas", "ac", eps), _ac("e2nas", "rp", eps)) for eps in (0.2, 0.5, 0.8)),
          flagged="RP's 51.49 ± 58.68 over four seeds leaves every gap within the noise"),
    Claim("c4-cost-e2nas", 4, "§4.4.1.6",
          "E²NAS' search costs more than GDAS' (Table 4.5: ratio to GDAS above 1)",
          ((Cell("table_4_5", "ratio_gdas", "e2nas"), Const(1.0)),)),
    Claim("c4-cost-darts1", 4, "§4.4.1.6",
          "DARTS (1st)'s search is faster than GDAS' (Table 4.5: ratio to GDAS below 1)",
          ((Cell("table_4_5", "ratio_gdas", "darts-1st"), Const(1.0)),), relation="less"),
    Claim("c4-deeper", 4, "§4.4.2.4",
          "E²NAS-R (depth regularisation) finds a deeper normal cell than E²NAS (Fig. 4.5)",
          ((Epochs("table_4_6", "e2nas-r", "depth"), Epochs("table_4_6", "e2nas", "depth")),)),
    Claim("c4-deeper-transfers", 4, "§4.4.2.4",
          "E²NAS-R's deeper cell has lower CIFAR-100 and ImageNet test errors than E²NAS'",
          tuple((Cell("table_4_6", key, "e2nas-r"), Cell("table_4_6", key, "e2nas"))
                for key in ("cifar100_test_error", "imagenet_top1")), relation="less"),
    Claim("c4-vs-darts", 4, "§4.4.2.1",
          "E²NAS and E²NAS-R find cells with a lower CIFAR-10 test error than DARTS (2nd)",
          tuple((Cell("table_4_6", _ERR, run), Cell("table_4_6", _ERR, "darts-2nd"))
                for run in ("e2nas", "e2nas-r")), relation="less"),
    Claim("c4-memory", 4, "§4.4.2.1",
          "E²NAS searches in single-path memory, like GDAS and RandomNAS",
          ((Cell("table_3_1", "memory", "e2nas", via="table_4_6", thesis="single path"),
            Const("single path")),), relation="equal"),
)
