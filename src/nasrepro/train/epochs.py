"""The one epoch loop with checkpoint/resume that search and retraining share.

After every epoch the full state (model, optimizers, schedulers, metric records) is written
atomically to ``state_dir/epoch<NNNN>.pt`` beside its sha256 digest (``.sha256``), ``NNNN`` being
the number of epochs it completes, as the log counts them (``epoch0005.pt`` is written after the
line ``epoch 5/8``); the last ``KEEP`` checkpoints are kept. A resumed run takes the newest
checkpoint whose digest, content and configuration fingerprint check out; a corrupted or truncated
one is reported in one warning line and the next older one is tried (none left: start from
scratch). Checkpoints are read with ``weights_only=True`` (``nasrepro.utils.safeload``): one
holding anything but tensors and plain containers (a forged file from a shared folder could carry
a pickled callable) is refused unread in one warning line and handled like a corrupted one. The
resume point is read from a checkpoint's content (its ``epoch``), not its name, so a state folder
of older code (files numbered from 0) resumes too. Each epoch starts by re-seeding every RNG from
(seed, epoch), so a run killed and restarted from its last checkpoint draws the same random
numbers as an uninterrupted one and ends with the same result on CPU. Every epoch logs one
progress line: epoch, its float metrics (losses, accuracies) and an ETA.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable

import torch

from nasrepro.utils.atomic import write_bytes, write_text
from nasrepro.utils.safeload import UnsafeFileError, load_plain
from nasrepro.utils.seeding import epoch_seed, seed_everything

log = logging.getLogger(__name__)


REQUIRED_KEYS = ("state", "records", "epoch")
KEEP = 2  # checkpoints kept: the newest, and the one before it in case the newest is damaged


def config_fingerprint(obj) -> str:
    """sha256 of the canonical JSON of a job's resolved config (``obj``: JSON text or data)."""
    text = obj if isinstance(obj, str) else json.dumps(obj, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def checkpoint_path(state_dir: Path, epoch: int) -> Path:
    """The checkpoint written after ``epoch`` (0-based, as ``run_epoch`` gets it): named by the
    epochs it completes, ``epoch + 1``, the number the progress line shows."""
    return Path(state_dir) / f"epoch{epoch + 1:04d}.pt"


def save_checkpoint(state_dir: Path, epoch: int, payload: dict) -> None:
    """Write ``payload`` as the checkpoint of ``epoch``, then its sha256 digest (both atomic),
    then delete checkpoints older than the newest ``KEEP``."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    path = checkpoint_path(state_dir, epoch)
    write_bytes(path, data)
    write_text(path.with_suffix(".sha256"), hashlib.sha256(data).hexdigest() + "\n")
    for old in sorted(Path(state_dir).glob("epoch*.pt"))[:-KEEP]:
        old.with_suffix(".sha256").unlink(missing_ok=True)
        old.unlink(missing_ok=True)


def _verified(path: Path) -> tuple[dict | None, str]:
    """The checkpoint at ``path`` if its digest matches, it holds only tensors and plain
    containers and every required key; else ``None`` and the warning line that says why."""
    corrupted = (f"checkpoint {path} is corrupted, truncated or incomplete (digest or content "
                 "check failed); discarding it and trying the previous one")
    digest = path.with_suffix(".sha256")
    if not digest.exists():
        return None, corrupted
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest.read_text().strip():
        return None, corrupted
    try:
        saved = load_plain(io.BytesIO(data), f"checkpoint {path}")
    except UnsafeFileError as error:
        return None, (f"{error}; discarding it and trying the previous one (check who can write "
                      "to the folder or DVC remote it came from)")
    except Exception:  # torch raises several types for truncated or garbage files
        return None, corrupted
    if isinstance(saved, dict) and all(k in saved for k in REQUIRED_KEYS):
        return saved, ""
    return None, corrupted


def load_checkpoint(state_dir: Path, fingerprint: str) -> dict | None:
    """The newest good checkpoint in ``state_dir`` written for this configuration
    (``fingerprint``), or ``None``. Each damaged checkpoint (digest mismatch, truncated,
    unreadable, keys missing), each refused one (objects other than tensors and plain containers)
    and a checkpoint of another configuration is reported in one warning line. A checkpoint
    without a fingerprint (older code) counts as another configuration."""
    for path in sorted(Path(state_dir).glob("epoch*.pt"), reverse=True):
        saved, problem = _verified(path)
        if saved is None:
            log.warning("%s", problem)
            continue
        if saved.get("fingerprint") != fingerprint:
            log.warning("checkpoint %s was written for a different configuration; discarding it "
                        "and starting from scratch", path)
            return None
        return saved
    return None


def _progress(epoch: int, epochs: int, record: dict, times: list[float]) -> str:
    """One progress line: epoch, float metrics and the ETA from this process' epoch times."""
    eta = timedelta(seconds=round(sum(times) / len(times) * (epochs - epoch - 1)))
    metrics = " ".join(f"{k}={v:.4g}" for k, v in record.items() if isinstance(v, float))
    return f"epoch {epoch + 1}/{epochs} {metrics} eta={eta}"


def run_epochs(epochs: int, seed: int, state_dir: Path, get_state: Callable[[], dict],
               set_state: Callable[[dict], None],
               run_epoch: Callable[[int, int], dict], *, fingerprint: str) -> list[dict]:
    """Run epochs [resume point, epochs); ``run_epoch(epoch, seed)`` returns one metrics record.
    Returns all records (earlier ones restored from the checkpoint). ``fingerprint`` identifies
    the job's resolved configuration: a checkpoint of another configuration is not resumed.
    Each record carries ``epoch_time_s`` and ``elapsed_s`` (epoch wall time summed from epoch 0,
    across resumes)."""
    records: list[dict] = []
    start = 0
    saved = load_checkpoint(state_dir, fingerprint)
    if saved is None:
        clear_state(state_dir)
    else:
        set_state(saved["state"])
        records, start = saved["records"], saved["epoch"] + 1
        log.info("resuming from %s at epoch %d/%d", state_dir, start + 1, epochs)
    times: list[float] = []
    for epoch in range(start, epochs):
        seed_e = epoch_seed(seed, epoch)
        seed_everything(seed_e)
        began = time.perf_counter()
        record = {"epoch": epoch, **run_epoch(epoch, seed_e)}
        record["epoch_time_s"] = round(time.perf_counter() - began, 4)
        before = records[-1]["elapsed_s"] if records else 0.0
        record["elapsed_s"] = round(before + record["epoch_time_s"], 4)
        records.append(record)
        save_checkpoint(state_dir, epoch, {"state": get_state(), "records": records,
                                           "epoch": epoch, "fingerprint": fingerprint})
        times.append(record["epoch_time_s"])
        log.info("%s", _progress(epoch, epochs, record, times))
    return records


def clear_state(state_dir: Path) -> None:
    """Delete ``state_dir`` (the checkpoint of a finished, stale or corrupt run)."""
    shutil.rmtree(state_dir, ignore_errors=True)
