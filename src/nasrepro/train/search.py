"""Architecture search driver: one method on one space and dataset for one seed.

Per epoch: ``len(search_train) / batch_size`` steps, each pairing a training batch (weights) with
the next architecture batch (``arch_train``: the validation half with the training augmentation,
as NAS-Bench-201's search data does; the loader restarts when exhausted). Then the method
derives its architecture (``final`` after the last epoch; methods that score candidates draw
fresh, non-augmented validation batches) and the derived architecture is scored with inherited supernet weights (single-path
forward, BatchNorm batch statistics) on ``eval_batches`` validation batches (all when null). That
score, in the space's task metric, is the search curve (``derived_valid``).

Every epoch also records the derived cell's ``cell_stats`` (skip-connection ratio and depth of
its normal cell, Figs. 5.4 a, 5.5) and, with ``hessian_iters`` > 0, for methods with continuous
architecture parameters the dominant eigenvalue of the Hessian of the relaxed validation loss
w.r.t. them (``hessian_eig``: power iteration on ``hessian_batches`` validation batches, BatchNorm
batch statistics, running statistics untouched; Fig. 5.6).

Methods that take several weight steps per step draw the extra training batches from
``ctx.train_stream`` (its own per-epoch shuffle of the training split).

Text with random sequence lengths (``data.text``, DARTS' search): the training pass draws one
length per batch (35, or 17 with probability 0.05) and the weight learning rate of that step,
the virtual step's included, is scaled by length / BPTT (``train.lr.scaled_lr``).

``max_batches`` (the profile's budget knob ``max_batches_per_epoch``, null in the thesis
profile) cuts every pass over a split to its first batches: the weight/architecture steps of an
epoch and every scoring pass (derived cell, candidates, probes, Hessian). It limits work only.

Probes (the forgetting and ranking analyses of chapters 2-3): every ``probe_every`` epochs and
after the last one, each of the fixed ``probes`` cells is scored the same way on the same
validation batches (``probe_batches`` of them, all when null; ``probe_valid``, one value per
cell), and the cells the method trained in that epoch (``trained_arch``) are scored
on the step's architecture batch right after their step (``sampled_valid``, the epoch mean;
Fig. 2.2a).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from nasrepro.data.base import DataBundle, endless, lr_scale, make_loader
from nasrepro.evaluation.metrics import batch_statistics
from nasrepro.train.epochs import run_epochs
from nasrepro.train.lr import scaled_lr


@dataclass
class SearchResult:
    arch: object
    records: list[dict]


def run_search(method, bundle: DataBundle, seed: int, state_dir: Path, fingerprint: str,
               eval_batches: int | None = None, workers: int = 0, probes: list | None = None,
               probe_every: int = 1, probe_batches: int | None = None, hessian_iters: int = 0,
               hessian_batches: int = 1, data_on_device: bool = False,
               max_batches: int | None = None) -> SearchResult:
    ctx, cfg = method.ctx, method.cfg
    task, space, device = ctx.task, ctx.space, ctx.device
    probes = probes or []
    on = device if data_on_device else None  # batches built on the device (data.images)

    def inherited(arch, batches) -> float:
        with batch_statistics(method.supernet):
            return task.score(lambda x: method.supernet(x, arch=arch), batches, device)

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        ctx.rng.seed(epoch_seed)
        header = method.begin_epoch(epoch)
        train = make_loader(bundle.search_train, cfg.batch_size, True, epoch_seed, workers,
                            device=on, phase="search", limit=max_batches)
        arch_batches = endless(make_loader(bundle.arch_train, cfg.batch_size, True,
                                           epoch_seed + 1, workers, device=on, limit=max_batches))
        ctx.train_stream = endless(make_loader(bundle.search_train, cfg.batch_size, True,
                                               epoch_seed + 3, workers, device=on,
                                               limit=max_batches))
        probing = bool(probes) and ((epoch + 1) % probe_every == 0 or epoch + 1 == cfg.epochs)
        sums: dict[str, float] = {}
        sampled: list[float] = []
        steps, step_time = 0, 0.0
        for batch in train:
            arch_batch = task.to_device(next(arch_batches), device)
            began = time.perf_counter()
            with scaled_lr(method.w_opt, lr_scale(bundle.search_train, batch)):
                stats = method.step(task.to_device(batch, device), arch_batch)
            step_time += time.perf_counter() - began
            for key, value in stats.items():  # tensors are summed on the device (float64) and
                value = value.double() if torch.is_tensor(value) else value  # read once per epoch
                sums[key] = sums.get(key, 0.0) + value
            steps += 1
            if probing and method.trained_arch is not None:
                sampled.append(inherited(method.trained_arch, [arch_batch]))
        method.end_epoch()

        def valid_batches(batch_size: int, limit: int | None = None, whole: bool = False):
            """Validation batches: ``limit`` of them, endless (None) or, with ``whole``, one
            pass (every call: the same batches in the same order)."""
            loader = make_loader(bundle.search_valid, batch_size, True, epoch_seed + 2, workers,
                                 device=on, limit=max_batches)
            if whole:
                return loader
            return itertools.islice(loader, limit) if limit is not None else endless(loader)

        limit = eval_batches or len(bundle.search_valid)
        arch = method.derive(valid_batches, final=epoch + 1 == cfg.epochs)
        record = {**header, **{k: float(v) / max(1, steps) for k, v in sums.items()}, "steps": steps,
                  "step_time_s": round(step_time / max(1, steps), 5),
                  "derived_valid": inherited(arch, valid_batches(cfg.batch_size, limit)),
                  "metric": task.metric, "arch": space.to_string(arch), **space.cell_stats(arch)}
        if hessian_iters:
            batches = [task.to_device(b, device) for b in valid_batches(cfg.batch_size, hessian_batches)]
            # its own generator, BatchNorm buffers and global RNG state restored: tracking
            # changes nothing in the search
            with batch_statistics(method.supernet, grad=True), \
                    torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                eig = method.hessian_eigenvalue(batches, hessian_iters,
                                                torch.Generator().manual_seed(epoch_seed + 4))
            if eig is not None:
                record["hessian_eig"] = eig
        if probing:
            record["probe_valid"] = [inherited(p, valid_batches(cfg.batch_size, probe_batches or limit))
                                     for p in probes]
            if sampled:
                record["sampled_valid"] = sum(sampled) / len(sampled)
        return record

    records = run_epochs(cfg.epochs, seed, state_dir, method.state_dict, method.load_state_dict,
                         run_epoch, fingerprint=fingerprint)
    return SearchResult(arch=space.from_string(records[-1]["arch"]), records=records)
