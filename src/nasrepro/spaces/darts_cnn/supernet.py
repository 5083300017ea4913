"""DARTS search network (thesis §1.2.4, Fig. 1.3): a 3x3 stem with ``stem_multiplier * C``
channels, ``layers`` cells with reductions at 1/3 and 2/3 depth (channels doubled there), global
average pooling and a linear classifier. BatchNorm has no affine parameters while searching.

Each edge (i <- j) holds all 8 operations (pools followed by BN, as DARTS' MixedOp). Per cell
kind (``normal``/``reduce``) the forward runs:
- mixed (``weights``): node i = sum_j sum_o w[e(i,j), o] * o(x_j) (Eq. 1.8);
- hard (``weights`` + ``choice``): only op ``choice[e]`` runs on edge e, scaled by its weight:
  ``w[e, k] * o_k(x)``, GDAS' own rule on this space (AutoDL-Projects' ``MixedOp.forward_gdas``;
  unlike its NAS-Bench-201 cell, no constant terms for the unselected ops; NASLib adds them);
- single path (``arch``): only the genotype's two input edges per node run their operation.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.base import DataShape
from nasrepro.spaces.darts_cnn.ops import OPS, make_op, preprocess
from nasrepro.spaces.darts_cnn.space import CONCAT, EDGES, NODES, Genotype


def _search_op(name: str, channels: int, stride: int) -> nn.Module:
    op = make_op(name, channels, stride, affine=False)
    if "pool" in name:
        return nn.Sequential(op, nn.BatchNorm2d(channels, affine=False))
    return op


class SearchCell(nn.Module):
    def __init__(self, c_prev_prev: int, c_prev: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.kind = "reduce" if reduction else "normal"
        self.pre0, self.pre1 = preprocess(c_prev_prev, c_prev, c, reduction_prev, affine=False)
        self.edges = nn.ModuleList(
            nn.ModuleList(_search_op(name, c, 2 if reduction and j < 2 else 1) for name in OPS)
            for (_i, j) in EDGES)

    def forward(self, s0, s1, weights=None, choice=None, genes=None):
        states = [self.pre0(s0), self.pre1(s1)]
        shared: dict = {}  # mixed forward: per-input results shared by its edges
        for i in range(2, 2 + NODES):
            if genes is not None:
                pairs = genes[2 * (i - 2): 2 * (i - 1)]
                node = sum(self.edges[EDGES.index((i, j))][OPS.index(op)](states[j]) for op, j in pairs)
            elif choice is None:
                node = self._mixed_node(i, states, weights, shared)
            else:
                node = 0
                for e, (t, j) in enumerate(EDGES):
                    if t == i:
                        node = node + weights[e, choice[e]] * self.edges[e][choice[e]](states[j])
            states.append(node)
        return torch.cat([states[k] for k in CONCAT], dim=1)

    def _mixed_node(self, i: int, states: list, weights: torch.Tensor, shared: dict):
        """Eq. 1.8 for node ``i``. What is the same for every edge leaving an input ``j`` (all
        its edges have the same stride) is computed once: the ReLU that starts the convolutions
        (and the stride-2 skip), and the two poolings before their per-edge BatchNorm. ``none``
        adds w * 0 = 0 and is skipped. Values and gradients equal the op-by-op sum."""
        node = 0
        for e, (t, j) in enumerate(EDGES):
            if t != i:
                continue
            x = states[j]
            edge_sum = None
            for k, (name, op) in enumerate(zip(OPS, self.edges[e])):
                if name == "none":
                    continue
                if hasattr(op, "from_relu"):
                    if ("relu", j) not in shared:
                        shared["relu", j] = torch.relu(x)
                    out = op.from_relu(shared["relu", j])
                elif "pool" in name:
                    if (name, j) not in shared:
                        shared[name, j] = op[0](x)
                    out = op[1](shared[name, j])
                else:
                    out = op(x)
                edge_sum = (weights[e, k] * out if edge_sum is None
                            else torch.addcmul(edge_sum, weights[e, k], out))
            node = node + edge_sum
        return node


class DartsSupernet(nn.Module):
    def __init__(self, shape: DataShape, C: int = 16, layers: int = 8, stem_multiplier: int = 3):
        super().__init__()
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(shape.in_channels, c_curr, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for layer in range(layers):
            reduction = layer in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_prev_prev, c_prev, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, NODES * c_curr
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, shape.num_classes)

    def forward(self, x: torch.Tensor, *, weights: dict | None = None, choice: dict | None = None,
                arch: Genotype | None = None) -> torch.Tensor:
        if arch is None and weights is None:
            raise ValueError("DartsSupernet.forward needs mixing weights or an arch")
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            if arch is not None:
                out = cell(s0, s1, genes=arch.cell(cell.kind))
            else:
                out = cell(s0, s1, weights=weights[cell.kind],
                           choice=None if choice is None else choice[cell.kind])
            s0, s1 = s1, out
        return self.classifier(self.pool(s1).flatten(1))
