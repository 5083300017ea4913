"""Benchmarks behind ``python -m nasrepro bench ...`` (speed is measured here, never asserted in
tests). Each prints one JSON object on stdout; run each measurement in a fresh process.

- ``step``: one search step (weight step + architecture step) of a registered method on a
  registered space's supernet (``channels_last``: supernet and images in NHWC layout), on random inputs of the given shape (a language-model space:
  ``batch`` sequences of ``size`` random tokens of a 10,000-word vocabulary, i.e. PTB's): ``warmup`` steps, then
  ``iters`` timed steps (synchronised on GPU); median and min seconds per step, peak memory
  (``peak_mb``: the process's peak RSS on CPU, ``torch.cuda.max_memory_allocated`` on GPU) and
  ``above_start_mb``, the part of it above the process's memory before the supernet was built.
- ``standalone``: the same for training the stand-alone network of one cell (``arch``, default a
  sampled one) at the same sizes (the single-path memory reference of Table 2.1's claim).
- ``lookup``: load time and memory of a converted benchmark table (after importing the Parquet
  reader, timed apart as ``reader_import_s``), and 10,000 random lookups.
- ``dag``: dry-run time of a profile (``snakemake -n``) and the fixed cost of one job's process
  (interpreter start and imports) and of loading the default data.

``step`` and ``standalone`` log what they measure when they start, then a progress line (step,
seconds, an estimate of the time left) after the first step and whenever ``PROGRESS_EVERY_S``
seconds have passed since the last one: on stderr, so stdout stays one JSON object.
"""

from __future__ import annotations

import itertools
import logging
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from nasrepro import plugins, registry
from nasrepro.spaces.base import DataShape
from nasrepro.utils.device import describe, resolve_device

LM_VOCAB = 10000  # language-model spaces (DARTS RNN): random tokens of PTB's vocabulary
PROGRESS_EVERY_S = 10.0  # a progress line at least this far apart (and after the first step)

log = logging.getLogger(__name__)


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _clock(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def _timed(run_step, device, iters: int, warmup: int) -> list[float]:
    """Seconds of each of ``iters`` steps after ``warmup`` untimed ones, logging progress."""
    total, times = warmup + iters, []
    began_all = last_line = time.perf_counter()
    for done in range(1, total + 1):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        began = time.perf_counter()
        run_step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        now = time.perf_counter()
        if done > warmup:
            times.append(now - began)
        if done < total and (done == 1 or now - last_line >= PROGRESS_EVERY_S):
            per_step = (now - began_all) / done
            kind = "warm-up" if done <= warmup else "timed"
            log.info("step %d/%d (%s) %.2f s; about %s left", done, total, kind, now - began,
                     _clock(per_step * (total - done)))
            last_line = now
    return times


def _announce(what: str, dev, net: dict, batch: int, size: int, threads: int, iters: int,
              warmup: int) -> None:
    log.info("bench %s: %s, batch %d, size %d, %d warm-up + %d timed steps on %s (%d threads)",
             what, net or "default network", batch, size, warmup, iters, describe(dev), threads)


def _setting(space_name: str, net: dict, batch: int, size: int, channels: int, device: str,
             threads: int, channels_last: bool = False):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dev = resolve_device(device)
    plugins.load_all()
    space = registry.SPACES.get(space_name)()
    if space.task.metric == "perplexity":  # language model: ``size`` = BPTT, PTB's 10k words
        shape, streams = DataShape(LM_VOCAB, 1, 1, size), itertools.count()

        def make_batch():
            tokens = torch.randint(0, LM_VOCAB, (batch, size + 1), device=dev)
            tag = torch.tensor([[next(streams), 0]] * batch, device=dev)  # own stream per batch
            return tokens[:, :-1], tokens[:, 1:], tag

        return dev, space, shape, make_batch
    shape = DataShape(10, channels, size, size)
    layout = torch.channels_last if channels_last else torch.contiguous_format

    def make_batch():
        return (torch.randn(batch, channels, size, size, device=dev).contiguous(memory_format=layout),
                torch.randint(0, 10, (batch,), device=dev))

    return dev, space, shape, make_batch


def _result(times, dev, start_mb, threads, **fields) -> dict:
    peak = _peak_mb(dev)
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": round(peak, 1),
            "above_start_mb": round(peak - (0.0 if dev.type == "cuda" else start_mb), 1),
            "device": describe(dev), "threads": threads, "iters": len(times), **fields}


