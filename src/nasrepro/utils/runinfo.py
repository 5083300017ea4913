"""``run.json``: what produced a result (commit, dirty flag, config, profile, versions, device,
CPU/GPU model, intra-op threads, the process (own interpreter or forked by the local job server,
``nasrepro.jobserver``), timestamp, wall time). ``git_dirty`` ignores untracked files: the pipeline writes
only untracked outputs, so it is true only when tracked code or config was edited."""

from __future__ import annotations

import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from nasrepro import jobserver
from nasrepro.utils.atomic import write_json

PACKAGES = ("torch", "torchvision", "numpy", "snakemake", "nasrepro")


def _git(*args: str) -> str | None:
    """Output of ``git <args>`` run in this package's checkout, or None outside git."""
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def versions() -> dict[str, str]:
    """Installed versions of the packages that determine a result."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_model() -> str | None:
    """Name of the current CUDA device, or None without CUDA."""
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else None


def threads() -> int:
    """torch's intra-op thread count in this process."""
    import torch

    return torch.get_num_threads()


def write_run_json(path: str | Path, config: dict, device: str, wall_time_s: float,
                   profile: str | None = None, extra: dict | None = None) -> None:
    """Write ``run.json`` at ``path``: provenance of one job plus ``extra`` fields.
    ``timestamp`` is the UTC time of this write (ISO 8601); ``gpu`` is null without CUDA."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    write_json(path, {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "profile": profile,
        "cpu": cpu_model(),
        "gpu": gpu_model(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "config": config,
        "versions": versions(),
        "python": platform.python_version(),
        "host": platform.node(),
        "device": device,
        "threads": threads(),
        "process": jobserver.process_kind(),
        "wall_time_s": round(wall_time_s, 3),
        **(extra or {}),
    })
