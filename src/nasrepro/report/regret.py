"""Figs. 5.2, 6.1, 6.4 (``FigureSpec`` kind ``regret``): the NAS-Bench-1Shot1 curves.

After every search epoch the search records the cell it derives (``arch`` in
``search/metrics.jsonl``). That cell is looked up in the NAS-Bench-101 table (``Nb101Benchmark``:
mean over the training repeats, at the table's largest budget, 108 epochs in NAS-Bench-101):

- validation error = 100 - validation accuracy (%);
- test regret = test error of the cell - the lowest test error of any cell of the search space
  (= best test accuracy of the space - test accuracy of the cell), as NAS-Bench-1Shot1 plots it.

Curves are mean ± std over seeds, one line per run; one row of panels per search space
(``nb1shot1-s1..s3``) and, per group of runs (``spec.groups``, e.g. T = 1 and T = 5 in Fig. 6.4),
a validation-error and a test-regret panel. The thesis draws space 3 only (Figs. 5.2, 6.1); the
rows for spaces 1 and 2 follow the issue. With the default profile's stand-in table (the cells
the searches derived, retrained on the stand-in data: ``spaces/nb1shot1/standin.py``) "best of the
space" is the best of the cells in that table, and the note under the figure says so.

Random sampling (issue #29 item 1; NAS-Bench-1Shot1 has figures, no tables): each panel has a
dashed horizontal line at the mean of its quantity over every cell of the space that the table in
use holds (``space_reference``: each distinct NAS-Bench-101 cell of the space once; with the
converted benchmark the whole space, with the stand-in its cells only), the level a randomly drawn
cell reaches on average; the legend names the number of cells.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nasrepro.experiments.specs import FigureSpec  # noqa: E402
from nasrepro.layout import parse_run_path  # noqa: E402
from nasrepro.report.figure import save, suptitle  # noqa: E402
from nasrepro.report.trajectories import _band  # noqa: E402
from nasrepro.utils.atomic import read_jsonl  # noqa: E402


def epoch_errors(records: list[dict], bench, epochs: int | None = None) -> dict[str, list[float]]:
    """{'valid_error': [...], 'test_regret': [...]} (percent), one value per search epoch, of the
    cells derived in ``records`` (module docstring); ``epochs``: the benchmark's training budget
    (default: the table's largest)."""
    from nasrepro.spaces.nb1shot1.space import Nb1Shot1Arch

    epochs = bench.budget if epochs is None else epochs
    archs = [Nb1Shot1Arch.from_string(r["arch"]) for r in records]
    variants = {a.variant for a in archs}
    if len(variants) != 1:
        raise ValueError(f"one search derives cells of one search space; got spaces {sorted(variants)}")
    best = bench.best_accuracy(variants.pop(), "test", epochs)
    out: dict[str, list[float]] = {"valid_error": [], "test_regret": []}
    for arch in archs:
        cell = arch.nb101_hash()
        out["valid_error"].append(100.0 - bench.hash_accuracy(cell, "valid", epochs))
        out["test_regret"].append(best - bench.hash_accuracy(cell, "test", epochs))
    return out


def space_reference(bench, variant: int, epochs: int | None = None) -> dict:
    """The random-sampling level of each panel of search space ``variant`` (module docstring):
    {'valid_error', 'test_regret'} -> ``analysis.space_mean.summarize`` (mean, std, n) over the
    space's cells of the table: 100 - validation accuracy, and best test accuracy - test
    accuracy (the same quantities as ``epoch_errors``)."""
    from nasrepro.analysis.space_mean import summarize

    epochs = bench.budget if epochs is None else epochs
    valid = bench.space_accuracies(variant, "valid", epochs)
    test = bench.space_accuracies(variant, "test", epochs)
    return {"valid_error": summarize(100.0 - valid), "test_regret": summarize(test.max() - test)}


PANELS = (("valid_error", "validation error (%)"), ("test_regret", "test regret (%)"))


def plot_regret(spec: FigureSpec, files: list[str], out_prefix: str, note: str) -> None:
    """Write ``<out_prefix>.png`` and ``.pdf``; ``files``: the searches' ``metrics.jsonl`` and
    one NAS-Bench-101 table (``.parquet``: converted, or the stand-in)."""
    from nasrepro.spaces.nb1shot1.benchmark import Nb101Benchmark
    from nasrepro.spaces.nb1shot1.space import variant_of

    tables = [f for f in files if f.endswith(".parquet")]
    if len(tables) != 1:
        raise ValueError(f"{spec.id}: give exactly one NAS-Bench-101 table (.parquet); got {tables}")
    bench = Nb101Benchmark.load(tables[0])
    curves: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for path in sorted(Path(f) for f in files if f.endswith("metrics.jsonl")):
        search = parse_run_path(path)
        if search.run in spec.runs:
            curves[(search.space, search.run)].append(epoch_errors(read_jsonl(path), bench))
    spaces = [s for s in spec.spaces if any(key[0] == s for key in curves)]
    if not spaces:
        raise ValueError(f"{spec.id}: no search of its runs {list(spec.runs)} on "
                         f"{list(spec.spaces)} among the inputs")
    groups = spec.groups or (("", spec.runs),)
    cols = 2 * len(groups)
    fig, axes = plt.subplots(len(spaces), cols, figsize=(3.9 * cols, 3.3 * len(spaces) + 0.9),
                             squeeze=False)
    for row, space in zip(axes, spaces):
        reference = space_reference(bench, variant_of(space))
        for g, (label, runs) in enumerate(groups):
            for ax, (key, ylabel) in zip(row[2 * g:2 * g + 2], PANELS):
                for run in runs:
                    if curves.get((space, run)):
                        _band(ax, [c[key] for c in curves[(space, run)]], run)
                ax.axhline(reference[key]["mean"], color="0.4", linestyle="--", linewidth=1,
                           label=f"random sampling (space mean, {reference[key]['n']:,} cells)")
                ax.set_title(f"{space}{f', {label}' if label else ''}", fontsize=8)
                ax.set_xlabel("search epoch")
                ax.set_ylabel(ylabel, fontsize=8)
                ax.grid(alpha=0.3)
                if ax.lines:
                    ax.legend(fontsize=7)
    suptitle(fig, spec.title)
    save(fig, out_prefix, note)
