"""RandomNAS: random search with weight sharing (Li & Talwalkar, 2019, [86]), the thesis' RandomNAS
baseline (Tables 2.1-2.3, 3.1-3.3, 4.1, 6.1).

Supernet training: every step trains one uniformly sampled single path on a training batch.
Selection (``derive``): ``num_candidates`` cells are sampled uniformly and each is scored by the
task metric with inherited supernet weights (the network in eval mode: BatchNorm running
statistics of the search), on ``eval_batches`` successive validation batches of
``eval_batch_size`` (0: one whole pass over the validation set, the same for every candidate);
then the ``rescore_top`` best are scored again on the whole validation set and the best of them
is returned (0: no re-scoring, the best candidate is returned).

Defaults: NAS-Bench-201 v1.0's RANDOM-NAS (250 epochs, 100 candidates scored on 1 batch of 512, no
re-scoring; the thesis follows [41] there). On the DARTS spaces the runs take [86]'s protocol
(``experiments.common``; ``experiments.protocols`` cites the lines): CNN 1,000 candidates on 10
minibatches each, the top 10 re-scored on the whole validation set
(searchers/random_weight_share.py, ``get_eval_arch``); PTB 1,000 candidates, each on the whole
validation set at batch 1,024 (the PTB wrapper's ``evaluate`` has no ``split`` argument, so [86]
re-scores nothing there). The per-epoch search curve (not ``final``) scores at most
``curve_candidates`` of them and re-scores none: [86] selects once, after training.
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
    eval_batches: int = hp(1, 0, doc="validation batches scoring a candidate (0: all, one pass)")
    eval_batch_size: int = hp(512, 1)
    rescore_top: int = hp(0, 0, doc="the best candidates re-scored on the whole validation set "
                                    "(0: none)")
    curve_candidates: int = hp(100, 1, doc="candidates of the per-epoch search curve (not final)")
    depth_constraint: bool = hp(False)


@METHODS.register("random-nas")
class RandomNas(SearchMethod):
    Config = RandomNasConfig

    def step(self, train_batch, valid_batch) -> dict:
        return {"train_loss": self.train_cell(train_batch, self.sample_cell())}

    def _whole(self, valid_batches, arch) -> float:
        """``arch`` scored on one whole pass over the validation set."""
        return self.inherited_score(arch, valid_batches(self.cfg.eval_batch_size, whole=True))

    def derive(self, valid_batches, final: bool = True):
        """Score the sampled candidates, re-score the best ``rescore_top`` (final only); the best."""
        cfg = self.cfg
        count = cfg.num_candidates if final else min(cfg.num_candidates, cfg.curve_candidates)
        stream = valid_batches(cfg.eval_batch_size) if cfg.eval_batches else None
        scored = []
        for _ in range(count):
            arch = self.sample_cell()
            score = (self.inherited_score(arch, list(itertools.islice(stream, cfg.eval_batches)))
                     if stream is not None else self._whole(valid_batches, arch))
            scored.append((score, arch))
        if final and cfg.rescore_top:
            scored = [(self._whole(valid_batches, arch), arch)
                      for _, arch in self._best_first(scored)[:cfg.rescore_top]]
        return self._best_first(scored)[0][1]

    def _best_first(self, scored: list) -> list:
        """(score, cell) pairs sorted best first; ties keep the sampling order (stable sort)."""
        return sorted(scored, key=lambda pair: pair[0], reverse=self.ctx.task.higher_is_better)
