"""The DARTS CNN search space (thesis §1.2.4, Fig. 1.3; Liu et al., ICLR 2019).

A cell has two inputs (nodes 0, 1: the outputs of the two previous cells), four intermediate
nodes 2..5 and an output that concatenates nodes 2..5. Node i may take input from any earlier
node: 2 + 3 + 4 + 5 = 14 edges, each with one of 8 operations. A discrete cell keeps two input
edges per intermediate node, each with a non-``none`` operation. Normal and reduction cells are
searched separately: ``arch_shapes = {"normal": (14, 8), "reduce": (14, 8)}``.

Derivation (§1.2.4): softmax over the operations of each edge, the strongest non-``none``
operation of each edge, then the two edges of each node with the largest such weight.

Architectures are ``Genotype``s in DARTS' notation; the two genes of a node are stored sorted by
(input, operation), so equal cells compare equal whatever order a paper printed them in. A
difference from quark0/darts' ``genotype()``, which lists a node's two genes by strength (the
stronger edge first): the same cell, and the built network computes the same function (a node
sums its two inputs), but the stand-alone network creates its operation modules in the stored
order, so under one seed their initial weights are drawn in another order than DARTS' code draws
them (and ``to_string`` prints the canonical order).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import numbers
import random
import re
from dataclasses import dataclass

import torch

from nasrepro.params import build_config, hp
from nasrepro.registry import SPACES
from nasrepro.spaces.base import CellDiagram, CellGraph, DataShape, InvalidArchError, SearchSpace
from nasrepro.spaces.darts_cnn.ops import OPS
from nasrepro.train.retrain import RetrainConfig

NODES = 4  # intermediate nodes per cell
CELLS = ("normal", "reduce")
CONCAT = tuple(range(2, 2 + NODES))
EDGES: tuple[tuple[int, int], ...] = tuple((i, j) for i in range(2, 2 + NODES) for j in range(i))
EDGE_INDEX = {edge: e for e, edge in enumerate(EDGES)}
NON_NONE = tuple(op for op in OPS if op != "none")
# Node names of the DARTS paper's cell figures: the two cell inputs, intermediate nodes 0..3.
LABELS = ("c_{k-2}", "c_{k-1}") + tuple(str(n) for n in range(NODES))
TITLES = {"normal": "normal cell", "reduce": "reduction cell"}

Gene = tuple[str, int]


def _gene(gene) -> Gene:
    if not (isinstance(gene, (tuple, list)) and len(gene) == 2 and isinstance(gene[0], str)
            and isinstance(gene[1], numbers.Integral) and not isinstance(gene[1], bool)):
        raise InvalidArchError(f"gene {gene!r} is not an (operation, input node) pair such as "
                               "('sep_conv_3x3', 0)")
    return gene[0], int(gene[1])


def _canonical(genes) -> tuple[Gene, ...]:
    genes = [_gene(gene) for gene in genes]
    if len(genes) != 2 * NODES:
        raise InvalidArchError(f"a DARTS cell has {2 * NODES} (operation, input) genes, 2 per "
                               f"node; got {len(genes)}")
    out = []
    for n in range(NODES):
        node, pair = n + 2, sorted(genes[2 * n: 2 * n + 2], key=lambda g: (g[1], g[0]))
        for op, j in pair:
            if op not in NON_NONE:
                raise InvalidArchError(f"node {node}: operation {op!r} is not allowed; use one of "
                                       f"{NON_NONE}")
            if not 0 <= j < node:
                raise InvalidArchError(f"node {node}: input {j} out of range [0, {node - 1}]")
        if pair[0][1] == pair[1][1]:
            raise InvalidArchError(f"node {node}: both genes take input {pair[0][1]}; a node has "
                                   "two distinct inputs")
        out.extend(pair)
    return tuple(out)


@dataclass(frozen=True)
class Genotype:
    """DARTS ``Genotype``: 8 (operation, input) genes per cell, 2 per node in node order."""

    normal: tuple[Gene, ...]
    reduce: tuple[Gene, ...]

    def __post_init__(self):
        object.__setattr__(self, "normal", _canonical(self.normal))
        object.__setattr__(self, "reduce", _canonical(self.reduce))

    def cell(self, name: str) -> tuple[Gene, ...]:
        return getattr(self, name)

    def to_string(self) -> str:
        fmt = lambda genes: "[" + ", ".join(f"('{op}', {j})" for op, j in genes) + "]"  # noqa: E731
        return (f"Genotype(normal={fmt(self.normal)}, normal_concat=range(2, 6), "
                f"reduce={fmt(self.reduce)}, reduce_concat=range(2, 6))")

    def to_json(self) -> str:
        return json.dumps({"normal": [list(g) for g in self.normal],
                           "reduce": [list(g) for g in self.reduce]})

    @classmethod
    def from_string(cls, text: str) -> "Genotype":
        """DARTS notation (``Genotype(normal=[...], normal_concat=..., reduce=[...], ...)``) or
        JSON (``{"normal": [["sep_conv_3x3", 0], ...], "reduce": [...]}``)."""
        text = text.strip()
        try:
            if text.startswith("{"):
                data = json.loads(text)
                return cls(tuple(map(tuple, data["normal"])), tuple(map(tuple, data["reduce"])))
            cells = {}
            for name in CELLS:
                match = re.search(rf"\b{name}\s*=\s*(\[[^\]]*\])", text)
                if match is None:
                    raise InvalidArchError(f"no `{name}=[...]` list in {text!r}")
                cells[name] = tuple(map(tuple, ast.literal_eval(match.group(1))))
            return cls(cells["normal"], cells["reduce"])
        except (ValueError, SyntaxError, KeyError, TypeError) as error:
            if isinstance(error, InvalidArchError):
                raise
            raise InvalidArchError(
                f"cannot read a DARTS genotype from {text!r} ({error}); expected e.g. "
                "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], "
                "normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))") from error

    def __str__(self) -> str:
        return self.to_string()


@dataclass
class DartsSearchNet:
    """DARTS search network: 8 cells (reductions at 1/3 and 2/3 depth), C=16, stem x3, BN
    without affine parameters (thesis §4.4.2, §6.4.3)."""

    C: int = hp(16, 1)
    layers: int = hp(8, 3)
    stem_multiplier: int = hp(3, 1)


@dataclass
class DartsEvalNet:
    """DARTS evaluation network for CIFAR: 20 cells, C=36, auxiliary head weight 0.4 (§4.4.2)."""

    C: int = hp(36, 1)
    layers: int = hp(20, 3)
    auxiliary_weight: float = hp(0.4, 0)
    imagenet: bool = hp(False)


@dataclass
class DartsImageNetNet(DartsEvalNet):
    """ImageNet mobile setting: 14 cells, C=48, DARTS' ImageNet stem (§6.4.3, < 600M mult-adds)."""

    C: int = hp(48, 1)
    layers: int = hp(14, 3)
    imagenet: bool = hp(True)


