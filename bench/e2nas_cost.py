"""E²NAS' search step against GDAS' at the thesis' size (issue #23 item 2).

Table 4.5 (``config/thesis_values/table_4_5.csv``) puts E²NAS' search at 142,321 s against GDAS'
62,813 s on NAS-Bench-201, 2.27x. This times one step of each, interleaved (E²NAS, GDAS, E²NAS,
...) in fresh processes (``compare_reference.ours``: ``python -m nasrepro bench step``), at the
thesis' NAS-Bench-201 size (C 16, N 5, batch 64, 32x32) with an untrained D-VAE of the thesis'
size (hidden 501, latent 30, bidirectional: a step's cost does not depend on its training), and
prints the ratio per pass beside the table's:

    python bench/e2nas_cost.py --passes 3 --iters 5 --warmup 2 --threads 2

E²NAS' archive fills one cell a step and its novelty term needs one: every step after the first
computes the Jacobian of Eq. 4.8 (at epoch 0, gamma = Sig_gamma(10) ~ 1).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import tempfile
from pathlib import Path

from compare_reference import method_inputs, ours

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "config" / "thesis_values" / "table_4_5.csv"
SIZE = dict(C=16, N=5, batch=64, size=32)  # NAS-Bench-201's search supernet and batch


def thesis_ratio() -> float:
    rows = {r["run"]: float(r["search_s"]) for r in csv.DictReader(TABLE.open())}
    return rows["e2nas"] / rows["gdas"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        inputs = method_inputs("nb201", "e2nas", Path(folder))
        for index in range(args.passes):
            load = os.getloadavg()[0]
            e2nas = ours("nb201", "e2nas", SIZE, args.threads, args.iters, args.warmup,
                         inputs=inputs)
            gdas = ours("nb201", "gdas", SIZE, args.threads, args.iters, args.warmup)
            ratios.append(e2nas["median_s"] / gdas["median_s"])
            print(json.dumps({"pass": index, "e2nas_s": e2nas["median_s"], "gdas_s": gdas["median_s"],
                              "ratio": ratios[-1], "e2nas_peak_mb": e2nas["peak_mb"],
                              "gdas_peak_mb": gdas["peak_mb"], "load_before": load,
                              "load_after": os.getloadavg()[0]}), flush=True)
    print(f"\n| E²NAS / GDAS step (NB201 C16 N5, batch 64, {args.threads} threads) | ratio per pass "
          "| median | Table 4.5 |")
    print("|---|---|---|---|")
    print(f"| ours | {', '.join(f'{r:.2f}' for r in ratios)} | {statistics.median(ratios):.2f} | "
          f"{thesis_ratio():.2f} |")


if __name__ == "__main__":
    main()
