"""``diff-results``: the numeric regression gate (issue #29 item 5; ``report.gate``). Compares a
build's tables, figures and claim verdicts with the committed snapshot of its profile (or of a
``select:`` build, ``--select``), prints the cell-level differences and exits 1 on any; with
``--update`` rewrites the snapshot instead. Loads the experiments alone: no torch."""

from __future__ import annotations

from pathlib import Path

from nasrepro.commands.common import command
from nasrepro.commands.report import REPORT, _names
from nasrepro.layout import DEFAULT_PROFILE, Layout


def cmd_diff_results(args) -> int:
    from nasrepro.profile.select import report_name
    from nasrepro.report import gate

    layout, root = Layout(args.profile), Path(args.root)
    chosen = {"select": args.select}
    snapshot = root / layout.snapshot(report_name(chosen, args.profile))
    current = gate.take(root / layout.results, args.select, report_name(chosen, "claims"))
    if args.update:
        gate.save(snapshot, current)
        print(f"diff-results: wrote {snapshot} ({len(current['tables'])} tables, "
              f"{len(current['figures'])} figures, {len(current['claims'])} claims)")
        return 0
    diff = gate.compare(gate.load(snapshot), current, args.tolerance)
    print(gate.report(diff, layout.results, str(snapshot)))
    return 1 if diff.failed else 0


def add_commands(sub) -> None:
    p = command(sub, "diff-results", cmd_diff_results, "compare a build's tables, figures and "
                "claim verdicts with the committed snapshot (exit 1 on a difference)",
                loads=REPORT)
    p.add_argument("--profile", default=DEFAULT_PROFILE, help="whose results/<profile>/ to read")
    p.add_argument("--select", type=_names, default=[],
                   help="the tables and figures of a `select:` build (a,b): their own snapshot")
    p.add_argument("--root", default=".", help="the repository root (default: here)")
    p.add_argument("--tolerance", type=float, default=0.0,
                   help="absolute tolerance on printed numbers (default 0: the CPU build is "
                        "deterministic; see report.gate)")
    p.add_argument("--update", action="store_true",
                   help="rewrite the snapshot from the build (atomically) instead of comparing")
