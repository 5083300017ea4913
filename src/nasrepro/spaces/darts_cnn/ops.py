"""Candidate operations of the DARTS CNN space (thesis §1.2.4; Liu et al. 2019), in DARTS'
PRIMITIVES order, and the cell-input preprocessing.

sep_conv_kxk = (ReLU, depthwise kxk, pointwise 1x1, BN) twice; dil_conv_kxk = ReLU, depthwise
kxk dilation 2, pointwise 1x1, BN; pools are 3x3 (average excludes padding); skip_connect is
identity at stride 1 and FactorizedReduce at stride 2; none outputs zeros (subsampled at stride 2).
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.pooling import AvgPool3x3

OPS: tuple[str, ...] = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                        "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out, affine=affine))


class DilConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 dilation: int, affine: bool):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_in, kernel, stride, padding, dilation=dilation,
                                   groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False),
                         nn.BatchNorm2d(c_out, affine=affine))

    def from_relu(self, r: torch.Tensor) -> torch.Tensor:
        """The op on ``r = relu(x)``: a supernet computes the ReLU once per input."""
        return self[3](self[2](self[1](r)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_relu(self[0](x))


class SepConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool):
        super().__init__(DilConv(c_in, c_in, kernel, stride, padding, 1, affine),
                         DilConv(c_in, c_out, kernel, 1, padding, 1, affine))

    def from_relu(self, r: torch.Tensor) -> torch.Tensor:
        return self[1](self[0].from_relu(r))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_relu(torch.relu(x))


class Zero(nn.Module):
    def __init__(self, stride: int):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0) if self.stride == 1 else x[:, :, ::self.stride, ::self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two stride-2 1x1 convolutions on offset grids, concatenated."""

    def __init__(self, c_in: int, c_out: int, affine: bool):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def from_relu(self, r: torch.Tensor) -> torch.Tensor:
        shifted = nn.functional.pad(r[:, :, 1:, 1:], (0, 1, 0, 1))  # odd sizes: keep shapes equal
        return self.bn(torch.cat([self.conv_1(r), self.conv_2(shifted)], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_relu(self.relu(x))


def make_op(name: str, channels: int, stride: int, affine: bool) -> nn.Module:
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return AvgPool3x3(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels, affine)
    if name.startswith("sep_conv_"):
        k = int(name[-1])
        return SepConv(channels, channels, k, stride, k // 2, affine)
    if name.startswith("dil_conv_"):
        k = int(name[-1])
        return DilConv(channels, channels, k, stride, k - 1, 2, affine)
    raise ValueError(f"unknown DARTS operation {name!r}; known: {OPS}")


def preprocess(c_prev_prev: int, c_prev: int, c: int, reduction_prev: bool, affine: bool):
    """The two cell-input preprocessors: s0 (reduced if the previous cell reduced) and s1."""
    pre0 = FactorizedReduce(c_prev_prev, c, affine) if reduction_prev else \
        ReLUConvBN(c_prev_prev, c, 1, 1, 0, affine)
    return pre0, ReLUConvBN(c_prev, c, 1, 1, 0, affine)
