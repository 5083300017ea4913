"""The DARTS recurrent search space (thesis §1.2.4, Table 1.1; Liu et al. 2019, [86, 95]).

A cell has 8 intermediate nodes; node i = 1..8 takes one input node j < i (node 0 is the
highway-style node of x_t and h_{t-1}) through one of tanh/relu/sigmoid/identity. The architecture
parameters are one [36, 5] tensor ``"recurrent"``: a row per candidate edge (j -> i) in node order,
a column per operation of ``OPS`` (``none`` included, as in DARTS). Derivation (DARTS' RNN
genotype parse): per node, the strongest non-none (edge, operation) weight. Notation: DARTS'
genotype list, e.g. ``sigmoid~0|relu~1|...`` (op~input per node 1..8).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import torch

from nasrepro.params import build_config, hp
from nasrepro.registry import SPACES
from nasrepro.spaces.base import (CellDiagram, CellGraph, DataShape, InvalidArchError,
                                  SearchSpace)
from nasrepro.spaces.darts_rnn.model import (OPS, STEPS, RNNNetwork, RNNSupernet, edge_offset,
                                             num_edges)
from nasrepro.spaces.darts_rnn.task import LanguageModelTask
from nasrepro.train.retrain import RetrainConfig

CELL_OPS = OPS[1:]


@dataclass
class RNNSearchNet:
    """DARTS' search model (rnn/train_search.py, [86]): embedding = hidden = 300; variational
    dropouts on the outputs 0.75, on h_{t-1} 0.25, on x_t 0.75, on the embeddings 0.2; no
    embedding-row dropout; weight steps add TAR (beta 1e-3) and no AR (alpha 0), in search and
    retraining alike. ``emsize`` must equal ``nhid`` (tied decoder)."""

    emsize: int = hp(300, 1)
    nhid: int = hp(300, 1)
    dropout: float = hp(0.75, 0, 1, doc="variational dropout on the cell outputs")
    dropouth: float = hp(0.25, 0, 1, doc="variational dropout on h_{t-1} (hidden nodes)")
    dropoutx: float = hp(0.75, 0, 1, doc="variational dropout on x_t (input nodes)")
    dropouti: float = hp(0.2, 0, 1, doc="variational dropout on the embeddings")
    dropoute: float = hp(0.0, 0, 1, doc="embedding-row (word) dropout")
    tar_beta: float = hp(1e-3, 0, doc="temporal activation regularisation of weight steps "
                                      "(DARTS --beta)")
    ar_alpha: float = hp(0.0, 0, doc="activation regularisation of weight steps (DARTS --alpha; "
                                     "0: off, as in DARTS)")


@dataclass
class RNNEvalNet(RNNSearchNet):
    """DARTS' PTB evaluation model (rnn/train.py): embedding = hidden = 850, the search dropouts
    plus embedding-row dropout 0.1."""

    emsize: int = hp(850, 1)
    nhid: int = hp(850, 1)
    dropoute: float = hp(0.1, 0, 1, doc="embedding-row (word) dropout")


@dataclass
class RNNEvalNetWT2(RNNEvalNet):
    """WikiText-2 transfer (thesis §2.4.2.2): embedding = hidden = 700, hidden-node dropout
    0.15."""

    emsize: int = hp(700, 1)
    nhid: int = hp(700, 1)
    dropouth: float = hp(0.15, 0, 1, doc="variational dropout on h_{t-1} (hidden nodes)")


@dataclass
class RNNTraining(RetrainConfig):
    """DARTS' PTB evaluation (rnn/train.py; thesis §2.4.2: 1600 epochs, batch 64): plain SGD lr 20
    held constant, no momentum, weight decay 8e-7, gradient clip 0.25, BPTT 35 (the data's
    ``bptt``), NT-ASGD with ``nonmono`` 5 (``train.ntasgd``), validation and test scored with batch
    10 (DARTS: valid 10, test 1); the epoch of the best validation perplexity is reported (DARTS
    tests its best-validation checkpoint). The thesis' "+" rows train 3600 epochs."""

    epochs: int = hp(1600, 1)
    batch_size: int = hp(64, 1)
    lr: float = hp(20.0, 0, low_open=True)
    lr_min: float = hp(20.0, 0, doc="= lr: the learning rate is held constant")
    momentum: float = hp(0.0, 0, 1)
    nesterov: bool = hp(False)
    weight_decay: float = hp(8e-7, 0)
    grad_clip: float = hp(0.25, 0, low_open=True)
    eval_batch_size: int = hp(10, 1, doc="batch size of the valid/test scoring")
    nonmono: int = hp(5, 0, doc="NT-ASGD: switch to averaged SGD after this many epochs without "
                                "a better validation perplexity (0 = plain SGD throughout)")
    report: str = hp("best_valid", choices=("last", "best_valid"),
                     doc="the epoch whose scores are reported: the last or the best validation")


