"""EN²AS: efficient novelty-driven architecture search (thesis ch. 2, Alg. 1).

Supernet training (Alg. 1 lines 2-9): an archive A holds up to S continuous architecture
representations alpha_theta (one ``[edges, ops]`` tensor per ``arch_shapes`` name). While A is not
full, a representation is drawn from N(0, I) (its argmax cell is uniform over the space) and added;
once full, a uniformly chosen member m moves along the evolution-strategies estimate of the
gradient of its expected novelty (Eq. 2.5-2.6: ``perturbations`` Gaussian perturbations of scale
``sigma``, step ``gamma``; novelty = Eq. 2.4's mean Euclidean distance ||b - b_j||_2 to the ``k``
nearest archive cells, b the flattened one-hot of the argmax cell, with the archive fixed during
the step). ``novelty_distance: edges`` uses the §3.3.2 edge fraction d instead (NSAS' Eq. 3.5):
for cells of E edges ||b - b_j||_2 = sqrt(2 E d), so the neighbours are the same, but the mean
differs and the novelty scale is about sqrt(2 E) times larger with the thesis' L2 (e.g. up to
sqrt(12) on NAS-Bench-201), which scales the step of Eq. 2.6 at the same gamma. The cell trained in the step is the argmax
(``discretize``) of the new representation; only that single path takes the SGD step.

Model selection (line 11, Eq. 2.7): an evolutionary algorithm maximises the validation metric with
inherited weights (``parts.evolution``; population 100, 60 generations, mutation probability 0.2).

Defaults are the author's setup: S = 1000, k = 10, n = 10, sigma = 1, gamma = 0.01; 250 epochs
(NAS-Bench-201 protocol, Table 2.3). Choices where the thesis is silent: the N(0, I) initial
representations; the archive members, including m, are the reference set of Eq. 2.4 ("the
novelty of the archive"); candidates of the EA are scored in eval mode on the same
``eval_batches`` validation batches of ``eval_batch_size``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

from nasrepro.methods.base import SearchMethod, WeightConfig
from nasrepro.methods.parts.evolution import evolve
from nasrepro.methods.parts.novelty import METRICS, es_novelty_step
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class En2asConfig(WeightConfig):
    epochs: int = hp(250, 1)
    archive_size: int = hp(1000, 1)
    k: int = hp(10, 1)
    perturbations: int = hp(10, 1)
    sigma: float = hp(1.0, 0, low_open=True)
    gamma: float = hp(0.01, 0)
    ea_population: int = hp(100, 2)
    ea_generations: int = hp(60, 0)
    ea_mutation_prob: float = hp(0.2, 0, 1)
    eval_batches: int = hp(1, 1)
    eval_batch_size: int = hp(512, 1)
    novelty_distance: str = hp("l2", choices=METRICS,
                               doc="Eq. 2.4's ||b - b_j||_2 (l2) or the §3.3.2 edge fraction (edges)")


@METHODS.register("en2as")
class En2as(SearchMethod):
    Config = En2asConfig

    def __init__(self, ctx):
        super().__init__(ctx)
        size = self.cfg.archive_size
        self.archive = {name: torch.zeros(size, *shape) for name, shape in self.space.arch_shapes.items()}
        width = sum(e * o for e, o in self.space.arch_shapes.values())
        self.cells = torch.zeros(size, width)  # embed rows of the members' argmax cells
        self.filled = 0

    def member(self, m: int) -> dict[str, torch.Tensor]:
        return {name: rows[m] for name, rows in self.archive.items()}

    def _store(self, m: int, alpha: dict[str, torch.Tensor]):
        arch = self.space.discretize(alpha)
        for name, rows in self.archive.items():
            rows[m] = alpha[name]
        self.cells[m] = self.space.embed(arch)
        return arch

    def step(self, train_batch, valid_batch) -> dict:
        rng = self.ctx.rng
        gen = torch.Generator().manual_seed(rng.getrandbits(63))
        if self.filled < self.cfg.archive_size:
            m = self.filled
            alpha = {name: torch.randn(shape, generator=gen) for name, shape in self.space.arch_shapes.items()}
            self.filled += 1
        else:
            m = rng.randrange(self.cfg.archive_size)
            alpha = es_novelty_step(self.space, self.member(m), self.cells, self.cfg.k,
                                    self.cfg.perturbations, self.cfg.sigma, self.cfg.gamma, gen,
                                    self.cfg.novelty_distance)
        return {"train_loss": self.train_cell(train_batch, self._store(m, alpha))}

    def derive(self, valid_batches, final: bool = True):
        """Eq. 2.7 by the evolutionary algorithm over inherited-weight validation scores. For the
        per-epoch search curve (not ``final``) only its initial population is scored (a random
        search of ``ea_population`` cells): the full EA costs 3,100 evaluations."""
        batches = list(itertools.islice(valid_batches(self.cfg.eval_batch_size), self.cfg.eval_batches))
        space, rng = self.space, self.ctx.rng
        edges = int(space.embed(space.sample(rng)).sum())
        best, _ = evolve(lambda: space.sample(rng), lambda a: space.mutate(a, rng),
                         lambda a: self.inherited_score(a, batches), self.ctx.task.higher_is_better,
                         edges, rng, self.cfg.ea_population,
                         self.cfg.ea_generations if final else 0, self.cfg.ea_mutation_prob)
        return best

    def state_dict(self) -> dict:
        return {**super().state_dict(), "archive": {k: v.clone() for k, v in self.archive.items()},
                "cells": self.cells.clone(), "filled": self.filled}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.archive = {k: v.clone() for k, v in state["archive"].items()}
        self.cells, self.filled = state["cells"].clone(), state["filled"]
