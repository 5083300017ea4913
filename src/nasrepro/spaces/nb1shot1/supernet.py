"""The one-shot model of NAS-Bench-1Shot1 (Zela et al. 2020, ``optimizers/darts/model_search.py``)
on NAS-Bench-101's skeleton: stem 3x3 conv-bn-relu (C channels), ``stacks`` stacks of
``cells_per_stack`` cells, 2x2 max-pool downsampling before stacks 2.. with the node width doubling
(C, 2C, 4C), global average pooling, linear classifier.

A cell of width w holds, for each operation node i = 1..n, a 1x1 projection of the cell input
(the candidate input 0 of node i) and the three operations; node i's input is the sum of its
candidate inputs 0..i-1 weighted by ``in<i>`` (plain sum where the inputs are no choice), its
output the ``ops``-weighted sum of the operations on that input. The cell output concatenates the
n node outputs (n w channels): block j = out_j * (s_j + out_0 * P_j), ``out`` the output weights
and P_j block j of a 1x1 projection of the cell input (the input -> output edge). With a discrete
cell this is NAS-Bench-101's output (the concatenation of the nodes feeding the output, plus the
projected input if it feeds the output) with zero blocks for the other nodes; NAS-Bench-1Shot1's
code adds out_0 * P to every block instead (docs/methods.md). Their extra 1x1 conv before the
pooling is left out, as NAS-Bench-101 has none.

Forwards (``weights``/``choice`` keyed like ``arch_shapes``):
- mixed (DARTS, Eq. 1.8): as above, every operation run;
- hard (GDAS): only operation ``choice['ops'][i]`` of node i runs, scaled by its weight, plus the
  other operations' (zero-valued) weights as constants; input and output weights as given;
- single path (``arch``): the cell's operations on its parents, only nodes that reach the output.
``subnet_state_dict(arch)`` gives ``Nb101Network(arch.nb101(), channel_rule='per_node')`` the
weights of that path, with which it computes exactly the single-path forward.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.base import DataShape
from nasrepro.spaces.nb1shot1.ops import ConvBnRelu, downsample, make_op
from nasrepro.spaces.nb1shot1.space import OPS, Nb1Shot1Arch, num_nodes, used_nodes


class OneShotCell(nn.Module):
    def __init__(self, c_in: int, width: int, n: int):
        super().__init__()
        self.n, self.width = n, width
        self.proj = nn.ModuleList(ConvBnRelu(c_in, width, 1) for _ in range(n))
        self.proj_out = ConvBnRelu(c_in, width * n, 1)
        self.ops = nn.ModuleList(nn.ModuleList(make_op(op, width) for op in OPS) for _ in range(n))

    def _node(self, i: int, x: torch.Tensor, weights, choice, arch) -> torch.Tensor:
        ops = self.ops[i - 1]
        if arch is not None:
            return ops[OPS.index(arch.ops[i - 1])](x)
        w = weights["ops"][i - 1]
        if choice is not None:
            k = choice["ops"][i - 1]
            return w[k] * ops[k](x) + torch.cat([w[:k], w[k + 1:]]).sum()
        return sum(w[k] * op(x) for k, op in enumerate(ops))

    def forward(self, s0: torch.Tensor, weights=None, choice=None, arch=None) -> torch.Tensor:
        n, states = self.n, {}
        need = set(used_nodes(arch.parents)) if arch is not None else set(range(1, n + 1))
        for i in range(1, n + 1):
            if i not in need:
                continue
            cand = lambda j: self.proj[i - 1](s0) if j == 0 else states[j]  # noqa: E731
            if arch is not None:
                x = sum(cand(j) for j in arch.parents[i - 1])
            elif f"in{i}" in weights:
                x = sum(weights[f"in{i}"][0, j] * cand(j) for j in range(i))
            else:  # no choice: the node takes all its candidate inputs
                x = sum(cand(j) for j in range(i))
            states[i] = self._node(i, x, weights, choice, arch)
        if arch is not None:
            w_out = [1.0 if j in arch.parents[-1] else 0.0 for j in range(n + 1)]
        else:
            w_out = weights["out"][0]
        proj = self.proj_out(s0) if arch is None or 0 in arch.parents[-1] else None
        blocks = []
        for j in range(1, n + 1):
            if arch is not None and j not in arch.parents[-1]:
                blocks.append(s0.new_zeros(s0.shape[0], self.width, *s0.shape[2:]))
                continue
            block = states[j]
            if proj is not None:
                block = block + w_out[0] * proj[:, (j - 1) * self.width: j * self.width]
            blocks.append(block if arch is not None else w_out[j] * block)
        return torch.cat(blocks, dim=1)


class Nb1Shot1Supernet(nn.Module):
    def __init__(self, shape: DataShape, variant: int = 3, C: int = 16, cells_per_stack: int = 3,
                 stacks: int = 3):
        super().__init__()
        self.variant, n = variant, num_nodes(variant)
        self.stem = ConvBnRelu(shape.in_channels, C, 3)
        layers: list[nn.Module] = []
        c_in = C
        for s in range(stacks):
            if s > 0:
                layers.append(downsample())
            for _ in range(cells_per_stack):
                layers.append(OneShotCell(c_in, C * 2 ** s, n))
                c_in = C * 2 ** s * n
        self.layers = nn.ModuleList(layers)
        self.classifier = nn.Linear(c_in, shape.num_classes)

    def forward(self, x: torch.Tensor, *, weights: dict[str, torch.Tensor] | None = None,
                choice: dict[str, list[int]] | None = None,
                arch: Nb1Shot1Arch | None = None) -> torch.Tensor:
        if arch is not None and arch.variant != self.variant:
            raise ValueError(f"cell of search space {arch.variant} on a space-{self.variant} supernet")
        if arch is None and weights is None:
            raise ValueError("Nb1Shot1Supernet.forward needs mixing weights or an arch")
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, weights, choice, arch) if isinstance(layer, OneShotCell) else layer(x)
        return self.classifier(x.mean(dim=(2, 3)))

    def subnet_state_dict(self, arch: Nb1Shot1Arch) -> dict[str, torch.Tensor]:
        """Weights of the path ``arch`` for ``Nb101Network(arch.nb101(), ..., 'per_node')``:
        input channels sliced to the blocks of the nodes feeding the previous cell's output."""
        sd = self.state_dict()
        state = {k: v.clone() for k, v in sd.items() if k.startswith("stem.")}
        vertices = used_nodes(arch.parents)  # pruned vertex t = 1, 2, ... is node vertices[t - 1]
        blocks = [j for j in arch.parents[-1] if j > 0]
        spec = arch.nb101()

        def rows(width: int) -> torch.Tensor:
            return torch.cat([torch.arange((j - 1) * width, j * width) for j in blocks])

        def copy(src: str, dst: str, out_idx=None, in_idx=None) -> None:
            for key, value in sd.items():
                if not key.startswith(src + "."):
                    continue
                value = value.clone()
                if value.dim() > 0 and out_idx is not None:
                    value = value[out_idx]
                if value.dim() == 4 and in_idx is not None:
                    value = value[:, in_idx]
                state[dst + key[len(src):]] = value

        in_idx = None
        for li, layer in enumerate(self.layers):
            if not isinstance(layer, OneShotCell):
                continue
            for t, i in enumerate(vertices, start=1):
                if spec.matrix[0][t]:
                    copy(f"layers.{li}.proj.{i - 1}", f"layers.{li}.proj.{t}", in_idx=in_idx)
                copy(f"layers.{li}.ops.{i - 1}.{OPS.index(arch.ops[i - 1])}", f"layers.{li}.ops.{t}")
            if 0 in arch.parents[-1]:
                copy(f"layers.{li}.proj_out", f"layers.{li}.proj_out", rows(layer.width), in_idx)
            in_idx = rows(layer.width)
        state["classifier.weight"] = sd["classifier.weight"][:, in_idx].clone()
        state["classifier.bias"] = sd["classifier.bias"].clone()
        return state
