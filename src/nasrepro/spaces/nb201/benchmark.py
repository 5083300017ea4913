"""NAS-Bench-201 (= NATS-Bench topology, "tss") benchmark: obtain, convert once, look up.

``obtain`` makes the official ``NATS-tss-v1_0-3ffb9-simple`` benchmark available as a folder: a
configured folder is used as it is; a ``.tar`` archive (local path, or downloaded from ``url``)
is checksum-verified and unpacked. ``convert`` reads it with the official reader (the
``nats_bench`` package, fast mode) into a long table with one row per
(index, arch, dataset, split, epochs): the per-seed accuracies and their mean, and the simulated
time of the entry (``TIME_COLUMNS``, issue #29: NATS-Bench's ``get_more_info(index, dataset,
hp=<epochs>, is_random=False)`` ``train-all-time``, the schedule's training time, and
``<split>-per-time``, one evaluation of the split; mean over seeds, seconds on NATS-Bench's GPUs;
NaN where the archive holds no times). Saved as Parquet; ``Nb201Benchmark.load`` reads only the
lookup columns into one array.

A conversion holds all 15,625 cells, or is refused (one line: how many are missing, from which
archive). A table with some cells only, on purpose (an offline stand-in, a rehearsal on a
fixture), is asked for with ``partial: true`` in the source; its metadata (``attrs``, kept in the
Parquet file) says so, and a lookup of a cell it lacks is one line that says why.

The thesis tables (e.g. Tables 3.3, 6.1) report, as NAS-Bench-201 does, the final-epoch accuracy
of the 200-epoch schedule, mean over the benchmark's training seeds, for the columns in
``THESIS_COLUMNS``.
"""

from __future__ import annotations

import logging
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nasrepro.analysis.random_search import SEARCH_EPOCHS
from nasrepro.registry import BENCHMARKS
from nasrepro.spaces.base import ConvertedBenchmark, MissingEntryError
from nasrepro.spaces.nb201.space import Nb201Arch, Nb201Space
from nasrepro.utils.download import MissingDataError, fetch

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build tables do
    import pandas as pd

log = logging.getLogger(__name__)

LOOKUP_COLUMNS = ["arch", "dataset", "split", "epochs", "mean_accuracy"]
# seconds: the schedule's training time (sum of its epochs' ``train_times``) and one evaluation of
# the split (mean of its ``eval_times`` over the epochs), each the mean over the seeds
TIME_COLUMNS = ["train_time", "eval_time"]


def _codes(column) -> tuple[np.ndarray, list]:
    """(integer code per row, distinct values) of a column: a pyarrow dictionary array or
    any array pandas can factorize."""
    if hasattr(column, "indices"):
        return column.indices.to_numpy(zero_copy_only=False), column.dictionary.to_pylist()
    import pandas as pd

    codes, values = pd.factorize(np.asarray(column))
    return codes, list(values)


# (target, column) -> (benchmark dataset, evaluation split)
THESIS_COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    ("cifar10", "valid"): ("cifar10-valid", "x-valid"),
    ("cifar10", "test"): ("cifar10", "ori-test"),
    ("cifar100", "valid"): ("cifar100", "x-valid"),
    ("cifar100", "test"): ("cifar100", "x-test"),
    ("ImageNet16-120", "valid"): ("ImageNet16-120", "x-valid"),
    ("ImageNet16-120", "test"): ("ImageNet16-120", "x-test"),
}
META_FILE = "meta.pickle.pbz2"


def _seconds(results: list, split: str, epochs: int) -> tuple[float, float]:
    """(training time of the schedule, one evaluation of ``split``) in seconds, mean over the
    seeds' ``ResultsCount``: NATS-Bench's ``train-all-time`` (the sum of the per-epoch
    ``train_times``) and ``<split>-per-time`` (the ``eval_times`` of ``<split>@<epoch>`` summed
    over the epochs, divided by their number); NaN where the archive holds no times."""
    train, evals = [], []
    for result in results:
        if result.train_times:
            train.append(sum(float(result.train_times[e]) for e in range(epochs)))
        if result.eval_times:
            evals.append(sum(float(result.eval_times[f"{split}@{e}"]) for e in range(epochs))
                         / epochs)
    return (float(np.mean(train)) if train else float("nan"),
            float(np.mean(evals)) if evals else float("nan"))


def _lookup_seconds(train, evaluation) -> np.ndarray:
    """The simulated seconds of looking an entry up: its schedule's training plus one evaluation
    of its split (NATS-Bench's ``simulate_train_eval``)."""
    return np.asarray(train, dtype=float) + np.asarray(evaluation, dtype=float)


