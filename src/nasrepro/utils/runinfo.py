"""``run.json``: what produced a result (commit, dirty flag, config, versions, device, wall time)."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from nasrepro.utils.atomic import write_json

PACKAGES = ("torch", "torchvision", "numpy", "snakemake", "nasrepro")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_run_json(path: str | Path, config: dict, device: str, wall_time_s: float,
                   extra: dict | None = None) -> None:
    status = _git("status", "--porcelain")
    write_json(path, {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "config": config,
        "versions": versions(),
        "python": platform.python_version(),
        "host": platform.node(),
        "device": device,
        "wall_time_s": round(wall_time_s, 3),
        **(extra or {}),
    })
