"""What several chapters share: the baseline runs (DARTS first and second order, GDAS, RandomNAS,
NAO-WS), the columns of the NAS-Bench-201 and DARTS-space tables, the NAS-Bench-1Shot1 spaces of
Figs. 5.2, 6.1 and 6.4, and the NAS-Bench-201 search curves of the baselines (not a thesis
figure: the pipeline's own look at the searches).
"""

from __future__ import annotations

from nasrepro.experiments.runs import (DARTS_RNN_2ND, DARTS_RNN_ARCH, DARTS_SPACE_50,
                                       DARTS_SPACE_PROTOCOL, RANDOM_SEARCH_86, RANDOM_SELECTION_86,
                                       RunVariant)
from nasrepro.experiments.specs import Column, FigureSpec, register

register(
    RunVariant("darts-1st", "darts-1st", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL,
                                                       "darts_rnn": DARTS_RNN_ARCH}),
    RunVariant("darts-2nd", "darts-2nd", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL,
                                                       "darts_rnn": DARTS_RNN_2ND}),
    # GDAS on the DARTS space: the DARTS protocol with DARTS' 50 epochs (``DARTS_SPACE_50``)
    RunVariant("gdas", "gdas", space_params={**DARTS_SPACE_50, "darts_rnn": DARTS_RNN_ARCH}),
    # RandomNAS on the DARTS spaces: [86]'s supernet length and selection
    RunVariant("random-nas", "random-nas",
               space_params={space: {**RANDOM_SEARCH_86[space], **RANDOM_SELECTION_86[space]}
                             for space in RANDOM_SEARCH_86}),
    # NAO-WS (the thesis' NAO*, Tables 4.1, 4.2, 4.5); on the DARTS space DARTS' protocol, 50 epochs
    RunVariant("nao", "nao", space_params=DARTS_SPACE_50),
)

NB201_TARGETS = (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100"), ("ImageNet16-120", "ImageNet16-120"))

# Tables 3.3, 3.4, 4.1, 5.2, 6.1, 6.3: validation and test accuracy on the three datasets
NB201_COLUMNS = tuple(Column(f"{t}_{split}", f"{label} {split.title()} (%)", t, f"{split}_acc")
                      for t, label in NB201_TARGETS for split in ("valid", "test"))



def search_cost(target: str) -> Column:
    """The thesis' search cost in GPU-days beside ours: the search's wall-clock hours (GPU-hours
    on a GPU), three significant figures (a default-profile search lasts seconds)."""
    return Column("search_cost", "Search cost (GPU-days)", target, source="search_cost",
                  significant=3, ours="Search cost (wall-clock hours; GPU-hours on a GPU)")


def params(target: str) -> Column:
    """Parameters in millions, three significant figures (a default-profile network has 0.02 M)."""
    return Column("params_m", "Params (M)", target, "params_m", significant=3)


def multiply_adds(key: str, label: str, target: str, ours: str = "") -> Column:
    """Multiply-adds in millions (``label``: the thesis' header), three significant figures."""
    return Column(key, label, target, "madds_m", significant=3, ours=ours)


SEARCH_COST = search_cost("cifar10")
MEMORY = Column("memory", "Memory consumption", "cifar10", source="memory")  # Tables 2.1, 3.1
# CIFAR-10/100 test error of the DARTS-space tables (Tables 2.1, 3.1, 4.6, 5.1, 6.2)
DARTS_ERRORS = (
    Column("cifar10_test_error", "CIFAR-10 test error (%)", "cifar10", "test_acc", error=True),
    Column("cifar100_test_error", "CIFAR-100 test error (%)", "cifar100", "test_acc", error=True))
# Tables 4.6, 5.1 and 6.2: CIFAR-10/100 test error, ImageNet top-1 and top-5 error (the
# retraining scores both: ``test_acc``, ``test_top5_acc``), params on CIFAR-10
DARTS_TRANSFER = DARTS_ERRORS + (
    Column("imagenet_top1", "ImageNet top-1 error (%)", "imagenet", "test_acc", error=True),
    Column("imagenet_top5", "ImageNet top-5 error (%)", "imagenet", "test_top5_acc", error=True),
    params("cifar10"))

# NAS-Bench-1Shot1 (§5.4.1.2, §6.4.1): its three search spaces (Figs. 5.2, 6.1, 6.4)
NB1SHOT1_SPACES = tuple(f"nb1shot1-s{v}" for v in (1, 2, 3))

register(FigureSpec("search_curves_nb201", "NAS-Bench-201 search curves (mean ± std over seeds)",
                    "nb201", ("darts-1st", "darts-2nd", "gdas", "random-nas")))
