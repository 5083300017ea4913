"""The one epoch loop with checkpoint/resume that search and retraining share.

After every epoch the full state (model, optimizers, schedulers, metric records) is written
atomically to ``state_dir/state.pt``. Each epoch starts by re-seeding every RNG from
(seed, epoch), so a run killed and restarted from its last checkpoint draws the same random
numbers as an uninterrupted one and ends with the same result on CPU.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Callable

import torch

from nasrepro.utils.atomic import torch_save
from nasrepro.utils.seeding import epoch_seed, seed_everything

log = logging.getLogger(__name__)


REQUIRED_KEYS = ("state", "records", "epoch")


def config_fingerprint(obj) -> str:
    """sha256 of the canonical JSON of a job's resolved config (``obj``: JSON text or data)."""
    text = obj if isinstance(obj, str) else json.dumps(obj, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load_checkpoint(path: Path, fingerprint: str) -> dict | None:
    """The checkpoint at ``path`` if it is readable and was written for this configuration
    (``fingerprint``); otherwise ``None``, after one warning line saying why it is discarded.
    A checkpoint without a fingerprint (older code) counts as another configuration."""
    if not path.exists():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=False)
        readable = isinstance(saved, dict) and all(k in saved for k in REQUIRED_KEYS)
    except Exception:  # torch raises several types for truncated or garbage files
        readable = False
    if not readable:
        log.warning("checkpoint %s is unreadable or incomplete; discarding it and starting from "
                    "scratch", path)
        return None
    if saved.get("fingerprint") != fingerprint:
        log.warning("checkpoint %s was written for a different configuration; discarding it and "
                    "starting from scratch", path)
        return None
    return saved


def run_epochs(epochs: int, seed: int, state_dir: Path, get_state: Callable[[], dict],
               set_state: Callable[[dict], None],
               run_epoch: Callable[[int, int], dict], *, fingerprint: str) -> list[dict]:
    """Run epochs [resume point, epochs); ``run_epoch(epoch, seed)`` returns one metrics record.
    Returns all records (earlier ones restored from the checkpoint). ``fingerprint`` identifies
    the job's resolved configuration: a checkpoint of another configuration is not resumed.
    Each record carries ``epoch_time_s`` and ``elapsed_s`` (epoch wall time summed from epoch 0,
    across resumes)."""
    state_file = Path(state_dir) / "state.pt"
    records: list[dict] = []
    start = 0
    saved = load_checkpoint(state_file, fingerprint)
    if saved is None:
        clear_state(state_dir)
    else:
        set_state(saved["state"])
        records, start = saved["records"], saved["epoch"] + 1
        log.info("resuming from %s at epoch %d/%d", state_file, start, epochs)
    for epoch in range(start, epochs):
        seed_e = epoch_seed(seed, epoch)
        seed_everything(seed_e)
        began = time.perf_counter()
        record = {"epoch": epoch, **run_epoch(epoch, seed_e)}
        record["epoch_time_s"] = round(time.perf_counter() - began, 4)
        before = records[-1]["elapsed_s"] if records else 0.0
        record["elapsed_s"] = round(before + record["epoch_time_s"], 4)
        records.append(record)
        torch_save({"state": get_state(), "records": records, "epoch": epoch,
                    "fingerprint": fingerprint}, state_file)
        log.info("epoch %d/%d %s", epoch + 1, epochs,
                 " ".join(f"{k}={v:.4g}" for k, v in record.items() if isinstance(v, float)))
    return records


def clear_state(state_dir: Path) -> None:
    """Delete ``state_dir`` (the checkpoint of a finished, stale or corrupt run)."""
    shutil.rmtree(state_dir, ignore_errors=True)
