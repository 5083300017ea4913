"""The DARTS recurrent cell and the language model around it (Liu et al. 2019, thesis §1.2.4).

Per time step, with x_t the (dropped-out) embedding and h_{t-1} the previous hidden state:
node 0 (highway-style): [c_0, h_0] = [x_t, h_{t-1}] W_0, s_0 = h_{t-1} + sigmoid(c_0) *
(tanh(h_0) - h_{t-1}); node i = 1..8 with input node j and operation f:
[c_i, h_i] = s_j W_i, s_i = s_j + sigmoid(c_i) * (f(h_i) - s_j); the new hidden state (and the
cell output) is the mean of s_1..s_8. ``W_i`` belongs to node i and is shared by all its candidate
inputs, as in DARTS' search model, so a single path of the supernet is exactly the stand-alone
cell of that genotype with the same weights.

Language model: embedding (dropoute: embedding-row dropout, dropouti: variational dropout on the
embeddings), the cell (dropoutx on x_t and dropouth on h_{t-1}: variational masks, one per
sequence, on the inputs of W_0), variational dropout on the outputs, a decoder tied to the
embedding. Dropouts act only on ``"train"``-mode inputs of a module in training mode.

Activation regularisation (DARTS rnn/train_search.py and rnn/train.py, after Merity et al. 2018):
a ``"train"``-mode forward in training mode leaves ``activation_penalty`` =
``ar_alpha * mean(dropped outputs^2) + tar_beta * mean((h_{t+1} - h_t)^2)`` (h: the cell outputs
before the output dropout; TAR, the temporal term, is DARTS' beta = 1e-3; AR is off there,
alpha = 0), which ``LanguageModelTask.weight_penalty`` adds to weight steps; else None.

Supernet modes (``forward(x, *, weights=None, choice=None, arch=None)``, rows = the 36 edges
(j -> i), i = 1..8, j < i, in node order; columns = ``OPS``):
mixed: s_i = sum_{j, o} weights[e, o] * (s_j + c * (o(h) - s_j)) (``none`` contributes 0, DARTS);
hard (GDAS): on each edge only op ``choice[e]`` runs, scaled by weights[e, choice[e]];
single path: ``arch``'s input and op per node.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.darts_rnn.task import LMInput, RecurrentState

OPS = ("none", "tanh", "relu", "sigmoid", "identity")
STEPS = 8
INIT_RANGE = 0.04  # DARTS' uniform initialisation of the cell matrices
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
               "identity": lambda h: h}


def edge_offset(node: int) -> int:
    """Row of the edge (0 -> node) in the [36, 5] parameters; node = 1..8."""
    return node * (node - 1) // 2


def num_edges() -> int:
    return edge_offset(STEPS + 1)


def _mask(like: torch.Tensor, p: float, active: bool) -> torch.Tensor | None:
    """A variational (locked) dropout mask [B, D], one per sequence, scaled by 1 / (1 - p)."""
    if not active or p <= 0:
        return None
    return like.new_empty(like.shape[0], like.shape[-1]).bernoulli_(1 - p) / (1 - p)


class RNNLanguageModel(nn.Module):
    """Embedding, the recurrent cell and a tied decoder; ``_nodes`` (subclasses) computes the
    intermediate nodes of one time step from s_0."""

    def __init__(self, ntoken: int, cfg):
        super().__init__()
        ninp, nhid = int(cfg["emsize"]), int(cfg["nhid"])
        if ninp != nhid:
            raise ValueError(f"the tied decoder needs emsize == nhid (got {ninp}, {nhid})")
        self.nhid = nhid
        self.drop = {k: float(cfg[k])
                     for k in ("dropout", "dropouth", "dropoutx", "dropouti", "dropoute")}
        self.ar_alpha, self.tar_beta = float(cfg["ar_alpha"]), float(cfg["tar_beta"])
        self.activation_penalty: torch.Tensor | None = None
        self.encoder = nn.Embedding(ntoken, ninp)
        self.w0 = nn.Parameter(torch.empty(ninp + nhid, 2 * nhid).uniform_(-INIT_RANGE, INIT_RANGE))
        self.ws = nn.ParameterList(
            [nn.Parameter(torch.empty(nhid, 2 * nhid).uniform_(-INIT_RANGE, INIT_RANGE))
             for _ in range(STEPS)])
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        self.state = RecurrentState()

    def gates(self, i: int, s_j: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(sigmoid(c), h) with [c, h] = s_j W_i (node i = 1..8)."""
        c, h = (s_j @ self.ws[i - 1]).split(self.nhid, dim=-1)
        return torch.sigmoid(c), h

    def node(self, i: int, s_j: torch.Tensor, op: str) -> torch.Tensor:
        """s_j + sigmoid(c) * (op(h) - s_j): node i with input s_j and operation ``op``."""
        c, h = self.gates(i, s_j)
        return s_j + c * (ACTIVATIONS[op](h) - s_j)

    def _nodes(self, s0: torch.Tensor, **mode) -> list[torch.Tensor]:
        raise NotImplementedError

    def forward(self, inp: LMInput, **mode) -> torch.Tensor:
        train = self.training and inp.mode == "train"
        tokens = inp.tokens
        weight = self.encoder.weight
        if train and self.drop["dropoute"] > 0:  # drop whole embedding rows (words)
            keep = weight.new_empty(weight.shape[0], 1).bernoulli_(1 - self.drop["dropoute"])
            weight = weight * keep / (1 - self.drop["dropoute"])
        emb = nn.functional.embedding(tokens, weight)                     # [B, T, E]
        m = _mask(emb, self.drop["dropouti"], train)
        if m is not None:
            emb = emb * m.unsqueeze(1)
        h = h_in = self.state.initial(inp, self.nhid, emb)
        x_mask = _mask(emb, self.drop["dropoutx"], train)
        h_mask = _mask(h, self.drop["dropouth"], train)
        outputs = []
        for t in range(tokens.shape[1]):
            x_t = emb[:, t] if x_mask is None else emb[:, t] * x_mask
            h_t = h if h_mask is None else h * h_mask
            c0, h0 = (torch.cat([x_t, h_t], dim=-1) @ self.w0).split(self.nhid, dim=-1)
            s0 = h + torch.sigmoid(c0) * (torch.tanh(h0) - h)
            h = torch.stack(self._nodes(s0, **mode)).mean(dim=0)
            outputs.append(h)
        self.state.update(inp, h_in, h)
        raw = out = torch.stack(outputs, dim=1)                           # [B, T, H]
        m = _mask(out, self.drop["dropout"], train)
        if m is not None:
            out = out * m.unsqueeze(1)
        self.activation_penalty = self._penalty(raw, out) if train else None
        return self.decoder(out)

    def _penalty(self, raw: torch.Tensor, dropped: torch.Tensor) -> torch.Tensor:
        """AR on the dropped outputs plus TAR on the raw outputs' steps (module docstring)."""
        penalty = raw.new_zeros(())
        if self.ar_alpha > 0:
            penalty = penalty + self.ar_alpha * dropped.pow(2).mean()
        if self.tar_beta > 0 and raw.shape[1] > 1:
            penalty = penalty + self.tar_beta * (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
        return penalty


class RNNNetwork(RNNLanguageModel):
    """The stand-alone language model of one genotype (``genes``: (op, input node) per node)."""

    def __init__(self, genes, ntoken: int, cfg):
        super().__init__(ntoken, cfg)
        self.genes = tuple(genes)

    def _nodes(self, s0, **mode):
        states = [s0]
        for i, (op, j) in enumerate(self.genes, start=1):
            states.append(self.node(i, states[j], op))
        return states[1:]


class RNNSupernet(RNNLanguageModel):
    """The weight-sharing model of the DARTS recurrent space (module docstring: the three modes)."""

    def forward(self, inp: LMInput, *, weights=None, choice=None, arch=None) -> torch.Tensor:
        if arch is None and weights is None:
            raise ValueError("supernet forward needs weights (mixed/hard) or arch (single path)")
        return super().forward(inp, weights=None if weights is None else weights["recurrent"],
                               choice=None if choice is None else choice["recurrent"],
                               genes=None if arch is None else arch.genes)

    def _nodes(self, s0, *, weights=None, choice=None, genes=None):
        states = [s0]
        for i in range(1, STEPS + 1):
            if genes is not None:
                op, j = genes[i - 1]
                states.append(self.node(i, states[j], op))
                continue
            s = torch.zeros_like(s0)
            for j in range(i):
                e = edge_offset(i) + j
                ops = [OPS[int(choice[e])]] if choice is not None else OPS
                if all(op == "none" for op in ops):
                    continue
                c, h = self.gates(i, states[j])
                for op in ops:
                    if op != "none":
                        k = OPS.index(op)
                        s = s + weights[e, k] * (states[j] + c * (ACTIVATIONS[op](h) - states[j]))
            states.append(s)
        return states[1:]
