"""``fixtures``: the rehearsal's format-faithful raw inputs and their manifest
(``nasrepro.data.fixtures.build``), from the small real data in ``--shared``."""

from __future__ import annotations

import logging
from pathlib import Path

from nasrepro.commands.common import command

log = logging.getLogger("nasrepro")


def cmd_fixtures(args) -> None:
    from nasrepro.data.fixtures.build import build_all

    if Path(args.out).name != "fixtures.yaml":
        raise ValueError(f"fixtures: --out {args.out} must name the manifest, "
                         "<folder>/fixtures.yaml")
    manifest = build_all(args.shared, Path(args.out).parent)
    log.info("fixtures of %s written under %s", ", ".join(manifest["datasets"]),
             Path(args.out).parent)


def add_commands(sub) -> None:
    command(sub, "fixtures", cmd_fixtures, "build the rehearsal's format-faithful raw inputs",
            "--shared", "--out", loads=())
