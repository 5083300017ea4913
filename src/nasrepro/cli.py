"""``python -m nasrepro <command>``: one subcommand per workflow rule family, plus ``arch``.

Workflow rules pass each job's fully resolved spec as one JSON ``--spec`` argument (built by
``nasrepro.config``). With ``--log FILE`` the full log goes to FILE; a failure also prints one
line on the console naming the cause (and the log for a traceback).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
import time
from pathlib import Path

from nasrepro import registry
from nasrepro.params import ConfigError
from nasrepro.utils.atomic import read_jsonl, torch_save, write_json, write_jsonl
from nasrepro.utils.device import DeviceUnavailableError
from nasrepro.utils.download import ChecksumError, MissingDataError

log = logging.getLogger("nasrepro")

# Errors whose message says what is wrong and how to fix it: printed as one line, exit 2.
USER_ERRORS = (ConfigError, registry.UnknownNameError, MissingDataError, ChecksumError,
               DeviceUnavailableError, FileNotFoundError, ValueError)
# A full disk or an unwritable results folder: one line naming the folder and the fix.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def _setup(settings):
    from nasrepro.utils.device import resolve_device
    from nasrepro.utils.seeding import make_deterministic

    make_deterministic(settings.threads)
    return resolve_device(settings.device)


def cmd_prepare_data(args) -> None:
    spec = json.loads(args.spec)
    sizes = registry.DATASETS.get(spec["loader"]).prepare(spec)
    write_json(args.out, {"dataset": spec, "sizes": sizes})


def cmd_benchmark(args) -> None:
    import tempfile

    from nasrepro.utils.atomic import atomic_path

    spec = json.loads(args.spec)
    if not spec:
        raise ConfigError(f"benchmark.{args.space} is null in this profile: set its path/url/"
                          "sha256 to build the benchmark table (see README, 'Profiles')")
    with tempfile.TemporaryDirectory(dir=Path(args.out).parent) as work:
        table = registry.BENCHMARKS.get(args.space).build(spec, Path(work))
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("wrote %d rows for %d cells to %s", len(table), table["index"].nunique(), args.out)


def cmd_nb101_standin(args) -> None:
    """The stand-in NAS-Bench-101 table of a profile without the benchmark file
    (``spaces/nb1shot1/standin.py``): the cells the searches in ``args.metrics`` derived, each
    retrained once on the search dataset."""
    from nasrepro.config import RunSettings
    from nasrepro.params import build_config
    from nasrepro.spaces.nb1shot1.standin import build_standin, derived_cells
    from nasrepro.train.epochs import clear_state, config_fingerprint
    from nasrepro.train.retrain import run_retrain
    from nasrepro.utils.atomic import atomic_path
    from nasrepro.utils.seeding import seed_everything

    spec = json.loads(args.spec)
    device = _setup(RunSettings(**spec["settings"]))
    bundle = registry.DATASETS.get(spec["dataset"]["loader"]).load(spec["dataset"])
    state = Path(args.out).parent / "_state_standin"

    def train_cell(arch):
        space = registry.SPACES.get(f"nb1shot1-s{arch.variant}")()
        net_cfg, retrain = spec["spaces"][space.name]
        cfg = build_config(space.retrain_config(spec["dataset"]["name"]), retrain,
                           f"spaces.{space.name}.retrain")
        seed_everything(spec["seed"])
        net = space.build_network(arch, bundle.shape, net_cfg)
        params = sum(p.numel() for p in net.parameters() if p.requires_grad)
        records = run_retrain(net, bundle, cfg, spec["seed"], device, state / "run",
                              config_fingerprint(json.dumps([arch.to_string(), spec], sort_keys=True)),
                              spec["settings"]["workers"])
        clear_state(state / "run")
        return records, params, cfg.epochs

    table = build_standin(derived_cells(args.metrics), train_cell, state / "cells")
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    clear_state(state)
    log.info("stand-in NAS-Bench-101 table: %d cells -> %s", len(table), args.out)


def _records_json(run_json: Path, job, device, began: float, records: list[dict]) -> None:
    from nasrepro.utils.device import describe
    from nasrepro.utils.runinfo import write_run_json

    elapsed = records[-1].get("elapsed_s") if records else None  # epochs, summed over resumes
    write_run_json(run_json, json.loads(_job_json(job)), describe(device),
                   elapsed if elapsed is not None else time.time() - began,
                   profile=job.settings.profile,
                   extra={"process_time_s": round(time.time() - began, 3)})


def _job_json(job) -> str:
    from nasrepro.config import to_json

    return to_json(job)


def cmd_search(args) -> None:
    from nasrepro.config import SearchJob
    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config
    from nasrepro.train.epochs import clear_state, config_fingerprint
    from nasrepro.train.search import run_search
    from nasrepro.utils.seeding import seed_everything

    began = time.time()
    job = SearchJob.from_json(args.spec)
    device = _setup(job.settings)
    space = registry.SPACES.get(job.space)()
    method_cls = registry.METHODS.get(job.method)
    cfg = build_config(method_cls.Config, job.method_cfg, f"runs.{job.run}")
    bundle = registry.DATASETS.get(job.dataset["loader"]).load(job.dataset)
    seed_everything(job.seed)  # supernet and alpha initialisation
    supernet = space.build_supernet(bundle.shape, job.space_cfg)
    inputs = _named_inputs(args.input, method_cls)
    method = method_cls(SearchContext(space, supernet, cfg, device, inputs=inputs,
                                      arch_examples=len(bundle.arch_train)))
    method.setup()
    out = Path(args.out_dir)
    result = run_search(method, bundle, job.seed, out / "_state", config_fingerprint(_job_json(job)),
                        job.eval_batches, job.settings.workers,
                        probes=[space.from_string(c) for c in job.probes], probe_every=job.probe_every,
                        probe_batches=job.probe_batches, hessian_iters=job.hessian_iters,
                        hessian_batches=job.hessian_batches)
    write_jsonl(out / "metrics.jsonl", result.records)
    torch_save({"arch": space.to_string(result.arch), "state": method.state_dict()},
               out / "supernet.pt")
    genotype = {"space": job.space, "dataset": job.dataset.get("name"), "run": job.run,
                "method": job.method, "seed": job.seed, "arch": space.to_string(result.arch)}
    if hasattr(space, "index"):
        genotype["index"] = space.index(result.arch)
    write_json(out / "genotype.json", genotype)
    _records_json(out / "run.json", job, device, began, result.records)
    clear_state(out / "_state")


def _named_inputs(items: list[str], method_cls) -> dict[str, Path]:
    """``--input NAME=PATH`` arguments as ``SearchContext.inputs``; every input the method
    declares (``SearchMethod.inputs``) must be given and exist."""
    inputs = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--input {item!r}: expected NAME=PATH, e.g. "
                              "dvae=results/default/dvae/nb201/dvae.pt")
        inputs[name] = Path(path)
    missing = [name for name in method_cls.inputs if name not in inputs]
    if missing:
        raise ConfigError(f"method {method_cls.__name__} needs the inputs {missing}: pass "
                          "--input NAME=PATH (the search rule does this)")
    for name, path in inputs.items():
        if not path.exists():
            raise FileNotFoundError(f"input {name}={path} not found; build it with `snakemake {path}`")
    return inputs


def cmd_train_dvae(args) -> None:
    """Train the D-VAE of one space (rule train_dvae): dvae.pt, report.json and report.md in
    ``--out-dir``; per-epoch checkpoints in ``--out-dir``/_state while it runs."""
    from nasrepro.config import DvaeJob
    from nasrepro.train.dvae import run_job
    from nasrepro.train.epochs import config_fingerprint

    job = DvaeJob.from_json(args.spec)
    run_job(job, _setup(job.settings), Path(args.out_dir), config_fingerprint(_job_json(job)))


def cmd_probe_cell(args) -> None:
    """genotype.json of probe cell ``index`` (pseudo-run probe-<index>, seed 0): checked against
    the space, so that the evaluate rule can retrain it or look it up like a found cell."""
    space = registry.SPACES.get(args.space)()
    arch = space.from_string(args.arch)
    write_json(Path(args.out), {"space": args.space, "dataset": args.dataset,
                                "run": f"probe-{args.index}", "method": "probe", "seed": 0,
                                "arch": space.to_string(arch)})


def cmd_published_cell(args) -> None:
    """genotype.json of the space's published cell ``name`` (pseudo-run published-<name>)."""
    from nasrepro.config import PUBLISHED_PREFIX, published_arch

    run = f"{PUBLISHED_PREFIX}{args.name}"
    write_json(Path(args.out), {"space": args.space, "dataset": args.dataset, "run": run,
                                "method": "published", "seed": args.seed,
                                "arch": published_arch(args.space, run)})


