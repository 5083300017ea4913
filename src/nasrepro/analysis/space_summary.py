"""Table 1.1: the size, number of operations and number of edges of each search space, computed
from the spaces themselves (their operation and edge lists, their enumerations) by the formula
that reproduces the thesis' convention for that space (docs/methods.md, "Table 1.1"):

- DARTS CNN: every one of the 14 edges of both cells takes any of the 8 operations (``none``
  included), 8^(2x14) = 1.93e25 (the thesis' "~10^25"; the supernet's discrete choices); the
  derived cells (2 distinct inputs per node, non-``none`` operations) are far fewer:
  (prod_k C(k+2, 2) x 7^2)^2 = 1.08e18 (``derived``);
- DARTS RNN: node i (1..8) takes one of its i predecessors with one of the 5 operations
  (``none`` included), prod_i 5i = 8! x 5^8 = 1.58e10 (the thesis' "~1.5 x 10^10");
  ``edges`` the 36 edges of the relaxed cell;
- NAS-Bench-201: 5 operations on each of 6 edges, 5^6 = 15,625 (equal to the space's index range);
- NAS-Bench-101: 423,624 unique cells (Ying et al. 2019, by isomorphism-hash enumeration of all
  7-vertex DAGs with at most 9 edges; not re-enumerated here: hours in Python); 3 operations;
- NAS-Bench-1Shot1: the sum of its three spaces' sizes by the benchmark's rules (6,240 + 29,160 +
  363,648 = 399,048; ``spaces.nb1shot1.space``); the thesis prints NAS-Bench-101's 423,624. Every
  cell of the three spaces has exactly 9 edges (the thesis: NAS-Bench-101's "<= 9").
"""

from __future__ import annotations

from math import comb, factorial, prod

NB101_CELLS = 423_624  # Ying et al. 2019 (NAS-Bench-101), Sec. 2.2
NB101_MAX_EDGES = 9


def scientific(value: int) -> str:
    """An exact count as printed: the integer up to 10^9, else three significant figures."""
    return str(value) if value < 10**9 else f"{value:.2e}"


def summarize() -> dict[str, dict[str, str]]:
    """{space: {"size", "operations", "edges", "derived"?}} as strings (the table's cells)."""
    from nasrepro.spaces.darts_cnn import space as cnn
    from nasrepro.spaces.darts_rnn import model as rnn
    from nasrepro.spaces.nb1shot1 import space as one_shot
    from nasrepro.spaces.nb201 import space as nb201

    cnn_edges, cnn_ops = len(cnn.EDGES), len(cnn.OPS)
    derived = prod(comb(k + 2, 2) * len(cnn.NON_NONE) ** 2 for k in range(cnn.NODES))
    rnn_ops = len(rnn.OPS)
    nb201_size = len(nb201.OPS) ** len(nb201.EDGES)
    assert nb201_size == nb201.NUM_ARCHS
    one_shot_sizes = [one_shot.count_architectures(1), one_shot.num_choices(2),
                      one_shot.count_architectures(3)]
    return {
        "darts_cnn": {"size": scientific(cnn_ops ** (len(cnn.CELLS) * cnn_edges)),
                      "derived": scientific(derived ** len(cnn.CELLS)),
                      "operations": str(cnn_ops), "edges": str(cnn_edges)},
        "darts_rnn": {"size": scientific(factorial(rnn.STEPS) * rnn_ops ** rnn.STEPS),
                      "operations": str(rnn_ops), "edges": str(rnn.num_edges())},
        "nb101": {"size": str(NB101_CELLS), "operations": str(len(one_shot.OPS)),
                  "edges": f"≤ {NB101_MAX_EDGES}"},
        "nb1shot1": {"size": str(sum(one_shot_sizes)), "operations": str(len(one_shot.OPS)),
                     "edges": str(max(sum(one_shot.PARENTS[v]) for v in (1, 2, 3)))},
        "nb201": {"size": str(nb201_size), "operations": str(len(nb201.OPS)),
                  "edges": str(len(nb201.EDGES))},
    }
