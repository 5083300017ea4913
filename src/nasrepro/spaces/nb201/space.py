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

import dataclasses
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

import torch

from nasrepro.params import build_config, hp
from nasrepro.registry import SPACES
from nasrepro.spaces.base import CellDiagram, CellGraph, DataShape, InvalidArchError, SearchSpace
from nasrepro.train.retrain import RetrainConfig

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_NODES = 4
EDGES: tuple[tuple[int, int], ...] = tuple((j, i) for j in range(1, NUM_NODES) for i in range(j))
NUM_ARCHS = len(OPS) ** len(EDGES)
_OFFICIAL_SHUFFLE_SEED = 88


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


@dataclass
class Nb201SearchNet:
    """Supernet of the NAS-Bench-201 search protocol: C=16, N=5 cells per stage, BN without
    affine parameters."""

    C: int = hp(16, 1)
    N: int = hp(5, 1)
    affine: bool = hp(False)
    track_running_stats: bool = hp(True)


@dataclass
class Nb201EvalNet(Nb201SearchNet):
    """Stand-alone network of the benchmark (same skeleton, affine BN)."""

    affine: bool = hp(True)


GRAPH_TYPES: tuple[str, ...] = ("input", "output", "sum") + OPS


@SPACES.register("nb201")
class Nb201Space(SearchSpace):
    """NAS-Bench-201 through the ``SearchSpace`` contract, plus the benchmark's official indexing
    (``index``, ``from_index``, ``enumerate``)."""

    name = "nb201"
    ops = OPS
    edges = EDGES
    size = NUM_ARCHS
    arch_shapes = {"cell": (len(EDGES), len(OPS))}
    InvalidArch = InvalidArchError
    search_net_config = Nb201SearchNet

    def eval_net_config(self, target: str) -> type:
        return Nb201EvalNet

    def retrain_config(self, target: str) -> type:
        """NAS-Bench-201's training protocol (the ``RetrainConfig`` defaults) for every target."""
        return RetrainConfig

    def discretize(self, alphas) -> Nb201Arch:
        """The strongest operation of every edge (argmax over the operations' alphas)."""
        choice = alphas["cell"].detach().argmax(dim=-1).tolist()
        return Nb201Arch(tuple(OPS[k] for k in choice))

    def one_hot(self, arch: Nb201Arch) -> dict[str, torch.Tensor]:
        rows = torch.zeros(len(EDGES), len(OPS))
        for e, op in enumerate(arch.ops):
            rows[e, OPS.index(op)] = 1.0
        return {"cell": rows}

    def choice(self, arch: Nb201Arch) -> dict[str, list[int]]:
        return {"cell": [OPS.index(op) for op in arch.ops]}

    def to_string(self, arch: Nb201Arch) -> str:
        return arch.to_string()

    def from_string(self, text: str) -> Nb201Arch:
        return Nb201Arch.from_string(text)

    def index(self, arch: Nb201Arch) -> int:
        return _index_of()[arch]

    def from_index(self, index: int) -> Nb201Arch:
        if not 0 <= int(index) < NUM_ARCHS:
            raise InvalidArchError(f"NAS-Bench-201 index {index} out of range [0, {NUM_ARCHS - 1}]")
        return official_order()[int(index)]

    def enumerate(self) -> tuple[Nb201Arch, ...]:
        return official_order()

    def sample(self, rng: random.Random) -> Nb201Arch:
        return Nb201Arch(tuple(rng.choice(OPS) for _ in EDGES))

    def mutate(self, arch: Nb201Arch, rng: random.Random) -> Nb201Arch:
        """Change the operation of one uniformly chosen edge to a different operation."""
        edge = rng.randrange(len(EDGES))
        ops = list(arch.ops)
        ops[edge] = rng.choice([op for op in OPS if op != ops[edge]])
        return Nb201Arch(tuple(ops))

    def node_inputs(self, arch: Nb201Arch) -> dict[str, list[tuple[int, str]]]:
        """Every node has an edge from every earlier node, so §3.3.2's distance is the Hamming
        distance over the 6 edges, divided by 6."""
        nodes: dict[str, list[tuple[int, str]]] = {}
        for (j, i), op in zip(EDGES, arch.ops):
            nodes.setdefault(f"cell/{j}", []).append((i, op))
        return nodes

    def encode(self, arch: Nb201Arch) -> CellGraph:
        """Operation-on-node DAG (D-VAE input): the input node, one node per edge holding its
        operation, one ``sum`` node per cell node 1..3, and the output node (fed by node 3's
        sum): 11 nodes over 8 types (input, output, sum and the 5 operations)."""
        types, edges = ["input"], []
        node_id = {0: 0}
        for j in range(1, NUM_NODES):
            op_nodes = []
            for e, (t, i) in enumerate(EDGES):
                if t == j:
                    types.append(arch.ops[e])
                    op_nodes.append(len(types) - 1)
                    edges.append((node_id[i], len(types) - 1))
            types.append("sum")
            node_id[j] = len(types) - 1
            edges.extend((k, node_id[j]) for k in op_nodes)
        types.append("output")
        edges.append((node_id[NUM_NODES - 1], len(types) - 1))
        return CellGraph(tuple(types), tuple(edges), GRAPH_TYPES)

    def decode(self, graph: CellGraph) -> Nb201Arch:
        """Inverse of ``encode``: the operations of the 6 op nodes (in edge order); the graph must
        then be exactly ``encode`` of that cell (fixed input/sum/output nodes and edges)."""
        self._check_graph(graph, GRAPH_TYPES)
        if len(graph.node_types) != len(_LAYOUT.node_types):
            raise InvalidArchError(f"nb201: a cell graph has {len(_LAYOUT.node_types)} nodes, got "
                                   f"{len(graph.node_types)}")
        ops = tuple(graph.node_types[p] for p in _OP_NODES)
        bad = [f"node {p} is {op!r}" for p, op in zip(_OP_NODES, ops) if op not in OPS]
        if bad:
            raise InvalidArchError(f"nb201: operation nodes must hold one of {OPS}: {'; '.join(bad)}")
        arch = Nb201Arch(ops)
        problem = graph.mismatch(self.encode(arch))
        if problem:
            raise InvalidArchError(f"nb201: the graph is not a NAS-Bench-201 cell: {problem}")
        return arch

    def graph_weights(self, type_probs: torch.Tensor, edge_probs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Edge e's row is the type distribution of its operation node restricted to the 5
        operations (the cell's wiring is fixed, so ``edge_probs`` does not enter)."""
        cols = [GRAPH_TYPES.index(op) for op in OPS]
        return {"cell": type_probs[list(_OP_NODES)][:, cols]}

    def cell_diagrams(self, arch: Nb201Arch) -> dict[str, CellDiagram]:
        """The cell as Fig. 1.5 draws it: nodes 0..3 (0 the input, 3 the output), an edge per
        operation other than ``none`` (a ``none`` edge connects nothing)."""
        edges = tuple((str(i), str(j), op) for (j, i), op in zip(EDGES, arch.ops) if op != "none")
        nodes = tuple(str(n) for n in range(NUM_NODES))
        return {"cell": CellDiagram(nodes, nodes[:1], edges, nodes[-1], "cell")}

    def build_supernet(self, shape: DataShape, cfg):
        from nasrepro.spaces.nb201.supernet import Nb201Supernet

        net = build_config(Nb201SearchNet, cfg, "spaces.nb201.search")
        return Nb201Supernet(num_classes=shape.num_classes, in_channels=shape.in_channels,
                             **dataclasses.asdict(net))

    def build_network(self, arch: Nb201Arch, shape: DataShape, cfg):
        from nasrepro.spaces.nb201.supernet import Nb201Network

        net = build_config(Nb201EvalNet, cfg, "spaces.nb201.evaluate")
        return Nb201Network(arch, num_classes=shape.num_classes, in_channels=shape.in_channels,
                            **dataclasses.asdict(net))


_LAYOUT = Nb201Space().encode(Nb201Arch(("none",) * len(EDGES)))
_OP_NODES: tuple[int, ...] = tuple(p for p, t in enumerate(_LAYOUT.node_types) if t in OPS)  # edge order
