"""NAS-Bench-201 candidate operations and the residual reduction block (thesis Fig. 1.5).

``nor_conv_kxk`` is ReLU -> Conv(k x k) -> BN; ``avg_pool_3x3`` is 3x3 average pooling (stride 1,
padding excluded from the average); ``skip_connect`` is identity; ``none`` outputs zeros.
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.spaces.pooling import AvgPool3x3


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool, track: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track),
        )


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(name: str, channels: int, affine: bool, track: bool) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, affine, track)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, affine, track)
    if name == "avg_pool_3x3":
        return AvgPool3x3(stride=1)
    raise ValueError(f"unknown NAS-Bench-201 operation {name!r}")


class ResidualReduction(nn.Module):
    """ResNet basic block with stride 2 between stages (the benchmark's ``ResNetBasicblock``)."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True, track: bool = True):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, affine, track)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, affine, track)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, stride=2, padding=0),
                                        nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))
