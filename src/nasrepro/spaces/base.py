"""The ``SearchSpace`` contract every space implements, and the ``Task`` it is searched on.

Methods see a space only through this contract (they never import a space module):

- ``arch_shapes``: the named architecture parameters, e.g. ``{"cell": (6, 5)}`` (NAS-Bench-201)
  or ``{"normal": (14, 8), "reduce": (14, 8)}`` (DARTS CNN); rows are edges, columns operations
  in ``ops`` order.
- ``discretize(alphas)``: the discrete architecture of continuous parameters (argmax per edge
  for NAS-Bench-201; top-2 inputs by strongest non-none operation for DARTS, thesis §1.2.4).
- ``one_hot(arch)``: the inverse view, a ``{name: [edges, ops]}`` 0/1 tensor dict with
  ``discretize(one_hot(a)) == a``.
- ``sample(rng)``, ``mutate(arch, rng)``: uniform sample; change of one decision.
- ``distance(a, b)``: the per-node edge distance of thesis §3.3.2 (an input edge of a node is the
  same in two cells only when it has the same input node and the same operation), normalised to
  [0, 1] by the number of input edges of a cell; ``distance_matrix`` is the same for many pairs
  at once through ``embed`` (the flattened ``one_hot``).
- ``complement(arch, others, rng)``: the cell with ``arch``'s input edges whose operations avoid
  the (edge, operation) weights that ``others`` use (NSAS-G §3.4.2.3, E²NAS Fig. 4.2).
- ``encode(arch)``: a DAG with operation-labelled nodes (``CellGraph``), the input of the D-VAE
  (thesis Eq. 4.6); ``decode(graph)`` its inverse (``decode(encode(a)) == a``, an invalid graph
  raises ``InvalidArchError``) and ``graph_weights(type_probs, edge_probs)`` the (edge, op)
  weights in ``arch_shapes`` layout that a relaxed decoded graph puts on the supernet
  (``one_hot(a)`` for the hard graph ``encode(a)``); both optional (E²NAS needs them).
- ``cell_diagrams(arch)``: each cell kind as the thesis draws it (``CellDiagram``: labelled
  nodes, operation-labelled edges; Figs. 2.1, 3.3), what ``report.cells`` renders; optional
  (a space without cell figures raises ``ValueError``).
- ``published``: literature cells by name (e.g. ``"darts-v2"``), evaluated as pseudo-runs
  ``published-<name>`` (a table row such as Table 2.2's "DARTS (2nd)*"); optional, empty default.
- ``to_string``/``from_string``: the space's official notation, round trip exact.
- ``build_supernet(shape, cfg)``: a weight-sharing network whose ``forward(x, *, weights=None,
  choice=None, arch=None)`` runs, per named parameter,
  mixed (``weights`` only: node = sum over edges and ops of weights[e, o] * o(x), Eq. 1.8),
  hard (``weights`` and ``choice``: only op ``choice[e]`` runs, scaled by its weight; the GDAS
  edge rule of the space's reference code, e.g. NAS-Bench-201 also adds the other ops' zero-valued
  weights as constants), or
  single path (``arch``).
- ``build_network(arch, shape, cfg)``: the stand-alone network of one architecture.
- ``task``: loss and metric of the data the space is searched on.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import torch
from torch import nn

from nasrepro.layout import build_command

Arch = Any  # each space's own frozen, hashable architecture type
Alphas = Mapping[str, torch.Tensor]


class InvalidArchError(ValueError):
    """An architecture (string, index, genotype) that does not belong to the space."""


@dataclass(frozen=True)
class DataShape:
    """What a network needs to know about its data."""

    num_classes: int
    in_channels: int
    height: int
    width: int


@dataclass(frozen=True)
class CellGraph:
    """A cell as a DAG with typed nodes: ``node_types[i]`` in ``types``; ``edges`` are (src, dst)
    with src < dst (nodes in topological order), stored sorted so that equal graphs compare
    equal. Input of the graph autoencoder (Eq. 4.6)."""

    node_types: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    types: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "node_types", tuple(self.node_types))
        object.__setattr__(self, "edges", tuple(sorted((int(s), int(d)) for s, d in self.edges)))
        object.__setattr__(self, "types", tuple(self.types))

    def mismatch(self, expected: "CellGraph") -> str:
        """What differs from ``expected`` (empty when equal): node count, node types, edges."""
        if len(self.node_types) != len(expected.node_types):
            return f"{len(self.node_types)} nodes instead of {len(expected.node_types)}"
        problems = [f"node {i} is {got!r}, expected {want!r}"
                    for i, (got, want) in enumerate(zip(self.node_types, expected.node_types))
                    if got != want]
        missing, extra = set(expected.edges) - set(self.edges), set(self.edges) - set(expected.edges)
        if missing:
            problems.append(f"missing edges {sorted(missing)}")
        if extra:
            problems.append(f"unexpected edges {sorted(extra)}")
        return "; ".join(problems)

    def type_indices(self) -> list[int]:
        return [self.types.index(t) for t in self.node_types]

    def adjacency(self) -> torch.Tensor:
        n = len(self.node_types)
        adj = torch.zeros(n, n)
        for src, dst in self.edges:
            adj[src, dst] = 1.0
        return adj


@dataclass(frozen=True)
class CellDiagram:
    """A discrete cell as the thesis' cell figures draw it (Figs. 2.1, 3.3; the DARTS paper's
    style): ``nodes`` in topological order, the cell ``inputs`` first; ``edges`` (source, target,
    operation; ``""``: an unlabelled edge, e.g. into the DARTS recurrent cell's highway node)
    between them, ``none`` edges left out; ``output`` is the cell's output node, which
    concatenates the nodes ``concat`` without an operation (empty: ``output`` is an ordinary node
    fed by labelled edges, as in NAS-Bench-201). Node labels are TeX math, e.g. ``c_{k-1}``;
    ``title`` names the cell kind in a figure, e.g. "reduction cell"."""

    nodes: tuple[str, ...]
    inputs: tuple[str, ...]
    edges: tuple[tuple[str, str, str], ...]
    output: str
    title: str
    concat: tuple[str, ...] = ()


class MissingEntryError(ValueError):
    """A lookup of a cell (or dataset, split, budget) the converted benchmark table lacks: one
    line, a user error (the CLI prints it), not a ``KeyError`` traceback."""


class ConvertedBenchmark:
    """A tabular benchmark converted once by the pipeline (``build``) and read back from its
    Parquet table; subclasses name their ``space`` and index the table in ``__init__``."""

    space: str
    final_epochs: int  # the training budget of the thesis' lookups (``accuracy``'s default)

    @classmethod
    def load(cls, path):
        import pandas as pd

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"benchmark table {path} not found; build it with "
                                    f"`{build_command(path)}` (needs benchmark.{cls.space} in the "
                                    "profile)")
        return cls(pd.read_parquet(path))


class Task(ABC):
    """Loss and metric of one kind of data. ``model`` is a callable from a batch's inputs to
    outputs (e.g. ``lambda x: supernet(x, arch=a)``), so the task owns the batch layout."""

    metric: str
    higher_is_better: bool

    @abstractmethod
    def loss(self, model: Callable, batch) -> torch.Tensor:
        """The training objective on one batch (differentiable)."""

    @abstractmethod
    def score(self, model: Callable, batches: Iterable, device: torch.device) -> float:
        """The metric over batches (no gradient)."""

    @abstractmethod
    def to_device(self, batch, device: torch.device):
        """The batch moved to ``device``."""

    def weight_penalty(self, net) -> torch.Tensor | float:
        """A regulariser added to the loss of every weight step (search and retraining), read
        from ``net`` after its forward on the step's batch; none by default (the language model:
        DARTS' activation regularisers)."""
        return 0.0

    def better(self, a: float, b: float) -> bool:
        """Whether metric value ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    @property
    def worst(self) -> float:
        return float("-inf") if self.higher_is_better else float("inf")


class ClassificationTask(Task):
    """Image classification: cross-entropy loss, top-1 accuracy in percent."""

    metric = "accuracy"
    higher_is_better = True

    def loss(self, model: Callable, batch) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(model(x), y)

    def score(self, model: Callable, batches: Iterable, device: torch.device) -> float:
        return self.top_k(model, batches, device, (1,))[1]

    def top_k(self, model: Callable, batches: Iterable, device: torch.device,
              ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
        """{k: top-k accuracy in percent} in one pass: a sample counts for k when its label is
        among the k largest logits (Tables 4.6, 5.1, 6.2 print ImageNet top-1 and top-5 error;
        k is capped at the number of classes)."""
        correct, total = dict.fromkeys(ks, 0), 0
        with torch.no_grad():
            for x, y in batches:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                ranked = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
                hits = ranked == y[:, None]
                for k in ks:
                    correct[k] += int(hits[:, :k].sum())
                total += len(y)
        if total == 0:
            raise ValueError("accuracy over an empty set of batches")
        return {k: 100.0 * correct[k] / total for k in ks}

    def to_device(self, batch, device: torch.device):
        x, y = batch
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


class SearchSpace(ABC):
    """The contract (module docstring). Subclasses set ``name``, ``ops``, ``arch_shapes`` and
    ``task`` and implement the abstract methods."""

    name: str
    ops: tuple[str, ...]
    arch_shapes: dict[str, tuple[int, int]]
    task: Task = ClassificationTask()
    published: Mapping[str, Arch] = {}  # literature cells, evaluated as runs "published-<name>"
    InvalidArch = InvalidArchError

    def retrain_protocol(self, target: str) -> str:
        """The retraining protocol of this space's cells on ``target`` (a key of
        ``data.protocols.PROTOCOLS``: which data they train on, score and report). Default:
        NAS-Bench-201's own splits, the search splits."""
        return "nb201"

    @abstractmethod
    def discretize(self, alphas: Alphas) -> Arch: ...

    @abstractmethod
    def one_hot(self, arch: Arch) -> dict[str, torch.Tensor]: ...

    @abstractmethod
    def sample(self, rng: random.Random) -> Arch: ...

    @abstractmethod
    def mutate(self, arch: Arch, rng: random.Random) -> Arch: ...

    @abstractmethod
    def node_inputs(self, arch: Arch) -> dict[str, list[tuple[int, str]]]:
        """For each node of each cell (key e.g. ``"normal/2"``), its input edges as
        (input node, operation) pairs: what the distance of §3.3.2 compares."""

    @abstractmethod
    def encode(self, arch: Arch) -> CellGraph: ...

    @abstractmethod
    def to_string(self, arch: Arch) -> str: ...

    @abstractmethod
    def from_string(self, text: str) -> Arch: ...

    def published_arch(self, name: str) -> str:
        """The architecture string of the literature cell ``name`` (pseudo-run
        ``published-<name>``); a ``ConfigError`` naming the space's published cells if unknown."""
        from nasrepro.params import ConfigError

        if name not in self.published:
            raise ConfigError(f"run 'published-{name}': space {self.name!r} has no published cell "
                              f"{name!r}; its published cells: {sorted(self.published) or 'none'}")
        return self.to_string(self.published[name])

    @abstractmethod
    def build_supernet(self, shape: DataShape, cfg: Mapping) -> nn.Module: ...

    @abstractmethod
    def build_network(self, arch: Arch, shape: DataShape, cfg: Mapping) -> nn.Module: ...

    def decode(self, graph: CellGraph) -> Arch:
        """The architecture whose ``encode`` is ``graph``; ``InvalidArchError`` says what is wrong
        with a graph that encodes no architecture. Optional: only E²NAS decodes graphs."""
        raise ValueError(f"space {self.name!r} does not decode cell graphs: E²NAS (the D-VAE, "
                         "thesis §4.3.1.1) is defined on nb201 and darts_cnn")

    def graph_weights(self, type_probs: torch.Tensor, edge_probs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The (edge, operation) weights in ``arch_shapes`` layout that a relaxed decoded graph
        (node type probabilities [n, T], edge probabilities [n, n] with [i, j] = P(j -> i)) puts
        on the supernet; ``one_hot(a)`` for the hard graph ``encode(a)``. Optional (E²NAS)."""
        raise ValueError(f"space {self.name!r} has no graph weights: E²NAS (the D-VAE, thesis "
                         "§4.3.1.1) is defined on nb201 and darts_cnn")

    def _check_graph(self, graph: CellGraph, types: tuple[str, ...]) -> None:
        """Raise ``InvalidArchError`` unless ``graph`` is over ``types`` with edges src < dst."""
        if tuple(graph.types) != tuple(types):
            raise InvalidArchError(f"{self.name}: a cell graph has node types {types}, got "
                                   f"{graph.types}")
        n = len(graph.node_types)
        if any(not 0 <= s < d < n for s, d in graph.edges):
            raise InvalidArchError(f"{self.name}: cell graph edges must go from a lower to a higher "
                                   f"node index below {n}; got {graph.edges}")

    def distance(self, a: Arch, b: Arch) -> float:
        """Thesis §3.3.2: the fraction of input edges (over all nodes) of ``a`` that ``b`` does
        not have at the same node with the same input node and the same operation."""
        edges_a, edges_b = self.node_inputs(a), self.node_inputs(b)
        total = sum(len(v) for v in edges_a.values())
        shared = sum(sum((Counter(edges_a[node]) & Counter(edges_b.get(node, []))).values())
                     for node in edges_a)
        return (total - shared) / total

    @property
    def cell_ops(self) -> tuple[str, ...]:
        """Operations a discrete cell may put on an input edge (all of ``ops`` unless a space
        forbids some, e.g. ``none`` in the DARTS space)."""
        return self.ops

    def embed(self, arch: Arch) -> torch.Tensor:
        """``one_hot(arch)`` flattened in ``arch_shapes`` order: one 1 per input edge of the cell
        at (edge, operation). Two cells share an input edge (§3.3.2) exactly where both have a 1."""
        rows = self.one_hot(arch)
        return torch.cat([rows[name].flatten() for name in self.arch_shapes])

    def distance_matrix(self, archs: Iterable[Arch] | torch.Tensor,
                        others: Iterable[Arch] | torch.Tensor) -> torch.Tensor:
        """``distance(a, b)`` for every a in ``archs`` (rows) and b in ``others`` (columns); either
        side may be given as stacked ``embed`` rows."""
        a = archs if isinstance(archs, torch.Tensor) else torch.stack([self.embed(x) for x in archs])
        b = others if isinstance(others, torch.Tensor) else torch.stack([self.embed(x) for x in others])
        return 1.0 - (a @ b.T) / a.sum(dim=1, keepdim=True)

    def complement(self, arch: Arch, others: Iterable[Arch], rng: random.Random) -> Arch:
        """The cell with the input edges of ``arch`` whose operation on each edge is ``arch``'s
        where no cell of ``others`` has that operation on that edge, and otherwise a uniformly
        chosen operation of ``cell_ops`` that neither ``arch`` nor ``others`` has there. So its
        weights cover those of ``arch`` not in ``others`` and share none with ``others``."""
        current = self.one_hot(arch)
        used = [self.one_hot(o) for o in others]
        allowed = [self.ops.index(op) for op in self.cell_ops]
        out = {}
        for name, rows in current.items():
            new = torch.zeros_like(rows)
            for e in rows.sum(dim=1).nonzero().flatten().tolist():
                k = int(rows[e].argmax())
                taken = {int(i) for u in used for i in u[name][e].nonzero().flatten()}
                if k not in taken:
                    new[e, k] = 1.0
                    continue
                free = [i for i in allowed if i not in taken and i != k]
                if not free:
                    raise ValueError(f"{self.name}: no operation left on edge {e} of {name!r} for a "
                                     f"complement of {len(used)} cells; use fewer cells")
                new[e, rng.choice(free)] = 1.0
            out[name] = new
        return self.discretize(out)

    def fixed_depth_bias(self) -> dict[str, torch.Tensor]:
        """NSAS-C (thesis §3.4.1.2): an additive bias on architecture parameters that fixes the
        cell topology to its deepest chain (0: allowed; -inf: forbidden), so that only operations
        are searched. Spaces whose nodes choose no inputs have no such constraint."""
        raise ValueError(f"space {self.name!r} has a fixed topology: a depth constraint "
                         "(depth_constraint: true) applies only to spaces whose nodes choose inputs")

    def depth_edges(self) -> dict[str, list[int]]:
        """Per cell kind, the rows of its architecture parameters that connect consecutive
        intermediate nodes (i - 1 -> i): the connections the depth-aware regularisation rewards
        (Eq. 5.19-5.21). Spaces whose nodes choose no inputs have none."""
        raise ValueError(f"space {self.name!r} has a fixed topology: depth-aware regularisation "
                         "(depth_weight > 0) applies only to spaces whose nodes choose inputs")

    def cell_stats(self, arch: Arch) -> dict[str, float]:
        """Diagnostics of the first cell kind (the normal cell; Figs. 5.4 a, 5.5): ``skip_ratio``,
        the fraction of its input edges that are skip connections, and ``depth``, the most
        operations on a path from a cell input to any node (``none`` edges connect nothing)."""
        first = next(iter(self.arch_shapes))
        nodes = {int(key.split("/")[1]): edges for key, edges in self.node_inputs(arch).items()
                 if key.split("/")[0] == first}
        depth: dict[int, int] = {}
        for node in sorted(nodes):
            depth[node] = max([depth.get(j, 0) + 1 for j, op in nodes[node] if op != "none"],
                              default=0)
        edges = [op for node_edges in nodes.values() for _, op in node_edges]
        return {"skip_ratio": edges.count("skip_connect") / len(edges),
                "depth": float(max(depth.values()))}

    def cell_diagrams(self, arch: Arch) -> dict[str, CellDiagram]:
        """Per cell kind (``arch_shapes`` order), the cell as the thesis' cell figures draw it
        (Figs. 2.1, 3.3; ``report.cells``). Spaces without such figures need not draw cells."""
        raise ValueError(f"space {self.name!r} draws no cell diagrams: a cell figure (kind 'cell') "
                         "needs the space to implement cell_diagrams")

    def init_alphas(self, std: float, device: torch.device | str = "cpu") -> nn.ParameterDict:
        """Architecture parameters N(0, std^2) of ``arch_shapes`` (DARTS' 1e-3 initialisation)."""
        return nn.ParameterDict({name: nn.Parameter(std * torch.randn(shape, device=device))
                                 for name, shape in self.arch_shapes.items()})
