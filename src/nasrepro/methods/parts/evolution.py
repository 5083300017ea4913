"""Model selection by an evolutionary algorithm on the trained supernet (thesis Eq. 2.7, Alg. 1
line 11): maximise the validation metric of a cell with inherited weights.

The thesis names "a baseline evolutionary algorithm" with population 100, 60 generations and
mutation probability 0.2 (the author's setup) and no further detail. Our choice: a (mu + lambda)
scheme. The initial population is uniformly sampled; each generation keeps the better half as
parents and fills the other half with children, each a uniformly chosen parent whose input edges
are each mutated with probability ``mutation_prob`` (``max(1, Binomial(edges, p))`` applications
of ``SearchSpace.mutate``). Every distinct cell is scored once (scores are cached) on the same
validation batches, so comparisons are paired. Returns the best cell ever scored.
"""

from __future__ import annotations

import random
from typing import Callable


def evolve(sample: Callable[[], object], mutate: Callable[[object], object],
           score: Callable[[object], float], maximize: bool,
           edges: int, rng: random.Random, population: int, generations: int,
           mutation_prob: float) -> tuple[object, float]:
    cache: dict = {}

    def fitness(arch) -> float:
        if arch not in cache:
            cache[arch] = score(arch)
        return cache[arch]

    def rank_key(arch):
        value = fitness(arch)
        return -value if maximize else value

    pop = [sample() for _ in range(population)]
    for _ in range(generations):
        parents = sorted(pop, key=rank_key)[:max(1, population // 2)]
        children = []
        while len(parents) + len(children) < population:
            child = rng.choice(parents)
            flips = sum(rng.random() < mutation_prob for _ in range(edges))
            for _ in range(max(1, flips)):
                child = mutate(child)
            children.append(child)
        pop = parents + children
    for arch in pop:
        fitness(arch)
    best = min(cache, key=rank_key)
    return best, cache[best]
