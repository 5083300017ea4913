"""Search-curve figure: per-epoch score of each run's derived architecture with inherited supernet
weights (``derived_valid`` in ``search/metrics.jsonl``, in the task's metric), mean ± std over
seeds. The provenance note (profile, data roles) is printed under the plot; files carry no
creation date, so the same inputs give byte-identical PNG and PDF files.

Every figure's title is the thesis caption; where a profile builds only some of the figure's runs
(the default profile's reduced grid), ``drawn_title`` adds a line naming the runs drawn and those
left out, so the caption never claims a curve the figure does not have."""

from __future__ import annotations

import textwrap
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from matplotlib.ticker import MaxNLocator  # noqa: E402

from nasrepro.layout import parse_run_path  # noqa: E402
from nasrepro.utils.atomic import atomic_path, read_jsonl  # noqa: E402


def drawn_runs(runs: tuple[str, ...], files: list[str]) -> list[str]:
    """The figure's ``runs`` that have a run file among ``files`` (what it draws), in order."""
    present = set()
    for path in files:
        try:
            present.add(parse_run_path(path).run)
        except ValueError:  # a benchmark table, not a run file
            continue
    return [run for run in runs if run in present]


def drawn_title(title: str, runs: tuple[str, ...], files: list[str]) -> str:
    """``title``, and when ``files`` hold only some of ``runs``, a second line naming the runs
    drawn and (up to three) those left out; a figure without runs (Fig. 4.3) keeps its title."""
    drawn = drawn_runs(runs, files)
    if not runs or len(drawn) == len(runs):
        return title
    left_out = [run for run in runs if run not in drawn]
    others = ", ".join(left_out) if len(left_out) <= 3 else f"the other {len(left_out)}"
    return (f"{title}\nDrawn here: {', '.join(drawn) or 'none'} ({len(drawn)} of its {len(runs)} "
            f"runs; {others} not built by this profile)")


def curves(metrics_files: list[str], key: str) -> dict[str, np.ndarray]:
    """{run: array [seeds, epochs]} from the searches' metrics.jsonl."""
    per_method: dict[str, list[list[float]]] = defaultdict(list)
    for path in sorted(metrics_files):
        per_method[parse_run_path(path).run].append([r[key] for r in read_jsonl(path)])
    out = {}
    for method, runs in per_method.items():
        length = min(len(r) for r in runs)
        out[method] = np.array([r[:length] for r in runs])
    return out


METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}}


def plot_search_curves(metrics_files: list[str], out_prefix: str, title: str,
                       key: str = "derived_valid", note: str = "") -> None:
    """Write ``<out_prefix>.png`` and ``.pdf``: mean ± std of ``key`` per search epoch, per run.
    ``note`` (which profile and data produced the numbers) is drawn in small type under the axes."""
    fig, ax = plt.subplots(figsize=(6, 4.6))
    for method, values in sorted(curves(metrics_files, key).items()):
        epochs = np.arange(1, values.shape[1] + 1)
        mean, std = values.mean(axis=0), values.std(axis=0)
        ax.plot(epochs, mean, label=f"{method} (n={len(values)})")
        ax.fill_between(epochs, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("search epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    metric = read_jsonl(sorted(metrics_files)[0])[0].get("metric", "accuracy")
    unit = " (%)" if metric == "accuracy" else ""
    ax.set_ylabel(f"derived cell: validation {metric}{unit},\ninherited supernet weights")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    suptitle(fig, title, fontsize=10)
    save(fig, out_prefix, note)


def suptitle(fig, text: str, fontsize: float = 9) -> None:
    """The figure title, each of its lines wrapped to the figure's width (about 0.55 em per
    character)."""
    chars = max(20, int(fig.get_size_inches()[0] * 72 / (0.55 * fontsize)))
    fig.suptitle("\n".join(textwrap.fill(line, chars, break_on_hyphens=False)
                            for line in text.split("\n")), fontsize=fontsize)


def layout(fig, note: str) -> None:
    """Lay the axes out, leaving room under them for the provenance ``note`` (``save`` does it
    again; a figure that places things in display units calls it first)."""
    fig.tight_layout(rect=(0, 0.08 if note else 0, 1, 1))


def save(fig, out_prefix: str, note: str) -> None:
    """Write ``fig`` as ``<out_prefix>.png`` and ``.pdf`` (atomically, no creation date) with the
    provenance ``note`` in small type under the axes, and close it."""
    if note:
        fig.text(0.01, 0.01, note, fontsize=6, wrap=True, va="bottom")
    layout(fig, note)
    for ext in ("png", "pdf"):
        with atomic_path(f"{out_prefix}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=150, metadata=METADATA[ext])
    plt.close(fig)
