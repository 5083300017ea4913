"""NAS-Bench-1Shot1 search spaces 1-3 (Zela et al., ICLR 2020) on the NAS-Bench-101 cell
(thesis §1.2.4, Table 1.1; §5.4.1, §6.4.1).

A cell has an input (node 0), ``n`` operation nodes 1..n (n = 4 in spaces 1 and 2, 5 in space 3)
and an output (node n + 1). Each operation node carries one of ``OPS`` (the sum of its inputs goes
through it); node i takes exactly ``PARENTS[variant][i - 1]`` inputs among the nodes 0..i-1, and
the output takes the last entry of ``PARENTS`` among 0..n. The numbers of parents are those of the
benchmark's code (``nasbench_analysis/search_spaces/search_space_{1,2,3}.py``):

    space 1: nodes 1..4 take 1, 2, 2, 2 inputs, the output 2  (node 2 is forced to {0, 1})
    space 2: nodes 1..4 take 1, 1, 2, 2 inputs, the output 3
    space 3: nodes 1..5 take 1, 1, 1, 2, 2 inputs, the output 2

Every cell has 9 edges. Spaces 1 and 2 become 7-vertex NAS-Bench-101 cells by an unused
``conv1x1-bn-relu`` vertex inserted before the output (``to_spec``, as the benchmark's code does);
the benchmark key is the hash of the pruned cell.

Counting: the paper's numbers of architectures, 6,240 and 363,648 for spaces 1 and 3, are what
``count_architectures`` gives: every choice of parents (loose ends kept), times 3 for every
operation node that feeds another node (an operation on a node that feeds nothing is not a
choice). For space 2 this rule gives 16,632; the paper's 29,160 there is the number of raw choices
(``num_choices``: 360 parent choices x 3^4 operations). Neither rule counts isomorphism classes
(distinct hashes: 2,685 / 7,773 / 55,854).

Architecture parameters (``arch_shapes``), as the benchmark's one-shot model has them: ``ops``
[n, 3] (operation of each node), ``in<i>`` [1, i] for every node i whose inputs are a choice
(weights over the candidate inputs 0..i-1) and ``out`` [1, n + 1] (weights over the output's
candidate inputs 0..n). Derivation: the argmax operation of each node; the top-k candidates of each
choice by weight, k = the node's number of parents (ties: lower node first).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from dataclasses import dataclass
from math import comb, prod

import torch

from nasrepro.params import build_config, hp
from nasrepro.registry import SPACES
from nasrepro.spaces.base import CellGraph, DataShape, InvalidArchError, SearchSpace
from nasrepro.spaces.nb1shot1.nb101 import CONV1X1, CONV3X3, INPUT, MAXPOOL3X3, OUTPUT, ModelSpec
from nasrepro.train.retrain import RetrainConfig

OPS: tuple[str, ...] = (MAXPOOL3X3, CONV3X3, CONV1X1)  # column order of the benchmark's one-shot code
PARENTS: dict[int, tuple[int, ...]] = {1: (1, 2, 2, 2, 2), 2: (1, 1, 2, 2, 3), 3: (1, 1, 1, 2, 2, 2)}


def num_nodes(variant: int) -> int:
    """Operation nodes of a space's cell."""
    return len(PARENTS[variant]) - 1


def choice_nodes(variant: int) -> tuple[int, ...]:
    """Nodes (output = n + 1 included) whose inputs are a choice, i.e. have architecture weights."""
    return tuple(i for i, k in enumerate(PARENTS[variant], start=1) if comb(i, k) > 1)


def arch_shapes_of(variant: int) -> dict[str, tuple[int, int]]:
    n = num_nodes(variant)
    shapes = {"ops": (n, len(OPS))}
    shapes.update({f"in{i}": (1, i) for i in choice_nodes(variant) if i <= n})
    shapes["out"] = (1, n + 1)
    return shapes


def _key(node: int, n: int) -> str:
    return "out" if node == n + 1 else f"in{node}"


