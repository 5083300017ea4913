"""RandomNAS: random search with weight sharing (Li & Talwalkar, 2019), the thesis' RandomNAS
baseline (Tables 3.3, 6.1), as NAS-Bench-201 v1.0 runs it (RANDOM-NAS).

Supernet training: every step trains one uniformly sampled single path on a training batch.
Selection: ``num_candidates`` cells (100) are sampled uniformly and each is scored by the task
metric with inherited supernet weights on ``eval_batches`` successive validation batches of
``eval_batch_size`` (1 batch of 512 images in NAS-Bench-201), with the network in eval mode
(BatchNorm running statistics accumulated during the search); the best-scoring cell is returned.
Default 250 epochs (NAS-Bench-201 protocol; the thesis does not state it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from nasrepro.methods.base import SearchMethod, WeightConfig
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class RandomNasConfig(WeightConfig):
    epochs: int = hp(250, 1)
    num_candidates: int = hp(100, 1)
    eval_batches: int = hp(1, 1)
    eval_batch_size: int = hp(512, 1)
    depth_constraint: bool = hp(False)


@METHODS.register("random-nas")
class RandomNas(SearchMethod):
    Config = RandomNasConfig

    def step(self, train_batch, valid_batch) -> dict:
        return {"train_loss": self.train_cell(train_batch, self.sample_cell())}

    def derive(self, valid_batches, final: bool = True):
        """Score ``num_candidates`` random cells on successive validation batches; return the best."""
        batches = valid_batches(self.cfg.eval_batch_size)
        task = self.ctx.task
        best, best_score = None, task.worst
        for _ in range(self.cfg.num_candidates):
            arch = self.sample_cell()
            score = self.inherited_score(arch, list(itertools.islice(batches, self.cfg.eval_batches)))
            if best is None or task.better(score, best_score):
                best, best_score = arch, score
        return best
