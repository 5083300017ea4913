"""The NAS-Bench-201 cell search space (thesis §1.2.4, Fig. 1.5; Dong & Yang, ICLR 2020).

A cell is a DAG on 4 nodes with 6 edges (j <- i for 0 <= i < j <= 3); each edge carries one of
5 operations, so there are 5^6 = 15,625 cells. The official string lists, for nodes 1..3, the
operation and input node of each incoming edge: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

Official index order: the benchmark enumerates cells in ``CellStructure.gen_all`` order (node by
node, edges of a node in input order, operations in ``OPS`` order, the earliest edge the most
significant digit) and then shuffles that list with Python's ``random.seed(88)``. We regenerate
exactly that permutation; tests compare all 15,625 entries with the official meta file.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

from nasrepro.registry import SPACES

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_NODES = 4
EDGES: tuple[tuple[int, int], ...] = tuple((j, i) for j in range(1, NUM_NODES) for i in range(j))
NUM_ARCHS = len(OPS) ** len(EDGES)
_OFFICIAL_SHUFFLE_SEED = 88


class InvalidArchError(ValueError):
    """An architecture string or index that is not a NAS-Bench-201 cell."""


@dataclass(frozen=True)
class Nb201Arch:
    """One cell: ``ops[e]`` is the operation on edge ``EDGES[e]`` = (target node, input node)."""

    ops: tuple[str, ...]

    def __post_init__(self):
        if len(self.ops) != len(EDGES) or any(op not in OPS for op in self.ops):
            raise InvalidArchError(f"a NAS-Bench-201 cell has {len(EDGES)} edges with ops from "
                                   f"{OPS}; got {self.ops!r}")

    def to_string(self) -> str:
        nodes = []
        for j in range(1, NUM_NODES):
            parts = [f"{self.ops[e]}~{i}" for e, (t, i) in enumerate(EDGES) if t == j]
            nodes.append("|" + "|".join(parts) + "|")
        return "+".join(nodes)

    @classmethod
    def from_string(cls, text: str) -> "Nb201Arch":
        example = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
        nodes = text.strip().split("+")
        if len(nodes) != NUM_NODES - 1:
            raise InvalidArchError(f"invalid NAS-Bench-201 string {text!r}: expected "
                                   f"{NUM_NODES - 1} node groups joined by '+', e.g. {example}")
        ops = []
        for j, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")):
                raise InvalidArchError(f"invalid node group {node!r} in {text!r}: each group is "
                                       f"wrapped in '|', e.g. {example}")
            items = node[1:-1].split("|")
            if len(items) != j:
                raise InvalidArchError(f"node {j} in {text!r} must have {j} inputs, got {len(items)}")
            for i, item in enumerate(items):
                op, _, src = item.partition("~")
                if src != str(i):
                    raise InvalidArchError(f"edge {item!r} of node {j} in {text!r}: inputs are "
                                           f"listed in order, expected '~{i}'")
                if op not in OPS:
                    raise InvalidArchError(f"unknown operation {op!r} in {text!r}; known: {OPS}")
                ops.append(op)
        return cls(tuple(ops))

    def __str__(self) -> str:
        return self.to_string()


def _gen_all_order() -> list[Nb201Arch]:
    """All cells in the benchmark's generation order, before its seeded shuffle."""
    archs = [()]
    for node in range(1, NUM_NODES):
        archs = [prev + combo for prev in archs for combo in itertools.product(OPS, repeat=node)]
    return [Nb201Arch(ops) for ops in archs]


@lru_cache(maxsize=1)
def official_order() -> tuple[Nb201Arch, ...]:
    archs = _gen_all_order()
    random.Random(_OFFICIAL_SHUFFLE_SEED).shuffle(archs)
    return tuple(archs)


@lru_cache(maxsize=1)
def _index_of() -> dict[Nb201Arch, int]:
    return {arch: i for i, arch in enumerate(official_order())}


@SPACES.register("nb201")
class Nb201Space:
    """Space API: string round trip, official indexing, sampling, mutation and distance."""

    name = "nb201"
    ops = OPS
    edges = EDGES
    size = NUM_ARCHS
    arch_type = Nb201Arch
    InvalidArch = InvalidArchError

    @staticmethod
    def from_string(text: str) -> Nb201Arch:
        return Nb201Arch.from_string(text)

    @staticmethod
    def index(arch: Nb201Arch) -> int:
        return _index_of()[arch]

    @staticmethod
    def from_index(index: int) -> Nb201Arch:
        if not 0 <= int(index) < NUM_ARCHS:
            raise InvalidArchError(f"NAS-Bench-201 index {index} out of range [0, {NUM_ARCHS - 1}]")
        return official_order()[int(index)]

    @staticmethod
    def sample(rng: random.Random) -> Nb201Arch:
        return Nb201Arch(tuple(rng.choice(OPS) for _ in EDGES))

    @staticmethod
    def mutate(arch: Nb201Arch, rng: random.Random) -> Nb201Arch:
        """Change the operation of one uniformly chosen edge to a different operation."""
        edge = rng.randrange(len(EDGES))
        ops = list(arch.ops)
        ops[edge] = rng.choice([op for op in OPS if op != ops[edge]])
        return Nb201Arch(tuple(ops))

    @staticmethod
    def distance(a: Nb201Arch, b: Nb201Arch) -> int:
        """Hamming distance: the number of edges whose operations differ."""
        return sum(x != y for x, y in zip(a.ops, b.ops))

    @staticmethod
    def enumerate() -> tuple[Nb201Arch, ...]:
        return official_order()

    @staticmethod
    def build_supernet(num_classes: int, in_channels: int, cfg: dict):
        from nasrepro.supernet.nb201 import Nb201Supernet

        return Nb201Supernet(num_classes=num_classes, in_channels=in_channels, **cfg)

    @staticmethod
    def build_network(arch: Nb201Arch, num_classes: int, in_channels: int, cfg: dict):
        from nasrepro.supernet.nb201 import Nb201Network

        return Nb201Network(arch, num_classes=num_classes, in_channels=in_channels, **cfg)
