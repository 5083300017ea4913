"""Budget-matched random search by lookup (issue #29 item 1; Lindauer and Hutter, "Best practices
for scientific research on NAS", JMLR 2020: random search under the same budget as the method):
the row "Random search (budget-matched ...)" of the NAS-Bench-201 tables.

The search (``search``): cells drawn uniformly and independently (with replacement, as
NATS-Bench's own ``random_wo_share.py`` baseline) from the lookup table with
``random.Random(seed)``; each draw "trains" its cell, i.e. spends the table's simulated time of
that lookup, and reads its validation accuracy; the draws stop when the next one would take the
spent time past the budget: **the crossing draw does not count** (so the search never uses more
than the method's time; NATS-Bench's baseline counts it, a departure for a strict match). The
incumbent is the draw with the best validation accuracy (the first such draw on a tie). With no
draw inside the budget (the budget is below one lookup) there is no incumbent and the row's
cells stay empty for that seed.

The budget is the matched run's measured search time (its ``search/run.json`` ``wall_time_s``,
the time the tables' search-cost columns read) times the profile's ``random_search.budget_scale``
(1 unless a profile scales it, as the rehearsal does; the label then says so), seed for seed: the search with seed s matches that
run's search with seed s. Each NAS-Bench-201 table names its matched run (``TableSpec
.budget_run``: the thesis' own method in the table, docs/methods.md).

The lookup table (``Lookups``): in a profile that looks its cells up, the converted benchmark at
``SEARCH_EPOCHS`` (NATS-Bench's ``simulate_train_eval``: validation accuracy and the seconds of 12
epochs of training plus one evaluation, on NATS-Bench's GPUs), reported at the benchmark's 200
epochs on every target like the other rows; in a profile that retrains its cells (the default),
its stand-in table: the uniformly sampled probe cells retrained on the search dataset, each with
its measured retraining time (the evaluation's ``run.json`` ``wall_time_s``), reported on the
search dataset only. Search-time decisions read validation accuracies and times only: the search
gets ``Lookups.for_search()``, whose reported (test) values are sealed (``SealedSplitRead``, as a
search job's ``DataBundle.for_search()``). This module imports no torch.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from nasrepro.analysis.space_mean import summarize
from nasrepro.data.protocols import SealedSplitRead
from nasrepro.utils.atomic import write_json

BENCHMARK, STANDIN = "benchmark", "stand-in"  # where the lookups come from (``Lookups.source``)
# the schedule a search reads in a benchmark, as NATS-Bench's own baselines do
# (``simulate_train_eval(arch, dataset, hp="12")``: validation accuracy and time after 12 epochs)
SEARCH_EPOCHS = 12


def _sealed(cell: str) -> dict:
    raise SealedSplitRead(f"a search by lookup read the reported (test) values of cell {cell}; "
                          "search-time decisions read validation accuracies and times only")


@dataclass(frozen=True)
class Lookups:
    """A lookup table of one space as a search by lookup reads it: ``cells`` (the order the
    draws index), per cell its validation accuracy on the search dataset (``valid``) and the
    simulated seconds of its lookup (``seconds``); ``report(cell)``: {target: {valid_acc,
    test_acc}}, what the row reports of the incumbent after the search."""

    cells: tuple[str, ...]
    valid: dict[str, float]
    seconds: dict[str, float]
    report: Callable[[str], dict]
    source: str

    def __post_init__(self):
        bad = [c for c in self.cells if not self.seconds[c] > 0]  # also NaN
        if bad:
            raise ValueError(f"random search: the lookup of cell {bad[0]} takes "
                             f"{self.seconds[bad[0]]} s; every lookup must take a positive time")

    def for_search(self) -> "Lookups":
        """The table with its reported values sealed: what ``search`` reads."""
        return replace(self, report=_sealed)


def search(lookups: Lookups, budget_s: float, seed: int) -> dict:
    """The budget-matched random search (module docstring): {seed, budget_s, used_s, draws (the
    cells counted, in order), incumbent (None without a draw), incumbent_valid, stopped_by (the
    crossing draw, not counted, and its seconds)}."""
    rng = random.Random(seed)
    used, draws, best = 0.0, [], None
    while True:
        cell = lookups.cells[rng.randrange(len(lookups.cells))]
        cost = float(lookups.seconds[cell])
        if used + cost > budget_s:
            break
        used += cost
        draws.append(cell)
        if best is None or lookups.valid[cell] > lookups.valid[best]:
            best = cell
    return {"seed": seed, "budget_s": float(budget_s), "used_s": used, "draws": draws,
            "incumbent": best, "incumbent_valid": None if best is None else lookups.valid[best],
            "stopped_by": {"cell": cell, "seconds": cost}}


def run(lookups: Lookups, measured_s: float, seed: int, matched: dict,
        budget_scale: float = 1.0) -> dict:
    """``search`` on the sealed table with the budget ``measured_s * budget_scale`` (the
    profile's ``random_search.budget_scale``, ``experiments.specs.RandomSearch``), then the
    incumbent's reported values (``values``: {target: {field: value}}) from the open one;
    ``matched``: {run, seed} of the search whose measured time ``measured_s`` is."""
    if not budget_scale > 0:
        raise ValueError(f"random search: budget scale {budget_scale}; give a positive number")
    found = search(lookups.for_search(), measured_s * budget_scale, seed)
    values = lookups.report(found["incumbent"]) if found["incumbent"] else {}
    return {**found, "values": values, "source": lookups.source, "cells": len(lookups.cells),
            "matched": matched, "budget_scale": budget_scale}


def write(out: str | Path, space: str, run_name: str, result: dict) -> None:
    """The result of pseudo-run ``run_name`` (``jobs.random_search_run``) with its seed."""
    write_json(out, {"space": space, "run": run_name, **result})


def summary(files: list[str | Path]) -> dict | None:
    """The row's record from the per-seed results (``run``'s files): per target and field the
    incumbents' {mean, std, n} over the seeds (``values``), the per-seed values (``per_seed``:
    {(target, field): [value, ...]} as lists keyed "target/field"), the matched run, the mean
    budget and draws; None without files."""
    if not files:
        return None
    results = sorted((json.loads(Path(f).read_text()) for f in files), key=lambda r: r["seed"])
    per_seed: dict[str, list[float]] = {}
    for result in results:
        for target, fields in result["values"].items():
            for field, value in fields.items():
                per_seed.setdefault(f"{target}/{field}", []).append(float(value))
    values: dict = {}
    for key, found in per_seed.items():
        target, field = key.split("/")
        values.setdefault(target, {})[field] = summarize(found)
    return {"matched": results[0]["matched"], "source": results[0]["source"],
            "seeds": [r["seed"] for r in results], "values": values, "per_seed": per_seed,
            "budget_s": float(np.mean([r["budget_s"] for r in results])),
            "draws": [len(r["draws"]) for r in results],
            "budget_scale": results[0].get("budget_scale", 1.0), "run": results[0]["run"]}


LABEL_PREFIX = "Random search (budget-matched: "  # the row's Method cell starts so (label)


def label(row: dict) -> str:
    """The row's ``Method`` cell: the budget it matched, and how many lookups fit in it."""
    matched = row["matched"]
    draws = "/".join(str(n) for n in row["draws"])
    table = (f"benchmark lookups, {SEARCH_EPOCHS} epochs" if row["source"] == BENCHMARK else
             "the probe cells' retrainings")
    scale = row.get("budget_scale", 1.0)
    times = "" if scale == 1 else f" x {scale:g} (random_search.budget_scale)"
    return (f"{LABEL_PREFIX}{matched['run']}'s search time{times}, "
            f"{_duration(row['budget_s'])}; {draws} draws of {table})")


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 3600 else f"{seconds / 3600:.2f} h"
