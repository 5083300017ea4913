"""A planted task whose best cell is known, through the real ``SearchSpace`` contract.

Inputs are 16-dimensional Gaussian vectors; the label is the argmax of a fixed linear map of the
input. A cell has ``EDGES`` parallel edges from the input to the output node; each edge carries
one of three operations: ``none`` (zeros), ``noise`` (an input-independent random vector: it
carries no information and hurts) and ``identity``. The output of the cell goes through a
trainable linear classifier. Only ``identity`` carries the signal, so the best cell has
``identity`` on every edge; ``none`` and ``noise`` are strictly worse.
"""

from __future__ import annotations

import itertools
import random

import torch
from torch import nn
from torch.utils.data import TensorDataset

from nasrepro.data.base import DataBundle
from nasrepro.spaces.base import CellGraph, DataShape, InvalidArchError, SearchSpace

OPS = ("none", "noise", "identity")
EDGES = 3
DIM = 16


class PlantedSupernet(nn.Module):
    """``split``: every (edge, operation) scale is its own parameter tensor (``scales``), so cells
    differ in the tensors they reach (what per-cell terms such as Eq. 3.6's lambda R need to be
    told apart); otherwise one ``scale`` tensor holds them all and every cell reaches it."""

    def __init__(self, shape: DataShape, split: bool = False):
        super().__init__()
        self.split = split
        if split:
            self.scales = nn.ParameterList(nn.Parameter(torch.ones(())) for _ in range(EDGES * len(OPS)))
        else:
            self.scale = nn.Parameter(torch.ones(EDGES, len(OPS)))  # per edge and op, shared weights
        self.classifier = nn.Linear(DIM, shape.num_classes)

    def weight(self, e: int, k: int) -> torch.Tensor:
        return self.scales[e * len(OPS) + k] if self.split else self.scale[e, k]

    def _op(self, e: int, k: int, x: torch.Tensor) -> torch.Tensor:
        if OPS[k] == "none":
            return torch.zeros_like(x)
        if OPS[k] == "noise":
            return self.weight(e, k) * 3.0 * torch.randn_like(x)
        return self.weight(e, k) * x

    def forward(self, x, *, weights=None, choice=None, arch=None):
        x = x.flatten(1)
        if arch is not None:
            choice, weights = {"cell": [OPS.index(op) for op in arch]}, None
        total = 0
        for e in range(EDGES):
            if choice is not None:
                k = choice["cell"][e]
                out = self._op(e, k, x)
                if weights is not None:
                    w = weights["cell"][e]
                    out = w[k] * out + torch.cat([w[:k], w[k + 1:]]).sum()
            else:
                out = sum(weights["cell"][e, k] * self._op(e, k, x) for k in range(len(OPS)))
            total = total + out
        return self.classifier(total)


class PlantedSpace(SearchSpace):
    name = "planted"
    ops = OPS
    arch_shapes = {"cell": (EDGES, len(OPS))}
    search_net_config = None

    def discretize(self, alphas):
        return tuple(OPS[k] for k in alphas["cell"].argmax(dim=-1).tolist())

    def one_hot(self, arch):
        rows = torch.zeros(EDGES, len(OPS))
        for e, op in enumerate(arch):
            rows[e, OPS.index(op)] = 1.0
        return {"cell": rows}

    def sample(self, rng: random.Random):
        return tuple(rng.choice(OPS) for _ in range(EDGES))

    def mutate(self, arch, rng):
        e = rng.randrange(EDGES)
        return arch[:e] + (rng.choice([o for o in OPS if o != arch[e]]),) + arch[e + 1:]

    def node_inputs(self, arch):
        return {"cell/1": [(0, op) for op in arch]}

    def encode(self, arch):
        """Input node, one node per edge holding its operation, output node. The operation nodes
        are also chained in edge order (a graph-only device: the D-VAE's sum aggregation cannot
        tell parallel sibling nodes apart, so without it permuted cells would encode alike)."""
        edges = [(0, i + 1) for i in range(EDGES)] + [(i + 1, i + 2) for i in range(EDGES - 1)]
        edges += [(i + 1, EDGES + 1) for i in range(EDGES)]
        return CellGraph(("input", *arch, "output"), tuple(sorted(edges)), ("input", "output", *OPS))

    def decode(self, graph):
        """Inverse of ``encode``: the operations of the op nodes 1..EDGES, the wiring fixed."""
        ops = tuple(graph.node_types[1:EDGES + 1])
        if any(op not in OPS for op in ops) or graph != self.encode(ops):
            raise InvalidArchError(f"not a planted cell graph: {graph}")
        return ops

    def graph_weights(self, type_probs, edge_probs):
        """Edge e's row: the type distribution of op node e + 1 restricted to the operations."""
        types = self.encode(("none",) * EDGES).types
        return {"cell": type_probs[1:EDGES + 1][:, [types.index(op) for op in OPS]]}

    def to_string(self, arch):
        return "+".join(arch)

    def from_string(self, text):
        arch = tuple(text.split("+"))
        if len(arch) != EDGES or any(op not in OPS for op in arch):
            raise InvalidArchError(f"not a planted cell: {text!r}")
        return arch

    def build_supernet(self, shape, cfg):
        return PlantedSupernet(shape, split=bool((cfg or {}).get("split", False)))

    def build_network(self, arch, shape, cfg):
        raise NotImplementedError("the planted task is searched only")


def cells() -> list[tuple[str, ...]]:
    """All 27 planted cells."""
    return list(itertools.product(OPS, repeat=EDGES))


def best_fraction(arch) -> float:
    """Fraction of edges holding the planted best operation (1.0 = the optimum)."""
    return sum(op == "identity" for op in arch) / EDGES


def planted_bundle(n: int = 512, classes: int = 4, seed: int = 0) -> DataBundle:
    gen = torch.Generator().manual_seed(seed)
    teacher = torch.randn(DIM, classes, generator=gen)

    def split(count):
        x = torch.randn(count, DIM, generator=gen)
        return TensorDataset(x.view(count, 1, 1, DIM), (x @ teacher).argmax(dim=1))

    train, valid = split(n), split(n)
    return DataBundle("planted", train, valid, split(n), num_classes=classes, in_channels=1,
                      arch_train=valid)


def planted_method(name: str, seed: int = 0, n: int = 64, net_cfg: dict | None = None, **overrides):
    """Registered method ``name`` on the planted supernet (seeded; ``net_cfg`` e.g. {"split":
    True}) and one training batch of ``n`` planted examples."""
    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config
    from nasrepro.registry import METHODS

    torch.manual_seed(seed)
    space = PlantedSpace()
    bundle = planted_bundle(n=n)
    cls = METHODS.get(name)
    method = cls(SearchContext(space, space.build_supernet(bundle.shape, net_cfg or {}),
                               build_config(cls.Config, overrides, name), torch.device("cpu"),
                               random.Random(seed)))
    x, y = bundle.search_train[:]
    return method, (x, y)
