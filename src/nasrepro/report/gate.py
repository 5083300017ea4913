"""The numeric regression gate (issue #29 item 5): ``python -m nasrepro diff-results``.

A snapshot (``Layout.snapshot``: ``tests/snapshots/<name>.json``, committed) holds what a build of
a profile produced: every cell of each table's CSV (``results/<profile>/tables/<id>.csv``), the
verdicts of the claims (``report/claims.csv``, or ``claims-<ids>.csv`` of a ``select:`` build)
and, for each figure, the SHA-256 of its PNG. Figure jobs write no data file beside the plot, so a
figure is compared by those bytes (its files carry no date: ``report.figure``): the gate says
*that* a figure changed, the tables and claims say *which numbers* moved.

The comparison is exact (tolerance 0 on the printed values) for everything a CPU build makes
deterministically: the searches and retrainings seed every generator and run with fixed thread
counts (``utils.seeding``), the tables print rounded means. Not deterministic, so never compared:
wall-clock quantities, i.e. our cells of the columns with a ``WALL_CLOCK_SOURCES`` source (search
cost in hours, Table 4.5's seconds and ratio to GDAS) and every cell but ``run`` of a
budget-matched random-search row (``jobs.is_random_search_run``: its budget is a measured search
time, so its draws and incumbent follow the clock) are stored as ``WALL_CLOCK`` and the claims
that read them (e.g. c4-cost-e2nas) are listed apart, without failing the gate; the cost report
(``report/cost*.csv``) is not part of the snapshot. ``--tolerance`` loosens the comparison of
numbers (absolute, on the printed values) for a build on another machine or library version,
where floating-point reductions may differ in the last digit.

A difference is reported cell by cell: table, row (``Method`` and ``run``), column (the CSV
header), old, new, delta (per number of the cell: a "mean ± std" cell has two); a row, column,
table or figure that appeared or went is one line each; a claim whose verdict (ours, on the
thesis' numbers, or ours under the released code) flipped is one line. ``--update`` rewrites the snapshot atomically.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from nasrepro.experiments.claims import Cell
from nasrepro.jobs import is_random_search_run
from nasrepro.registry import CLAIMS, TABLES
from nasrepro.utils.atomic import write_json

WALL_CLOCK_SOURCES = ("search_cost", "search_seconds", "search_ratio")
WALL_CLOCK = "(wall clock: not compared)"
# ours, the thesis' own numbers', and ours with each released-code run in place of its thesis run
# (report.claims.released_claim, issue #25)
VERDICT_FIELDS = ("verdict", "thesis_verdict", "released_verdict")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ABSENT = "(absent)"
HEADER = ("table", "row", "column", "old", "new", "delta")


@dataclass(frozen=True)
class Change:
    """One difference: a cell (``row``, ``column``), or a whole row / column / table / figure
    (``column`` "(row)", ``row`` "(column)", both "(table)" or "(figure)") that appeared or went."""

    table: str
    row: str
    column: str
    old: str
    new: str
    delta: str

    def line(self) -> str:
        return "\t".join((self.table, self.row, self.column, self.old, self.new, self.delta))


@dataclass(frozen=True)
class Flip:
    """A claim whose verdict changed (``field``: ours, "verdict"; the thesis', "thesis_verdict"; ours
    under the released code, "released_verdict");
    ``wall_clock``: the claim reads a wall-clock column (reported, not failing the gate)."""

    claim: str
    field: str
    old: str
    new: str
    wall_clock: bool

    def line(self) -> str:
        note = " (reads wall-clock times: not counted)" if self.wall_clock else ""
        return f"{self.claim}\t{self.field}\t{self.old} -> {self.new}{note}"


@dataclass(frozen=True)
class Diff:
    changes: list[Change]
    flips: list[Flip]
    compared: dict[str, int]  # what was compared: tables, cells, figures, claims

    @property
    def failed(self) -> bool:
        return bool(self.changes) or any(not flip.wall_clock for flip in self.flips)


# ---------------------------------------------------------------------------- the snapshot
def is_wall_clock(table: str, header: str) -> bool:
    """Whether CSV column ``header`` of ``table`` is one of ours holding wall-clock times
    (``<ours label> [<ours tag>]``; the thesis' column beside it, ``[thesis]``, is compared)."""
    if table not in TABLES:
        return False
    return any(header.startswith(f"{column.ours_label} [")
               and header != f"{column.label} [{column.thesis_tag}]"
               for column in TABLES.get(table).columns if column.source in WALL_CLOCK_SOURCES)


def read_table(table: str, path: Path) -> dict:
    """{"columns": header, "rows": cells} of a table's CSV, our wall-clock cells as WALL_CLOCK
    (a random-search row: all but its run)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    timed = [i for i, name in enumerate(header) if is_wall_clock(table, name)]
    run = header.index("run") if "run" in header else None
    for row in rows:
        clocked = run is not None and run < len(row) and is_random_search_run(row[run])
        for i in range(len(row)) if clocked else timed:
            if i < len(row) and row[i] and i != run:
                row[i] = WALL_CLOCK
    return {"columns": header, "rows": rows}


def read_claims(path: Path) -> dict[str, dict[str, str]]:
    """{claim id: {verdict, thesis_verdict, released_verdict}} of a claims CSV (rule claims)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"]: {f: row[f] for f in VERDICT_FIELDS} for row in csv.DictReader(handle)}


def take(results: str | Path, items: list[str] | None, claims_name: str) -> dict:
    """The snapshot of a build under ``results`` (``results/<profile>``): its tables and figures
    (only ``items`` where given: a ``select:`` build) and the claims file ``report/<claims_name>
    .csv`` where it exists."""
    root = Path(results)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} does not exist: build the profile first (README command "
                                "1), or name another with --profile")
    chosen = (lambda name: name in items) if items else (lambda name: True)
    tables = {p.stem: read_table(p.stem, p) for p in sorted((root / "tables").glob("*.csv"))
              if chosen(p.stem)}
    figures = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted((root / "figures").glob("*.png")) if chosen(p.stem)}
    claims_file = root / "report" / f"{claims_name}.csv"
    claims = read_claims(claims_file) if claims_file.exists() else {}
    if not (tables or figures):
        raise FileNotFoundError(f"{root} holds no table or figure"
                                + (f" of {', '.join(items)}" if items else "")
                                + ": build them first")
    return {"tables": tables, "figures": figures, "claims": claims}