@dataclass(frozen=True)
class Nb1Shot1Arch:
    """One cell of space ``variant``: ``ops[i - 1]`` is node i's operation, ``parents[i - 1]`` its
    inputs (sorted), the last entry of ``parents`` the output's inputs."""

    variant: int
    ops: tuple[str, ...]
    parents: tuple[tuple[int, ...], ...]

    def __post_init__(self):
        if self.variant not in PARENTS:
            raise InvalidArchError(f"NAS-Bench-1Shot1 has search spaces 1, 2, 3; got {self.variant!r}")
        object.__setattr__(self, "ops", tuple(self.ops))
        object.__setattr__(self, "parents", tuple(tuple(sorted(int(j) for j in p)) for p in self.parents))
        n, counts = num_nodes(self.variant), PARENTS[self.variant]
        if len(self.ops) != n or any(op not in OPS for op in self.ops):
            raise InvalidArchError(f"space {self.variant} has {n} operation nodes with ops from {OPS}; "
                                   f"got {self.ops!r}")
        if len(self.parents) != n + 1:
            raise InvalidArchError(f"space {self.variant}: {n + 1} parent sets (nodes 1..{n} and the "
                                   f"output); got {len(self.parents)}")
        for node, (inputs, k) in enumerate(zip(self.parents, counts), start=1):
            if len(inputs) != k or len(set(inputs)) != k or not all(0 <= j < node for j in inputs):
                name = "the output" if node == n + 1 else f"node {node}"
                raise InvalidArchError(f"space {self.variant}: {name} takes {k} distinct inputs among "
                                       f"0..{node - 1}; got {inputs!r}")

    @property
    def nodes(self) -> int:
        return len(self.ops)

    def to_string(self) -> str:
        """``s<variant>|<op>~<inputs>|...|output~<inputs>``, inputs joined by '+'."""
        parts = [f"{op}~{'+'.join(map(str, p))}" for op, p in zip(self.ops, self.parents)]
        parts.append(f"{OUTPUT}~{'+'.join(map(str, self.parents[-1]))}")
        return f"s{self.variant}|" + "|".join(parts)

    @classmethod
    def from_string(cls, text: str) -> "Nb1Shot1Arch":
        example = "s3|conv3x3-bn-relu~0|maxpool3x3~1|conv1x1-bn-relu~2|conv3x3-bn-relu~0+3|" \
                  "conv3x3-bn-relu~1+4|output~4+5"
        head, *items = text.strip().split("|")
        try:
            variant = int(head[1:]) if head.startswith("s") else None
            pairs = [item.split("~") for item in items]
            if variant is None or not pairs or any(len(p) != 2 for p in pairs) or pairs[-1][0] != OUTPUT:
                raise ValueError
            parents = tuple(tuple(int(j) for j in p[1].split("+")) for p in pairs)
        except ValueError:
            raise InvalidArchError(f"invalid NAS-Bench-1Shot1 cell {text!r}; expected e.g. {example}") from None
        return cls(variant, tuple(p[0] for p in pairs[:-1]), parents)

    def to_spec(self) -> ModelSpec:
        """The unpruned 7-vertex NAS-Bench-101 form (spaces 1, 2: an unused ``conv1x1-bn-relu``
        vertex before the output, as in the benchmark's code)."""
        size = self.nodes + 2
        matrix = [[0] * size for _ in range(size)]
        for node, inputs in enumerate(self.parents, start=1):
            for j in inputs:
                matrix[j][node] = 1
        ops = [INPUT, *self.ops, OUTPUT]
        if size < 7:
            for row in matrix:
                row.insert(size - 1, 0)
            matrix.insert(size - 1, [0] * 7)
            ops.insert(size - 1, CONV1X1)
        return ModelSpec(tuple(map(tuple, matrix)), tuple(ops))

    def nb101(self) -> ModelSpec:
        """The benchmark's (pruned) form of this cell."""
        return self.to_spec().pruned()

    def nb101_hash(self) -> str:
        return self.to_spec().hash()

    def __str__(self) -> str:
        return self.to_string()


def _parent_choices(variant: int) -> list[list[tuple[int, ...]]]:
    return [list(itertools.combinations(range(node), k))
            for node, k in enumerate(PARENTS[variant], start=1)]


