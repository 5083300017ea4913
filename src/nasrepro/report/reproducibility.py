"""The seeds and the reproducibility level of a table's cells and rows (issue #29 item 2; Li and
Talwalkar, UAI 2019), as ``report.table`` writes them.

Per cell of ours with one value per seed (``has_stats``: an evaluated, ranking or search-time
column; our selected-cell and across-searches cells apart), from ``analysis.seeds.SeedStats``:
``n``, ``mean``, ``std`` (population, as the cell prints it), the 95 % percentile-bootstrap
interval ``ci_lo`` / ``ci_hi`` (none for one seed) at the cell's own decimals, and for a cell
that measures what the thesis printed (``comparable``: an evaluated or Kendall-tau column in the
thesis' unit) ``broad``: does the interval contain the thesis' printed value (yes / no / too few
seeds). In the CSV each is a column headed ``<label> [<tag>; <stat>]`` (``STATS``), after the
columns every format has (cell by cell, in their order: ``csv_headers``); in Markdown and LaTeX
the cell reads compactly "mean ± std (n=k)" (``compact``; the row's broad verdict beside it).

Per row, two cells (all formats):

- **Broad reproducibility**: over the row's comparable cells with both numbers, "yes" when every
  decidable interval contains the thesis' value, "no" when one does not (naming how many), "too
  few seeds" when none has two seeds (``row_broad``); empty where nothing compares;
- **Exact reproducibility**: "yes" for a row one of whose cells a test reruns from its recorded
  seed and gets identical values (``EXACT``: the test reads this registry, so the statement and
  the check are one list), else "not rerun by a test".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nasrepro.analysis.seeds import FEW, NO, YES, SeedStats
from nasrepro.experiments.specs import ACROSS_SUFFIX, PER_SEED, Column, TableSpec
from nasrepro.report.claims import parse_printed

# (row-key suffix, the header's tag suffix) of every statistic of a cell, in CSV order
STATS = (("n", "n"), ("mean", "mean"), ("std", "std"), ("ci_lo", "95% CI low"),
         ("ci_hi", "95% CI high"))
BROAD_STAT = ("broad", "95% CI contains thesis")
EXACT_HEADER = ("exact", "Exact reproducibility", "ours")
BROAD_HEADER = ("broad", "Broad reproducibility", "ours")
NOT_RERUN = "not rerun by a test"


@dataclass(frozen=True)
class ExactCheck:
    """A cell a test reruns from its recorded seed (``test``) and finds identical: table, the
    row's run, the column's key, the seed."""

    table: str
    run: str
    key: str
    seed: int
    test: str


# The cells rerun exactly (tests/workflow/test_exact_rerun.py reruns each from the shared slice of
# the default profile, tests/computed.py): a cheap one of the slice's NAS-Bench-201 table, one
# retraining of the cell EN²AS found with seed 0.
EXACT = (ExactCheck("table_2_3", "en2as", "cifar10_test", 0,
                    "tests/workflow/test_exact_rerun.py"),)


def has_stats(column: Column) -> bool:
    """Whether our cells of ``column`` hold one value per seed (the statistics apply)."""
    return column.reproduced and column.source in PER_SEED


def comparable(column: Column) -> bool:
    """Whether our cell measures what the thesis printed, in its unit (not a wall-clock time,
    not a quantity of ours in another unit, ``Column.ours``)."""
    return column.source in ("eval", "tau") and not column.ours


def cell_keys(spec: TableSpec, column: Column) -> dict[str, str]:
    """{row key: key of its values in ``report.table.collect``} of ``column``'s cells of ours
    that carry statistics: ours (the selected cell's, in a selecting table) and the
    across-searches cell."""
    if not has_stats(column):
        return {}
    across = column.key + ACROSS_SUFFIX
    return {f"{column.key}_reproduced": column.key, **({across: across} if spec.across(column)
                                                        else {})}


def places(mean: float, column: Column) -> int:
    """The decimals the cell prints (``report.table.decimals``)."""
    from nasrepro.report.table import decimals

    return decimals(mean, column.significant) if column.significant else column.digits


def stat_cells(key: str, column: Column, values: list, thesis_text: str = "") -> dict[str, str]:
    """{``<key>_<stat>``: text} of one cell's seed ``values``; ``thesis_text`` (the thesis' printed
    cell, for the selected or only cell of ours) adds ``<key>_broad``."""
    if not values or isinstance(values[0], str):
        return {}
    stats = SeedStats.of(values)
    digits = places(stats.mean, column)
    number = (lambda x: "" if x is None else f"{x:.{digits}f}")
    out = {f"{key}_n": str(stats.n), f"{key}_mean": number(stats.mean),
           f"{key}_std": number(stats.std), f"{key}_ci_lo": number(stats.ci and stats.ci[0]),
           f"{key}_ci_hi": number(stats.ci and stats.ci[1])}
    printed = parse_printed(thesis_text) if comparable(column) else None
    if isinstance(printed, tuple) and math.isfinite(stats.mean):  # a nan tau: nothing to compare
        out[f"{key}_broad"] = stats.broad(printed[0])
    return out


def row_broad(verdicts: list[str]) -> str:
    """The row's broad reproducibility from its cells' verdicts (module docstring)."""
    decided = [v for v in verdicts if v in (YES, NO)]
    if not verdicts:
        return ""
    if not decided:
        return FEW
    outside = decided.count(NO)
    if outside:
        return f"{NO} ({outside} of {len(decided)} cells outside the 95% CI)"
    return f"{YES} ({len(decided)} of {len(decided)} cells)"


def exact_text(spec: TableSpec, run: str, checks=EXACT) -> str:
    """The row's exact reproducibility: the registered rerun of one of its cells, or none."""
    label = {c.key: c.label for c in spec.columns}
    found = [c for c in checks if c.table == spec.id and c.run == run and run]
    if not found:
        return NOT_RERUN
    return "; ".join(f"{YES} ({label[c.key]}, seed {c.seed}, rerun on CPU: identical; {c.test})"
                     for c in found)


