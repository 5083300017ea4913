"""The one epoch loop with checkpoint/resume that search and retraining share.

After every epoch the full state (model, optimizers, schedulers, metric records) is written
atomically to ``state_dir/state.pt``. Each epoch starts by re-seeding every RNG from
(seed, epoch), so a run killed and restarted from its last checkpoint draws the same random
numbers as an uninterrupted one and ends with the same result on CPU.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Callable

import torch

from nasrepro.utils.atomic import torch_save
from nasrepro.utils.seeding import epoch_seed, seed_everything

log = logging.getLogger(__name__)


class CorruptCheckpointError(RuntimeError):
    """A resume checkpoint that cannot be read."""


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises several types for truncated/garbage files
        raise CorruptCheckpointError(
            f"cannot read resume checkpoint {path} ({error}). Delete {path.parent} to restart "
            "this job from scratch.") from error


def run_epochs(epochs: int, seed: int, state_dir: Path, get_state: Callable[[], dict],
               set_state: Callable[[dict], None],
               run_epoch: Callable[[int, int], dict], *, fingerprint: str) -> list[dict]:
    """Run epochs [resume point, epochs); ``run_epoch(epoch, seed)`` returns one metrics record.
    Returns all records (earlier ones restored from the checkpoint)."""
    state_file = Path(state_dir) / "state.pt"
    records: list[dict] = []
    start = 0
    if state_file.exists():
        saved = load_checkpoint(state_file)
    if state_file.exists() and saved.get("fingerprint") != fingerprint:
        log.warning("checkpoint %s was written for a different configuration; starting from scratch",
                    state_file)
        clear_state(state_dir)
    elif state_file.exists():
        set_state(saved["state"])
        records, start = saved["records"], saved["epoch"] + 1
        log.info("resuming from %s at epoch %d/%d", state_file, start, epochs)
    for epoch in range(start, epochs):
        seed_e = epoch_seed(seed, epoch)
        seed_everything(seed_e)
        began = time.perf_counter()
        record = {"epoch": epoch, **run_epoch(epoch, seed_e)}
        record["epoch_time_s"] = round(time.perf_counter() - began, 4)
        records.append(record)
        torch_save({"state": get_state(), "records": records, "epoch": epoch,
                    "fingerprint": fingerprint}, state_file)
        log.info("epoch %d/%d %s", epoch + 1, epochs,
                 " ".join(f"{k}={v:.4g}" for k, v in record.items() if isinstance(v, float)))
    return records


def clear_state(state_dir: Path) -> None:
    shutil.rmtree(state_dir, ignore_errors=True)


def move_batch(batch, device: torch.device):
    x, y = batch
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)
