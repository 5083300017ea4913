"""NAS-Bench-101 operations (``nasbench/lib/base_ops.py``): ``conv3x3-bn-relu`` and
``conv1x1-bn-relu`` are Conv (no bias, 'same' padding) -> BatchNorm (affine) -> ReLU; ``maxpool3x3``
is 3x3 max pooling, stride 1, 'same' padding; projections are 1x1 conv-bn-relu; downsampling
between stacks is 2x2 max pooling with stride 2 ('same': ``ceil_mode``). BatchNorm uses PyTorch's
defaults (momentum 0.1, eps 1e-5) in place of TensorFlow's decay 0.997 (docs/methods.md)."""

from __future__ import annotations

from torch import nn

from nasrepro.spaces.nb1shot1.nb101 import CONV1X1, CONV3X3, MAXPOOL3X3


class ConvBnRelu(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int):
        super().__init__(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=False))


def make_op(name: str, channels: int) -> nn.Module:
    if name == CONV3X3:
        return ConvBnRelu(channels, channels, 3)
    if name == CONV1X1:
        return ConvBnRelu(channels, channels, 1)
    if name == MAXPOOL3X3:
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise ValueError(f"unknown NAS-Bench-101 operation {name!r}")


def downsample() -> nn.Module:
    return nn.MaxPool2d(2, stride=2, ceil_mode=True)
