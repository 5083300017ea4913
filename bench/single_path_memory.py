"""Peak memory of every single-path method's search step against training the stand-alone network
of the costliest cell alone (issue #11; the thesis' memory claim of Table 2.1).

Each measurement is one fresh ``python -m nasrepro bench step|standalone`` process at the same
shape. The stand-alone reference is the cell with a 3x3 convolution on every edge, the largest
network a single-path step can train, so ``step / standalone`` bounds the overhead of the
supernet (its unused weights, the method's own state) from above. E²NAS reads a D-VAE: an
untrained one of the thesis' size (hidden 501, latent 30, bidirectional) is written to a
temporary folder, as a step's cost does not depend on the D-VAE's training.

    python bench/single_path_memory.py --C 16 --N 5 --batch 64 --size 32 --threads 2

Prints one JSON line per measurement, then a Markdown table (``above_start_mb``: peak RSS minus
the process' RSS before the network was built; ``peak_mb``: the process' peak RSS).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from nasrepro import plugins, registry
from nasrepro.spaces.nb201.space import EDGES, Nb201Arch


def measure(what: str, args, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "nasrepro", "bench", what, "--space", args.space,
           "--C", str(args.C), "--N", str(args.N), "--batch", str(args.batch), "--size",
           str(args.size), "--threads", str(args.threads), "--iters", str(args.iters), "--warmup",
           str(args.warmup), *extra]
    result = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    print(json.dumps(result), flush=True)
    return result


def untrained_dvae(space, folder: Path) -> Path:
    from nasrepro.methods.parts.dvae import GraphVAE
    from nasrepro.train.dvae import DvaeConfig

    cfg, graph = DvaeConfig(), space.encode(space.sample(random.Random(0)))
    path = folder / "dvae.pt"
    GraphVAE(graph.types, len(graph.node_types), cfg.hidden, cfg.latent, cfg.bidirectional).save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201", choices=["nb201"])
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    plugins.load_all()
    space = registry.SPACES.get(args.space)()
    methods = [m for m in registry.METHODS.names()
               if registry.METHODS.get(m).memory == "single path"
               and registry.METHODS.get(m).supports(space)]
    heaviest = Nb201Arch(tuple("nor_conv_3x3" for _ in EDGES)).to_string()
    reference = measure("standalone", args, ["--arch", heaviest])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for method in methods:
            inputs = registry.METHODS.get(method).inputs
            extra = ["--method", method]
            if "dvae" in inputs:
                extra += ["--input", f"dvae={untrained_dvae(space, Path(folder))}"]
            elif inputs:
                continue
            rows.append((method, measure("step", args, extra)))
    print(f"\n| method ({args.space} C{args.C} N{args.N}, batch {args.batch}, {args.size}x{args.size}) "
          "| step above start MB | ratio to stand-alone | step peak RSS MB | ratio |")
    print("|---|---|---|---|---|")
    print(f"| stand-alone network, 3x3 convolution on every edge | {reference['above_start_mb']:.0f} | 1.00 | "
          f"{reference['peak_mb']:.0f} | 1.00 |")
    for method, r in rows:
        print(f"| {method} | {r['above_start_mb']:.0f} | "
              f"{r['above_start_mb'] / reference['above_start_mb']:.2f} | {r['peak_mb']:.0f} | "
              f"{r['peak_mb'] / reference['peak_mb']:.2f} |")


if __name__ == "__main__":
    main()
