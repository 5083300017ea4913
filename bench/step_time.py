"""Per-step wall time of each registered search method on the NAS-Bench-201 supernet.

Run separately from the tests (speed is never asserted inside tests):
    python bench/step_time.py --C 16 --N 5 --batch 64 --steps 5            # thesis-size supernet
    python bench/step_time.py --C 4 --N 1 --batch 64 --size 8 --channels 1  # default profile
Prints one line per method: mean seconds per search step (training + architecture update).
"""

from __future__ import annotations

import argparse
import time

import torch

from nasrepro import registry
from nasrepro.methods.base import build_config
from nasrepro.utils.device import describe, resolve_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    registry.load_all()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    space = registry.SPACES.get("nb201")
    cell = {"C": args.C, "N": args.N, "affine": False, "track_running_stats": True}
    print(f"device={describe(device)} threads={args.threads} C={args.C} N={args.N} "
          f"batch={args.batch} input={args.channels}x{args.size}x{args.size}")
    for name in registry.METHODS.names():
        torch.manual_seed(0)
        cls = registry.METHODS.get(name)
        cfg = build_config(cls.Config, {"batch_size": args.batch}, name)
        method = cls(space, space.build_supernet(10, args.channels, cell), cfg, device)
        method.begin_epoch(0)
        batch = (torch.randn(args.batch, args.channels, args.size, args.size, device=device),
                 torch.randint(0, 10, (args.batch,), device=device))
        method.step(batch, batch)  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        began = time.perf_counter()
        for _ in range(args.steps):
            method.step(batch, batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        print(f"{name:>12}: {(time.perf_counter() - began) / args.steps:.4f} s/step")


if __name__ == "__main__":
    main()
