"""The fast 3x3 average pooling equals torch's ``count_include_pad=False`` pooling, forward and
backward, at both strides and on odd and even map sizes (pooling.py)."""

import pytest
import torch
from torch import nn

from nasrepro.spaces.pooling import AvgPool3x3


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", [(7, 7), (8, 5), (1, 1), (2, 3)])
def test_equals_torch_average_pooling_without_padding(stride, size):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, *size, generator=gen, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    ours = AvgPool3x3(stride)(x)
    ref = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)(x_ref)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    upstream = torch.randn(ref.shape, generator=gen, dtype=torch.float64)
    ours.backward(upstream)
    ref.backward(upstream)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-12, atol=1e-12)