def cmd_best_cell(args) -> None:
    """genotype.json of pseudo-run ``<run>-best``: the best cell over the epochs of the search
    (``analysis.best_cell``), for Table 4.2's "Best" column."""
    from nasrepro.analysis.best_cell import best_epoch
    from nasrepro.config import BEST_SUFFIX

    found = json.loads(Path(args.genotype).read_text())
    space = registry.SPACES.get(found["space"])()
    record = best_epoch(read_jsonl(Path(args.metrics)), space.task.higher_is_better)
    arch = space.from_string(record["arch"])
    genotype = {key: found[key] for key in ("space", "dataset", "method", "seed")}
    genotype.update(run=found["run"] + BEST_SUFFIX, arch=space.to_string(arch),
                    derived_valid=record["derived_valid"])
    if hasattr(space, "index"):
        genotype["index"] = space.index(arch)
    write_json(Path(args.out), genotype)


def _complexity(net, shape, task) -> dict:
    """Parameters (M) and, for image classifiers, multiply-adds (M) of one forward pass (a
    language model's cost depends on the sequence length: parameters only, as Table 2.2)."""
    from nasrepro.analysis.complexity import count_multiply_adds, count_parameters
    from nasrepro.spaces.base import ClassificationTask

    out = {"params_m": count_parameters(net) / 1e6}
    if isinstance(task, ClassificationTask):
        out["madds_m"] = count_multiply_adds(
            net, (1, shape.in_channels, shape.height, shape.width)) / 1e6
    return out


