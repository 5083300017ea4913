"""A learning rate scaled for one step: DARTS' language-model loops scale the step's lr by the
batch's sequence length / BPTT (rnn/train_search.py, rnn/train.py; ``data.text``)."""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def scaled_lr(optimizer: torch.optim.Optimizer, factor: float):
    """Every param group's lr times ``factor`` inside the block, restored after it."""
    if factor == 1.0:
        yield
        return
    saved = [group["lr"] for group in optimizer.param_groups]
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * factor
    try:
        yield
    finally:
        for group, lr in zip(optimizer.param_groups, saved):
            group["lr"] = lr