def load(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no snapshot at {path}: make it from a finished build with "
                                "`python -m nasrepro diff-results --update` (same --profile and "
                                "--select), then commit it")
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: str | Path, snapshot: dict) -> None:
    """Write ``snapshot`` atomically (one JSON file: a reader never sees half of it)."""
    write_json(path, snapshot)


# -------------------------------------------------------------------------- the comparison
def cell_delta(old: str, new: str, tolerance: float = 0.0) -> str | None:
    """None when ``old`` and ``new`` agree (numbers within ``tolerance``), else the delta: one
    signed difference per number when both cells have the same shape ("93.1 ± 0.2": two),
    "text" when the text around the numbers (or a non-numeric cell) differs."""
    if old == new:
        return None
    shape_old, shape_new = NUMBER.sub("#", old), NUMBER.sub("#", new)
    numbers_old, numbers_new = NUMBER.findall(old), NUMBER.findall(new)
    if shape_old != shape_new or not numbers_old:
        return "text"
    deltas = [float(b) - float(a) for a, b in zip(numbers_old, numbers_new)]
    if all(abs(d) <= tolerance * (1 + 1e-9) for d in deltas):  # 1e-9: 0.3 - 0.2 > 0.1 in floats
        return None
    places = max(_places(x) for x in numbers_old + numbers_new)
    return " / ".join(f"{d:+.{places}f}" for d in deltas)


def _places(number: str) -> int:
    mantissa = number.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def row_keys(table: dict) -> dict[str, list[str]]:
    """{row name: cells}: ``Method (run)`` (the first two columns), a repeated name numbered."""
    out: dict[str, list[str]] = {}
    columns = table["columns"]
    for row in table["rows"]:
        named = dict(zip(columns, row))
        base = named.get("Method", row[0] if row else "")
        name = f"{base} ({named['run']})" if named.get("run") else base
        key, n = name, 1
        while key in out:
            n += 1
            key = f"{name} #{n}"
        out[key] = row
    return out