def cmd_evaluate(args) -> None:
    from nasrepro.config import EvalJob
    from nasrepro.train.epochs import clear_state

    began = time.time()
    job = EvalJob.from_json(args.spec)
    device = _setup(job.settings)
    space = registry.SPACES.get(job.space)()
    arch = space.from_string(json.loads(Path(args.genotype).read_text())["arch"])
    out = Path(args.out_dir)
    if job.mode == "benchmark":
        bench = registry.BENCHMARKS.get(registry.benchmark_of(job.space)).load(job.benchmark_table)
        final = bench.thesis_metrics(arch, job.target)
        records = [final]
        weights = None  # looked up, not trained
    else:
        from nasrepro.params import build_config
        from nasrepro.train.epochs import config_fingerprint
        from nasrepro.train.retrain import reported, run_retrain
        from nasrepro.utils.seeding import seed_everything

        cfg = build_config(space.retrain_config(job.target), job.retrain, f"spaces.{job.space}.retrain")
        bundle = registry.DATASETS.get(job.dataset["loader"]).load(job.dataset)
        seed_everything(job.seed)
        net = space.build_network(arch, bundle.shape, job.net_cfg)
        complexity = _complexity(net, bundle.shape, space.task)
        records = run_retrain(net, bundle, cfg, job.seed, device, out / "_state",
                              config_fingerprint(_job_json(job)), job.settings.workers, space.task)
        chosen = reported(records, cfg, space.task)
        final = {**{k: v for k, v in chosen.items() if k.startswith(("valid_", "test_"))},
                 "reported_epoch": chosen["epoch"], **complexity}
        weights = net.state_dict()
    write_jsonl(out / "metrics.jsonl", records)
    torch_save({"arch": space.to_string(arch), "mode": job.mode, "state": weights},
               out / "model.pt")
    write_json(out / "final.json", {**final, "arch": space.to_string(arch), "mode": job.mode,
                                    "space": job.space, "dataset": job.search_dataset,
                                    "run": job.run, "method": job.method, "seed": job.seed,
                                    "target": job.target})
    _records_json(out / "run.json", job, device, began, records)
    clear_state(out / "_state")


