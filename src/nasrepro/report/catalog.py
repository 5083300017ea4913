"""The thesis tables and figures the pipeline regenerates (``TABLES``, ``FIGURES``).

A table is an id, a title, the space whose runs fill it, and its reproduced columns; its rows and
the thesis' own numbers are ``config/thesis_values/<id>.csv`` (columns ``row``, ``run`` and one
per column key; ``run`` names the run that fills the row, empty for rows only quoted).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nasrepro.registry import FIGURES, TABLES

THESIS_VALUES = Path("config/thesis_values")


@dataclass(frozen=True)
class Column:
    """A reproduced column: ``field`` of ``eval/<target>/final.json``, mean ± std over seeds;
    ``error`` turns an accuracy into an error rate (100 - x)."""

    key: str
    label: str
    target: str
    field: str
    error: bool = False


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    space: str
    columns: tuple[Column, ...]

    def thesis_csv(self, root: Path = Path(".")) -> Path:
        return root / THESIS_VALUES / f"{self.id}.csv"

    def runs(self, root: Path = Path(".")) -> list[str]:
        with open(self.thesis_csv(root), newline="") as handle:
            return [row["run"] for row in csv.DictReader(handle) if row["run"]]

    def targets(self) -> list[str]:
        return sorted({c.target for c in self.columns})


@dataclass(frozen=True)
class FigureSpec:
    """Search curves (``derived_valid`` per epoch, mean ± std over seeds) of ``runs`` on ``space``."""

    id: str
    title: str
    space: str
    runs: tuple[str, ...]


def _register_table(spec: TableSpec) -> None:
    TABLES.register(spec.id)(spec)


NB201_TARGETS = (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100"), ("ImageNet16-120", "ImageNet16-120"))

_register_table(TableSpec(
    "table_6_1", "Table 6.1: Comparison results with NAS baselines on NAS-Bench-201.", "nb201",
    tuple(Column(f"{t}_{split}", f"{label} {split.title()} (%)", t, f"{split}_acc")
          for t, label in NB201_TARGETS for split in ("valid", "test"))))

_register_table(TableSpec(
    "table_6_2", "Table 6.2: Comparison results with state-of-the-art weight-sharing NAS "
    "approaches (DARTS search space).", "darts_cnn",
    (Column("cifar10_test_error", "CIFAR-10 test error (%)", "cifar10", "test_acc", error=True),
     Column("cifar100_test_error", "CIFAR-100 test error (%)", "cifar100", "test_acc", error=True),
     Column("imagenet_top1_top5", "ImageNet top-1 error (%)", "imagenet", "test_acc", error=True),
     Column("params_m", "Params (M)", "cifar10", "params_m"),
     Column("madds_m", "Multiply-adds (M)", "imagenet", "madds_m"))))

FIGURES.register("search_curves_nb201")(FigureSpec(
    "search_curves_nb201", "NAS-Bench-201 search curves (mean ± std over seeds)", "nb201",
    ("darts-1st", "darts-2nd", "gdas", "random-nas")))
