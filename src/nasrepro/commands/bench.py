"""``bench``: speed and memory benchmarks (``nasrepro.bench``), one JSON object on stdout."""

from __future__ import annotations

import json

from nasrepro.commands.common import command
from nasrepro.params import ConfigError


def _key_values(items: list[str]) -> dict:
    import yaml

    return {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in items)}


def cmd_bench(args) -> None:
    from nasrepro import bench

    net = _key_values(args.net)
    net.update({k: v for k, v in (("C", args.C), ("N", args.N)) if v is not None})
    shape = dict(batch=args.batch, size=args.size, channels=args.channels, device=args.device,
                 threads=args.threads, iters=args.iters, warmup=args.warmup)
    if args.what == "step":
        inputs = dict(item.split("=", 1) for item in args.input)
        result = bench.step(args.space, args.method, net, overrides=_key_values(args.set),
                            inputs=inputs, channels_last=args.channels_last,
                            fidelity=args.fidelity, **shape)
    elif args.what == "standalone":
        result = bench.standalone(args.space, net, arch=args.arch, **shape)
    elif args.what == "lookup":
        if not args.table:
            raise ConfigError("bench lookup needs --table PATH (a converted benchmark table, e.g. "
                              "data/prepared/thesis/benchmarks/nb201.parquet)")
        result = bench.lookup(args.space, args.table)
    else:
        result = bench.dag(args.configfile)
    print(json.dumps(result, sort_keys=True))


def add_commands(sub) -> None:
    p = command(sub, "bench", cmd_bench, "speed and memory benchmarks (one JSON object on stdout)")
    p.add_argument("what", choices=("step", "standalone", "lookup", "dag"))
    p.add_argument("--space", default="nb201")
    p.add_argument("--method", default="darts-1st", help="step: the registered method")
    p.add_argument("--C", type=int, help="supernet / network channels")
    p.add_argument("--N", type=int, help="cells per stage (NB201)")
    p.add_argument("--net", nargs="*", default=[], help="other network settings KEY=VALUE")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--channels-last", action="store_true",
                   help="step: supernet and images in channels_last (NHWC) memory layout")
    p.add_argument("--set", nargs="*", default=[], help="step: method hyperparameters KEY=VALUE")
    p.add_argument("--fidelity", choices=("thesis", "released"), default="thesis",
                   help="step: released = the method's released-code settings on this space "
                   "(its `released`, as a `fidelity: released` run), under --set")
    p.add_argument("--input", nargs="*", default=[],
                   help="step: the method's named input files NAME=PATH (e2nas: dvae=PATH)")
    p.add_argument("--arch", help="standalone: the cell (architecture string; default: sampled)")
    p.add_argument("--table", help="lookup: the converted benchmark table")
    p.add_argument("--configfile", help="dag: the profile to dry-run (default: config/config.yaml)")
