"""Data subcommands: ``prepare-data`` (fetch and verify a dataset), ``benchmark`` (obtain and
convert a tabular benchmark) and ``nb101-standin`` (the stand-in NAS-Bench-101 table)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from nasrepro import registry
from nasrepro.commands.common import command, setup
from nasrepro.params import ConfigError
from nasrepro.utils.atomic import write_json

log = logging.getLogger("nasrepro")


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
    from nasrepro.data.protocols import retrain_data
    from nasrepro.jobs import RunSettings
    from nasrepro.params import build_config
    from nasrepro.spaces.nb1shot1.standin import build_standin, derived_cells
    from nasrepro.train.epochs import clear_state, config_fingerprint
    from nasrepro.train.retrain import run_retrain
    from nasrepro.utils.atomic import atomic_path
    from nasrepro.utils.seeding import seed_everything

    spec = json.loads(args.spec)
    settings = RunSettings(**spec["settings"])
    device = setup(settings)
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
        records = run_retrain(net, retrain_data(space, spec["dataset"]["name"], bundle), cfg,
                              spec["seed"], device, state / "run",
                              config_fingerprint(json.dumps([arch.to_string(), spec], sort_keys=True)),
                              settings.workers, space.task, settings.data_on_device,
                              settings.max_batches_per_epoch)
        clear_state(state / "run")
        return records, params, cfg.epochs

    table = build_standin(derived_cells(args.metrics), train_cell, state / "cells")
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    clear_state(state)
    log.info("stand-in NAS-Bench-101 table: %d cells -> %s", len(table), args.out)


def add_commands(sub) -> None:
    command(sub, "prepare-data", cmd_prepare_data, "fetch/verify one dataset", "--spec", "--out")
    command(sub, "benchmark", cmd_benchmark, "obtain and convert a tabular benchmark",
            "--space", "--spec", "--out")
    p = command(sub, "nb101-standin", cmd_nb101_standin,
                "stand-in NAS-Bench-101 table: derived cells retrained", "--spec", "--out")
    p.add_argument("metrics", nargs="+", help="the searches' metrics.jsonl")