def cmd_table(args) -> None:
    from nasrepro.report.table import write_table

    write_table(registry.TABLES.get(args.table), args.thesis_values, args.finals,
                args.out_prefix, args.note)


def cmd_figure(args) -> None:
    spec = registry.FIGURES.get(args.figure)
    if spec.kind == "search_curves":
        from nasrepro.report.figure import plot_search_curves

        plot_search_curves(args.metrics, args.out_prefix, spec.title, key="derived_valid",
                           note=args.note)
    elif spec.kind == "cell":
        from nasrepro.report.cells import plot_cells

        plot_cells(spec, args.metrics, args.out_prefix, args.note)
    elif spec.kind == "regret":
        from nasrepro.report.regret import plot_regret

        plot_regret(spec, args.metrics, args.out_prefix, args.note)
    elif spec.kind in ("epoch_stats", "sweep", "gamma_schedule"):
        from nasrepro.report.trajectories import plot_trajectories

        plot_trajectories(spec, args.metrics, args.out_prefix, args.note)
    else:
        from nasrepro.report.analysis import plot_analysis

        plot_analysis(spec, args.metrics, args.out_prefix, args.note)


def cmd_cost(args) -> None:
    from nasrepro.report.cost import write_cost

    write_cost(json.loads(args.spec), args.thesis_costs, args.out_prefix, args.note)


def cmd_arch(args) -> int:
    space = registry.SPACES.get(args.space)()
    if args.index is not None and not hasattr(space, "from_index"):
        print(f"error: space {args.space!r} has no architecture index; give an architecture string",
              file=sys.stderr)
        return 2
    try:
        arch = space.from_index(args.index) if args.index is not None else space.from_string(args.arch)
    except space.InvalidArch as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if hasattr(space, "index"):
        print(f"index: {space.index(arch)}")
    print(f"arch:  {space.to_string(arch)}")
    if args.benchmark:
        bench = registry.BENCHMARKS.get(registry.benchmark_of(args.space)).load(args.benchmark)
        for (target, column), (dataset, split) in bench.columns.items():
            try:
                value = f"{bench.accuracy(arch, dataset, split):.2f}"
            except KeyError:
                value = "not in table"
            print(f"{target:>15} {column:<5} ({dataset}/{split}, 200 epochs): {value}")
    return 0