@dataclass
class DartsCifarTraining(RetrainConfig):
    """DARTS' CIFAR evaluation: 600 epochs, batch 96, SGD lr 0.025 cosine to 0, momentum 0.9,
    weight decay 3e-4, gradient clip 5, cutout 16, drop-path 0.2 (§4.4.2)."""

    epochs: int = hp(600, 1)
    batch_size: int = hp(96, 1)
    lr: float = hp(0.025, 0, low_open=True)
    nesterov: bool = hp(False)
    weight_decay: float = hp(3e-4, 0)
    cutout: int = hp(16, 0)
    drop_path: float = hp(0.2, 0, 1)


@dataclass
class DartsImageNetTraining(RetrainConfig):
    """DARTS' ImageNet evaluation: 250 epochs, batch 128, lr 0.1, weight decay 3e-5, label
    smoothing 0.1 (DARTS decays lr by 0.97 per epoch; here the shared cosine schedule: a
    documented difference, docs/methods.md)."""

    epochs: int = hp(250, 1)
    batch_size: int = hp(128, 1)
    lr: float = hp(0.1, 0, low_open=True)
    nesterov: bool = hp(False)
    weight_decay: float = hp(3e-5, 0)
    label_smoothing: float = hp(0.1, 0, 1)


def _is_imagenet(target: str) -> bool:
    return target.lower() == "imagenet"


