"""Side-by-side per-step time against the reference implementations (issue #11).

References (set each up as ../shared/perf-reference/README.md says; read and run, never copied):
- ``autodl``: AutoDL-Projects' NAS-Bench-201 ``search_func`` loops through
  ``bench_autodl.py --child`` in ``--reference-root`` (default /tmp/perfanchor);
- ``darts``: quark0/darts' CNN search step (``Architect.step`` + the weight step of
  ``train_search.py``) through ``bench_darts.py`` in ``--reference-root`` (default
  /tmp/perfanchor2, with ``darts_cpu/`` holding the repository minus its three ``.cuda()`` calls);
- ``author``: the thesis author's released NAS-Bench-201 search steps (iDARTS, E²NAS,
  RandomNAS-NSAS, GDAS-NSAS) through ``bench/bench_author.py``, which runs the notebooks' cells
  from ``--reference-root`` (default /tmp/perfauthor; docs/performance.md says how it is set up).
  Each method is timed twice on our side: as the thesis says (``thesis``) and with its
  released-code settings (``bench step --fidelity released``: the work the author's code does);
- ``author-darts``: EN²AS' released DARTS-space step (ENNAS_MASTER ``CNN/ENNAS.py``), the same
  harness, at the ``darts`` sizes.

For each pass and method it interleaves one fresh process of ours (``python -m nasrepro bench
step``) and one of the reference on random tensors of the same shape, prints one JSON line per
measurement and a Markdown table of the per-pass ratios ours / reference of the median step time:

    python bench/compare_reference.py autodl --config full --passes 3 --threads 2
    python bench/compare_reference.py darts --config reduced --passes 3 --threads 2
    python bench/compare_reference.py author --config full --passes 3 --iters 3 --warmup 1

Only ratios measured in one session on one machine mean anything (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

REFERENCES = {
    "autodl": {
        "root": "/tmp/perfanchor", "space": "nb201",
        "pairs": {"darts-1st": "DARTS-V1", "darts-2nd": "DARTS-V2", "gdas": "GDAS",
                  "random-nas": "RANDOM-NAS"},
        "configs": {"full": dict(C=16, N=5, batch=64, size=32),
                    "reduced": dict(C=8, N=1, batch=64, size=16)},
    },
    "darts": {
        "root": "/tmp/perfanchor2", "space": "darts_cnn",
        "pairs": {"darts-1st": "1", "darts-2nd": "2"},
        "configs": {"full": dict(C=16, layers=8, batch=64, size=32),
                    "reduced": dict(C=8, layers=5, batch=32, size=16)},
    },
    "author": {
        "root": "/tmp/perfauthor", "space": "nb201",
        "pairs": {m: m for m in ("idarts", "e2nas", "random-nas-nsas", "gdas-nsas")},
        "configs": {"full": dict(C=16, N=5, batch=64, size=32),
                    "reduced": dict(C=8, N=1, batch=64, size=16)},
        "fidelities": ("thesis", "released"),
    },
    "author-darts": {  # EN²AS' released code (ENNAS_MASTER) is on the DARTS CNN space only
        "root": "/tmp/perfauthor", "space": "darts_cnn", "pairs": {"en2as": "en2as"},
        "configs": {"full": dict(C=16, layers=8, batch=64, size=32),
                    "reduced": dict(C=8, layers=5, batch=32, size=16)},
    },
}
# the site folder of the reference's own extra packages (E²NAS' D-VAE decodes to igraph graphs)
REFERENCE_SITE = "venv/lib/python3.11/site-packages"


def ours(space: str, method: str, cfg: dict, threads: int, iters: int, warmup: int,
         fidelity: str = "thesis", inputs: dict | None = None) -> dict:
    net = ["--N", str(cfg["N"])] if "N" in cfg else ["--net", f"layers={cfg['layers']}"]
    cmd = [sys.executable, "-m", "nasrepro", "bench", "step", "--space", space, "--method", method,
           "--C", str(cfg["C"]), *net, "--batch", str(cfg["batch"]), "--size", str(cfg["size"]),
           "--threads", str(threads), "--iters", str(iters), "--warmup", str(warmup),
           "--fidelity", fidelity]
    if inputs:
        cmd += ["--input", *(f"{k}={v}" for k, v in inputs.items())]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def reference(name: str, ref_method: str, config: str, root: Path, threads: int, iters: int,
              warmup: int) -> tuple[float, float]:
    """(median seconds per step, peak RSS MB) of one fresh reference process."""
    timing = ["--threads", str(threads), "--iters", str(iters), "--warmup", str(warmup)]
    if name == "autodl":
        cmd = [sys.executable, str(root / "bench_autodl.py"), "--child", "--method", ref_method,
               "--config", config, "--bn", "1", *timing]
        env = {**os.environ, "PYTHONPATH": str(root / "autodl")}
        prefix = "RESULT_JSON:"
    elif name.startswith("author"):
        cmd = [sys.executable, str(HERE / "bench_author.py"), "--method", ref_method, "--config",
               config, "--reference-root", str(root), *timing]
        env = {**os.environ, "PYTHONPATH": str(root / REFERENCE_SITE)}
        prefix = "RESULT_JSON:"
    else:
        cfg = REFERENCES["darts"]["configs"][config]
        cmd = [sys.executable, str(root / "bench_darts.py"), "--order", ref_method,
               "--C", str(cfg["C"]), "--layers", str(cfg["layers"]), "--batch", str(cfg["batch"]),
               "--hw", str(cfg["size"]), *timing]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        prefix = "RESULT "
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=root, env=env)
    result = json.loads([x for x in out.stdout.splitlines() if x.startswith(prefix)][-1][len(prefix):])
    if name == "autodl":
        return result["median_ms"] / 1000, result["peak_rss_mb"]
    return result["median_s"], result["peak_rss_mb"]


def method_inputs(space: str, method: str, folder: Path) -> dict:
    """The named input files ``method`` reads (E²NAS: an untrained D-VAE of the thesis' size,
    as in ``single_path_memory.py``: a step's cost does not depend on its training)."""
    from nasrepro import plugins, registry
    from single_path_memory import untrained_dvae

    plugins.load_all()
    if "dvae" not in registry.METHODS.get(method).inputs:
        return {}
    return {"dvae": untrained_dvae(registry.SPACES.get(space)(), folder)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", choices=REFERENCES)
    parser.add_argument("--reference-root", default=None)
    parser.add_argument("--config", choices=["full", "reduced"], default="full")
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    ref = REFERENCES[args.reference]
    pairs = ref["pairs"]
    methods = args.methods or list(pairs)
    unknown = [m for m in methods if m not in pairs]
    if unknown:
        parser.error(f"{args.reference} has no counterpart of {unknown}; choose from {list(pairs)}")
    cfg, root = ref["configs"][args.config], Path(args.reference_root or ref["root"])
    fidelities = ref.get("fidelities", ("thesis",))
    rows = [(m, f) for m in methods for f in fidelities]
    ratios: dict[tuple, list[float]] = {row: [] for row in rows}
    peaks: dict[tuple, list[tuple[float, float]]] = {row: [] for row in rows}
    with tempfile.TemporaryDirectory() as folder:
        inputs = {m: method_inputs(ref["space"], m, Path(folder)) for m in methods}
        for index in range(args.passes):
            for method in methods:
                load = os.getloadavg()[0]
                mine = {f: ours(ref["space"], method, cfg, args.threads, args.iters, args.warmup,
                                f, inputs[method]) for f in fidelities}
                b_s, b_mb = reference(args.reference, pairs[method], args.config, root,
                                      args.threads, args.iters, args.warmup)
                for f, a in mine.items():
                    ratios[(method, f)].append(a["median_s"] / b_s)
                    peaks[(method, f)].append((a["peak_mb"], b_mb))
                    print(json.dumps({"pass": index, "method": method, "fidelity": f,
                                      "ours_s": a["median_s"], "reference_s": b_s,
                                      "ratio": ratios[(method, f)][-1], "ours_peak_mb": a["peak_mb"],
                                      "reference_peak_mb": b_mb, "load_before": load,
                                      "load_after": os.getloadavg()[0]}), flush=True)
    print(f"\n| method ({args.reference} {args.config}, {args.threads} threads) | ratio per pass "
          "| median ratio | peak RSS MB ours / reference (max) |")
    print("|---|---|---|---|")
    for (method, f), values in ratios.items():
        label = method if len(fidelities) == 1 else f"{method} ({f})"
        ours_mb, ref_mb = (max(p[i] for p in peaks[(method, f)]) for i in (0, 1))
        print(f"| {label} vs {args.reference} {pairs[method]} | "
              f"{', '.join(f'{v:.2f}' for v in values)} | {statistics.median(values):.2f} | "
              f"{ours_mb:.0f} / {ref_mb:.0f} |")


if __name__ == "__main__":
    main()
