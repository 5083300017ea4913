"""Random sampling of a space (issue #29 item 1; Yang et al., "NAS evaluation is frustratingly
hard", ICLR 2020): the row "Random sampling" of the NAS-Bench-201 tables and the relative
improvement of every method row over it.

What the row averages is the benchmark table in use (rule ``space_mean``):

- a profile that looks its cells up (``evaluation.mode: benchmark``, the thesis profile): the
  exact mean and population std of each thesis column over **every cell of the table**, 15,625
  for NATS-Bench/NAS-Bench-201 (a ``partial: true`` table: the cells it holds, and it says so),
  at the lookups' own budget (200 epochs, ``Nb201Benchmark.final_epochs``);
- a profile that retrains its cells (the default profile: no benchmark table exists offline):
  its stand-in table is the one it has of uniformly sampled cells retrained with exactly the
  methods' protocol, the probe cells (``spaces.<space>.probes``: ``cells`` distinct cells drawn
  uniformly, evaluated on the search dataset by the ordinary ``evaluate`` rule); their mean and
  std, for the search dataset's columns only (the other datasets' cells stay empty);
- a DARTS space (``experiments.specs.SAMPLED_SPACES``: no benchmark table exists): K genotypes
  drawn uniformly and independently with a recorded seed (``sample_cells``; profile key
  ``random_sampling``, ``experiments.specs.RandomSampling``: K = 8 in the thesis profile), each the
  cell of a pseudo-run ``sampled-<k>`` retrained once (seed 0) by the ordinary ``evaluate`` rule,
  with the protocol of the tables' rows, on every target of the space's tables (or, with
  ``random_sampling.targets: search``, the default profile, on its search dataset only); the row
  is their mean and std per target and field, and it lists the genotypes.

The relative improvement (``relative_improvement``) is RI = 100 (A_method - A_random) / A_random
for a column where higher is better (accuracy, Kendall tau); for one where lower is better
(error, perplexity: ``Column.lower_is_better``) the sign is turned, RI = 100 (A_random -
A_method) / A_random, so that a method better than random sampling is positive in every column.
This module imports no torch (a table job reads its output); the lookups come in as arrays.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from nasrepro.utils.atomic import write_json

# the evaluated fields the row has: the NAS-Bench-201 benchmark's columns, the DARTS-space
# tables' ImageNet top-5 and the recurrent space's perplexities
FIELDS = ("valid_acc", "test_acc", "test_top5_acc", "valid_ppl", "test_ppl")
BENCHMARK, RETRAINED, SAMPLED = "benchmark", "retrained", "sampled"


def sample_cells(space, cells: int, seed: int) -> list[str]:
    """``cells`` architectures of ``space`` (a ``SearchSpace``) drawn uniformly and independently
    (``space.sample``: every genotype equally likely) from one ``random.Random(seed)`` stream, as
    strings: cell k is the k-th draw, whatever ``cells`` is. Draws may repeat (sampling with
    replacement: the sample mean is the space mean's unbiased estimate; in the DARTS spaces a
    repeat has probability ~1e-10)."""
    rng = random.Random(seed)
    return [space.to_string(space.sample(rng)) for _ in range(cells)]


def summarize(values) -> dict:
    """{mean, std (population, as NAS-Bench-201 and our table cells), n} of ``values``."""
    values = np.asarray(values, dtype=float)
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "n": int(values.size)}


def from_columns(columns: dict[tuple[str, str], np.ndarray], partial: dict | None = None) -> dict:
    """The row from every cell's value of each (target, field) column of a benchmark table."""
    values: dict = {}
    for (target, field), cells in columns.items():
        values.setdefault(target, {})[field] = summarize(cells)
    cells = max((v["n"] for fields in values.values() for v in fields.values()), default=0)
    return {"source": BENCHMARK, "cells": cells, "partial": partial, "values": values}


def from_finals(files: list[str | Path], seed: int | None = None) -> dict:
    """The row from the evaluations (``final.json``) of uniformly sampled cells (the probes;
    with ``seed``, the sampled pseudo-runs drawn with it): per target and field the mean over
    the cells evaluated there; ``genotypes``: each cell's run and architecture; ``nets``: per
    target the evaluation network they were retrained with (``final.json``'s ``net``)."""
    found: dict = {}
    genotypes: dict[str, str] = {}
    nets: dict[str, dict] = {}
    for path in files:
        result = json.loads(Path(path).read_text())
        genotypes[result["run"]] = result["arch"]
        if result.get("net"):
            nets[result["target"]] = result["net"]
        for field in FIELDS:
            if result.get(field) is not None:
                found.setdefault(result["target"], {}).setdefault(field, []).append(
                    float(result[field]))
    values = {target: {field: summarize(v) for field, v in fields.items()}
              for target, fields in found.items()}
    row = {"source": RETRAINED if seed is None else SAMPLED, "cells": len(genotypes),
           "partial": None, "values": values, "genotypes": genotypes, "nets": nets}
    return row if seed is None else {**row, "seed": seed}


def label(row: dict) -> str:
    """The row's ``Method`` cell: what it averages."""
    if row["source"] == BENCHMARK:
        held = (f"{row['cells']:,} of {row['partial']['of']:,} cells: a partial table"
                if row.get("partial") else f"all {row['cells']:,} cells of the benchmark")
        return f"Random sampling (space mean; {held})"
    if row["source"] == SAMPLED:
        return (f"Random sampling (K = {row['cells']} uniformly sampled genotypes, seed "
                f"{row['seed']}, retrained)" if row["cells"] else
                "Random sampling (not available: none of the space's tables is evaluated)")
    if not row["cells"]:
        return ("Random sampling (not available: no benchmark table and no probe cells; set "
                "spaces.<space>.probes or benchmark.<space>)")
    return f"Random sampling ({row['cells']} uniformly sampled cells, retrained)"


def stats(row: dict | None, target: str, field: str) -> dict | None:
    """{mean, std, n} of one column of the row, or None where it has none."""
    return ((row or {}).get("values") or {}).get(target, {}).get(field)


def relative_improvement(ours: float, random: float, lower_is_better: bool = False) -> float:
    """RI (module docstring), in percent: positive when ``ours`` is better than ``random``."""
    gain = (random - ours) if lower_is_better else (ours - random)
    return 100.0 * gain / random


def write(out: str | Path, space: str, row: dict) -> None:
    write_json(out, {"space": space, **row, "label": label(row)})