def obtain(source: dict, work_dir: Path) -> Path:
    """Return a folder holding the official benchmark files (see module docstring)."""
    path = Path(source["path"])
    if path.is_dir():
        if not (path / META_FILE).exists():
            raise FileNotFoundError(f"{path} holds no {META_FILE}: point `benchmark.nb201.path` at "
                                    "the unpacked NATS-tss-v1_0-3ffb9-simple folder or its .tar")
        return path
    archive = fetch(path, source.get("url"), source.get("sha256"), "NAS-Bench-201 benchmark archive")
    target = Path(work_dir)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, EOFError) as error:
        raise MissingDataError(
            f"{archive} is not a readable tar archive ({error}): it is truncated or corrupted. "
            "Download it again, and set `sha256` in the config to catch this early.") from error
    metas = list(target.rglob(META_FILE))
    if not metas:
        raise FileNotFoundError(f"{archive} contains no {META_FILE}; is it the 'simple' tss archive?")
    return metas[0].parent


def convert(folder: Path, epochs: tuple[str, ...] = ("12", "200"), partial: bool = False,
            source: str | Path | None = None) -> pd.DataFrame:
    """Every cell, dataset, split and training schedule. A cell without its result file refuses
    the conversion (``source``: the archive named in the message; default ``folder``) unless
    ``partial``: then the cells present are converted and ``attrs["partial"]`` records
    {cells, of, source}."""
    import pandas as pd

    from nats_bench import create

    api = create(str(folder), "tss", fast_mode=True, verbose=False)
    present = [index for index in range(len(api))
               if (Path(folder) / f"{index:06d}.pickle.pbz2").exists()]
    absent = len(api) - len(present)
    if absent and not partial:
        raise MissingDataError(
            f"NAS-Bench-201 benchmark: {absent:,} of {len(api):,} cells have no result file in "
            f"{source or folder}: the archive is incomplete (a partial download or copy?). Use "
            "the whole NATS-tss-v1_0-3ffb9-simple archive, or set `partial: true` in its source "
            "for a table of the cells it has (a stand-in)")
    rows = []
    for index in present:
        arch = Nb201Arch.from_string(api.meta_archs[index]).to_string()
        for hp in epochs:
            results = api.query_meta_info_by_index(index, hp=hp)
            for dataset in results.get_dataset_names():
                per_seed = results.query(dataset)
                seeds = sorted(per_seed)
                for split in per_seed[seeds[0]].get_eval_set():
                    accs = [float(per_seed[s].get_eval(split)["accuracy"]) for s in seeds]
                    train, evaluation = _seconds([per_seed[s] for s in seeds], split, int(hp))
                    rows.append({"index": index, "arch": arch, "dataset": dataset, "split": split,
                                 "epochs": int(hp), "seeds": seeds, "accuracies": accs,
                                 "mean_accuracy": sum(accs) / len(accs),
                                 "train_time": train, "eval_time": evaluation})
        api.arch2infos_dict.pop(index, None)  # keep memory flat over 15,625 cells
    if not rows:
        raise FileNotFoundError(f"no benchmark result files (NNNNNN.pickle.pbz2) found in {folder}")
    table = pd.DataFrame(rows)
    if partial:
        table.attrs["partial"] = {"cells": len(present), "of": len(api),
                                  "source": str(source or folder)}
    return table


