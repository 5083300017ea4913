"""What several subcommands share: declaring a subparser, the device and determinism settings of
a job, and the ``run.json`` record of a finished job."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Callable

from nasrepro.jobs import to_json
from nasrepro.plugins import FAMILIES


def command(sub, name: str, func: Callable, help: str, *required: str,
            loads: tuple[str, ...] = tuple(FAMILIES)) -> argparse.ArgumentParser:
    """Subparser ``name`` running ``func(args)``, with the required string options ``required``
    (e.g. ``"--spec"``, ``"--out"``); ``loads``: the plugin families it needs (``plugins.FAMILIES``;
    the report commands load ``experiments`` alone, so they never import torch)."""
    parser = sub.add_parser(name, help=help)
    for option in required:
        parser.add_argument(option, required=True)
    parser.set_defaults(func=func, loads=loads)
    return parser


def setup(settings):
    """The profile's own plugins loaded (``settings.plugins``), seeded deterministic kernels with
    ``settings.threads`` threads; the resolved device."""
    from nasrepro.plugins import load_user
    from nasrepro.utils.device import resolve_device
    from nasrepro.utils.seeding import make_deterministic

    load_user(settings.plugins)
    make_deterministic(settings.threads)
    return resolve_device(settings.device)


def write_records_json(run_json: Path, job, device, began: float, records: list[dict],
                       **facts) -> None:
    """``run.json`` of a search or evaluation: the job, the device, its seconds (the epochs'
    own ``elapsed_s``, summed over resumes, when the records have it) and ``facts`` (a search:
    its method's ``memory`` class, which Tables 2.1 and 2.2 read without loading the methods)."""
    from nasrepro.utils.device import describe
    from nasrepro.utils.runinfo import write_run_json

    elapsed = records[-1].get("elapsed_s") if records else None
    write_run_json(run_json, json.loads(to_json(job)), describe(device),
                   elapsed if elapsed is not None else time.time() - began,
                   profile=job.settings.profile,
                   extra={"process_time_s": round(time.time() - began, 3), **facts})
