"""3x3 average pooling with padding 1 that leaves the padding out of the average
(``count_include_pad=False``, the pooling of the NAS-Bench-201 and DARTS cells), computed as a
depthwise convolution with a ones kernel divided by the number of real inputs of each window.

The result equals ``nn.AvgPool2d(3, stride, 1, count_include_pad=False)`` up to float rounding
(tests/spaces/test_pooling.py); on CPU it is several times faster forward and backward (the pooling
kernel was a quarter of a NAS-Bench-201 DARTS step; docs/performance.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_INV_COUNTS: dict[tuple, torch.Tensor] = {}


def _inverse_counts(height: int, width: int, stride: int, like: torch.Tensor) -> torch.Tensor:
    key = (height, width, stride, like.device, like.dtype)
    if key not in _INV_COUNTS:
        ones = torch.ones(1, 1, height, width, device=like.device, dtype=like.dtype)
        kernel = torch.ones(1, 1, 3, 3, device=like.device, dtype=like.dtype)
        _INV_COUNTS[key] = 1.0 / F.conv2d(ones, kernel, stride=stride, padding=1)
    return _INV_COUNTS[key]


class AvgPool3x3(nn.Module):
    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        kernel = x.new_ones(channels, 1, 3, 3)
        summed = F.conv2d(x, kernel, stride=self.stride, padding=1, groups=channels)
        return summed * _inverse_counts(x.shape[2], x.shape[3], self.stride, x)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, count_include_pad=False"
