"""RandomNAS: random search with weight sharing (Li & Talwalkar, 2019), the thesis' RandomNAS
baseline (Tables 3.3, 6.1).

Supernet training: every step trains one uniformly sampled single path on a training batch.
Selection (Li & Talwalkar's "random search" stage, as in the NAS-Bench-201 v1.0 RANDOM-NAS
baseline): ``num_candidates`` cells (100) are sampled uniformly and each is scored by its
accuracy with inherited supernet weights on ``eval_batches`` validation batches (default 1 batch
of ``batch_size`` = 64 images per candidate, as in NAS-Bench-201); the best-scoring cell is
returned. BatchNorm uses batch statistics while scoring and running statistics are left untouched.
Default 250 epochs (NAS-Bench-201 protocol; the thesis does not state it).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from nasrepro.data.base import endless
from nasrepro.evaluation.metrics import batch_statistics, batches_accuracy
from nasrepro.methods.base import SearchMethod, WeightConfig
from nasrepro.registry import METHODS


@dataclass
class RandomNasConfig(WeightConfig):
    epochs: int = 250
    num_candidates: int = 100
    eval_batches: int = 1


@METHODS.register("random-nas")
class RandomNas(SearchMethod):
    Config = RandomNasConfig

    def step(self, train_batch, valid_batch) -> dict:
        arch = self.space.sample(random)
        return {"train_loss": self.weight_step(*train_batch, arch=arch)}

    def derive(self, valid_loader):
        """Score ``num_candidates`` random cells on successive validation batches; return the best."""
        batches = endless(valid_loader)
        best, best_score = None, -1.0
        with batch_statistics(self.supernet):
            for _ in range(self.cfg.num_candidates):
                arch = self.space.sample(random)
                chunk = list(itertools.islice(batches, self.cfg.eval_batches))
                score = batches_accuracy(lambda x, a=arch: self.supernet(x, arch=a), chunk, self.device)
                if score > best_score:
                    best, best_score = arch, score
        return best
