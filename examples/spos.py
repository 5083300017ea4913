"""An example of a method that lives OUTSIDE the package: Single Path One-Shot (SPOS; Guo et al.,
"Single Path One-Shot Neural Architecture Search with Uniform Sampling", ECCV 2020).

Supernet training is RandomNAS' (one uniformly sampled single path per step); selection differs:
instead of scoring ``num_candidates`` independent random cells, an evolutionary search over cells
scored with inherited supernet weights on validation batches: a random population of
``population`` cells, then ``generations`` rounds in which each of the ``parents`` best cells
scored so far yields one mutant (``SearchSpace.mutate``: one choice changed); the best cell scored
is returned. Crossover, SPOS' FLOPs
constraint and its BatchNorm recalibration are left out (no space of this project defines a FLOPs
budget; the supernets keep BatchNorm running statistics during the search).

Used through a profile alone (``examples/spos.yaml``): ``plugins: [examples/spos.py]`` loads this
file, ``runs: {spos: {method: spos}}`` names a run of it, ``tables.<id>.extra_runs`` and
``figures.<id>.extra_runs`` place it beside the thesis' rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from nasrepro.methods.base import SearchMethod, WeightConfig
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class SposConfig(WeightConfig):
    epochs: int = hp(250, 1)
    population: int = hp(20, 2)
    parents: int = hp(5, 1)
    generations: int = hp(4, 0)
    eval_batches: int = hp(1, 1)
    eval_batch_size: int = hp(512, 1)


@METHODS.register("spos")
class Spos(SearchMethod):
    Config = SposConfig  # memory: "single path" (SearchMethod's default), like RandomNAS

    def step(self, train_batch, valid_batch) -> dict:
        return {"train_loss": self.train_cell(train_batch, self.space.sample(self.ctx.rng))}

    def derive(self, valid_batches, final: bool = True):
        """The best cell of the evolutionary search (the random population alone when not
        ``final``: the per-epoch search curve)."""
        batches = valid_batches(self.cfg.eval_batch_size)
        task = self.ctx.task
        scored: dict[str, tuple[object, float]] = {}

        def score(arch) -> None:
            key = self.space.to_string(arch)
            if key not in scored:
                fresh = list(itertools.islice(batches, self.cfg.eval_batches))
                scored[key] = (arch, self.inherited_score(arch, fresh))

        for _ in range(self.cfg.population):
            score(self.space.sample(self.ctx.rng))
        for _ in range(self.cfg.generations if final else 0):
            ranked = sorted(scored.values(), key=lambda item: item[1],
                            reverse=task.higher_is_better)
            for parent, _ in ranked[:self.cfg.parents]:
                score(self.space.mutate(parent, self.ctx.rng))
        best = max if task.higher_is_better else min
        return best(scored.values(), key=lambda item: item[1])[0]