def step(space: str, method: str, net: dict, batch: int, size: int, channels: int, device: str,
         threads: int, iters: int, warmup: int, overrides: dict, inputs: dict | None = None,
         channels_last: bool = False, fidelity: str = "thesis") -> dict:
    """Median and min seconds of ``method``'s search step; the method's state carries over
    from step to step (archives fill during ``warmup``). ``fidelity="released"``: the method's
    released-code settings on ``space`` (``SearchMethod.released``), ``overrides`` over them."""
    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config

    dev, space_obj, shape, make_batch = _setting(space, net, batch, size, channels, device, threads,
                                                 channels_last)
    start = _rss_mb()
    cls = registry.METHODS.get(method)
    if fidelity == "released":
        if space not in cls.released:
            raise ValueError(f"{method} has no released-code settings on {space} (it has them on "
                             f"{sorted(cls.released) or 'no space'}); drop --fidelity released")
        overrides = {**cls.released[space], **overrides}
    fields = set(cls.Config.__dataclass_fields__)
    cfg = build_config(cls.Config, {"batch_size": batch,
                                    **{k: v for k, v in overrides.items() if k in fields}}, method)
    train_batch, valid_batch = make_batch(), make_batch()
    # N of BaLeNAS' Eq. 5.12: CIFAR-10's validation half; extra weight batches: the same batch
    missing = [name for name in cls.inputs if name not in (inputs or {})]
    if missing:
        raise ValueError(f"{method} reads the input files {list(cls.inputs)}: pass "
                         + " ".join(f"--input {m}=PATH" for m in missing))
    supernet = space_obj.build_supernet(shape, net)
    if channels_last:
        supernet = supernet.to(memory_format=torch.channels_last)
    ctx = SearchContext(space_obj, supernet, cfg, dev, random.Random(0),
                        inputs={k: Path(v) for k, v in (inputs or {}).items()},
                        arch_examples=25000, train_stream=itertools.repeat(train_batch))
    _announce(f"step {method} on {space}", dev, net, batch, size, threads, iters, warmup)
    searcher = cls(ctx)
    searcher.setup()
    searcher.begin_epoch(0)
    times = _timed(lambda: searcher.step(train_batch, valid_batch), dev, iters, warmup)
    return _result(times, dev, start, threads, kind="step", space=space, method=method, net=net,
                   batch=batch, size=size, overrides=overrides, channels_last=channels_last,
                   fidelity=fidelity)


def standalone(space: str, net: dict, batch: int, size: int, channels: int, device: str,
               threads: int, iters: int, warmup: int, seed: int = 0, arch: str | None = None) -> dict:
    """One SGD step (momentum 0.9) of the stand-alone network of cell ``arch`` (default: a
    uniformly sampled cell)."""
    dev, space_obj, shape, make_batch = _setting(space, net, batch, size, channels, device, threads)
    start = _rss_mb()
    arch = space_obj.from_string(arch) if arch else space_obj.sample(random.Random(seed))
    model = space_obj.build_network(arch, shape, net).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9)
    x, y = make_batch()

    def run_step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        logits = out[0] if isinstance(out, tuple) else out
        torch.nn.functional.cross_entropy(logits, y).backward()
        opt.step()

    model.train()
    _announce(f"standalone {space}", dev, net, batch, size, threads, iters, warmup)
    times = _timed(run_step, dev, iters, warmup)
    return _result(times, dev, start, threads, kind="standalone", space=space, net=net,
                   batch=batch, size=size, arch=space_obj.to_string(arch))


def lookup(space: str, table: str, lookups: int = 10000, target: str = "cifar10") -> dict:
    """Load time and RSS growth of a converted benchmark table; seconds for ``lookups`` random
    thesis-metric lookups of cells present in it."""
    plugins.load_all()
    space_obj = registry.SPACES.get(space)()
    benchmark = registry.BENCHMARKS.get(registry.benchmark_of(space))
    if not hasattr(benchmark, "cells"):
        raise ValueError(f"bench lookup needs a benchmark that lists its cells as architecture "
                         f"strings ({benchmark.__name__} does not); use --space nb201")
    began = time.perf_counter()
    import pyarrow.parquet  # noqa: F401  (the tables' reader: a per-process cost, reported apart)

    reader_import_s = time.perf_counter() - began
    start = _rss_mb()
    began = time.perf_counter()
    bench = benchmark.load(table)
    load_s = time.perf_counter() - began
    loaded = _rss_mb()
    cells = [space_obj.from_string(a) for a in sorted(bench.cells())]
    rng = random.Random(0)
    picks = [rng.choice(cells) for _ in range(lookups)]
    began = time.perf_counter()
    for arch in picks:
        bench.thesis_metrics(arch, target)
    return {"kind": "lookup", "space": space, "table": table, "cells": len(cells),
            "reader_import_s": reader_import_s, "load_s": load_s,
            "load_rss_mb": round(loaded - start, 1),
            "lookups": lookups, "lookup_s": time.perf_counter() - began}


def dag(configfile: str | None, repeats: int = 3) -> dict:
    """Seconds of ``snakemake -n`` for a profile, and of a job process' fixed costs: starting
    Python with the package's CLI (``--help``), importing torch, loading the default data."""

    def seconds(cmd: list[str]) -> float:
        began = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - began

    dry = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules"]
    if configfile:
        dry += ["--configfile", configfile]
    load = ("from nasrepro import plugins, registry; plugins.load_all(); "
            "registry.DATASETS.get('digits').load({'split_seed': 0})")
    return {"kind": "dag", "configfile": configfile,
            "dry_run_s": min(seconds(dry) for _ in range(repeats)),
            "cli_start_s": min(seconds([sys.executable, "-m", "nasrepro", "--help"])
                               for _ in range(repeats)),
            "import_torch_s": min(seconds([sys.executable, "-c", "import torch"])
                                  for _ in range(repeats)),
            "default_data_load_s": min(seconds([sys.executable, "-c", load]) for _ in range(repeats))}
