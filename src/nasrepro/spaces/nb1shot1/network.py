"""NAS-Bench-101's network of one cell (``nasbench/lib/model_builder.py``): stem 3x3 conv-bn-relu,
``stacks`` stacks of ``cells_per_stack`` cells with 2x2 max-pool downsampling between stacks and
the width doubling there, global average pooling, linear classifier.

In a cell, vertex t sums its inputs (interior vertices truncated to its channels, the cell input
through a 1x1 projection) and applies its operation; the output concatenates the vertices feeding
it, plus a projection of the cell input when the input feeds the output. Vertex widths
(``channel_rule``): "nasbench" splits the stack width over the vertices feeding the output (the
remainder to the first ones) and gives every other vertex the largest width among its successors
(the benchmark's ``compute_vertex_channels``); "per_node" gives every vertex the stack width, so
the cell output is (vertices feeding it) x width: the one-shot model's single path.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.base import DataShape
from nasrepro.spaces.nb1shot1.nb101 import ModelSpec
from nasrepro.spaces.nb1shot1.ops import ConvBnRelu, downsample, make_op


def vertex_channels(matrix, c_in: int, c_out: int) -> list[int]:
    """The benchmark's widths of every vertex of a pruned cell with output width ``c_out``."""
    v = len(matrix)
    channels = [c_in] + [0] * (v - 2) + [c_out]
    feeders = [t for t in range(1, v - 1) if matrix[t][v - 1]]
    if not feeders:
        return channels
    base, extra = divmod(c_out, len(feeders))
    for rank, t in enumerate(feeders):
        channels[t] = base + (rank < extra)
    for t in range(v - 3, 0, -1):
        if not matrix[t][v - 1]:
            channels[t] = max([channels[d] for d in range(t + 1, v - 1) if matrix[t][d]], default=0)
        if channels[t] <= 0:
            raise ValueError(f"vertex {t} of {matrix!r} gets no channels")
    return channels


def per_node_channels(matrix, c_in: int, width: int) -> list[int]:
    v = len(matrix)
    feeders = sum(matrix[t][v - 1] for t in range(1, v - 1))
    return [c_in] + [width] * (v - 2) + [width * max(feeders, 1)]


class Nb101Cell(nn.Module):
    def __init__(self, spec: ModelSpec, channels: list[int]):
        super().__init__()
        m, v = spec.matrix, spec.num_vertices
        self.matrix, self.channels = m, channels
        self.proj = nn.ModuleDict({str(t): ConvBnRelu(channels[0], channels[t], 1)
                                   for t in range(1, v - 1) if m[0][t]})
        self.ops = nn.ModuleDict({str(t): make_op(spec.ops[t], channels[t]) for t in range(1, v - 1)})
        self.proj_out = ConvBnRelu(channels[0], channels[-1], 1) if m[0][v - 1] else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, v, ch = self.matrix, len(self.matrix), self.channels
        tensors, concat = [x], []
        for t in range(1, v - 1):
            inputs = [self.proj[str(t)](x)] if m[0][t] else []
            inputs += [tensors[s][:, :ch[t]] for s in range(1, t) if m[s][t]]
            tensors.append(self.ops[str(t)](sum(inputs)))
            if m[t][v - 1]:
                concat.append(tensors[t])
        if not concat:
            return self.proj_out(x)
        out = torch.cat(concat, dim=1)
        return out if self.proj_out is None else out + self.proj_out(x)


class Nb101Network(nn.Module):
    def __init__(self, spec: ModelSpec, shape: DataShape, stem_channels: int = 128,
                 cells_per_stack: int = 3, stacks: int = 3, channel_rule: str = "nasbench"):
        super().__init__()
        self.spec = spec
        self.stem = ConvBnRelu(shape.in_channels, stem_channels, 3)
        widths = vertex_channels if channel_rule == "nasbench" else per_node_channels
        layers: list[nn.Module] = []
        c, width = stem_channels, stem_channels
        for s in range(stacks):
            if s > 0:
                layers.append(downsample())
                width *= 2
            for _ in range(cells_per_stack):
                channels = widths(spec.matrix, c, width)
                layers.append(Nb101Cell(spec, channels))
                c = channels[-1]
        self.layers = nn.ModuleList(layers)
        self.classifier = nn.Linear(c, shape.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        return self.classifier(x.mean(dim=(2, 3)))
