"""Stand-alone DARTS networks of one genotype (thesis §4.4.2, §6.4.3; DARTS' NetworkCIFAR and
NetworkImageNet): cells built from the genotype's genes (stride 2 on the inputs of reduction
cells), drop-path on every non-identity operation while training, an auxiliary head after the
cell at 2/3 depth, global pooling and a linear classifier. BatchNorm is affine.

ImageNet (``imagenet=True``): DARTS' two stems (three stride-2 convolutions, 224 -> 28), 14 cells.

Auxiliary head: DARTS' heads, which see the output of the cell at 2/3 depth: CIFAR (8x8 maps for
32x32 images): ReLU, 5x5 average pool stride 3, 1x1 conv to 128, BN, ReLU, 2x2 conv to 768, BN,
ReLU, linear; ImageNet (7x7 maps for 224x224 images): the same with pool stride 2 and without
the BN after the 2x2 conv (as DARTS trained it). For other map sizes (the default profile's small
images) the 5x5 pooling is replaced by adaptive pooling to 2x2, so the head keeps its layers and
parameter count (a documented adaptation).
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.base import DataShape
from nasrepro.spaces.darts_cnn.ops import make_op, preprocess
from nasrepro.spaces.darts_cnn.space import CONCAT, NODES, Genotype


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero each example's path with probability ``prob`` and rescale the survivors."""
    keep = 1.0 - prob
    mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device).bernoulli_(keep)
    return x.div(keep) * mask


class EvalCell(nn.Module):
    def __init__(self, genes, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool):
        super().__init__()
        self.pre0, self.pre1 = preprocess(c_prev_prev, c_prev, c, reduction_prev, affine=True)
        self.inputs = [j for _, j in genes]
        self.ops = nn.ModuleList(make_op(op, c, 2 if reduction and j < 2 else 1, affine=True)
                                 for op, j in genes)

    def forward(self, s0, s1, drop_prob: float):
        states = [self.pre0(s0), self.pre1(s1)]
        for n in range(NODES):
            node = 0
            for g in (2 * n, 2 * n + 1):
                h = self.ops[g](states[self.inputs[g]])
                if self.training and drop_prob > 0 and not isinstance(self.ops[g], nn.Identity):
                    h = drop_path(h, drop_prob)
                node = node + h
            states.append(node)
        return torch.cat([states[k] for k in CONCAT], dim=1)


class AuxiliaryHead(nn.Module):
    def __init__(self, channels: int, num_classes: int, map_size: int, imagenet: bool):
        super().__init__()
        darts_size, stride = (7, 2) if imagenet else (8, 3)
        pool = nn.AvgPool2d(5, stride=stride, padding=0, count_include_pad=False) \
            if map_size == darts_size else nn.AdaptiveAvgPool2d(2)
        self.features = nn.Sequential(
            nn.ReLU(inplace=True), pool,
            nn.Conv2d(channels, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            *([] if imagenet else [nn.BatchNorm2d(768)]), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(nn.Module):
    def __init__(self, arch: Genotype, shape: DataShape, C: int = 36, layers: int = 20,
                 auxiliary_weight: float = 0.4, imagenet: bool = False):
        super().__init__()
        self.arch, self.auxiliary_weight, self.drop_path_prob = arch, auxiliary_weight, 0.0
        self._aux_at = 2 * layers // 3
        if imagenet:
            self.stem0 = nn.Sequential(
                nn.Conv2d(shape.in_channels, C // 2, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(C // 2), nn.ReLU(inplace=True),
                nn.Conv2d(C // 2, C, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(C))
            self.stem1 = nn.Sequential(nn.ReLU(inplace=True),
                                       nn.Conv2d(C, C, 3, stride=2, padding=1, bias=False),
                                       nn.BatchNorm2d(C))
            c_prev_prev, c_prev, c_curr, reduction_prev, size = C, C, C, True, shape.height // 8
        else:
            self.stem0 = nn.Sequential(nn.Conv2d(shape.in_channels, 3 * C, 3, padding=1, bias=False),
                                       nn.BatchNorm2d(3 * C))
            self.stem1 = None
            c_prev_prev, c_prev, c_curr, reduction_prev, size = 3 * C, 3 * C, C, False, shape.height
        self.cells = nn.ModuleList()
        self.auxiliary = None
        for layer in range(layers):
            reduction = layer in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
                size = (size + 1) // 2
            genes = arch.reduce if reduction else arch.normal
            self.cells.append(EvalCell(genes, c_prev_prev, c_prev, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, NODES * c_curr
            if layer == self._aux_at and auxiliary_weight > 0:
                self.auxiliary = AuxiliaryHead(c_prev, shape.num_classes, size, imagenet)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, shape.num_classes)

    def _run(self, x: torch.Tensor):
        s0 = self.stem0(x)
        s1 = self.stem1(s0) if self.stem1 is not None else s0
        aux = None
        for layer, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if layer == self._aux_at and self.auxiliary is not None and self.training:
                aux = self.auxiliary(s1)
        return self.classifier(self.pool(s1).flatten(1)), aux

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[0]

    def train_outputs(self, x: torch.Tensor) -> list[tuple[float, torch.Tensor]]:
        """[(1, logits), (auxiliary_weight, auxiliary logits)] while training with the head."""
        logits, aux = self._run(x)
        return [(1.0, logits)] + ([(self.auxiliary_weight, aux)] if aux is not None else [])
