"""Figures of chapters 5-6 (``FigureSpec`` kinds ``epoch_stats`` and ``sweep``).

- ``epoch_stats``: one panel per per-epoch search statistic in ``spec.keys`` (``depth`` and
  ``skip_ratio`` of the derived normal cell, ``hessian_eig``: the Hessian's dominant eigenvalue;
  ``train.search``), one line per run, mean ± std over seeds (Figs. 5.4 a, 5.5, 5.6); with
  ``curve_targets``, a last panel with the validation curve of the found cells' retraining on the
  first of those targets the profile evaluates (Fig. 5.4 b: ImageNet in the thesis).
- ``sweep``: one panel per swept hyperparameter (``spec.sweeps``): test accuracy (the fields
  ``spec.keys``, default ``test_acc``) of the found cell on the search dataset
  (``eval/<dataset>/final.json``), mean ± std over seeds, against the value (Figs. 6.2, 4.4 a).
  Values whose run the profile does not build are left out.
- ``gamma_schedule``: Sig_gamma(b) of Eq. 4.16 over E²NAS' 250 NAS-Bench-201 epochs for each b of
  ``spec.values`` (Fig. 4.3), from E²NAS' own ``sigmoid_gamma``.

Inputs are the files the workflow passes (``figure_metrics`` in workflow/rules/common.smk).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

from nasrepro.experiments.specs import FigureSpec  # noqa: E402
from nasrepro.layout import parse_run_path  # noqa: E402
from nasrepro.report.figure import save, suptitle  # noqa: E402
from nasrepro.utils.atomic import read_jsonl  # noqa: E402

LABELS = {"depth": "depth of the derived normal cell",
          "skip_ratio": "skip-connection ratio of the derived normal cell",
          "hessian_eig": "dominant Hessian eigenvalue (validation loss, alpha)"}


def _load(files: list[str]):
    searches, curves, finals = defaultdict(list), defaultdict(list), defaultdict(list)
    for path in sorted(Path(f) for f in files):
        file = parse_run_path(path)
        if file.kind == "search":
            searches[file.run].append(read_jsonl(path))
        elif file.name == "metrics.jsonl":
            curves[file.run].append([r["valid_acc"] for r in read_jsonl(path) if "valid_acc" in r])
        elif file.name == "final.json":
            finals[file.run].append(json.loads(path.read_text()))
    return searches, curves, finals


def _band(ax, rows: list[list[float]], label: str) -> None:
    """Mean ± std over ``rows`` per epoch; a one-epoch curve (the rehearsal's) is a marker, which
    a line of one point would not show."""
    length = min(len(r) for r in rows)
    values = np.array([r[:length] for r in rows], dtype=float)
    x = np.arange(1, length + 1)
    mean, std = values.mean(axis=0), values.std(axis=0)
    ax.plot(x, mean, label=f"{label} (n={len(rows)})", marker="o" if length == 1 else None)
    ax.fill_between(x, mean - std, mean + std, alpha=0.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if length == 1:  # else the axis spans 0.95-1.05 with fractional epochs
        ax.set_xticks([1])


def _epoch_stats(spec: FigureSpec, files: list[str]):
    searches, curves, _ = _load(files)
    missing = [key for key in spec.keys
               if not all(key in r for runs in searches.values() for s in runs for r in s)]
    if missing:
        raise ValueError(f"{spec.id}: search records without {missing}; hessian_eig is recorded "
                         "only with search.hessian set in the profile")
    panels = len(spec.keys) + (1 if curves else 0)
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.4), squeeze=False)
    for ax, key in zip(axes[0], spec.keys):
        for run in spec.runs:
            if searches.get(run):
                _band(ax, [[r[key] for r in records] for records in searches[run]], run)
        ax.set_xlabel("search epoch")
        ax.set_ylabel(LABELS.get(key, key), fontsize=8)
        if key == "depth":  # a count of nodes: no fractional ticks
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    if curves:
        target = next(file.target for file in map(parse_run_path, files)
                      if file.kind == "eval" and file.name == "metrics.jsonl")
        ax = axes[0][-1]
        for run in spec.runs:
            if curves.get(run):
                _band(ax, curves[run], run)
        ax.set_xlabel(f"retraining epoch ({target})")
        ax.set_ylabel("validation accuracy (%) of the found cell", fontsize=8)
        ax.legend(fontsize=7)
    if panels > 1:  # the caption names its panels (a), (b), ...
        for letter, ax in zip("abcdefgh", axes[0]):
            ax.set_title(f"({letter})", fontsize=9)
    return fig


def _sweep(spec: FigureSpec, files: list[str]):
    _, _, finals = _load(files)
    keys = spec.keys or ("test_acc",)
    entries = [(label, [(value, finals[run]) for value, run in points if finals.get(run)])
               for label, points in spec.sweeps]
    if spec.overlay:   # one panel, one line per entry; entries the profile does not build left out
        ticks = sorted({float(value) for _, points in spec.sweeps for value, _ in points})
        entries = [(label, shown) for label, shown in entries if shown]
        if not entries:
            raise ValueError(f"{spec.id}: no evaluated run of any sweep among the inputs")
    fig, axes = plt.subplots(1, 1 if spec.overlay else len(entries),
                             figsize=(5.6 if spec.overlay else 4.4 * len(entries), 4.2), squeeze=False)
    for i, (label, shown) in enumerate(entries):
        if not shown:
            raise ValueError(f"{spec.id}: no evaluated run of the {label} sweep among the inputs")
        ax = axes[0][0 if spec.overlay else i]
        # overlay: the values are numbers on a shared axis; else evenly spaced labels
        x = [float(value) for value, _ in shown] if spec.overlay else np.arange(len(shown))
        for key in keys:
            values = [[float(r[key]) for r in results] for _, results in shown]
            name = " ".join(([label] if spec.overlay else []) + ([key.replace("_acc", "")] if len(keys) > 1 else []))
            ax.errorbar(x, [np.mean(v) for v in values], yerr=[np.std(v) for v in values],
                        marker="o", capsize=3, label=name or None,
                        linestyle="--" if key == "valid_acc" else "-")
        if spec.overlay:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        else:
            ax.set_xticks(x, [value for value, _ in shown])
        ax.set_xlabel(spec.values_label if spec.overlay else label)
        ax.set_ylabel("accuracy (%) of the found cell" if len(keys) > 1 else
                      "test accuracy (%) of the found cell")
        if spec.overlay or len(keys) > 1:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return fig


GAMMA_EPOCHS = 250  # E²NAS' NAS-Bench-201 search length (GDAS' protocol, §4.4.1.6)


def gamma_curves(values: tuple[float, ...], epochs: int = GAMMA_EPOCHS) -> dict[float, list[float]]:
    """Sig_gamma(b) of Eq. 4.16 per epoch for each b (E²NAS' own schedule function)."""
    from nasrepro.methods.parts.latent_novelty import sigmoid_gamma

    return {b: [sigmoid_gamma(t, epochs, b) for t in range(epochs)] for b in values}


def _gamma_schedule(spec: FigureSpec, files: list[str]):
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    for b, curve in gamma_curves(spec.values).items():
        ax.plot(range(len(curve)), curve, label=f"Sig_gamma({b:g})")
    ax.set_xlabel("epoch t")
    ax.set_ylabel("gamma(t)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_trajectories(spec: FigureSpec, files: list[str], out_prefix: str, note: str) -> None:
    """Write ``<out_prefix>.png`` and ``.pdf`` of an ``epoch_stats``, ``sweep`` or
    ``gamma_schedule`` figure."""
    draw = {"epoch_stats": _epoch_stats, "sweep": _sweep, "gamma_schedule": _gamma_schedule}[spec.kind]
    fig = draw(spec, files)
    suptitle(fig, spec.title)
    save(fig, out_prefix, note)
