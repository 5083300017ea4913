"""NAS-Bench-101 cells (Ying et al., ICML 2019): the model spec, its pruning and the graph hash.

A cell is an upper-triangular adjacency matrix over at most 7 vertices (vertex 0 the input, the
last the output) with an operation on every other vertex: ``conv3x3-bn-relu``,
``conv1x1-bn-relu`` or ``maxpool3x3``. Vertices that are not on a path from the input to the
output compute nothing that reaches the output and are removed (``prune``); a cell belongs to the
benchmark when, pruned, it has at most 7 vertices and at most 9 edges.

The benchmark keys its records by ``graph_hash`` of the pruned cell: every vertex starts from the
MD5 of the text of (out-degree, in-degree, label) with labels -1 (input), -2 (output) and the
operation's index in ``HASH_OPS``; then, as many rounds as there are vertices, a vertex's hash
becomes the MD5 of its sorted in-neighbour hashes, '|', its sorted out-neighbour hashes, '|', its
own hash; the cell's hash is the MD5 of the text of the sorted final hashes. Isomorphic cells
(vertices renumbered) get the same hash. This follows the description of ``hash_module`` in the
nasbench repository (``nasbench/lib/graph_util.py``), written anew here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nasrepro.spaces.base import InvalidArchError

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL3X3 = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
HASH_OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)  # the benchmark's label order
MAX_VERTICES = 7
MAX_EDGES = 9

Matrix = tuple[tuple[int, ...], ...]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def graph_hash(matrix: Matrix, labels: list[int]) -> str:
    """The benchmark's isomorphism-invariant hash of a labelled DAG (module docstring)."""
    vertices = range(len(matrix))
    ins = [[w for w in vertices if matrix[w][v]] for v in vertices]
    outs = [[w for w in vertices if matrix[v][w]] for v in vertices]
    hashes = [_md5(f"({len(outs[v])}, {len(ins[v])}, {labels[v]})") for v in vertices]
    for _ in vertices:
        hashes = [_md5("".join(sorted([hashes[w] for w in ins[v]])) + "|"
                       + "".join(sorted([hashes[w] for w in outs[v]])) + "|" + hashes[v])
                  for v in vertices]
    return _md5(str(sorted(hashes)))


@dataclass(frozen=True)
class ModelSpec:
    """A NAS-Bench-101 cell as given (``matrix``, ``ops``); ``pruned()`` is the benchmark's form."""

    matrix: Matrix
    ops: tuple[str, ...]

    def __post_init__(self):
        matrix = tuple(tuple(int(x) for x in row) for row in self.matrix)
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "ops", tuple(self.ops))
        n = len(matrix)
        if n < 2 or any(len(row) != n for row in matrix):
            raise InvalidArchError(f"a NAS-Bench-101 matrix is square with at least 2 vertices; "
                                   f"got {matrix!r}")
        if any(x not in (0, 1) for row in matrix for x in row):
            raise InvalidArchError(f"a NAS-Bench-101 matrix holds 0/1 entries; got {matrix!r}")
        if any(matrix[i][j] for i in range(n) for j in range(i + 1)):
            raise InvalidArchError(f"a NAS-Bench-101 matrix is strictly upper triangular (vertices "
                                   f"in topological order); got {matrix!r}")
        if len(self.ops) != n or self.ops[0] != INPUT or self.ops[-1] != OUTPUT or any(
                op not in HASH_OPS for op in self.ops[1:-1]):
            raise InvalidArchError(f"ops must be {INPUT!r}, {n - 2} of {HASH_OPS}, {OUTPUT!r}; "
                                   f"got {self.ops!r}")

    @property
    def num_vertices(self) -> int:
        return len(self.matrix)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def pruned(self) -> "ModelSpec":
        """The cell without the vertices that are not both reachable from the input and able to
        reach the output (the benchmark's pruning); vertex order otherwise kept."""
        n = self.num_vertices
        forward, stack = {0}, [0]
        while stack:
            v = stack.pop()
            for w in range(v + 1, n):
                if self.matrix[v][w] and w not in forward:
                    forward.add(w)
                    stack.append(w)
        backward, stack = {n - 1}, [n - 1]
        while stack:
            v = stack.pop()
            for u in range(v):
                if self.matrix[u][v] and u not in backward:
                    backward.add(u)
                    stack.append(u)
        keep = sorted(forward & backward)
        if n - 1 not in keep or 0 not in keep:
            raise InvalidArchError(f"the input does not reach the output in {self.matrix!r}")
        return ModelSpec(tuple(tuple(self.matrix[i][j] for j in keep) for i in keep),
                         tuple(self.ops[i] for i in keep))

    def is_valid(self) -> bool:
        """In the benchmark: pruned, at most 7 vertices and at most 9 edges."""
        try:
            pruned = self.pruned()
        except InvalidArchError:
            return False
        return pruned.num_vertices <= MAX_VERTICES and pruned.num_edges <= MAX_EDGES

    def labels(self) -> list[int]:
        return [-1] + [HASH_OPS.index(op) for op in self.ops[1:-1]] + [-2]

    def hash(self) -> str:
        """The benchmark key: ``graph_hash`` of the pruned cell."""
        pruned = self.pruned()
        return graph_hash(pruned.matrix, pruned.labels())

    def flat_matrix(self) -> str:
        """The record's ``raw_adjacency`` form: the matrix row by row as a 0/1 string."""
        return "".join(str(x) for row in self.matrix for x in row)

    @classmethod
    def from_record(cls, raw_adjacency: str, raw_operations: str) -> "ModelSpec":
        """A cell from a benchmark record's flat 0/1 adjacency string and comma-joined ops."""
        n = int(round(len(raw_adjacency) ** 0.5))
        if n * n != len(raw_adjacency):
            raise InvalidArchError(f"adjacency string of length {len(raw_adjacency)} is not square")
        bits = [int(c) for c in raw_adjacency]
        return cls(tuple(tuple(bits[i * n:(i + 1) * n]) for i in range(n)),
                   tuple(raw_operations.split(",")))
