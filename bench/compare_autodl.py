"""Side-by-side per-step time against AutoDL-Projects' NAS-Bench-201 search loops (issue #11).

Interleaves, for each pass and method, one fresh process of ours
(``python -m nasrepro bench step``) and one of the reference harness
(``../shared/perf-reference/bench_autodl.py --child``, which runs the unmodified upstream
``search_func`` on random tensors), and prints one JSON line per measurement and a Markdown table of
the per-pass ratios ours / reference (median step time). Set up the reference first (its README):

    mkdir -p /tmp/perfanchor/autodl && git --git-dir=<AutoDL-Projects git dir> archive HEAD | tar -x -C /tmp/perfanchor/autodl
    sed -i 's/\\.view(-1)/.reshape(-1)/' /tmp/perfanchor/autodl/xautodl/utils/evaluation_utils.py
    cp ../shared/perf-reference/bench_autodl.py /tmp/perfanchor/
    python bench/compare_autodl.py --passes 3 --config full --threads 2

Only ratios measured in one session on one machine mean anything (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PAIRS = {"darts-1st": "DARTS-V1", "darts-2nd": "DARTS-V2", "gdas": "GDAS", "random-nas": "RANDOM-NAS"}
CONFIGS = {"full": dict(C=16, N=5, batch=64, size=32), "reduced": dict(C=8, N=1, batch=64, size=16)}


def ours(method: str, cfg: dict, threads: int, iters: int, warmup: int) -> dict:
    cmd = [sys.executable, "-m", "nasrepro", "bench", "step", "--space", "nb201", "--method", method,
           "--C", str(cfg["C"]), "--N", str(cfg["N"]), "--batch", str(cfg["batch"]),
           "--size", str(cfg["size"]), "--threads", str(threads), "--iters", str(iters),
           "--warmup", str(warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def reference(method: str, config: str, root: Path, threads: int, iters: int, warmup: int) -> dict:
    cmd = [sys.executable, str(root / "bench_autodl.py"), "--child", "--method", method, "--config",
           config, "--bn", "1", "--threads", str(threads), "--iters", str(iters), "--warmup", str(warmup)]
    env = {**os.environ, "PYTHONPATH": str(root / "autodl")}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=root, env=env)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT_JSON:")][-1]
    return json.loads(line[len("RESULT_JSON:"):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-root", default="/tmp/perfanchor")
    parser.add_argument("--config", choices=CONFIGS, default="full")
    parser.add_argument("--methods", nargs="*", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    cfg, root = CONFIGS[args.config], Path(args.reference_root)
    ratios: dict[str, list[float]] = {m: [] for m in args.methods}
    for index in range(args.passes):
        for method in args.methods:
            a = ours(method, cfg, args.threads, args.iters, args.warmup)
            b = reference(PAIRS[method], args.config, root, args.threads, args.iters, args.warmup)
            ratio = a["median_s"] / (b["median_ms"] / 1000)
            ratios[method].append(ratio)
            print(json.dumps({"pass": index, "method": method, "ours_s": a["median_s"],
                              "reference_s": b["median_ms"] / 1000, "ratio": ratio,
                              "ours_peak_mb": a["peak_mb"], "reference_peak_mb": b["peak_rss_mb"]}),
                  flush=True)
    print(f"\n| method ({args.config}, {args.threads} threads) | ratio per pass | median ratio |")
    print("|---|---|---|")
    for method, values in ratios.items():
        print(f"| {method} vs {PAIRS[method]} | {', '.join(f'{v:.2f}' for v in values)} | "
              f"{statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