def csv_headers(spec: TableSpec, found: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``found`` (``report.table.headers``) and after them, cell by cell in their order, each
    statistic's column (the columns every format shares keep their places)."""
    with_stats = {key: column for column in spec.columns for key in cell_keys(spec, column)}
    out = []
    for key, label, tag in found:
        if key in with_stats:
            stats = STATS + ((BROAD_STAT,) if key.endswith("_reproduced")
                             and comparable(with_stats[key]) else ())
            out += [(f"{key}_{suffix}", label, f"{tag}; {name}") for suffix, name in stats]
    return found + out


def cell_of(key: str) -> str:
    """The row key of the cell a statistic's column ``key`` belongs to (``csv_headers``), or
    ``key`` itself."""
    for suffix, _ in STATS + (BROAD_STAT,):
        base = key[:-len(suffix) - 1]
        if key.endswith(f"_{suffix}") and base.endswith(("_reproduced", ACROSS_SUFFIX)):
            return base
    return key


def compact(row: dict, key: str) -> str:
    """A cell of ours as Markdown and LaTeX print it: the cell and its seeds, "94.30 ± 0.20
    (n=3)" (the interval: the CSV and the row's broad verdict)."""
    text = str(row.get(key, ""))
    if not text or f"{key}_n" not in row:
        return text
    return f"{text} (n={row[f'{key}_n']})"


LEGEND = ("(n=k): the seeds behind a cell of ours; with n >= 2 the CSV also gives the 95% "
          "interval of its mean (percentile bootstrap over the seed values, "
          "analysis.seeds.BOOTSTRAP: 10,000 resamples, generator seed 0) and, where the thesis "
          "printed the same quantity, whether the interval contains it. Broad reproducibility: "
          "every such interval of the row contains the thesis' value (yes), one does not (no), "
          "or no cell has two seeds (too few seeds); exact: a test reruns a cell of the row "
          "from its recorded seed and gets the same value (report.reproducibility.EXACT).")