@dataclass
class RNNTrainingWT2(RNNTraining):
    """WikiText-2 transfer (thesis §2.4.2.2): weight decay 5e-7, the rest as on PTB."""

    weight_decay: float = hp(5e-7, 0)


@dataclass(frozen=True)
class RNNGenotype:
    """(operation, input node) for nodes 1..8; the cell output is the mean of nodes 1..8."""

    genes: tuple[tuple[str, int], ...]

    def __post_init__(self):
        if len(self.genes) != STEPS:
            raise InvalidArchError(f"a DARTS recurrent cell has {STEPS} nodes, "
                                   f"got {len(self.genes)}")
        for i, (op, j) in enumerate(self.genes, start=1):
            if op not in CELL_OPS or not 0 <= j < i:
                raise InvalidArchError(f"node {i}: ({op!r}, {j}) is not an op of {CELL_OPS} "
                                       f"on an earlier node 0..{i - 1}")


# The recurrent cells DARTS found on PTB (Liu et al. 2019, rnn/genotypes.py): first order
# (DARTS_V1) and second order (DARTS_V2, the paper's cell, Table 2.2's "DARTS (2nd)*").
DARTS_V1 = RNNGenotype((("relu", 0), ("relu", 1), ("tanh", 2), ("relu", 3),
                        ("relu", 4), ("identity", 1), ("relu", 5), ("relu", 1)))
DARTS_V2 = RNNGenotype((("sigmoid", 0), ("relu", 1), ("relu", 1), ("identity", 1),
                        ("tanh", 2), ("sigmoid", 5), ("tanh", 3), ("relu", 5)))
# The recurrent cell GDAS found on PTB (Dong & Yang 2019, [40]; the GDAS authors' code,
# D-X-Y/AutoDL-Projects@13e908f lib/nas_rnn/genotypes.py:51-54): Table 2.2's "GDAS*", which the
# thesis retrains under its protocol ("we reproduce the results of the best models reported").
# [86] released no PTB cell (liamcli/randomNAS_release@6513a0a README.md:23: the search prints
# it), so "RandomNAS*" stays this project's search under [86]'s protocol.
GDAS_PTB = RNNGenotype((("relu", 0), ("relu", 0), ("identity", 1), ("relu", 1),
                        ("tanh", 0), ("relu", 2), ("identity", 4), ("identity", 2)))


