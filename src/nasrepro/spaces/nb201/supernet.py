"""NAS-Bench-201 macro skeleton (thesis §1.2.4): stem, three stages of N cells joined by residual
reduction blocks (channels C, 2C, 4C), BN-ReLU, global average pooling, linear classifier.

``Nb201Supernet`` holds every operation on every edge and offers three forwards:
- mixed (DARTS, Eq. 1.8): node j = sum_i sum_o w[e(j,i), o] * o(x_i), ``w`` = softmax(alpha);
- hard (GDAS): node j = sum_i (w[e, k_e] * o_{k_e}(x_i) + sum_{k != k_e} w[e, k]), only the
  sampled op computed; the other ops' (zero-valued) weights enter as constants, so every alpha of
  the edge gets gradient (the edge rule of AutoDL-Projects' GDAS and NASLib);
- single path (RandomNAS, evaluation): node j = sum_i o_{arch(e)}(x_i).
``Nb201Network`` is the stand-alone network of one cell; loaded with ``subnet_state_dict`` of a
supernet it computes exactly the supernet's single-path forward for that cell.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.nb201.ops import ResidualReduction, make_op
from nasrepro.spaces.nb201.space import EDGES, NUM_NODES, OPS, Nb201Arch


def _edge_key(edge: tuple[int, int]) -> str:
    return f"{edge[0]}<-{edge[1]}"


class Cell(nn.Module):
    """A 4-node cell whose edge e holds the candidate ops ``edge_ops[e]`` (a list of names)."""

    def __init__(self, channels: int, edge_ops: list[list[str]], affine: bool, track: bool):
        super().__init__()
        self.edge_ops = edge_ops
        self.edges = nn.ModuleDict({
            _edge_key(edge): nn.ModuleList(make_op(op, channels, affine, track) for op in names)
            for edge, names in zip(EDGES, edge_ops)
        })

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None,
                choice: list[int] | None = None) -> torch.Tensor:
        """``weights``: [edges, ops] tensor (mixed); with ``choice`` only op ``choice[e]`` of each
        edge runs, scaled by ``weights[e, choice[e]]`` when weights are given (hard forward)."""
        if weights is not None and choice is None:
            return self._mixed(x, weights)
        nodes = [x]
        for j in range(1, NUM_NODES):
            total = 0
            for e, edge in enumerate(EDGES):
                if edge[0] != j:
                    continue
                ops = self.edges[_edge_key(edge)]
                src = nodes[edge[1]]
                if choice is not None:
                    k = choice[e]
                    if weights is None and self.edge_ops[e][k] == "none":
                        continue  # single path: a none edge adds nothing
                    out = ops[k](src)
                    if weights is not None:  # w_k * out + sum of the other weights, one pass
                        rest = torch.cat([weights[e, :k], weights[e, k + 1:]]).sum()
                        out = torch.addcmul(rest, weights[e, k], out)
                    total = total + out
                else:
                    total = total + sum(op(src) for op in ops)
            if isinstance(total, int):  # every incoming edge was 'none' in a stand-alone cell
                total = torch.zeros_like(x)
            nodes.append(total)
        return nodes[-1]

    def _mixed(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Eq. 1.8, computed once per source node where the result is the same for every edge
        leaving it: ReLU (the first layer of both convolutions) and the average pooling (no
        parameters). ``none`` contributes w * 0 = 0 and is skipped: the value and every gradient
        equal those of the op-by-op sum (the golden-value test checks this)."""
        nodes = [x]
        relu: dict[int, torch.Tensor] = {}
        pool: dict[int, torch.Tensor] = {}
        for j in range(1, NUM_NODES):
            total = 0
            for e, edge in enumerate(EDGES):
                if edge[0] != j:
                    continue
                i = edge[1]
                src = nodes[i]
                edge_sum = None
                for k, (name, op) in enumerate(zip(self.edge_ops[e], self.edges[_edge_key(edge)])):
                    if name == "none":
                        continue
                    if name.startswith("nor_conv"):
                        if i not in relu:
                            relu[i] = torch.relu(src)
                        out = op[2](op[1](relu[i]))
                    elif name == "avg_pool_3x3":
                        if i not in pool:
                            pool[i] = op(src)
                        out = pool[i]
                    else:
                        out = op(src)
                    edge_sum = (weights[e, k] * out if edge_sum is None
                                else torch.addcmul(edge_sum, weights[e, k], out))
                total = total + edge_sum
            nodes.append(total)
        return nodes[-1]


class _Skeleton(nn.Module):
    def __init__(self, edge_ops: list[list[str]], num_classes: int, in_channels: int, C: int,
                 N: int, affine: bool, track_running_stats: bool):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(channels // 2, channels))
            layers.extend(Cell(channels, edge_ops, affine, track_running_stats) for _ in range(N))
        self.layers = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * C, num_classes)

    def _run(self, x: torch.Tensor, **cell_kwargs) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, **cell_kwargs) if isinstance(layer, Cell) else layer(x)
        x = self.pool(self.lastact(x)).flatten(1)
        return self.classifier(x)


class Nb201Supernet(_Skeleton):
    num_edges = len(EDGES)
    num_ops = len(OPS)

    def __init__(self, num_classes: int, in_channels: int = 3, C: int = 16, N: int = 5,
                 affine: bool = False, track_running_stats: bool = True):
        super().__init__([list(OPS) for _ in EDGES], num_classes, in_channels, C, N, affine,
                         track_running_stats)

    def forward(self, x: torch.Tensor, *, weights: dict[str, torch.Tensor] | None = None,
                choice: dict[str, list[int]] | None = None,
                arch: Nb201Arch | None = None) -> torch.Tensor:
        """Mixed (``weights``), hard (``weights`` + ``choice``) or single-path (``arch``) forward;
        ``weights``/``choice`` are keyed by the space's parameter name ``"cell"``."""
        if arch is not None:
            return self._run(x, weights=None, choice=[OPS.index(op) for op in arch.ops])
        if weights is None:
            raise ValueError("Nb201Supernet.forward needs mixing weights or an arch")
        return self._run(x, weights=weights["cell"], choice=None if choice is None else choice["cell"])

    def subnet_state_dict(self, arch: Nb201Arch) -> dict[str, torch.Tensor]:
        """Weights of the path ``arch`` renamed to the keys of ``Nb201Network(arch)``."""
        chosen = {_edge_key(edge): OPS.index(op) for edge, op in zip(EDGES, arch.ops)}
        state = {}
        for key, value in self.state_dict().items():
            parts = key.split(".")
            if "edges" in parts:
                at = parts.index("edges")
                edge, op_index = parts[at + 1], int(parts[at + 2])
                if op_index != chosen[edge]:
                    continue
                key = ".".join(parts[: at + 2] + ["0"] + parts[at + 3:])
            state[key] = value.clone()
        return state


class Nb201Network(_Skeleton):
    """Stand-alone network of one cell; 'none' edges are dropped (they contribute zero)."""

    def __init__(self, arch: Nb201Arch, num_classes: int, in_channels: int = 3, C: int = 16,
                 N: int = 5, affine: bool = True, track_running_stats: bool = True):
        edge_ops = [[op] if op != "none" else [] for op in arch.ops]
        super().__init__(edge_ops, num_classes, in_channels, C, N, affine, track_running_stats)
        self.arch = arch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, choice=None, weights=None)
