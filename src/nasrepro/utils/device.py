"""Device selection: ``auto`` picks CUDA when available, otherwise CPU. (torch is imported where
it is used: the CLI imports this module, and jobs that need no torch start without it.)"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class DeviceUnavailableError(RuntimeError):
    """The configured device does not exist on this machine."""


def resolve_device(name: str) -> torch.device:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` as a device; ``DeviceUnavailableError`` when CUDA
    is asked for on a machine without it."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceUnavailableError(f"device {name!r} requested but CUDA is not available; "
                                     "set `device: auto` or `device: cpu` in the config")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """``cpu`` or ``cuda:<GPU model>``, as recorded in run.json."""
    import torch

    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


@contextmanager
def intra_op_threads(limit: int):
    """At most ``limit`` intra-op CPU threads inside the block (restored after). For batch-1
    work of many small operations (E²NAS' graph decoder): on a loaded machine each
    multi-threaded small operation waits for a thread the other jobs hold (a GRU cell of hidden
    size 501 at batch 1: 16 ms on 2 threads against 0.13 ms on 1, load average 6 on 2 cores,
    2026-12-07), and at that size one thread loses nothing."""
    import torch

    before = torch.get_num_threads()
    if before > limit:
        torch.set_num_threads(limit)
    try:
        yield
    finally:
        if before > limit:
            torch.set_num_threads(before)
