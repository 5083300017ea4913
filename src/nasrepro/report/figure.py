"""Search-curve figure: per-epoch accuracy of each method's derived cell with inherited supernet
weights (``derived_valid_acc`` in ``search/metrics.jsonl``), mean ± std over seeds."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nasrepro.utils.atomic import atomic_path, read_jsonl  # noqa: E402


def curves(metrics_files: list[str], key: str) -> dict[str, np.ndarray]:
    """{method: array [seeds, epochs]} from results/runs/.../<method>/seed<k>/search/metrics.jsonl."""
    per_method: dict[str, list[list[float]]] = defaultdict(list)
    for path in sorted(metrics_files):
        method = Path(path).parts[-4]
        per_method[method].append([r[key] for r in read_jsonl(path)])
    out = {}
    for method, runs in per_method.items():
        length = min(len(r) for r in runs)
        out[method] = np.array([r[:length] for r in runs])
    return out


def plot_search_curves(metrics_files: list[str], out_prefix: str, title: str,
                       key: str = "derived_valid_acc") -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for method, values in sorted(curves(metrics_files, key).items()):
        epochs = np.arange(1, values.shape[1] + 1)
        mean, std = values.mean(axis=0), values.std(axis=0)
        ax.plot(epochs, mean, label=f"{method} (n={len(values)})")
        ax.fill_between(epochs, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("search epoch")
    ax.set_ylabel("validation accuracy of derived cell (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    for ext in ("png", "pdf"):
        with atomic_path(f"{out_prefix}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=150)
    plt.close(fig)
