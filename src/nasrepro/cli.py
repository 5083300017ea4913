"""``python -m nasrepro <command>``: one subcommand per workflow rule family, plus ``arch``.

Workflow rules pass each job's fully resolved config block as one JSON ``--spec`` argument.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from nasrepro import registry
from nasrepro.utils.atomic import write_json, write_jsonl

log = logging.getLogger("nasrepro")


def _setup(spec: dict):
    from nasrepro.utils.device import resolve_device
    from nasrepro.utils.seeding import make_deterministic

    registry.load_all()
    make_deterministic(spec.get("threads", 1))
    return resolve_device(spec.get("device", "auto"))


def cmd_prepare_data(args) -> None:
    registry.load_all()
    spec = json.loads(args.spec)
    sizes = registry.DATASETS.get(spec["loader"]).prepare(spec)
    write_json(args.out, {"dataset": spec, "sizes": sizes})


def cmd_benchmark(args) -> None:
    import tempfile

    from nasrepro.benchmarks.nb201 import convert, obtain
    from nasrepro.utils.atomic import atomic_path

    spec = json.loads(args.spec)
    with tempfile.TemporaryDirectory(dir=Path(args.out).parent) as work:
        table = convert(obtain(spec, Path(work)))
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("wrote %d rows for %d cells to %s", len(table), table["index"].nunique(), args.out)


def cmd_search(args) -> None:
    from nasrepro.methods.base import build_config
    from nasrepro.train.epochs import clear_state
    from nasrepro.train.search import run_search
    from nasrepro.utils.device import describe
    from nasrepro.utils.runinfo import write_run_json
    from nasrepro.utils.seeding import seed_everything

    began = time.time()
    spec = json.loads(args.spec)
    device = _setup(spec)
    space = registry.SPACES.get(spec["space"])
    method_cls = registry.METHODS.get(spec["method"])
    cfg = build_config(method_cls.Config, spec["method_cfg"], spec["method"])
    bundle = registry.DATASETS.get(spec["dataset"]["loader"]).load(spec["dataset"])
    seed_everything(spec["seed"])  # supernet and alpha initialisation
    supernet = space.build_supernet(bundle.num_classes, bundle.in_channels, spec["space_cfg"])
    method = method_cls(space, supernet, cfg, device)
    out = Path(args.out_dir)
    state_dir = out / "_state"
    result = run_search(method, bundle, spec["seed"], state_dir, spec.get("eval_batches"),
                        spec.get("workers", 0))
    arch = result.arch
    write_jsonl(out / "metrics.jsonl", result.records)
    write_json(out / "genotype.json", {"space": spec["space"], "arch": arch.to_string(),
                                       "index": space.index(arch) if hasattr(space, "index") else None})
    write_run_json(out / "run.json", {**spec, "method_cfg": method.config_dict()}, describe(device),
                   time.time() - began)
    clear_state(state_dir)


def cmd_evaluate(args) -> None:
    from nasrepro.train.epochs import clear_state
    from nasrepro.utils.device import describe
    from nasrepro.utils.runinfo import write_run_json

    began = time.time()
    spec = json.loads(args.spec)
    device = _setup(spec)
    space = registry.SPACES.get(spec["space"])
    arch = space.from_string(json.loads(Path(args.genotype).read_text())["arch"])
    out = Path(args.out_dir)
    if spec["mode"] == "benchmark":
        from nasrepro.benchmarks.nb201 import Nb201Benchmark

        final = Nb201Benchmark.load(spec["benchmark_table"]).thesis_metrics(arch, spec["target"])
        records = [final]
    else:
        from nasrepro.methods.base import build_config
        from nasrepro.train.retrain import RetrainConfig, run_retrain
        from nasrepro.utils.seeding import seed_everything

        cfg = build_config(RetrainConfig, spec["retrain"], "retrain")
        bundle = registry.DATASETS.get(spec["dataset"]["loader"]).load(spec["dataset"])
        seed_everything(spec["seed"])
        net = space.build_network(arch, bundle.num_classes, bundle.in_channels, spec["space_cfg"])
        records = run_retrain(net, bundle, cfg, spec["seed"], device, out / "_state",
                              spec.get("workers", 0))
        final = {k: records[-1][k] for k in ("valid_acc", "test_acc")}
    write_jsonl(out / "metrics.jsonl", records)
    write_json(out / "final.json", {**final, "arch": arch.to_string(), "mode": spec["mode"],
                                    "target": spec["target"]})
    write_run_json(out / "run.json", spec, describe(device), time.time() - began)
    clear_state(out / "_state")


def cmd_table(args) -> None:
    from nasrepro.report.table import write_table

    write_table(args.thesis_values, args.finals, args.out_prefix, args.title, args.note)


def cmd_figure(args) -> None:
    from nasrepro.report.figure import plot_search_curves

    plot_search_curves(args.metrics, args.out_prefix, args.title)


def cmd_arch(args) -> int:
    registry.load_all()
    space = registry.SPACES.get(args.space)
    try:
        arch = space.from_index(args.index) if args.index is not None else space.from_string(args.arch)
    except space.InvalidArch as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"index: {space.index(arch)}")
    print(f"arch:  {arch.to_string()}")
    if args.benchmark:
        from nasrepro.benchmarks.nb201 import THESIS_COLUMNS, Nb201Benchmark

        bench = Nb201Benchmark.load(args.benchmark)
        for (target, column), (dataset, split) in THESIS_COLUMNS.items():
            try:
                value = f"{bench.accuracy(arch, dataset, split):.2f}"
            except KeyError:
                value = "not in table"
            print(f"{target:>15} {column:<5} ({dataset}/{split}, 200 epochs): {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasrepro", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare-data", help="fetch/verify one dataset")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_prepare_data)

    p = sub.add_parser("benchmark", help="obtain and convert the NAS-Bench-201 benchmark")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("search", help="run one architecture search")
    p.add_argument("--spec", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("evaluate", help="evaluate a found cell (benchmark lookup or retraining)")
    p.add_argument("--spec", required=True)
    p.add_argument("--genotype", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("table", help="build a thesis table")
    p.add_argument("--thesis-values", required=True)
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--note", default="", help="provenance line printed under the title")
    p.add_argument("finals", nargs="*")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("figure", help="build a search-curve figure")
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("metrics", nargs="+")
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("arch", help="convert a cell between official string and index")
    p.add_argument("--space", default="nb201")
    p.add_argument("arch", nargs="?")
    p.add_argument("--index", type=int)
    p.add_argument("--benchmark", help="converted benchmark table (Parquet) for accuracies")
    p.set_defaults(func=cmd_arch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "arch" and (args.arch is None) == (args.index is None):
        print("error: give exactly one of an arch string or --index", file=sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except (registry.UnknownNameError, ValueError, FileNotFoundError) as error:
        log.error("%s", error)
        return 2
