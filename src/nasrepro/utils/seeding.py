"""Deterministic seeding. Each epoch is re-seeded from (run seed, epoch), so a run resumed at an
epoch boundary draws exactly the random numbers an uninterrupted run draws."""

from __future__ import annotations

import random

import numpy as np
import torch


def epoch_seed(seed: int, epoch: int) -> int:
    return (int(seed) * 1_000_003 + int(epoch) * 7_919) % (2**31 - 1)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def make_deterministic(threads: int) -> None:
    """Single-process determinism on CPU (and cuDNN determinism on GPU)."""
    torch.set_num_threads(max(1, int(threads)))
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
