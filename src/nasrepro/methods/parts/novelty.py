"""Novelty of a cell against an archive (thesis Eq. 2.4 / 3.5), the evolution-strategies novelty
step of EN²AS (Eq. 2.5-2.6) and the greedy novelty search of NSAS (Alg. 2, objective Eq. 3.4).

Cells are compared with the space's §3.3.2 distance (``SearchSpace.distance_matrix``, metric
"edges": NSAS' Eq. 3.5) or with Eq. 2.4's Euclidean distance ||b(a) - b(b)||_2 between behaviour
characterisations b = ``embed`` (the flattened one-hot of the discrete cell; metric "l2": EN²AS).
For two cells of E input edges each, ||b(a) - b(b)||_2 = sqrt(2 E d_edges(a, b)): the same nearest
neighbours, but the mean of Eq. 2.4 (and so the size of EN²AS' ES step, Eq. 2.6) differs. An
archive is held as the stacked ``embed`` rows of its cells, so one novelty costs one matrix product.
"""

from __future__ import annotations

import random

import torch

from nasrepro.spaces.base import SearchSpace


def knn_novelty(distances: torch.Tensor, k: int) -> torch.Tensor:
    """Eq. 2.4 / 3.5: the mean of the ``k`` smallest entries of each row of ``distances`` (all
    entries when a row has fewer than ``k``)."""
    k = min(k, distances.shape[-1])
    return distances.topk(k, dim=-1, largest=False).values.mean(dim=-1)


METRICS = ("edges", "l2")


def behaviour_distances(rows: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """Eq. 2.4's ||b_i - b_j||_2 for every pair of 0/1 ``embed`` rows (exact: 0 for equal cells)."""
    sq = rows.pow(2).sum(dim=1, keepdim=True) + others.pow(2).sum(dim=1) - 2.0 * rows @ others.T
    return sq.clamp(min=0.0).sqrt()


def novelty(space: SearchSpace, arch, archive: torch.Tensor, k: int, metric: str = "edges") -> float:
    """N(arch, A) of Eq. 2.4 / 3.5 against the ``embed`` rows ``archive``: the §3.3.2 distance
    (``metric`` "edges") or Eq. 2.4's Euclidean distance between the rows ("l2")."""
    if metric == "l2":
        distances = behaviour_distances(space.embed(arch)[None], archive)
    elif metric == "edges":
        distances = space.distance_matrix([arch], archive)
    else:
        raise ValueError(f"unknown novelty distance {metric!r}; expected one of {METRICS}")
    return float(knn_novelty(distances[0], k))


def es_novelty_step(space: SearchSpace, alpha: dict[str, torch.Tensor], archive: torch.Tensor,
                    k: int, n: int, sigma: float, gamma: float,
                    generator: torch.Generator, metric: str = "edges") -> dict[str, torch.Tensor]:
    """Eq. 2.6: alpha + gamma / (n sigma) * sum_i N(argmax(alpha + sigma eps_i), A) eps_i with
    eps_i ~ N(0, I), the Monte-Carlo estimate (Eq. 2.5) of the gradient of the expected novelty of
    the perturbed representation. Perturbed representations are discretised by the space (§2.3.1:
    "applied with the argmax operation before calculating the distance"); ``archive`` is fixed
    during the step."""
    grad = {name: torch.zeros_like(a) for name, a in alpha.items()}
    for _ in range(n):
        eps = {name: torch.randn(a.shape, generator=generator, dtype=a.dtype) for name, a in alpha.items()}
        arch = space.discretize({name: a + sigma * eps[name] for name, a in alpha.items()})
        score = novelty(space, arch, archive, k, metric)
        for name in grad:
            grad[name] += score * eps[name]
    return {name: a + gamma / (n * sigma) * grad[name] for name, a in alpha.items()}


def diversity(space: SearchSpace, archs: list) -> float:
    """The Eq. 3.4 objective: the sum of distances over the unordered pairs of ``archs``."""
    if len(archs) < 2:
        return 0.0
    return float(space.distance_matrix(archs, archs).triu(diagonal=1).sum())


def greedy_novelty_search(space: SearchSpace, archive: list, slot: int, recent: list,
                          candidates: int, rng: random.Random) -> object:
    """Alg. 2: the cell for ``archive[slot]``. Starting from the incumbent, ``candidates`` cells
    drawn from ``recent`` replace it when their novelty (Eq. 3.5, mean distance to the other
    members: k = |archive| - 1) is higher. With k covering all other members the novelty of the
    slot equals its share of the Eq. 3.4 objective, so the search never lowers the archive's
    diversity."""
    others = archive[:slot] + archive[slot + 1:]
    best = archive[slot]
    if not others or not recent:
        return best
    reference = torch.stack([space.embed(a) for a in others])
    best_score = novelty(space, best, reference, len(others))
    for _ in range(candidates):
        cand = rng.choice(recent)
        score = novelty(space, cand, reference, len(others))
        if score > best_score:
            best, best_score = cand, score
    return best
