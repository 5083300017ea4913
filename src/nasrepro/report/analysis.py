"""Forgetting and ranking figures of chapters 2-3, generic over runs and spaces (``FigureSpec``
kinds ``forgetting``, ``ranking``, ``tau_curves``, ``rank_scatter``).

Inputs, as the workflow passes them: each run's ``search/metrics.jsonl`` (``probe_valid``,
``sampled_valid`` per probed epoch), the probe cells' ground truth (``probe-<i>/seed0/eval/
<search dataset>/{final.json,metrics.jsonl}``) and the found cells' ``eval/<search dataset>/
final.json``. Ground truth is ``valid_acc`` (benchmark validation accuracy, or retraining
validation accuracy), the thesis' "retraining" ranking (§3.4.1.3).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nasrepro.analysis.ranking import kendall_tau  # noqa: E402
from nasrepro.experiments.specs import FigureSpec  # noqa: E402
from nasrepro.jobs import PROBE_PREFIX  # noqa: E402
from nasrepro.layout import parse_run_path  # noqa: E402
from nasrepro.report.figure import save, suptitle  # noqa: E402
from nasrepro.utils.atomic import read_jsonl  # noqa: E402


@dataclass
class AnalysisInputs:
    searches: dict[str, list[list[dict]]] = field(default_factory=lambda: defaultdict(list))
    truth: dict[int, float] = field(default_factory=dict)
    truth_curves: dict[int, list[float]] = field(default_factory=dict)
    truth_mode: str = "retrain"  # the probe cells' evaluation: "retrain" or "benchmark" lookup
    found: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def reference(self) -> list[float]:
        return [self.truth[i] for i in sorted(self.truth)]

    def probed(self, run: str) -> list[list[dict]]:
        """Per seed, the records of the epochs in which the probe cells were scored."""
        return [[r for r in records if "probe_valid" in r] for records in self.searches[run]]


def load(files: list[str]) -> AnalysisInputs:
    data = AnalysisInputs()
    for path in sorted(Path(f) for f in files):
        file = parse_run_path(path)
        if file.kind == "search":
            data.searches[file.run].append(read_jsonl(path))
        elif file.run.startswith(PROBE_PREFIX):
            index = int(file.run[len(PROBE_PREFIX):])
            if file.name == "final.json":
                result = json.loads(path.read_text())
                data.truth[index] = float(result["valid_acc"])
                data.truth_mode = result.get("mode", data.truth_mode)
            else:
                data.truth_curves[index] = [r["valid_acc"] for r in read_jsonl(path) if "valid_acc" in r]
        elif file.name == "final.json":
            data.found[file.run].append(float(json.loads(path.read_text())["valid_acc"]))
    return data


def _mean_std(rows: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    length = min(len(r) for r in rows)
    values = np.array([r[:length] for r in rows], dtype=float)
    return values.mean(axis=0), values.std(axis=0)


def _epochs(records: list[dict]) -> np.ndarray:
    return np.array([r["epoch"] + 1 if "epoch" in r else i + 1 for i, r in enumerate(records)])


# What a benchmark-scored "Arch-R" is (Figs. 3.1, 3.4 in a profile that looks the cells up): the
# benchmark's final validation accuracy, one value per cell, not a retraining curve
BENCHMARK_ARCH_R = ("Arch-R: one benchmark value per cell (final-epoch validation accuracy, "
                    "looked up), not a retraining curve")


def forgetting(spec: FigureSpec, data: AnalysisInputs, ax_list) -> None:
    # the first ``probes_shown`` probe cells, or all of them when the profile scores fewer
    # (issue #20: the rehearsal's 3 probes raised IndexError under Fig. 3.1's 4)
    scored = min(len(r["probe_valid"]) for seeds in map(data.probed, spec.runs)
                 for records in seeds for r in records)
    shown = range(min(spec.probes_shown, scored))
    if spec.retrained:  # one panel per run: Arch (inherited, solid) and Arch-R (retrained, dashed)
        looked_up = data.truth_mode == "benchmark"
        for ax, run in zip(ax_list, spec.runs):
            seeds = data.probed(run)
            for i, color in zip(shown, plt.cm.tab10.colors):
                mean, _ = _mean_std([[r["probe_valid"][i] for r in s] for s in seeds])
                ax.plot(_epochs(seeds[0])[:len(mean)], mean, color=color, label=f"Arch {i + 1}")
                curve = data.truth_curves.get(i)
                if looked_up and i in data.truth:  # a level line across the panel, not a curve
                    ax.axhline(data.truth[i], ls="--", color=color,
                               label=f"Arch-R {i + 1} (benchmark value)")
                elif curve:
                    ax.plot(np.arange(1, len(curve) + 1), curve, "--", color=color,
                            label=f"Arch-R {i + 1}")
            ax.set_title(run)
            ax.set_xlabel("search epoch" if looked_up else "epoch (search / retraining)")
            ax.set_ylabel("validation accuracy (%)")
            if looked_up:
                ax.text(0.5, 0.01, BENCHMARK_ARCH_R, transform=ax.transAxes, ha="center",
                        va="bottom", fontsize=6, wrap=True)
            ax.legend(fontsize=6, ncol=2)
        return
    sampled_ax, fixed_ax = ax_list
    for run, style in zip(spec.runs, ("-", "--", ":", "-.")):
        seeds = data.probed(run)
        mean, std = _mean_std([[r.get("sampled_valid", np.nan) for r in s] for s in seeds])
        epochs = _epochs(seeds[0])[:len(mean)]
        sampled_ax.plot(epochs, mean, style, label=run)
        sampled_ax.fill_between(epochs, mean - std, mean + std, alpha=0.15)
        for i, color in zip(shown, plt.cm.tab10.colors):
            mean, _ = _mean_std([[r["probe_valid"][i] for r in s] for s in seeds])
            fixed_ax.plot(epochs, mean, style, color=color, label=f"{run} arch {i + 1}")
    sampled_ax.set_title("(a) sampled cell")
    fixed_ax.set_title("(b) fixed cells")
    for ax in ax_list:
        ax.set_xlabel("search epoch")
        ax.set_ylabel("validation accuracy (%), inherited weights")
        ax.legend(fontsize=6)


def _final_taus(data: AnalysisInputs, run: str) -> list[float]:
    reference = data.reference()
    return [kendall_tau(s[-1]["probe_valid"], reference) for s in data.probed(run)]


def ranking(spec: FigureSpec, data: AnalysisInputs, ax_list) -> None:
    tau_ax, acc_ax = ax_list
    runs = list(spec.runs)
    taus = [_final_taus(data, r) for r in runs]
    tau_ax.bar(runs, [np.mean(t) for t in taus], yerr=[np.std(t) for t in taus], capsize=3)
    tau_ax.axhline(0, color="black", lw=0.5)
    tau_ax.set_ylabel(f"Kendall tau ({len(data.truth)} probe cells)")
    tau_ax.set_title("(a) supernet predictive ability")
    tau_ax.tick_params(axis="x", labelrotation=20, labelsize=7)
    _found_bars(spec, data, acc_ax)


def _found_bars(spec: FigureSpec, data: AnalysisInputs, ax) -> None:
    runs = list(spec.runs)
    found = [data.found.get(r, [np.nan]) for r in runs]
    ax.bar(runs, [np.mean(f) for f in found], yerr=[np.std(f) for f in found], capsize=3)
    ax.set_ylabel("validation accuracy (%) of the found cells")
    ax.set_title("(b) found cells, retrained / benchmark")
    ax.tick_params(axis="x", labelrotation=20, labelsize=7)


def tau_curves(spec: FigureSpec, data: AnalysisInputs, ax_list) -> None:
    ax, = ax_list
    reference = data.reference()
    for run in spec.runs:
        seeds = data.probed(run)
        mean, std = _mean_std([[kendall_tau(r["probe_valid"], reference) for r in s] for s in seeds])
        epochs = _epochs(seeds[0])[:len(mean)]
        ax.plot(epochs, mean, label=f"{run} (n={len(seeds)})")
        ax.fill_between(epochs, mean - std, mean + std, alpha=0.15)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("search epoch")
    ax.set_ylabel(f"Kendall tau ({len(reference)} probe cells)")
    ax.legend(fontsize=7)


def _ranks(values) -> np.ndarray:
    return np.argsort(np.argsort(-np.asarray(values, dtype=float))) + 1


def rank_scatter(spec: FigureSpec, data: AnalysisInputs, ax_list) -> None:
    scatter_ax, acc_ax = ax_list
    truth_rank = _ranks(data.reference())
    for run in spec.runs:
        seeds = data.probed(run)
        mean_scores = np.mean([s[-1]["probe_valid"] for s in seeds], axis=0)
        tau = np.mean(_final_taus(data, run))
        scatter_ax.scatter(truth_rank, _ranks(mean_scores), label=f"{run} (tau {tau:.2f})", s=14)
    scatter_ax.plot([1, len(truth_rank)], [1, len(truth_rank)], color="black", lw=0.5)
    scatter_ax.set_xlabel("ground-truth rank")
    scatter_ax.set_ylabel("supernet rank (mean score over seeds)")
    scatter_ax.set_title("(a) ranking of the probe cells")
    scatter_ax.legend(fontsize=6)
    _found_bars(spec, data, acc_ax)


PANELS = {"forgetting": forgetting, "ranking": ranking, "tau_curves": tau_curves,
          "rank_scatter": rank_scatter}


def plot_analysis(spec: FigureSpec, files: list[str], out_prefix: str, note: str) -> None:
    """Write ``<out_prefix>.png`` and ``.pdf`` of an analysis figure (panels in one file)."""
    data = load(files)
    missing = [run for run in spec.runs if not data.searches.get(run)]
    if missing or not spec.runs:
        raise ValueError(f"{spec.id}: no search metrics for runs {missing}")
    if not data.truth and spec.kind != "forgetting":
        raise ValueError(f"{spec.id}: no ground truth of the probe cells among the inputs")
    panels = len(spec.runs) if (spec.kind == "forgetting" and spec.retrained) else \
        1 if spec.kind == "tau_curves" else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.4), squeeze=False)
    PANELS[spec.kind](spec, data, list(axes[0]))
    suptitle(fig, spec.title)
    save(fig, out_prefix, note)
