"""Published DARTS-space cells (data, as printed by their papers' code releases), in DARTS'
``Genotype`` notation: the literature's (``PUBLISHED``, e.g. DARTS V2) and the thesis author's own
released cells (``AUTHOR``: E²NAS, E²NAS-R, NSAS, NSAS-C, EN²AS), each with the repository, path
and commit it was transcribed from. They fill the architecture columns (Params, multiply-adds) of
the DARTS-space tables (``complexity``) and, where the space accepts them, run as pseudo-runs
``published-<name>``.

``cells(name)`` reads any of them. A released cell outside the space's discrete-cell rules (two
genes of one node on the same input, or a ``none`` gene, which DARTS' evaluation code accepts:
``none`` is a zero operation) cannot be a ``Genotype`` of the space; it is read as ``RawCells``
(the same gene lists, unchecked but for operation names and input ranges) so its evaluation
network can still be built and counted (``OUTSIDE_SPACE`` names them; docs/methods.md).
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from nasrepro.spaces.base import InvalidArchError
from nasrepro.spaces.darts_cnn.ops import OPS
from nasrepro.spaces.darts_cnn.space import CELLS, NODES, Genotype

PUBLISHED: dict[str, str] = {
    # Liu et al. 2019 (DARTS), first and second order
    "DARTS_V1": "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])",
    "DARTS_V2": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",
    # Dong & Yang 2019 (GDAS; D-X-Y/AutoDL-Projects DXYs/genotypes.py, node 5 of the reduction
    # cell takes inputs 0 and 1 -- some third-party copies print input 2)
    "GDAS_V1": "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('sep_conv_5x5', 2), ('sep_conv_3x3', 3), ('skip_connect', 0), ('sep_conv_5x5', 4), ('sep_conv_3x3', 3)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_5x5', 2), ('sep_conv_5x5', 1), ('dil_conv_5x5', 2), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1)], reduce_concat=range(2, 6))",
    # Chen et al. 2019 (P-DARTS)
    "PDARTS": "Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3', 0), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))",
    # Xu et al. 2020 (PC-DARTS), CIFAR-10
    "PC_DARTS": "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))",
    # Nayman et al. 2019 (XNAS), as copied into github.com/miaozhang0525/NSAS_FOR_CVPR
    # CNN/genotypes.py (commit 6fa070e7cfee551e597377aee09a8059af78d9d0), name XNAS
    "XNAS": "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('sep_conv_3x3', 2), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('dil_conv_5x5', 4), ('sep_conv_3x3', 0)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('avg_pool_3x3', 1), ('avg_pool_3x3', 0), ('skip_connect', 2), ('dil_conv_3x3', 3), ('max_pool_3x3', 0), ('dil_conv_5x5', 4), ('avg_pool_3x3', 0)], reduce_concat=range(2, 6))",
}

# The thesis' own cells, released by its author (github.com/miaozhang0525), transcribed gene for
# gene in the order printed there. Repository, path, commit and the name in that file:
EENAS_SRC = ("miaozhang0525/EENAS", "Best_models_on_DARTS_search_space/CNN/genotypes.py",
             "9a3cab2b8ff11b1ff2d12fcf7790e632226bd369")
NSAS_SRC = ("miaozhang0525/NSAS_FOR_CVPR", "CNN/genotypes.py",
            "6fa070e7cfee551e597377aee09a8059af78d9d0")
ENNAS_SRC = ("miaozhang0525/ENNAS_MASTER", "CNN/genotypes.py",
             "7eb6632c7d2981b44d3f96c532a7889c73737631")
AUTHOR: dict[str, str] = {
    # E²NAS (Ch. 4, Table 4.6 row "E²NAS"): EENAS_SRC, name EENAS
    "E2NAS": "Genotype(normal=[('sep_conv_5x5', 1), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_5x5', 1), ('avg_pool_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 0), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",
    # E²NAS-R (Table 4.6 row "E²NAS-R"): EENAS_SRC, name EENAS_R
    "E2NAS_R": "Genotype(normal=[('skip_connect', 0), ('dil_conv_5x5', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 2), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3', 0), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), ('dil_conv_5x5', 3), ('max_pool_3x3', 1), ('dil_conv_3x3', 4)], reduce_concat=range(2, 6))",
    # RandomNAS-NSAS (Ch. 3; "NSAS" in Tables 4.6, 5.1, 6.2): NSAS_SRC, name Random_NSAS
    "NSAS": "Genotype(normal=[('sep_conv_5x5', 1), ('dil_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 1), ('avg_pool_3x3', 0), ('skip_connect', 0), ('none', 1)], normal_concat=[2, 3, 4, 5], reduce=[('dil_conv_3x3', 0), ('none', 1), ('dil_conv_3x3', 0), ('avg_pool_3x3', 1), ('dil_conv_5x5', 2), ('dil_conv_5x5', 3), ('none', 0), ('sep_conv_3x3', 3)], reduce_concat=[2, 3, 4, 5])",
    # RandomNAS-NSAS-C (Ch. 3; "NSAS-C" in Table 4.6): NSAS_SRC, name Random_NSAS_C (also the
    # arch of the retraining logs CNN/trained_models/randomNAS_C_CIFAR10 etc.)
    "NSAS_C": "Genotype(normal=[('sep_conv_3x3', 1), ('dil_conv_3x3', 0), ('dil_conv_3x3', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_5x5', 4)], normal_concat=[2, 3, 4, 5], reduce=[('dil_conv_3x3', 0), ('max_pool_3x3', 1), ('dil_conv_3x3', 0), ('avg_pool_3x3', 2), ('dil_conv_3x3', 0), ('sep_conv_3x3', 3), ('avg_pool_3x3', 0), ('dil_conv_5x5', 4)], reduce_concat=[2, 3, 4, 5])",
    # EN²AS (Ch. 2, Table 2.1 row "EN²AS"; Tables 4.6, 6.2 "EN²AS"): ENNAS_SRC, name ENNAS
    "EN2AS": "Genotype(normal=[('sep_conv_5x5', 1), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_5x5', 1), ('avg_pool_3x3', 0), ('skip_connect', 0), ('none', 3)], normal_concat=[2, 3, 4, 5], reduce=[('dil_conv_3x3', 0), ('none', 0), ('dil_conv_3x3', 0), ('avg_pool_3x3', 1), ('dil_conv_5x5', 2), ('dil_conv_5x5', 3), ('none', 2), ('sep_conv_3x3', 3)], reduce_concat=[2, 3, 4, 5])",
}


class RawCells(NamedTuple):
    """A released cell outside the space's discrete-cell rules: its gene lists as printed."""

    normal: tuple
    reduce: tuple


