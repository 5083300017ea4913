"""Device selection: ``auto`` picks CUDA when available, otherwise CPU. (torch is imported where
it is used: the CLI imports this module, and jobs that need no torch start without it.)"""

from __future__ import annotations

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
