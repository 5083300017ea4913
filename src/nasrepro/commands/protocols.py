"""``protocols``: the thesis profile's protocols, setting by setting, against the thesis and the
reference code it follows (``nasrepro.profile.protocols``; issue #30)."""

from __future__ import annotations

import sys

from nasrepro.commands.common import command
from nasrepro.utils.atomic import write_text


def cmd_protocols(args) -> None:
    from nasrepro.profile import protocols

    table = protocols.rows(protocols.load_profile(args.profile))
    if args.markdown:
        write_text(args.markdown, protocols.markdown(table))
    else:
        sys.stdout.write(protocols.text(table))
    bad = [r for r in table if r.verdict in (protocols.UNEXPLAINED, protocols.STALE)]
    if bad:
        raise ValueError(f"{len(bad)} setting(s) differ without a recorded reason or carry a stale "
                         f"one (first: {bad[0].protocol.id} / {bad[0].setting.name}); record the "
                         "reason in src/nasrepro/experiments/protocols.py or fix the profile")


def add_commands(sub) -> None:
    p = command(sub, "protocols", cmd_protocols, "the thesis profile's protocols: setting, thesis, "
                "reference, ours, verdict", loads=("experiments", "data", "spaces", "methods"))
    p.add_argument("--profile", default="config/thesis.yaml", help="the profile to check")
    p.add_argument("--markdown", default=None, help="write the Markdown (docs/protocols.md) here")
