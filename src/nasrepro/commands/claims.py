"""``claims``: the reproduction verdict (issue 24). ``--list`` prints one claim a line (id,
chapter and section, paraphrase); ``--explain ID`` its inputs, the numbers (the thesis' and,
once built, the profile's ``report/claims.csv``) and the test; with ``--inputs`` (rule claims)
it writes ``report/claims.{csv,md}``. Loads the experiments alone: no torch."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from nasrepro import registry
from nasrepro.commands.common import command
from nasrepro.commands.report import REPORT, _roles
from nasrepro.layout import Layout


def list_lines() -> list[str]:
    claims = [registry.CLAIMS.get(name) for name in registry.CLAIMS.names()]
    return [f"{c.id}\tch. {c.chapter} {c.section}\t{c.text}" for c in claims]


def explain(claim_id: str, profile: str) -> str:
    """What ``claim_id`` reads, the thesis' numbers and verdict, and the profile's verdict if its
    report exists."""
    from nasrepro.analysis.verdict import POINT, WELCH
    from nasrepro.report.claims import NO_NUMBERS, judge_thesis

    claim = registry.CLAIMS.get(claim_id)
    thesis = judge_thesis(claim)
    lines = [f"{claim.id} (chapter {claim.chapter}, {claim.section}): {claim.text}",
             f"inputs: {', '.join(claim.items) or 'none'} (their runs' files: "
             "report.claims.Reproduced)",
             f"quantity: {claim.quantity()}",
             f"relation: {claim.relation}" + (f", margin {claim.margin:g}" if claim.margin else ""),
             f"test: {WELCH} on values over seeds; {POINT} for the thesis' values printed "
             "without seeds (ours, one per run: shown, not tested); every comparison must hold",
             f"thesis' numbers: {' | '.join(thesis.details) or thesis.reason}",
             f"thesis verdict: {thesis.verdict}"
             + (f" (flagged: {claim.flagged})" if thesis.verdict not in ("holds", NO_NUMBERS)
                else "")]
    built = Path(Layout(profile).report("claims", "csv"))
    rows = {}
    if built.exists():
        with open(built, newline="") as handle:
            rows = {row["id"]: row for row in csv.DictReader(handle)}
    if claim.id in rows:
        row = rows[claim.id]
        lines += [f"ours ({built}): {row['ours']}",
                  f"verdict: {row['verdict']}" + (f" ({row['reason']})" if row["reason"] else "")]
    else:
        lines.append(f"ours: {built} not built yet (snakemake {built} --cores all)")
    return "\n".join(lines)


def cmd_claims(args) -> None:
    if args.list:
        print("\n".join(list_lines()))
    elif args.explain:
        print(explain(args.explain, args.profile))
    else:
        from nasrepro.report.claims import write_claims

        if not (args.inputs and args.out_prefix and args.note):
            raise ValueError("claims: give --list, --explain ID, or --inputs, --out-prefix and "
                             "--note (rule claims)")
        files = json.loads(Path(args.inputs).read_text())
        write_claims(files, args.out_prefix, args.note, bool(args.standins))


def add_commands(sub) -> None:
    p = command(sub, "claims", cmd_claims, "the thesis' claims and their verdicts", loads=REPORT)
    p.add_argument("--list", action="store_true", help="one claim a line: id, chapter, paraphrase")
    p.add_argument("--explain", metavar="ID", help="a claim's inputs, numbers and test")
    p.add_argument("--profile", default="default",
                   help="whose report/claims.csv --explain reads (default: default)")
    p.add_argument("--inputs", help="JSON list of the run files (rule claims_inputs)")
    p.add_argument("--out-prefix", help="write <prefix>.csv and <prefix>.md")
    p.add_argument("--note", help="provenance: profile, data roles")
    p.add_argument("--standins", type=_roles, default={},
                   help="the data roles a stand-in plays (role=loader,...): stand-in verdicts")