@SPACES.register("darts_cnn")
class DartsCnnSpace(SearchSpace):
    name = "darts_cnn"
    ops = OPS
    cell_ops = NON_NONE
    edges = EDGES
    arch_shapes = {cell: (len(EDGES), len(OPS)) for cell in CELLS}
    InvalidArch = InvalidArchError
    search_net_config = DartsSearchNet

    @property
    def published(self) -> dict[str, Genotype]:
        """The released cells the space accepts (``genotypes.IN_SPACE``) under run-safe names
        (lower case, ``-`` for ``_``): pseudo-runs ``published-<name>``, e.g. published-darts-v2,
        published-e2nas-r, published-nsas-c."""
        from nasrepro.spaces.darts_cnn import genotypes

        return {genotypes.run_name(name): genotypes.cells(name) for name in genotypes.IN_SPACE}

    def eval_net_config(self, target: str) -> type:
        return DartsImageNetNet if _is_imagenet(target) else DartsEvalNet

    def retrain_config(self, target: str) -> type:
        return DartsImageNetTraining if _is_imagenet(target) else DartsCifarTraining

    def retrain_protocol(self, target: str) -> str:
        """DARTS' evaluation "following [86, 95, 140]" (§4.4.2): the whole training set, the
        whole test set (CIFAR-10/100: 50,000 / 10,000; ImageNet: the train / val folders)."""
        return "darts"

    def discretize(self, alphas) -> Genotype:
        """Top-2 incoming edges per node by their strongest non-``none`` softmax weight."""
        none = OPS.index("none")
        cells = {}
        for cell in CELLS:
            weights = alphas[cell].detach().float().softmax(dim=-1)
            genes = []
            for i in range(2, 2 + NODES):
                scored = []
                for j in range(i):
                    row = weights[EDGE_INDEX[(i, j)]].clone()
                    row[none] = -1.0
                    k = int(row.argmax())
                    scored.append((float(row[k]), -j, OPS[k], j))
                genes.extend((op, j) for _, _, op, j in sorted(scored, reverse=True)[:2])
            cells[cell] = tuple(genes)
        return Genotype(cells["normal"], cells["reduce"])

    def fixed_depth_bias(self) -> dict[str, torch.Tensor]:
        """NSAS-C's fixed depth (§3.4.1.2, Fig. 3.3 c-d): "the inputs of each node are the outputs
        of its previous node and the output of the previous cell": node 2 takes nodes 0 and 1,
        node i > 2 takes nodes 1 and i - 1. Other edges may only hold ``none``."""
        chain = {(2, 0), (2, 1)} | {(i, j) for i in range(3, 2 + NODES) for j in (1, i - 1)}
        bias = torch.zeros(len(EDGES), len(OPS))
        for edge, e in EDGE_INDEX.items():
            if edge not in chain:
                bias[e] = float("-inf")
                bias[e, OPS.index("none")] = 0.0
        return {cell: bias.clone() for cell in CELLS}

    def depth_edges(self) -> dict[str, list[int]]:
        """Edges (2, 1), (3, 2), (4, 3), (5, 4) of both cells: node i fed by node i - 1."""
        return {cell: [EDGE_INDEX[(i, i - 1)] for i in range(2, 2 + NODES)] for cell in CELLS}

    def one_hot(self, arch: Genotype) -> dict[str, torch.Tensor]:
        out = {}
        for cell in CELLS:
            rows = torch.zeros(len(EDGES), len(OPS))
            for n, (op, j) in enumerate(arch.cell(cell)):
                rows[EDGE_INDEX[(2 + n // 2, j)], OPS.index(op)] = 1.0
            out[cell] = rows
        return out

    def sample(self, rng: random.Random) -> Genotype:
        cells = {}
        for cell in CELLS:
            genes = []
            for i in range(2, 2 + NODES):
                genes.extend((rng.choice(NON_NONE), j) for j in rng.sample(range(i), 2))
            cells[cell] = tuple(genes)
        return Genotype(cells["normal"], cells["reduce"])

    def mutate(self, arch: Genotype, rng: random.Random) -> Genotype:
        """Change the operation or the input of one gene of one cell (the result is valid and
        differs from ``arch``)."""
        cell = rng.choice(CELLS)
        genes = list(arch.cell(cell))
        g = rng.randrange(len(genes))
        node = 2 + g // 2
        op, j = genes[g]
        other = genes[g ^ 1][1]
        inputs = [k for k in range(node) if k not in (j, other)]
        if inputs and rng.random() < 0.5:
            genes[g] = (op, rng.choice(inputs))
        else:
            genes[g] = (rng.choice([o for o in NON_NONE if o != op]), j)
        return dataclasses.replace(arch, **{cell: tuple(genes)})

    def node_inputs(self, arch: Genotype) -> dict[str, list[tuple[int, str]]]:
        return {f"{cell}/{2 + n}": [(j, op) for op, j in arch.cell(cell)[2 * n: 2 * n + 2]]
                for cell in CELLS for n in range(NODES)}

    def encode(self, arch: Genotype) -> CellGraph:
        """Both cells in one DAG (normal cell first), operations on nodes: per cell two input
        nodes, one node per gene holding its operation (fed by the gene's input), one ``sum``
        node per intermediate node and an ``output`` node fed by the four sums: 2 x 15 nodes over
        10 types (input, output, sum and the 7 non-``none`` operations)."""
        return _graph([arch.cell(cell) for cell in CELLS])

    def decode(self, graph: CellGraph) -> Genotype:
        """Inverse of ``encode``: gene (op, j) of op node p is p's type and its single input j
        (a cell input or an earlier node's ``sum``); the graph must be exactly the layout of
        those genes (either order of a node's two genes is accepted), and a node's two inputs
        must differ."""
        self._check_graph(graph, GRAPH_TYPES)
        if len(graph.node_types) != _CELL_NODES * len(CELLS):
            raise InvalidArchError(f"darts_cnn: a cell graph has {_CELL_NODES * len(CELLS)} nodes, "
                                   f"got {len(graph.node_types)}")
        preds: dict[int, list[int]] = {}
        for src, dst in graph.edges:
            preds.setdefault(dst, []).append(src)
        cells = []
        for c, cell in enumerate(CELLS):
            off, genes = c * _CELL_NODES, []
            node_of = {off + pos: j for j, pos in enumerate(_NODE_POS)}
            for g, p in enumerate(_op_positions(off)):
                op, inputs = graph.node_types[p], preds.get(p, [])
                if op not in NON_NONE:
                    raise InvalidArchError(f"darts_cnn: node {p} ({cell} gene {g}) must be one of "
                                           f"{NON_NONE}, got {op!r}")
                if len(inputs) != 1 or node_of.get(inputs[0], NODES + 2) >= 2 + g // 2:
                    raise InvalidArchError(f"darts_cnn: op node {p} ({cell} gene {g}) needs exactly "
                                           f"one input from a cell input or an earlier node, got "
                                           f"{sorted(inputs)}")
                genes.append((op, node_of[inputs[0]]))
            cells.append(genes)
        problem = graph.mismatch(_graph(cells))
        if problem:
            raise InvalidArchError(f"darts_cnn: the graph is not a DARTS cell pair: {problem}")
        return Genotype(tuple(cells[0]), tuple(cells[1]))

    def graph_weights(self, type_probs: torch.Tensor, edge_probs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Weight of (edge j -> i, op) = sum over node i's two op nodes p of P(type p = op) *
        P(edge from j's node to p); ``none`` gets 0 (a discrete DARTS cell never uses it)."""
        cols = [GRAPH_TYPES.index(op) for op in NON_NONE]
        ops = [OPS.index(op) for op in NON_NONE]
        out = {}
        for c, cell in enumerate(CELLS):
            off = c * _CELL_NODES
            rows = type_probs.new_zeros(len(EDGES), len(OPS))
            for g, p in enumerate(_op_positions(off)):
                node = 2 + g // 2
                src = [off + _NODE_POS[j] for j in range(node)]
                weight = edge_probs[p, src][:, None] * type_probs[p, cols][None, :]  # [j, op]
                index = [EDGE_INDEX[(node, j)] for j in range(node)]
                rows = rows.index_put((torch.tensor(index)[:, None], torch.tensor(ops)[None, :]),
                                      weight, accumulate=True)
            out[cell] = rows
        return out

    def cell_diagrams(self, arch: Genotype) -> dict[str, CellDiagram]:
        """Figs. 2.1, 3.3 (the DARTS paper's Figs. 4-5): inputs ``c_{k-2}``, ``c_{k-1}``, the
        intermediate nodes 0..3 with the genes' two labelled input edges each, and the output
        ``c_{k}`` concatenating nodes 0..3."""
        diagrams = {}
        for cell in CELLS:
            edges = tuple((LABELS[j], LABELS[2 + g // 2], op) for g, (op, j) in enumerate(arch.cell(cell)))
            diagrams[cell] = CellDiagram(LABELS + ("c_{k}",), LABELS[:2], edges, "c_{k}", TITLES[cell],
                                         concat=tuple(LABELS[k] for k in CONCAT))
        return diagrams

    def to_string(self, arch: Genotype) -> str:
        return arch.to_string()

    def from_string(self, text: str) -> Genotype:
        return Genotype.from_string(text)

    def build_supernet(self, shape: DataShape, cfg):
        from nasrepro.spaces.darts_cnn.supernet import DartsSupernet

        net = build_config(DartsSearchNet, cfg, "spaces.darts_cnn.search")
        return DartsSupernet(shape, **dataclasses.asdict(net))

    def build_network(self, arch: Genotype, shape: DataShape, cfg):
        from nasrepro.spaces.darts_cnn.network import DartsNetwork

        cls = DartsImageNetNet if (cfg or {}).get("imagenet") else DartsEvalNet
        net = build_config(cls, cfg, "spaces.darts_cnn.evaluate")
        return DartsNetwork(arch, shape, **dataclasses.asdict(net))


GRAPH_TYPES: tuple[str, ...] = ("input", "output", "sum") + NON_NONE
_CELL_NODES = 2 + 3 * NODES + 1  # inputs, (2 op nodes + sum) per node, output
_NODE_POS = (0, 1) + tuple(2 + 3 * n + 2 for n in range(NODES))  # cell node j's graph position


def _op_positions(offset: int) -> list[int]:
    """Graph positions of a cell's 8 op nodes, gene order (node n's genes at 2 + 3n, 3 + 3n)."""
    return [offset + 2 + 3 * n + k for n in range(NODES) for k in range(2)]


def _graph(cells) -> CellGraph:
    """The DAG of ``encode`` for the genes of each cell (in the given order)."""
    types: list[str] = []
    edges: list[tuple[int, int]] = []
    for genes in cells:
        off = len(types)
        types += ["input", "input"]
        for n in range(NODES):
            for op, j in genes[2 * n: 2 * n + 2]:
                types.append(op)
                edges.append((off + _NODE_POS[j], len(types) - 1))
            types.append("sum")
            edges += [(len(types) - 3, len(types) - 1), (len(types) - 2, len(types) - 1)]
        types.append("output")
        edges += [(off + _NODE_POS[k], len(types) - 1) for k in CONCAT]
    return CellGraph(tuple(types), tuple(edges), GRAPH_TYPES)