def _raw(text: str) -> RawCells:
    genes = {}
    for name in CELLS:
        listed = tuple(map(tuple, ast.literal_eval(re.search(rf"\b{name}\s*=\s*(\[[^\]]*\])",
                                                             text).group(1))))
        if len(listed) != 2 * NODES:
            raise InvalidArchError(f"{name}: {len(listed)} genes, expected {2 * NODES}")
        for g, (op, j) in enumerate(listed):
            if op not in OPS or not 0 <= j < 2 + g // 2:
                raise InvalidArchError(f"{name} gene {g}: ({op!r}, {j}) is no DARTS gene")
        genes[name] = listed
    return RawCells(**genes)


ALL: dict[str, str] = {**PUBLISHED, **AUTHOR}


def _in_space(text: str) -> bool:
    try:
        Genotype.from_string(text)
        return True
    except InvalidArchError:
        return False


# the released cells the space rejects (read as RawCells; no published-<name> run)
OUTSIDE_SPACE: tuple[str, ...] = tuple(name for name, text in ALL.items() if not _in_space(text))
# the cells the space accepts: ``SearchSpace.published`` (pseudo-runs published-<name>)
IN_SPACE: tuple[str, ...] = tuple(name for name in ALL if name not in OUTSIDE_SPACE)


def run_name(name: str) -> str:
    """The cell's name in a run name (``published-<name>``): DARTS_V2 -> darts-v2."""
    return name.lower().replace("_", "-")


def cells(name: str) -> Genotype | RawCells:
    """Released cell ``name`` of ``ALL``: a ``Genotype``, or ``RawCells`` outside the space."""
    if name not in ALL:
        raise KeyError(f"no released DARTS-space cell {name!r}; known: {sorted(ALL)}")
    return _raw(ALL[name]) if name in OUTSIDE_SPACE else Genotype.from_string(ALL[name])


def published(name: str) -> Genotype:
    return Genotype.from_string(PUBLISHED[name])
