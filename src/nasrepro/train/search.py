"""Architecture search driver: one method on one space and dataset for one seed.

Per epoch: ``len(search_train) / batch_size`` steps, each pairing a training batch (weights) with
the next architecture batch (``arch_train``: the validation half with the training augmentation,
as NAS-Bench-201's search data does; the loader restarts when exhausted). Then the method
derives its architecture (methods that score candidates draw fresh, non-augmented validation
batches) and the derived architecture is scored with inherited supernet weights (single-path
forward, BatchNorm batch statistics) on ``eval_batches`` validation batches (all when null). That
score, in the space's task metric, is the search curve (``derived_valid``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

from nasrepro.data.base import DataBundle, endless, make_loader
from nasrepro.evaluation.metrics import batch_statistics
from nasrepro.train.epochs import run_epochs


@dataclass
class SearchResult:
    arch: object
    records: list[dict]


def run_search(method, bundle: DataBundle, seed: int, state_dir: Path, fingerprint: str,
               eval_batches: int | None = None, workers: int = 0) -> SearchResult:
    ctx, cfg = method.ctx, method.cfg
    task, space, device = ctx.task, ctx.space, ctx.device

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        ctx.rng.seed(epoch_seed)
        header = method.begin_epoch(epoch)
        train = make_loader(bundle.search_train, cfg.batch_size, True, epoch_seed, workers)
        arch_batches = endless(make_loader(bundle.arch_train, cfg.batch_size, True,
                                           epoch_seed + 1, workers))
        sums: dict[str, float] = {}
        steps, began = 0, time.perf_counter()
        for batch in train:
            stats = method.step(task.to_device(batch, device),
                                task.to_device(next(arch_batches), device))
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
            steps += 1
        step_time = (time.perf_counter() - began) / max(1, steps)
        method.end_epoch()

        def valid_batches(batch_size: int, limit: int | None = None):
            loader = make_loader(bundle.search_valid, batch_size, True, epoch_seed + 2, workers)
            return itertools.islice(loader, limit) if limit is not None else endless(loader)

        arch = method.derive(valid_batches)
        with batch_statistics(method.supernet):
            score = task.score(lambda x: method.supernet(x, arch=arch),
                               valid_batches(cfg.batch_size, eval_batches or len(bundle.search_valid)),
                               device)
        return {**header, **{k: v / max(1, steps) for k, v in sums.items()}, "steps": steps,
                "step_time_s": round(step_time, 5), "derived_valid": score,
                "metric": task.metric, "arch": space.to_string(arch)}

    records = run_epochs(cfg.epochs, seed, state_dir, method.state_dict, method.load_state_dict,
                         run_epoch, fingerprint=fingerprint)
    return SearchResult(arch=space.from_string(records[-1]["arch"]), records=records)
