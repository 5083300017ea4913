"""Training subcommands: ``search`` (one architecture search), ``train-dvae`` (E²NAS' D-VAE) and
``evaluate`` (a found cell looked up in a benchmark or retrained)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from nasrepro import registry
from nasrepro.commands.common import command, setup, write_records_json
from nasrepro.jobs import to_json
from nasrepro.layout import build_command
from nasrepro.params import ConfigError
from nasrepro.utils.atomic import torch_save, write_json, write_jsonl


def cmd_search(args) -> None:
    from nasrepro.jobs import SearchJob
    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config
    from nasrepro.train.epochs import clear_state, config_fingerprint
    from nasrepro.train.search import run_search
    from nasrepro.utils.seeding import seed_everything

    began = time.time()
    job = SearchJob.from_json(args.spec)
    device = setup(job.settings)
    space = registry.SPACES.get(job.space)()
    method_cls = registry.METHODS.get(job.method)
    cfg = build_config(method_cls.Config, job.method_cfg, f"runs.{job.run}")
    bundle = registry.DATASETS.get(job.dataset["loader"]).load(job.dataset)
    seed_everything(job.seed)  # supernet and alpha initialisation
    supernet = space.build_supernet(bundle.shape, job.space_cfg)
    inputs = named_inputs(args.input, method_cls)
    # the run's seed also drives the choices a method makes before the search loop (which
    # re-seeds ctx.rng every epoch): NAO's seed pool, E²NAS' starting cell
    method = method_cls(SearchContext(space, supernet, cfg, device, rng=random.Random(job.seed),
                                      inputs=inputs, arch_examples=len(bundle.arch_train)))
    method.setup()
    out = Path(args.out_dir)
    result = run_search(method, bundle.for_search(), job.seed, out / "_state",
                        config_fingerprint(to_json(job)),
                        job.eval_batches, job.settings.workers,
                        probes=[space.from_string(c) for c in job.probes], probe_every=job.probe_every,
                        probe_batches=job.probe_batches, hessian_iters=job.hessian_iters,
                        hessian_batches=job.hessian_batches,
                        data_on_device=job.settings.data_on_device,
                        max_batches=job.settings.max_batches_per_epoch)
    write_jsonl(out / "metrics.jsonl", result.records)
    torch_save({"arch": space.to_string(result.arch), "state": method.state_dict()},
               out / "supernet.pt")
    genotype = {"space": job.space, "dataset": job.dataset.get("name"), "run": job.run,
                "method": job.method, "seed": job.seed, "arch": space.to_string(result.arch)}
    if hasattr(space, "index"):
        genotype["index"] = space.index(result.arch)
    write_json(out / "genotype.json", genotype)
    write_records_json(out / "run.json", job, device, began, result.records,
                       memory=method_cls.memory)
    clear_state(out / "_state")


def named_inputs(items: list[str], method_cls) -> dict[str, Path]:
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
            raise FileNotFoundError(f"input {name}={path} not found; build it with "
                                    f"`{build_command(path)}`")
    return inputs


def cmd_train_dvae(args) -> None:
    """Train the D-VAE of one space (rule train_dvae): dvae.pt, report.json and report.md in
    ``--out-dir``; per-epoch checkpoints in ``--out-dir``/_state while it runs."""
    from nasrepro.jobs import DvaeJob
    from nasrepro.train.dvae import run_job
    from nasrepro.train.epochs import config_fingerprint

    job = DvaeJob.from_json(args.spec)
    run_job(job, setup(job.settings), Path(args.out_dir), config_fingerprint(to_json(job)))


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
    from nasrepro.jobs import EvalJob
    from nasrepro.train.epochs import clear_state

    began = time.time()
    job = EvalJob.from_json(args.spec)
    device = setup(job.settings)
    space = registry.SPACES.get(job.space)()
    arch = space.from_string(json.loads(Path(args.genotype).read_text())["arch"])
    out = Path(args.out_dir)
    if job.mode == "benchmark":
        bench = registry.BENCHMARKS.get(registry.benchmark_of(job.space)).load(job.benchmark_table)
        final = bench.thesis_metrics(arch, job.target)
        records = [final]
        weights = None  # looked up, not trained
    else:
        from nasrepro.data.protocols import retrain_data
        from nasrepro.jobs import is_heldout_run
        from nasrepro.params import build_config
        from nasrepro.train.epochs import config_fingerprint
        from nasrepro.train.retrain import reported, run_retrain
        from nasrepro.utils.seeding import seed_everything

        cfg = build_config(space.retrain_config(job.target), job.retrain, f"spaces.{job.space}.retrain")
        bundle = registry.DATASETS.get(job.dataset["loader"]).load(job.dataset)
        seed_everything(job.seed)
        net = space.build_network(arch, bundle.shape, job.net_cfg)
        complexity = _complexity(net, bundle.shape, space.task)
        data = retrain_data(space, job.target, bundle, heldout=is_heldout_run(job.run))
        records = run_retrain(net, data, cfg, job.seed,
                              device, out / "_state", config_fingerprint(to_json(job)),
                              job.settings.workers, space.task, job.settings.data_on_device,
                              job.settings.max_batches_per_epoch)
        chosen = reported(records, cfg, space.task)
        final = {**{k: v for k, v in chosen.items() if k.startswith(("valid_", "test_"))},
                 "reported_epoch": chosen["epoch"], **complexity,
                 "data": data.sizes(),  # examples trained on / scored ("Valid") / reported
                 "net": job.net_cfg}  # the network that produced the row (Tables 2.1, 3.2)
        weights = net.state_dict()
    write_jsonl(out / "metrics.jsonl", records)
    torch_save({"arch": space.to_string(arch), "mode": job.mode, "state": weights},
               out / "model.pt")
    write_json(out / "final.json", {**final, "arch": space.to_string(arch), "mode": job.mode,
                                    "space": job.space, "dataset": job.search_dataset,
                                    "run": job.run, "method": job.method, "seed": job.seed,
                                    "target": job.target})
    write_records_json(out / "run.json", job, device, began, records)
    clear_state(out / "_state")


def add_commands(sub) -> None:
    p = command(sub, "search", cmd_search, "run one architecture search", "--spec", "--out-dir")
    p.add_argument("--input", action="append", default=[], metavar="NAME=PATH",
                   help="a named input file of the method (SearchContext.inputs), e.g. dvae=...")
    command(sub, "train-dvae", cmd_train_dvae, "train the D-VAE of a space (E²NAS) and report on it",
            "--spec", "--out-dir")
    command(sub, "evaluate", cmd_evaluate, "evaluate a found architecture (benchmark or retraining)",
            "--spec", "--genotype", "--out-dir")
