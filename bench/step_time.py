"""Per-step wall time of each registered search method on a registered space's supernet.

Run separately from the tests (speed is never asserted inside tests):
    python bench/step_time.py --space nb201 --net C=16 N=5 --batch 64 --steps 5   # thesis size
    python bench/step_time.py --space nb201 --net C=4 N=1 --size 8 --channels 1   # default profile
    python bench/step_time.py --space darts_cnn --net C=16 layers=8 --batch 64     # DARTS search
    python bench/step_time.py --method en2as --warmup 25 --set archive_size=20     # one method
Prints one line per method: mean seconds per search step (training + architecture update) after
``--warmup`` steps (enough to fill the archives of EN²AS / NSAS with ``--set`` sizes), and the
process's peak resident memory (meaningful with one ``--method`` per process).
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import time

import torch
import yaml

from nasrepro import registry
from nasrepro.methods.base import SearchContext
from nasrepro.params import build_config
from nasrepro.spaces.base import DataShape
from nasrepro.utils.device import describe, resolve_device


def _rss_mb() -> float:
    """Current resident memory of this process (Linux ``/proc``)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--net", nargs="*", default=[], help="supernet overrides KEY=VALUE")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--method", nargs="*", default=None, help="methods (default: all)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--set", nargs="*", default=[], help="method overrides KEY=VALUE")
    args = parser.parse_args()
    registry.load_all()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    space = registry.SPACES.get(args.space)()
    net = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.net)}
    shape = DataShape(10, args.channels, args.size, args.size)
    print(f"device={describe(device)} threads={args.threads} space={args.space} net={net} "
          f"batch={args.batch} input={args.channels}x{args.size}x{args.size}")
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    for name in args.method or registry.METHODS.names():
        torch.manual_seed(0)
        cls = registry.METHODS.get(name)
        fields = {f for f in cls.Config.__dataclass_fields__}
        cfg = build_config(cls.Config, {"batch_size": args.batch,
                                        **{k: v for k, v in overrides.items() if k in fields}}, name)
        batch = (torch.randn(args.batch, args.channels, args.size, args.size, device=device),
                 torch.randint(0, 10, (args.batch,), device=device))
        # N of BaLeNAS' Eq. 5.12: CIFAR-10's validation half; extra weight batches: the same batch
        method = cls(SearchContext(space, space.build_supernet(shape, net), cfg, device,
                                   random.Random(0), arch_examples=25000,
                                   train_stream=itertools.repeat(batch)))
        method.begin_epoch(0)
        before = _rss_mb()
        for _ in range(args.warmup):
            method.step(batch, batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        began = time.perf_counter()
        for _ in range(args.steps):
            method.step(batch, batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:>16}: {(time.perf_counter() - began) / args.steps:.4f} s/step  "
              f"peak RSS {peak:.0f} MB, {peak - before:.0f} MB above the built model")


if __name__ == "__main__":
    main()