def enumerate_topologies(variant: int):
    """Every choice of parents (nodes 1..n, then the output)."""
    return itertools.product(*_parent_choices(variant))


def count_architectures(variant: int) -> int:
    """Sum over parent choices of 3^(operation nodes that feed another node) (module docstring)."""
    return sum(len(OPS) ** len({j for inputs in parents for j in inputs if j > 0})
               for parents in enumerate_topologies(variant))


def num_choices(variant: int) -> int:
    """Raw choices: parent sets x operations of all n nodes."""
    return len(OPS) ** num_nodes(variant) * prod(len(c) for c in _parent_choices(variant))


def enumerate_cells(variant: int):
    """Every (parents, ops) choice of the space: 3^n per topology."""
    n = num_nodes(variant)
    for parents in enumerate_topologies(variant):
        for ops in itertools.product(OPS, repeat=n):
            yield Nb1Shot1Arch(variant, ops, parents)


def used_nodes(parents: tuple[tuple[int, ...], ...]) -> list[int]:
    """Operation nodes that reach the output (all nodes reach the input through their parents)."""
    used, stack = set(), [j for j in parents[-1] if j > 0]
    while stack:
        v = stack.pop()
        if v not in used:
            used.add(v)
            stack.extend(j for j in parents[v - 1] if j > 0)
    return sorted(used)


def distinct_cells(variant: int):
    """One cell per distinct pruned NAS-Bench-101 form (as a labelled matrix) of the space: the
    connectivity of the nodes that reach the output, and their operations (3,702 / 12,474 /
    135,900 in spaces 1-3; isomorphic forms are not merged: compare ``nb101_hash``)."""
    n, seen = num_nodes(variant), {}
    for parents in enumerate_topologies(variant):
        used = used_nodes(parents)
        seen.setdefault((tuple((i, parents[i - 1]) for i in used), parents[-1]), (parents, used))
    for parents, used in seen.values():
        for combo in itertools.product(OPS, repeat=len(used)):
            ops = dict(zip(used, combo))
            yield Nb1Shot1Arch(variant, tuple(ops.get(i, OPS[0]) for i in range(1, n + 1)), parents)


@dataclass
class Nb1Shot1SearchNet:
    """One-shot model of NAS-Bench-1Shot1 (their DARTS search: ``init_channels`` 16, 9 layers =
    3 stacks x 3 cells); the search space (1, 2, 3) is the registered space's."""

    C: int = hp(16, 1)
    cells_per_stack: int = hp(3, 1)
    stacks: int = hp(3, 1)


@dataclass
class Nb1Shot1EvalNet:
    """NAS-Bench-101's network: stem 128 channels, 3 stacks x 3 cells, channels doubling at each
    2x2 max-pool downsampling. ``channel_rule`` "nasbench": a cell's output width is fixed per
    stack and split over the vertices feeding the output (the benchmark's rule); "per_node": every
    operation vertex has the stack width (the one-shot model's layout, whose single path it is)."""

    stem_channels: int = hp(128, 1)
    cells_per_stack: int = hp(3, 1)
    stacks: int = hp(3, 1)
    channel_rule: str = hp("nasbench", choices=("nasbench", "per_node"))


@dataclass
class Nb101Training(RetrainConfig):
    """NAS-Bench-101's training: 108 epochs, batch 256, lr 0.1 cosine to 0, momentum 0.9, weight
    decay 1e-4 (it used RMSProp; the shared loop is SGD: docs/methods.md)."""

    epochs: int = hp(108, 1)
    nesterov: bool = hp(False)
    weight_decay: float = hp(1e-4, 0)


