"""What several subcommands share: declaring a subparser, the device and determinism settings of
a job, and the ``run.json`` record of a finished job."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Callable


def command(sub, name: str, func: Callable, help: str, *required: str) -> argparse.ArgumentParser:
    """Subparser ``name`` running ``func(args)``, with the required string options ``required``
    (e.g. ``"--spec"``, ``"--out"``)."""
    parser = sub.add_parser(name, help=help)
    for option in required:
        parser.add_argument(option, required=True)
    parser.set_defaults(func=func)
    return parser


def setup(settings):
    """Seeded, deterministic kernels with ``settings.threads`` threads; the resolved device."""
    from nasrepro.utils.device import resolve_device
    from nasrepro.utils.seeding import make_deterministic

    make_deterministic(settings.threads)
    return resolve_device(settings.device)


def job_json(job) -> str:
    from nasrepro.config import to_json

    return to_json(job)


def write_records_json(run_json: Path, job, device, began: float, records: list[dict]) -> None:
    """``run.json`` of a search or evaluation: the job, the device, and its seconds (the epochs'
    own ``elapsed_s``, summed over resumes, when the records have it)."""
    from nasrepro.utils.device import describe
    from nasrepro.utils.runinfo import write_run_json

    elapsed = records[-1].get("elapsed_s") if records else None
    write_run_json(run_json, json.loads(job_json(job)), describe(device),
                   elapsed if elapsed is not None else time.time() - began,
                   profile=job.settings.profile,
                   extra={"process_time_s": round(time.time() - began, 3)})