def cmd_bench(args) -> None:
    import yaml

    from nasrepro import bench

    net = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.net)}
    net.update({k: v for k, v in (("C", args.C), ("N", args.N)) if v is not None})
    shape = dict(batch=args.batch, size=args.size, channels=args.channels, device=args.device,
                 threads=args.threads, iters=args.iters, warmup=args.warmup)
    if args.what == "step":
        overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
        inputs = dict(item.split("=", 1) for item in args.input)
        result = bench.step(args.space, args.method, net, overrides=overrides, inputs=inputs, **shape)
    elif args.what == "standalone":
        result = bench.standalone(args.space, net, **shape)
    elif args.what == "lookup":
        if not args.table:
            raise ConfigError("bench lookup needs --table PATH (a converted benchmark table, e.g. "
                              "data/prepared/thesis/benchmarks/nb201.parquet)")
        result = bench.lookup(args.space, args.table)
    else:
        result = bench.dag(args.configfile)
    print(json.dumps(result, sort_keys=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasrepro", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log", help="write the full log to this file (console: errors only)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("probe-cell", help="write the genotype of one probe cell (ranking analyses)")
    p.add_argument("--space", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--arch", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_probe_cell)

    p = sub.add_parser("published-cell", help="write the genotype of a published (literature) cell")
    p.add_argument("--space", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_published_cell)
    p = sub.add_parser("best-cell", help="write the best cell over a search's epochs (Table 4.2)")
    p.add_argument("--genotype", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_best_cell)

    p = sub.add_parser("prepare-data", help="fetch/verify one dataset")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_prepare_data)

    p = sub.add_parser("benchmark", help="obtain and convert a tabular benchmark")
    p.add_argument("--space", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("nb101-standin", help="stand-in NAS-Bench-101 table: derived cells retrained")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("metrics", nargs="+", help="the searches' metrics.jsonl")
    p.set_defaults(func=cmd_nb101_standin)

    p = sub.add_parser("search", help="run one architecture search")
    p.add_argument("--spec", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--input", action="append", default=[], metavar="NAME=PATH",
                   help="a named input file of the method (SearchContext.inputs), e.g. dvae=...")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("train-dvae", help="train the D-VAE of a space (E²NAS) and report on it")
    p.add_argument("--spec", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_train_dvae)

    p = sub.add_parser("evaluate", help="evaluate a found architecture (benchmark or retraining)")
    p.add_argument("--spec", required=True)
    p.add_argument("--genotype", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("table", help="build a thesis table")
    p.add_argument("--table", required=True)
    p.add_argument("--thesis-values", required=True)
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--note", required=True, help="provenance: profile, data roles, seeds")
    p.add_argument("finals", nargs="*")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("figure", help="build a thesis figure (kind: see report.catalog.FigureSpec)")
    p.add_argument("--figure", required=True)
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--note", required=True, help="provenance: profile, data roles, seeds")
    p.add_argument("metrics", nargs="*")
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("cost", help="build the cost table (CPU-/GPU-hours)")
    p.add_argument("--spec", required=True, help="JSON: jobs and the jobs of each table/figure")
    p.add_argument("--thesis-costs", required=True)
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--note", required=True, help="provenance: profile and machine")
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("arch", help="convert an architecture between string and index")
    p.add_argument("--space", default="nb201")
    p.add_argument("arch", nargs="?")
    p.add_argument("--index", type=int)
    p.add_argument("--benchmark", help="converted benchmark table (Parquet) for accuracies")
    p.set_defaults(func=cmd_arch)

    p = sub.add_parser("bench", help="speed and memory benchmarks (one JSON object on stdout)")
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
    p.add_argument("--set", nargs="*", default=[], help="step: method hyperparameters KEY=VALUE")
    p.add_argument("--input", nargs="*", default=[],
                   help="step: the method's named input files NAME=PATH (e2nas: dvae=PATH)")
    p.add_argument("--table", help="lookup: the converted benchmark table")
    p.add_argument("--configfile", help="dag: the profile to dry-run (default: config/config.yaml)")
    p.set_defaults(func=cmd_bench)
    return parser


def _configure_logging(args) -> None:
    level = logging.DEBUG if args.verbose else logging.INFO
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler: logging.Handler
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(args.log, mode="w")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(fmt)
    logging.raiseExceptions = False  # a log file on a full disk must not bury the one-line error
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    if args.command == "arch" and (args.arch is None) == (args.index is None):
        print("error: give exactly one of an architecture string or --index", file=sys.stderr)
        return 2
    registry.load_all()
    where = f" (full log: {args.log})" if args.log else ""
    try:
        return args.func(args) or 0
    except USER_ERRORS as error:
        log.error("%s", error, exc_info=bool(args.log))  # the log keeps the traceback
        if args.log:
            print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            return _unexpected(error, where)
        target = error.filename or next(v for v in (getattr(args, k, None) for k in
                                                     ("out_dir", "out", "out_prefix", "log")) if v)
        log.error("cannot write %s: %s", target, error.strerror, exc_info=True)
        print(f"error: cannot write {target}: {error.strerror}; free disk space or make the results "
              "folder writable, then rerun (finished epochs resume from _state/)", file=sys.stderr)
        return 2
    except Exception as error:
        return _unexpected(error, where)


def _unexpected(error: Exception, where: str) -> int:
    """An unexpected error: one line on the console, the traceback in the log."""
    log.exception("unexpected error")
    print(f"error: {type(error).__name__}: {error}{where}", file=sys.stderr)
    return 1