@BENCHMARKS.register("nb201")
class Nb201Benchmark(ConvertedBenchmark):
    """Lookups in a converted table (passed in, never global, so tests can inject one)."""

    space = "nb201"
    columns = THESIS_COLUMNS
    final_epochs = 200

    @staticmethod
    def build(source: dict, work_dir: Path) -> pd.DataFrame:
        """The converted table from the configured source (``obtain`` then ``convert``)."""
        return convert(obtain(source, work_dir), partial=bool(source.get("partial", False)),
                       source=source["path"])

    def __init__(self, table: pd.DataFrame):
        self.partial = table.attrs.get("partial")  # {cells, of, source} of a partial table
        self._index(*(table[c].to_numpy() for c in LOOKUP_COLUMNS),
                    seconds=_lookup_seconds(*(table[c].to_numpy() for c in TIME_COLUMNS))
                    if set(TIME_COLUMNS) <= set(table.columns) else None)

    @classmethod
    def load(cls, path):
        """Only the lookup columns, strings read dictionary-encoded: a full converted table
        (15,625 cells, about 400k rows) loads in a small fraction of a second (bench lookup)."""
        import pandas as pd
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.exists():
            return super().load(path)  # the error that says how to build it
        timed = set(TIME_COLUMNS) <= set(pq.read_schema(path).names)  # converted with times
        data = pq.read_table(path, columns=LOOKUP_COLUMNS + TIME_COLUMNS * timed,
                             read_dictionary=["arch", "dataset", "split"])
        bench = cls.__new__(cls)
        bench.partial = pd.read_parquet(path, columns=["index"]).attrs.get("partial")
        bench._index(*(data.column(c).combine_chunks() for c in LOOKUP_COLUMNS),
                     seconds=_lookup_seconds(*(data.column(c).to_numpy() for c in TIME_COLUMNS))
                     if timed else None)
        return bench

    def _index(self, arch, dataset, split, epochs, mean, seconds=None) -> None:
        """[cell, (dataset, split, epochs)] arrays of mean accuracies and of the simulated seconds
        of each lookup (``seconds``, NaN: not in the table, or a table without times)."""
        codes = [_codes(column) for column in (arch, dataset, split, epochs)]
        (arch_code, cells), (ds_code, datasets), (split_code, splits), (ep_code, budgets) = codes
        self._cells = {str(a): i for i, a in enumerate(cells)}
        self._keys = {(str(d), str(s), int(e)): (i * len(splits) + j) * len(budgets) + k
                      for i, d in enumerate(datasets) for j, s in enumerate(splits)
                      for k, e in enumerate(budgets)}
        self._values = np.full((len(cells), len(self._keys)), np.nan)
        where = (arch_code, (ds_code * len(splits) + split_code) * len(budgets) + ep_code)
        self._values[where] = np.asarray(mean, dtype=float)
        self._seconds = np.full_like(self._values, np.nan)
        if seconds is not None:
            self._seconds[where] = np.asarray(seconds, dtype=float)

    def cells(self) -> list[str]:
        """The arch strings of the cells the table has."""
        return list(self._cells)

    def accuracy(self, arch: Nb201Arch, dataset: str, split: str, epochs: int = 200) -> float:
        key = (arch.to_string(), dataset, split, int(epochs))
        row, col = self._cells.get(key[0]), self._keys.get(key[1:])
        value = np.nan if row is None or col is None else self._values[row, col]
        if np.isnan(value):
            where = (f"cell {Nb201Space().index(arch)} ({key[0]}) {dataset}/{split} at "
                     f"{epochs} epochs")
            if self.partial and row is None:
                partial = self.partial
                raise MissingEntryError(
                    f"the NAS-Bench-201 table is partial on purpose ({partial['cells']:,} of "
                    f"{partial['of']:,} cells, from {partial['source']}) and lacks {where}: "
                    "look up the cells it holds, or convert the whole archive")
            raise MissingEntryError(f"the NAS-Bench-201 table has no entry for {where}")
        return float(value)

    def column(self, target: str, column: str, epochs: int = 200) -> np.ndarray:
        """Every cell's value of one thesis column (``THESIS_COLUMNS[(target, column)]``, e.g.
        CIFAR-10 test: cifar10/ori-test) at ``epochs``, for the cells the table holds: the
        population the random-sampling row of the NAS-Bench-201 tables averages (issue #29)."""
        dataset, split = THESIS_COLUMNS[(target, column)]
        key = self._keys.get((dataset, split, int(epochs)))
        if key is None:
            raise MissingEntryError(f"the NAS-Bench-201 table has no {dataset}/{split} at "
                                    f"{epochs} epochs")
        values = self._values[:, key]
        return values[~np.isnan(values)]

    def search_lookups(self, target: str, epochs: int = SEARCH_EPOCHS
                       ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(cells, validation accuracy, simulated seconds) of every cell the table holds in
        ``target``'s validation column (``THESIS_COLUMNS[(target, "valid")]``, e.g. CIFAR-10:
        cifar10-valid/x-valid) after ``epochs``: all a search by lookup may read (issue #29). The
        seconds of a lookup are NATS-Bench's ``simulate_train_eval``: the schedule's training time
        plus one evaluation of the split. A table converted without times is one line."""
        dataset, split = THESIS_COLUMNS[(target, "valid")]
        key = self._keys.get((dataset, split, int(epochs)))
        if key is None:
            raise MissingEntryError(f"the NAS-Bench-201 table has no {dataset}/{split} at "
                                    f"{epochs} epochs")
        held = ~np.isnan(self._values[:, key])
        if np.isnan(self._seconds[held, key]).any():
            raise MissingEntryError(
                f"the NAS-Bench-201 table has no training time for {dataset}/{split} at {epochs} "
                "epochs (converted before times were read, or from an archive without them): "
                "convert the archive again (delete the table, rerun its rule)")
        cells = list(self._cells)
        return ([cells[i] for i in np.flatnonzero(held)], self._values[held, key],
                self._seconds[held, key])

    def thesis_metrics(self, arch: Nb201Arch, target: str, epochs: int = 200) -> dict[str, float]:
        """{'valid_acc', 'test_acc'} of ``arch`` for one thesis column group."""
        return {f"{col}_acc": self.accuracy(arch, *THESIS_COLUMNS[(target, col)], epochs=epochs)
                for col in ("valid", "test")}
