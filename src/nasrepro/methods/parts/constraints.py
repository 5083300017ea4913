"""Which previously trained cells regularise the current step (thesis §3.3.2 and §3.4.2.3).

Strategies (``M`` constraints, recent cells ``C``):

- ``nsas``: Alg. 3 with Alg. 2. While the constraint archive has fewer than ``M`` cells, every
  trained cell joins it and the step uses the plain loss (Alg. 3 lines 2-4). Once full, the member
  most similar to the current cell (smallest §3.3.2 distance) is replaced by the greedy novelty
  search over ``candidates`` cells drawn from the ``C`` most recent cells (Alg. 2), and the
  archive is the constraint set.
- ``nsas-g``: an Alg. 3 archive of ``M - 1`` cells plus, as the last constraint, the complement
  of the current cell (``SearchSpace.complement``): the current cell's operations the archive does
  not cover, other operations elsewhere.
- ``nsas-lg``: the previous cell, an Alg. 3 archive of ``M - 2`` cells, then the complement.

§3.4.2.3 says both variants "strictly observe" Assumptions 1-2 (the constraints cover every
weight of the current cell; no two constraints share a weight). The Alg. 3 archive maximises
diversity but does not make its members disjoint, and the previous cell may equal a member, so
for ``M >= 3`` the constraints are made disjoint in order: the first (the previous cell for
``nsas-lg``, else the first archive member) is kept, each next one becomes its complement against
those before it (its own operation on an edge unless an earlier constraint has it there, else a
uniformly chosen operation none of them has), and the last is the current cell's complement
against all of them. With ``M = 2`` (the setting of Tables 3.5-3.7) there is nothing to make
disjoint and the constraints are the archive member (or previous cell) and the complement. A
space with too few operations per edge for ``M`` disjoint cells raises a clear error.
- ``rg``: ``M`` uniformly sampled cells. ``low``: the previous cell only. ``low-r``: the previous
  cell plus ``M - 1`` uniformly sampled cells.

A choice where the thesis is silent: the recent cells ``C`` are the ``recent`` cells trained
before the current step (the current one is added after its step).
"""

from __future__ import annotations

import random
from collections import deque
from typing import Callable

from nasrepro.methods.parts.novelty import greedy_novelty_search
from nasrepro.spaces.base import SearchSpace

STRATEGIES = ("nsas", "nsas-g", "nsas-lg", "rg", "low", "low-r")


class ConstraintSelector:
    def __init__(self, space: SearchSpace, strategy: str, m: int, recent: int, candidates: int,
                 sample: Callable[[], object] | None = None):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown constraint strategy {strategy!r}; use one of {STRATEGIES}")
        self.space, self.strategy, self.m, self.candidates = space, strategy, m, candidates
        self.sample = sample  # uniform cells for rg / low-r (default: space.sample)
        self.archive: list = []
        self.recent: deque = deque(maxlen=recent)
        self.previous = None
        self.archive_size = {"nsas": m, "nsas-g": m - 1, "nsas-lg": m - 2}.get(strategy, 0)

    def _update_archive(self, current, rng: random.Random) -> bool:
        """Alg. 3 lines 2-8 on the archive; whether it was full (constraints apply)."""
        if self.archive_size <= 0:
            return True
        if len(self.archive) < self.archive_size:
            self.archive.append(current)
            return False
        dist = self.space.distance_matrix([current], self.archive)[0]
        slot = int(dist.argmin())
        self.archive[slot] = greedy_novelty_search(self.space, self.archive, slot, list(self.recent),
                                                   self.candidates, rng)
        return True

    def select(self, current, rng: random.Random) -> list:
        """The constraint cells for a step that trains ``current`` (empty: plain loss)."""
        s, space = self.strategy, self.space
        sample = self.sample or (lambda: space.sample(rng))
        if s == "rg":
            return [sample() for _ in range(self.m)]
        if s in ("low", "low-r"):
            if self.previous is None:
                return []
            return [self.previous] + ([sample() for _ in range(self.m - 1)] if s == "low-r" else [])
        if s == "nsas-lg" and self.previous is None:
            return []
        if not self._update_archive(current, rng):
            return []
        base = list(self.archive)
        if s == "nsas":
            return base
        if s == "nsas-lg":
            base = [self.previous] + base
        disjoint: list = []                # Assumption 2 among the constraints (module docstring)
        for cell in base:
            disjoint.append(space.complement(cell, disjoint, rng) if disjoint else cell)
        return disjoint + [space.complement(current, disjoint, rng)]

    def observe(self, current) -> None:
        """Record the cell a step trained (the recent cells and the previous cell)."""
        self.recent.append(current)
        self.previous = current

    def state_dict(self) -> dict:
        to_s = self.space.to_string
        return {"archive": [to_s(a) for a in self.archive], "recent": [to_s(a) for a in self.recent],
                "previous": None if self.previous is None else to_s(self.previous)}

    def load_state_dict(self, state: dict) -> None:
        from_s = self.space.from_string
        self.archive = [from_s(a) for a in state["archive"]]
        self.recent.clear()
        self.recent.extend(from_s(a) for a in state["recent"])
        self.previous = None if state["previous"] is None else from_s(state["previous"])
