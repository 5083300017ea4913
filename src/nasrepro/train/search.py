"""Architecture search driver: one method on one space and dataset for one seed.

Per epoch: ``len(search_train) / batch_size`` steps, each pairing a training batch with the next
validation batch (the validation loader restarts when exhausted), then the method's derived cell
is scored with inherited supernet weights (single-path forward, BatchNorm batch statistics) on
``eval_batches`` validation batches (all when null). That accuracy is the search curve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from nasrepro.data.base import DataBundle, endless, make_loader
from nasrepro.evaluation.metrics import batch_statistics, batches_accuracy
from nasrepro.train.epochs import move_batch, run_epochs


@dataclass
class SearchResult:
    arch: object
    records: list[dict]


def _limited(loader, max_batches: int | None):
    for i, batch in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            return
        yield batch


def run_search(method, bundle: DataBundle, seed: int, state_dir: Path,
               eval_batches: int | None = None, workers: int = 0) -> SearchResult:
    cfg, device = method.cfg, method.device

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        header = method.begin_epoch(epoch)
        train = make_loader(bundle.search_train, cfg.batch_size, True, epoch_seed, workers)
        valid = endless(make_loader(bundle.search_valid, cfg.batch_size, True, epoch_seed + 1, workers))
        sums: dict[str, float] = {}
        steps, began = 0, time.perf_counter()
        for batch in train:
            stats = method.step(move_batch(batch, device), move_batch(next(valid), device))
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
            steps += 1
        step_time = (time.perf_counter() - began) / max(1, steps)
        method.end_epoch()
        scoring = make_loader(bundle.search_valid, cfg.batch_size, True, epoch_seed + 2, workers)
        arch = method.derive(scoring)
        with batch_statistics(method.supernet):
            acc = batches_accuracy(lambda x: method.supernet(x, arch=arch),
                                   _limited(scoring, eval_batches), device)
        return {**header, **{k: v / max(1, steps) for k, v in sums.items()}, "steps": steps,
                "step_time_s": round(step_time, 5), "derived_valid_acc": acc,
                "arch": arch.to_string()}

    records = run_epochs(cfg.epochs, seed, state_dir, method.state_dict, method.load_state_dict,
                         run_epoch)
    return SearchResult(arch=method.space.from_string(records[-1]["arch"]), records=records)