def diff_table(name: str, old: dict, new: dict, tolerance: float = 0.0) -> tuple[list[Change], int]:
    """The changes of one table, and how many cells were compared."""
    changes = [Change(name, "(column)", column, *(("", ABSENT) if column in old["columns"]
                                                  else (ABSENT, "")), "")
               for column in list(dict.fromkeys(old["columns"] + new["columns"]))
               if (column in old["columns"]) != (column in new["columns"])]
    old_rows, new_rows = row_keys(old), row_keys(new)
    shared = [c for c in old["columns"] if c in new["columns"]]
    cells = 0
    for key in dict.fromkeys([*old_rows, *new_rows]):
        if key not in new_rows or key not in old_rows:
            gone = key not in new_rows
            changes.append(Change(name, key, "(row)", "" if gone else ABSENT,
                                  ABSENT if gone else "", ""))
            continue
        before = dict(zip(old["columns"], old_rows[key]))
        after = dict(zip(new["columns"], new_rows[key]))
        for column in shared:
            cells += 1
            a, b = before.get(column, ""), after.get(column, "")
            delta = cell_delta(a, b, tolerance)
            if delta is not None:
                changes.append(Change(name, key, column, a, b, delta))
    return changes, cells


def reads_wall_clock(claim_id: str) -> bool:
    """Whether a claim compares a wall-clock column (its verdict may flip with the machine)."""
    if claim_id not in CLAIMS:
        return False
    for pair in CLAIMS.get(claim_id).pairs:
        for side in pair:
            if isinstance(side, Cell) and side.table in TABLES and any(
                    c.key == side.key and c.source in WALL_CLOCK_SOURCES
                    for c in TABLES.get(side.table).columns):
                return True
    return False


def compare(old: dict, new: dict, tolerance: float = 0.0) -> Diff:
    """Every difference between snapshot ``old`` and the build's ``new``."""
    changes: list[Change] = []
    cells = 0
    for name in sorted(set(old["tables"]) | set(new["tables"])):
        if name not in new["tables"] or name not in old["tables"]:
            gone = name not in new["tables"]
            changes.append(Change(name, "(table)", "(table)", "" if gone else ABSENT,
                                  ABSENT if gone else "", ""))
            continue
        found, counted = diff_table(name, old["tables"][name], new["tables"][name], tolerance)
        changes += found
        cells += counted
    for name in sorted(set(old["figures"]) | set(new["figures"])):
        a, b = old["figures"].get(name, ABSENT), new["figures"].get(name, ABSENT)
        if a != b:
            changes.append(Change(name, "(figure)", "PNG sha256", a[:12], b[:12], "bytes"))
    flips = []
    for claim in sorted(set(old["claims"]) | set(new["claims"])):
        before, after = old["claims"].get(claim, {}), new["claims"].get(claim, {})
        for field in VERDICT_FIELDS:
            a, b = before.get(field, ABSENT), after.get(field, ABSENT)
            if a != b:
                flips.append(Flip(claim, field, a, b, reads_wall_clock(claim)))
    return Diff(changes, flips, {"tables": len(new["tables"]), "cells": cells,
                                 "figures": len(new["figures"]), "claims": len(new["claims"])})


def report(diff: Diff, results: str, snapshot: str) -> str:
    """The console text: the changed cells (tab-separated), the flipped verdicts, a summary."""
    lines = []
    if diff.changes:
        lines += ["\t".join(HEADER), *(change.line() for change in diff.changes)]
    if diff.flips:
        lines += ["claim verdicts flipped (claim, which verdict, old -> new):",
                  *(flip.line() for flip in diff.flips)]
    counts = diff.compared
    what = (f"{counts['tables']} tables ({counts['cells']} cells), {counts['figures']} figures, "
            f"{counts['claims']} claims")
    flipped = sum(not flip.wall_clock for flip in diff.flips)
    if diff.failed:
        lines.append(f"diff-results: {results} differs from {snapshot}: {len(diff.changes)} "
                     f"changes, {flipped} claim verdicts flipped ({what} compared). If the change "
                     "is intended, rerun with --update and say why in the commit message.")
    else:
        lines.append(f"diff-results: {results} matches {snapshot} ({what} compared)")
    return "\n".join(lines)