@SPACES.register("darts_rnn")
class DartsRNNSpace(SearchSpace):
    name = "darts_rnn"
    ops = OPS
    arch_shapes = {"recurrent": (num_edges(), len(OPS))}
    task = LanguageModelTask()
    search_net_config = RNNSearchNet
    published = {"darts-v1": DARTS_V1, "darts-v2": DARTS_V2, "gdas": GDAS_PTB}

    def eval_net_config(self, target: str) -> type:
        return RNNEvalNetWT2 if target == "wikitext2" else RNNEvalNet

    def retrain_config(self, target: str) -> type:
        """DARTS' language-model training (``RNNTraining``; WikiText-2: ``RNNTrainingWT2``)."""
        return RNNTrainingWT2 if target == "wikitext2" else RNNTraining

    def retrain_protocol(self, target: str) -> str:
        """DARTS' language-model protocol (§2.4.2): train, valid (NT-ASGD, model selection),
        test."""
        return "darts_rnn"

    @property
    def cell_ops(self) -> tuple[str, ...]:
        return CELL_OPS

    def discretize(self, alphas) -> RNNGenotype:
        w = alphas["recurrent"].detach().float().cpu()
        genes = []
        for i in range(1, STEPS + 1):
            rows = w[edge_offset(i):edge_offset(i) + i, 1:]
            flat = int(rows.flatten().argmax())
            genes.append((CELL_OPS[flat % len(CELL_OPS)], flat // len(CELL_OPS)))
        return RNNGenotype(tuple(genes))

    def one_hot(self, arch: RNNGenotype) -> dict[str, torch.Tensor]:
        out = torch.zeros(self.arch_shapes["recurrent"])
        for i, (op, j) in enumerate(arch.genes, start=1):
            out[edge_offset(i) + j, OPS.index(op)] = 1.0
        return {"recurrent": out}

    def sample(self, rng: random.Random) -> RNNGenotype:
        return RNNGenotype(tuple((rng.choice(CELL_OPS), rng.randrange(i))
                                 for i in range(1, STEPS + 1)))

    def mutate(self, arch: RNNGenotype, rng: random.Random) -> RNNGenotype:
        """Change one node's operation or (for nodes 2..8) its input."""
        genes = list(arch.genes)
        i = rng.randrange(STEPS)
        op, j = genes[i]
        if i > 0 and rng.random() < 0.5:
            genes[i] = (op, rng.choice([k for k in range(i + 1) if k != j]))
        else:
            genes[i] = (rng.choice([o for o in CELL_OPS if o != op]), j)
        return RNNGenotype(tuple(genes))

    def node_inputs(self, arch: RNNGenotype) -> dict[str, list[tuple[int, str]]]:
        return {f"recurrent/{i}": [(j, op)] for i, (op, j) in enumerate(arch.genes, start=1)}

    def depth_edges(self) -> dict[str, list[int]]:
        """The edges (i - 1 -> i) of the deepest chain."""
        return {"recurrent": [edge_offset(i) + i - 1 for i in range(1, STEPS + 1)]}

    def fixed_depth_bias(self) -> dict[str, torch.Tensor]:
        """NSAS-C: only the chain edges (i - 1 -> i) with a non-none operation are allowed."""
        bias = torch.full(self.arch_shapes["recurrent"], float("-inf"))
        for e in self.depth_edges()["recurrent"]:
            bias[e, 1:] = 0.0
        return {"recurrent": bias}

    def cell_stats(self, arch: RNNGenotype) -> dict[str, float]:
        """``skip_ratio``: the fraction of identity nodes; ``depth``: the longest chain of nodes."""
        depth = [0]
        for op, j in arch.genes:
            depth.append(depth[j] + 1)
        ops = [op for op, _ in arch.genes]
        return {"skip_ratio": ops.count("identity") / STEPS, "depth": float(max(depth))}

    def encode(self, arch: RNNGenotype) -> CellGraph:
        """Nodes: x_t, h_{t-1} (inputs), node 0 (highway), nodes 1..8 (typed by op), output."""
        types = ("input", "highway", *CELL_OPS, "output")
        node_types = ("input", "input", "highway", *(op for op, _ in arch.genes), "output")
        edges = [(0, 2), (1, 2)] + [(j + 2, i + 2) for i, (_, j) in enumerate(arch.genes, start=1)]
        edges += [(i + 2, STEPS + 3) for i in range(1, STEPS + 1)]
        return CellGraph(node_types, tuple(edges), types)

    def cell_diagrams(self, arch: RNNGenotype) -> dict[str, CellDiagram]:
        """Fig. 2.1 (c) (the DARTS paper's Fig. 6): inputs ``x_{t}`` and ``h_{t-1}`` into the
        highway node 0 (unlabelled edges), nodes 1..8 each with its one labelled input edge, and
        the output ``h_{t}`` averaging nodes 1..8."""
        nodes = ("x_{t}", "h_{t-1}", *(str(i) for i in range(STEPS + 1)), "h_{t}")
        edges = (("x_{t}", "0", ""), ("h_{t-1}", "0", ""),
                 *((str(j), str(i), op) for i, (op, j) in enumerate(arch.genes, start=1)))
        return {"recurrent": CellDiagram(nodes, nodes[:2], edges, "h_{t}", "recurrent cell",
                                         concat=tuple(str(i) for i in range(1, STEPS + 1)))}

    def to_string(self, arch: RNNGenotype) -> str:
        return "|".join(f"{op}~{j}" for op, j in arch.genes)

    def from_string(self, text: str) -> RNNGenotype:
        try:
            parts = (part.split("~") for part in text.strip().split("|"))
            genes = tuple((op, int(j)) for op, j in parts)
        except ValueError as exc:
            raise InvalidArchError(f"not a DARTS recurrent genotype 'op~input|...': "
                                   f"{text!r}") from exc
        return RNNGenotype(genes)

    def build_supernet(self, shape: DataShape, cfg) -> RNNSupernet:
        """``shape.num_classes`` is the vocabulary size; ``cfg``: ``RNNSearchNet``."""
        net = build_config(RNNSearchNet, cfg, "spaces.darts_rnn.search")
        return RNNSupernet(shape.num_classes, dataclasses.asdict(net))

    def build_network(self, arch: RNNGenotype, shape: DataShape, cfg) -> RNNNetwork:
        """``cfg``: ``RNNEvalNet`` (DARTS' PTB evaluation model)."""
        net = build_config(RNNEvalNet, cfg, "spaces.darts_rnn.evaluate")
        return RNNNetwork(arch.genes, shape.num_classes, dataclasses.asdict(net))
