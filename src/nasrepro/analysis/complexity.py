"""Model complexity as NAS papers report it: parameters (excluding auxiliary heads, as DARTS'
``count_parameters_in_MB``) and multiply-adds of one forward pass (convolutions and linear
layers, counted by forward hooks; the "+x" column of Tables 5.1 and 6.2)."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module, exclude: tuple[str, ...] = ("auxiliary",)) -> int:
    return sum(p.numel() for name, p in model.named_parameters()
               if not any(part in name for part in exclude))


def count_multiply_adds(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one eval-mode forward pass on a zero input of ``input_shape`` (batch 1)."""
    total = 0

    def conv_hook(module: nn.Conv2d, inputs, output):
        nonlocal total
        per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() // output.shape[0] * per_output

    def linear_hook(module: nn.Linear, inputs, output):
        nonlocal total
        total += module.in_features * module.out_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape[1:]))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total
