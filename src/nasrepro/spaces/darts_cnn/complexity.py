"""Params and multiply-adds of a DARTS-space cell at the papers' evaluation network sizes (the
architecture columns of Tables 2.1, 3.1, 3.2, 4.6, 5.1 and 6.2), computed from the genotype alone:
the network is built and counted by ``analysis.complexity`` (the counter the evaluations use),
never trained.

- ``cifar10``: DARTS' NetworkCIFAR, C=36, 20 cells, 32x32 inputs, 10 classes;
- ``imagenet``: DARTS' NetworkImageNet (the mobile setting), C=48, 14 cells, 224x224 inputs,
  1000 classes.

Params exclude the auxiliary head, as the papers count them (DARTS' ``count_parameters_in_MB``
skips it); multiply-adds count one forward pass through convolutions and the classifier (BatchNorm,
pooling and additions are not multiply-adds), as DARTS, P-DARTS and PC-DARTS report them. Both
are in millions (1e6). A genotype is anything with ``normal`` and ``reduce`` gene lists: a space
``Genotype`` or a released cell outside the space's discrete-cell rules (``genotypes.RELEASED``).
"""

from __future__ import annotations

from nasrepro.spaces.base import DataShape

# target -> (data shape, evaluation network settings)
EVAL_SIZES = {
    "cifar10": (DataShape(10, 3, 32, 32), {"C": 36, "layers": 20, "imagenet": False}),
    "imagenet": (DataShape(1000, 3, 224, 224), {"C": 48, "layers": 14, "imagenet": True}),
}


def genotype_complexity(arch, target: str, overrides: dict | None = None) -> dict[str, float]:
    """{"params_m", "madds_m"} of ``arch``'s evaluation network for ``target`` (``EVAL_SIZES``,
    with a row's own settings ``overrides``, e.g. {"C": 52})."""
    import torch

    from nasrepro.analysis.complexity import count_multiply_adds, count_parameters
    from nasrepro.spaces.darts_cnn.network import DartsNetwork

    if target not in EVAL_SIZES:
        raise ValueError(f"no evaluation network size for target {target!r}; use one of "
                         f"{sorted(EVAL_SIZES)}")
    shape, net = EVAL_SIZES[target]
    net = {**net, **(overrides or {})}
    # on the meta device: shapes without data, so a 224x224 forward costs nothing and no random
    # initialisation touches the caller's generator
    with torch.device("meta"):
        model = DartsNetwork(arch, shape, auxiliary_weight=0.0, **net)
        return {"params_m": count_parameters(model) / 1e6,
                "madds_m": count_multiply_adds(
                    model, (1, shape.in_channels, shape.height, shape.width)) / 1e6}


def released_complexity(names=None, sizes=()) -> dict[str, dict[str, dict[str, float]]]:
    """{cell: {target: {"params_m", "madds_m"}}} of the released cells ``names`` (default: every
    cell of ``genotypes.ALL``) at both evaluation sizes, plus for each of ``sizes`` ((cell, key,
    target, overrides): a network the thesis states for a row, e.g. ("NSAS", "imagenet C=52",
    "imagenet", {"C": 52}), Table 3.2) that cell's counts under ``key``: the file the DARTS-space
    tables read (rule ``genotype_complexity``)."""
    from nasrepro.spaces.darts_cnn import genotypes

    out = {name: {target: genotype_complexity(genotypes.cells(name), target)
                  for target in EVAL_SIZES}
           for name in (names or genotypes.ALL)}
    for name, key, target, overrides in sizes:
        if name in out:
            out[name][key] = genotype_complexity(genotypes.cells(name), target, overrides)
    return out
