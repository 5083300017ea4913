"""NAS-Bench-101 (Ying et al., ICML 2019; Apache-2.0) as the benchmark of the NAS-Bench-1Shot1
spaces: ``nasbench_only108.tfrecord`` (or the full file) converted once into a long table, looked
up by cell hash.

``convert`` reads the TFRecord file without TensorFlow (``tfrecord``) into one row per record (cell
hash, training budget ``epochs``, ``repeat`` = the record's order among that cell's records at
that budget, 0..2): the fixed data (``index`` = order of the cell's first record in the file,
adjacency, operations, trainable parameters) and, as the benchmark's API reads them, the halfway
(``evaluation_data[1]``, epochs / 2) and final (``evaluation_data[2]``) training time and
train/validation/test accuracy. Accuracies stay fractions in the table.

Lookups (``thesis_metrics``) give the validation and test accuracy of a cell in percent, the mean
over the repeats at 108 epochs, as NAS-Bench-1Shot1 reports them.

``build`` also writes which NAS-Bench-1Shot1 search spaces each cell belongs to (column
``spaces``, ``space_bits``), so that the figures' "best cell of the space" (``best_accuracy``)
reads a column instead of enumerating and hashing the spaces' 152,076 cells in every figure job
(about 25 s each, `py-spy` on a rehearsal figure job, 2026-12-08). A table without the column
(the default profile's stand-in, a conversion made before it) enumerates, with the same result.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from nasrepro.registry import BENCHMARKS
from nasrepro.spaces.base import ConvertedBenchmark
from nasrepro.spaces.nb1shot1.space import PARENTS, Nb1Shot1Arch, distinct_cells
from nasrepro.spaces.nb1shot1.tfrecord import parse_record, read_records
from nasrepro.utils.download import fetch

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build tables do
    import pandas as pd

log = logging.getLogger(__name__)

POINTS = {"halfway": 1, "final": 2}  # index in evaluation_data (0 is the initialisation)
METRICS = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
SPLITS = {"valid": "validation_accuracy", "test": "test_accuracy", "train": "train_accuracy"}
SPACES = "spaces"  # bit v - 1 set: the cell is a (pruned) cell of NAS-Bench-1Shot1 search space v
# (target, column) -> (benchmark dataset, split), as for NAS-Bench-201
THESIS_COLUMNS = {("cifar10", "valid"): ("cifar10", "valid"), ("cifar10", "test"): ("cifar10", "test")}


def obtain(source: dict, work_dir: Path) -> Path:
    """The TFRecord file: the configured path (checksum-verified when ``sha256`` is set), else
    downloaded from ``url``."""
    return fetch(source["path"], source.get("url"), source.get("sha256"),
                 "NAS-Bench-101 data file (nasbench_only108.tfrecord)")


def convert(path: str | Path) -> pd.DataFrame:
    """Every record of the file (module docstring)."""
    import pandas as pd

    rows, index, repeats = [], {}, {}
    for number, data in enumerate(read_records(path)):
        record = parse_record(data)
        points = record.metrics.evaluation_data
        if len(points) < 3:
            raise ValueError(f"{path}: record {number} ({record.hash}) has {len(points)} evaluations; "
                             "NAS-Bench-101 records have 3 (start, halfway, end)")
        index.setdefault(record.hash, len(index))
        key = (record.hash, record.epochs)
        repeats[key] = repeats.get(key, -1) + 1
        row = {"index": index[record.hash], "hash": record.hash, "epochs": record.epochs,
               "repeat": repeats[key], "adjacency": record.adjacency,
               "operations": record.operations,
               "trainable_parameters": record.metrics.trainable_parameters}
        for point, at in POINTS.items():
            row.update({f"{point}_{name}": points[at][name] for name in METRICS})
        rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no records")
    log.info("read %d records of %d cells from %s", len(rows), len(index), path)
    return pd.DataFrame(rows)


def space_hashes(variant: int) -> set[str]:
    """The NAS-Bench-101 hash of every cell of search space ``variant`` (``distinct_cells``)."""
    return {arch.nb101_hash() for arch in distinct_cells(variant)}


def space_bits(hashes) -> list[int]:
    """For each NAS-Bench-101 cell hash, the search spaces it belongs to: bit v - 1 for space v."""
    members = {variant: space_hashes(variant) for variant in PARENTS}
    return [sum(1 << (v - 1) for v, inside in members.items() if cell in inside) for cell in hashes]


@BENCHMARKS.register("nb1shot1")
class Nb101Benchmark(ConvertedBenchmark):
    """Lookups in a converted table (passed in, never global, so tests can inject one)."""

    space = "nb1shot1"
    columns = THESIS_COLUMNS
    final_epochs = 108

    @staticmethod
    def build(source: dict, work_dir: Path) -> pd.DataFrame:
        table = convert(obtain(source, work_dir))
        table[SPACES] = space_bits(table["hash"])
        return table

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._means = table.groupby(["hash", "epochs"])[[f"final_{m}" for m in METRICS]].mean()
        self._space_hashes: dict[int, set[str]] = {}

    @property
    def budget(self) -> int:
        """The largest training budget (epochs) of the table: 108 in NAS-Bench-101."""
        return int(self.table["epochs"].max())

    def repeats(self, cell_hash: str, epochs: int = 108) -> pd.DataFrame:
        """The rows of every training repeat of a cell at one budget."""
        rows = self.table[(self.table["hash"] == cell_hash) & (self.table["epochs"] == int(epochs))]
        if rows.empty:
            raise KeyError(f"NAS-Bench-101 has no record of cell {cell_hash} at {epochs} epochs")
        return rows.sort_values("repeat")

    def hash_accuracy(self, cell_hash: str, split: str, epochs: int = 108) -> float:
        """Mean final accuracy (percent) over the repeats; ``split`` in train/valid/test."""
        key = (cell_hash, int(epochs))
        if key not in self._means.index:
            raise KeyError(f"NAS-Bench-101 has no record of cell {cell_hash} at {epochs} epochs")
        return 100.0 * float(self._means.loc[key, f"final_{SPLITS[split]}"])

    def accuracy(self, arch: Nb1Shot1Arch, dataset: str, split: str, epochs: int = 108) -> float:
        """``hash_accuracy`` of ``arch``'s NAS-Bench-101 cell (``dataset``: cifar10 only)."""
        if dataset != "cifar10":
            raise KeyError(f"NAS-Bench-101 has CIFAR-10 results only; got {dataset!r}")
        return self.hash_accuracy(arch.nb101_hash(), split, epochs)

    def thesis_metrics(self, arch: Nb1Shot1Arch, target: str = "cifar10",
                       epochs: int = 108) -> dict[str, float]:
        """{'valid_acc', 'test_acc'} (percent) of ``arch`` for one thesis column group."""
        if (target, "valid") not in THESIS_COLUMNS:
            raise KeyError(f"NAS-Bench-101 has CIFAR-10 results only; got target {target!r}")
        return {f"{col}_acc": self.accuracy(arch, *THESIS_COLUMNS[(target, col)], epochs=epochs)
                for col in ("valid", "test")}

    def space_accuracies(self, variant: int, split: str = "test", epochs: int = 108):
        """The mean accuracy (percent, over the repeats) of every cell of the table that belongs
        to search space ``variant``, each distinct NAS-Bench-101 cell once (membership: ``_members``)."""
        if variant not in self._space_hashes:
            self._space_hashes[variant] = self._members(variant)
        means = self._means.xs(int(epochs), level="epochs")[f"final_{SPLITS[split]}"]
        inside = means[means.index.isin(self._space_hashes[variant])]
        if inside.empty:
            raise KeyError(f"the table has no cell of search space {variant} at {epochs} epochs")
        return 100.0 * inside.to_numpy(dtype=float)

    def _members(self, variant: int) -> set[str]:
        """The table's column ``spaces`` where ``build`` wrote it, else the space enumerated."""
        if SPACES not in self.table:
            return space_hashes(variant)
        return set(self.table.loc[(self.table[SPACES] & (1 << (variant - 1))) != 0, "hash"])

    def best_accuracy(self, variant: int, split: str = "test", epochs: int = 108) -> float:
        """The best mean accuracy (percent) among the table's cells of search space ``variant``:
        the reference of the test regret of Figs. 5.2, 6.1, 6.4."""
        return float(self.space_accuracies(variant, split, epochs).max())
