"""BatchNorm handling for weight-sharing evaluation."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn


@contextmanager
def batch_statistics(model: nn.Module, grad: bool = False) -> Iterator[None]:
    """Evaluate with BatchNorm batch statistics (train mode) without changing running statistics.

    Weight-sharing supernets mix the statistics of many paths in their running buffers, so a
    sampled cell is scored with its own batch statistics, as one-shot NAS evaluation does.
    ``grad``: keep autograd on (e.g. for Hessian-vector products of the validation loss)."""
    was_training = model.training
    buffers = {k: v.clone() for k, v in model.state_dict().items()
               if "running_" in k or "num_batches_tracked" in k}
    model.train()
    try:
        with torch.set_grad_enabled(grad):
            yield
    finally:
        model.load_state_dict(buffers, strict=False)
        model.train(was_training)