class Nb1Shot1Space(SearchSpace):
    """NAS-Bench-1Shot1 through the ``SearchSpace`` contract. ``variant`` fixes the layout of
    ``arch_shapes`` and the supernet; the registered spaces are ``nb1shot1-s1``, ``-s2``, ``-s3``
    (one per search space, so runs of the three live side by side and one figure can show all
    three). Cells carry their variant, so strings, one-hot views and networks of any variant work
    on any instance."""

    name = "nb1shot1"
    benchmark = "nb1shot1"  # NAS-Bench-101, shared by the three spaces (registry.benchmark_of)
    ops = OPS
    InvalidArch = InvalidArchError
    search_net_config = Nb1Shot1SearchNet

    def __init__(self, variant: int = 3):
        self.set_variant(variant)

    def set_variant(self, variant: int) -> None:
        if variant not in PARENTS:
            raise InvalidArchError(f"NAS-Bench-1Shot1 has search spaces 1, 2, 3; got {variant!r}")
        self.variant = variant
        self.arch_shapes = arch_shapes_of(variant)

    def eval_net_config(self, target: str) -> type:
        return Nb1Shot1EvalNet

    def retrain_config(self, target: str) -> type:
        return Nb101Training

    @staticmethod
    def _variant_of(alphas) -> int:
        for variant in PARENTS:
            shapes = arch_shapes_of(variant)
            if set(alphas) == set(shapes) and all(
                    tuple(alphas[k].shape) == s for k, s in shapes.items()):
                return variant
        raise InvalidArchError(f"architecture parameters {sorted(alphas)} match no search space")

    def discretize(self, alphas) -> Nb1Shot1Arch:
        """Argmax operation per node; top-k inputs per choice (module docstring)."""
        variant = self._variant_of(alphas)
        n = num_nodes(variant)
        ops = tuple(OPS[k] for k in alphas["ops"].detach().argmax(dim=-1).tolist())
        parents = []
        for node, k in enumerate(PARENTS[variant], start=1):
            if _key(node, n) in alphas:
                w = alphas[_key(node, n)].detach().float().flatten().tolist()
                parents.append(tuple(sorted(sorted(range(node), key=lambda j: (-w[j], j))[:k])))
            else:
                parents.append(tuple(range(node))[:k])
        return Nb1Shot1Arch(variant, ops, tuple(parents))

    def one_hot(self, arch: Nb1Shot1Arch) -> dict[str, torch.Tensor]:
        n = arch.nodes
        out = {}
        for name, shape in arch_shapes_of(arch.variant).items():
            out[name] = torch.zeros(shape)
        for i, op in enumerate(arch.ops):
            out["ops"][i, OPS.index(op)] = 1.0
        for node, inputs in enumerate(arch.parents, start=1):
            if _key(node, n) in out:
                out[_key(node, n)][0, list(inputs)] = 1.0
        return out

    def sample(self, rng: random.Random) -> Nb1Shot1Arch:
        ops = tuple(rng.choice(OPS) for _ in range(num_nodes(self.variant)))
        return Nb1Shot1Arch(self.variant, ops, tuple(rng.choice(c) for c in _parent_choices(self.variant)))

    def mutate(self, arch: Nb1Shot1Arch, rng: random.Random) -> Nb1Shot1Arch:
        """Change one uniformly chosen decision: a node's operation or the inputs of a node (or of
        the output) that has a choice; the result differs from ``arch``."""
        choices = _parent_choices(arch.variant)
        decisions = [("op", i) for i in range(arch.nodes)]
        decisions += [("in", i) for i, c in enumerate(choices) if len(c) > 1]
        kind, i = rng.choice(decisions)
        if kind == "op":
            ops = list(arch.ops)
            ops[i] = rng.choice([op for op in OPS if op != ops[i]])
            return dataclasses.replace(arch, ops=tuple(ops))
        parents = list(arch.parents)
        parents[i] = rng.choice([c for c in choices[i] if c != parents[i]])
        return dataclasses.replace(arch, parents=tuple(parents))

    def node_inputs(self, arch: Nb1Shot1Arch) -> dict[str, list[tuple[int, str]]]:
        """The decisions of each node, the 1s of ``one_hot``: its operation as (-1, operation)
        and, where its inputs are a choice, each chosen input j as (j, 'input'). So §3.3.2's
        distance is the fraction of decisions two cells do not share (``embed``'s dot product);
        every cell of a space has the same number of decisions (10, 12, 13 in spaces 1-3)."""
        n, keys = arch.nodes, set(arch_shapes_of(arch.variant))
        nodes: dict[str, list[tuple[int, str]]] = {}
        for node, inputs in enumerate(arch.parents, start=1):
            entries = [(-1, arch.ops[node - 1])] if node <= n else []
            if _key(node, n) in keys:
                entries += [(j, "input") for j in inputs]
            nodes[f"cell/{node}"] = entries
        return nodes

    def complement(self, arch, others, rng):
        """Not defined here: operations sit on nodes, so a cell with ``arch``'s inputs that shares
        no (edge, operation) with ``others`` need not exist (the output's edges carry no choice)."""
        raise ValueError("nb1shot1: the complement cell (NSAS-G, E²NAS Fig. 4.2) needs operations on "
                         "edges; NAS-Bench-1Shot1 has them on nodes. Use strategy 'nsas' here")

    def fixed_depth_bias(self) -> dict[str, torch.Tensor]:
        raise ValueError("nb1shot1: NSAS-C's fixed depth (§3.4.1.2) forbids edges through their "
                         "'none' operation, which NAS-Bench-1Shot1 does not have; use "
                         "depth_constraint: false")

    def depth_edges(self) -> dict[str, list[int]]:
        raise ValueError("nb1shot1: depth-aware regularisation (Eq. 5.19-5.21) gates edges through "
                         "a 'none' operation, which NAS-Bench-1Shot1 does not have; use depth_weight 0")

    def cell_stats(self, arch: Nb1Shot1Arch) -> dict[str, float]:
        """``skip_ratio`` 0 (the space has no skip operation) and ``depth``: the most operation
        nodes on a path from the input to the output of the pruned cell."""
        depth = {0: 0}
        for node, inputs in enumerate(arch.parents, start=1):
            depth[node] = max(depth[j] for j in inputs) + (node <= arch.nodes)
        return {"skip_ratio": 0.0, "depth": float(depth[arch.nodes + 1])}

    def encode(self, arch: Nb1Shot1Arch) -> CellGraph:
        """The cell itself: input, the n operation nodes, output; edges from each node's inputs."""
        types = (INPUT, *arch.ops, OUTPUT)
        edges = tuple((j, node) for node, inputs in enumerate(arch.parents, start=1) for j in inputs)
        return CellGraph(types, edges, (INPUT, OUTPUT) + OPS)

    def to_string(self, arch: Nb1Shot1Arch) -> str:
        return arch.to_string()

    def from_string(self, text: str) -> Nb1Shot1Arch:
        return Nb1Shot1Arch.from_string(text)

    def build_supernet(self, shape: DataShape, cfg):
        from nasrepro.spaces.nb1shot1.supernet import Nb1Shot1Supernet

        net = build_config(Nb1Shot1SearchNet, cfg, f"spaces.{self.name}.search")
        return Nb1Shot1Supernet(shape, variant=self.variant, **dataclasses.asdict(net))

    def build_network(self, arch: Nb1Shot1Arch, shape: DataShape, cfg):
        from nasrepro.spaces.nb1shot1.network import Nb101Network

        net = build_config(Nb1Shot1EvalNet, cfg, f"spaces.{self.name}.evaluate")
        return Nb101Network(arch.nb101(), shape, **dataclasses.asdict(net))


SPACE_NAME = "nb1shot1-s{}"  # the registered name of search space <variant>


def variant_of(name: str) -> int:
    """The search space (1, 2, 3) of a registered name ``nb1shot1-s<variant>``."""
    for variant in PARENTS:
        if name == SPACE_NAME.format(variant):
            return variant
    raise InvalidArchError(f"{name!r} is not a NAS-Bench-1Shot1 space; use one of "
                           f"{[SPACE_NAME.format(v) for v in PARENTS]}")


def _register(variant: int) -> None:
    name = SPACE_NAME.format(variant)

    class Registered(Nb1Shot1Space):
        __doc__ = f"NAS-Bench-1Shot1 search space {variant}."

        def __init__(self):
            super().__init__(variant)

    Registered.name = name
    Registered.__name__ = Registered.__qualname__ = f"Nb1Shot1Space{variant}"
    SPACES.register(name)(Registered)


for _variant in PARENTS:
    _register(_variant)
