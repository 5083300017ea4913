"""The reproduction verdict (issue 24): every claim of ``registry.CLAIMS`` (``experiments.claims``)
judged on the reproduced numbers and on the thesis' own printed numbers, written as
``report/claims.{csv,md}`` (rule claims).

Our numbers are read, not recomputed: a table cell is the table job's own per-seed values
(``report.table.collect`` over the files the tables and figures read, rule claims_inputs); a
per-epoch statistic is the searches' ``metrics.jsonl``. The thesis' numbers are its tables'
CSVs (``config/thesis_values``), "mean ± std" over the seeds of ``claims.THESIS_SEEDS`` (other
printed values are points), or a value the text states (``Cell.thesis``). Each comparison is
tested by ``analysis.verdict.compare``; a claim holds when all its comparisons hold. A claim whose
numbers the profile does not build is inconclusive ("not built by this profile"), and so is our
comparison of two numbers that are one per run (s-tau: shown, not tested); the thesis' printed
numbers without seeds are compared as points (that checks the encoding, not the statistics). On stand-in
data (the default profile) the verdicts are stand-in verdicts, labelled so: they check the
pipeline, not the thesis.

Under the released code (issue #25): a claim whose sides name a run with a released-code variant
(``<run>-released``, ``experiments.fidelity``) is judged a second time on our numbers with each
such run replaced by its variant (``released_claim``; columns ``released_verdict``/``released``);
a side whose variant this profile does not build is "not built", as above. A claim without such
a run has no second verdict (the same code either way).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasrepro.analysis.verdict import POINT, WELCH, Outcome, Sample, combine, compare
from nasrepro.experiments.claims import THESIS_SEEDS, Cell, Claim, Const, Epochs, Quantity
from nasrepro.experiments.runs import released_run
from nasrepro.layout import parse_run_path
from nasrepro.registry import CLAIMS, FIGURES, RUNS, TABLES
from nasrepro.utils.atomic import read_jsonl, write_text

NOT_BUILT = "not built by this profile"
NO_NUMBERS = "n/a"  # the thesis prints no number for the claim (a figure, a lost plot)
UNTESTED = "one value per run (s-tau): no spread to test"
PER_RUN = ("s_tau", "memory")  # table sources with one value per run, not per seed
NO_RELEASED = "same code"  # released_verdict of a claim no released-code run touches
COLUMNS = ("id", "chapter", "section", "claim", "quantity", "relation", "test", "ours",
           "verdict", "reason", "thesis", "thesis_verdict", "flagged", "flag_note",
           "released_verdict", "released")


# ------------------------------------------------------------------------------ the thesis
def parse_printed(text: str) -> tuple[float, float | None] | str | None:
    """A printed cell: ``(mean, std)`` of "93.36±0.3" / "2.61 ± 0.06" / "2.57±0.09*" / "25.5
    (24.65†)" (std None for a plain number); the text of a non-numeric cell ("single path");
    None for "-", empty or illegible."""
    text = (text or "").strip()
    if not text or text == "-" or text.startswith("("):
        return None
    head, _, tail = text.partition("±")
    try:
        mean = float(head.split()[0].rstrip("*†"))
    except ValueError:
        return text
    try:
        std = float(tail.split()[0].rstrip("*†")) if tail.strip() else None
    except ValueError:
        std = None
    return mean, std


@functools.cache
def _thesis_rows(table: str, root: str) -> tuple[dict, ...]:
    with open(TABLES.get(table).thesis_csv(Path(root)), newline="") as handle:
        return tuple(csv.DictReader(handle))


def thesis_text(cell: Cell, root: Path = Path(".")) -> str:
    """The thesis' printed value of ``cell``: the text's (``Cell.thesis``), else the CSV row
    ``row`` or the first row whose run (or ``<key>_run``) is the cell's run; "" where none."""
    if cell.thesis:
        return cell.thesis
    for row in _thesis_rows(cell.table, str(root)):
        if (row["row"] == cell.row) if cell.row else \
                ((row.get(f"{cell.key}_run") or row["run"]) == cell.run):
            return row.get(cell.key, "")
    return ""


def thesis_side(q: Quantity, root: Path = Path(".")) -> Sample | str | None:
    """One side of a comparison in the thesis' numbers (None: none printed)."""
    if isinstance(q, Const):
        return q.value if isinstance(q.value, str) else Sample.const(q.value)
    if isinstance(q, Epochs):
        return None
    printed = parse_printed(thesis_text(q, root))
    if printed is None or isinstance(printed, str):
        return printed
    mean, std = printed
    n = THESIS_SEEDS.get(q.table) if q.thesis == "" else None  # a text value: one number
    return Sample.printed(mean, std, n)


# ------------------------------------------------------------------------------------ ours
class Reproduced:
    """Our values of each quantity, from the files the claims' tables and figures read."""

    def __init__(self, files: list[str]):
        self.files = sorted(set(files))

    @functools.cached_property
    def _searches(self) -> dict[tuple[str, str], dict[int, list[dict]]]:
        """(space, run) -> seed -> the search's per-epoch records."""
        out: dict = defaultdict(dict)
        for path in self.files:
            if path.endswith("metrics.jsonl") and (run := parse_run_path(path)).kind == "search":
                out[(run.space, run.run)][run.seed] = read_jsonl(path)
        return out

    @functools.cache
    def _table(self, table: str) -> dict:
        from nasrepro.report.table import collect

        return collect(TABLES.get(table), self.files)

    def values(self, q: Quantity) -> list:
        if isinstance(q, Const):
            return [q.value]
        if isinstance(q, Cell):
            return list(self._table(q.table).get((q.run, q.key), []))
        space = (TABLES if q.item in TABLES else FIGURES).get(q.item).space
        return [v for records in self._searches.get((space, q.run), {}).values()
                if (v := reduce_epochs(records, q.key, q.reduce)) is not None]


def reduce_epochs(records: list[dict], key: str, how: str) -> float | None:
    """``key`` over a search's records (a list per record, e.g. ``probe_valid``: its mean),
    reduced to its last, mean or max value or its change (last - first); None without any."""
    series = [float(np.mean(r[key])) if isinstance(r[key], list) else float(r[key])
              for r in records if r.get(key) is not None]
    if not series:
        return None
    return {"last": series[-1], "mean": float(np.mean(series)), "max": max(series),
            "change": series[-1] - series[0]}[how]


def per_run(q: Quantity) -> bool:
    """Whether ``q`` has one value per run (s-tau, memory): compared as points."""
    if not isinstance(q, Cell):
        return False
    return next(c for c in TABLES.get(q.table).columns if c.key == q.key).source in PER_RUN


# -------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Judged:
    """A claim's verdict on one side (ours or the thesis'): the verdict, per comparison the
    numbers and the test, the test used and why it is inconclusive."""

    verdict: str
    details: tuple[str, ...]
    test: str
    reason: str


def _show(side: Sample | str) -> str:
    if isinstance(side, str):
        return repr(side)
    if side.constant:
        return f"{side.mean:g}"
    if side.n < 2:
        return f"{side.mean:.4g}"
    return f"{side.mean:.4g} ± {side.std:.2g} (n = {int(side.n)})"


def _judge_pair(a, b, claim: Claim, point: bool) -> tuple[Outcome | None, str]:
    """(outcome, detail) of one comparison; string sides (memory) are compared for equality."""
    if isinstance(a, str) or isinstance(b, str) or claim.relation == "equal":
        same = a == b
        verdict = "holds" if same else "fails"
        return Outcome(verdict, math.nan, (math.nan, math.nan), math.nan, math.nan,
                       "equality of the reported class"), f"{_show(a)} vs {_show(b)}"
    out = compare(a, b, claim.relation, claim.margin, point=point)
    detail = f"{_show(a)} vs {_show(b)}: d = {out.effect:+.3g}"
    if not point and not math.isnan(out.interval[0]):
        detail += f", 95% CI [{out.interval[0]:+.3g}, {out.interval[1]:+.3g}], " \
                  f"p = {out.p_holds:.3g}"
    return out, detail


def _judged(outcomes: list[Outcome], details: list[str], reasons: list[str]) -> Judged:
    tests = sorted({o.test for o in outcomes})
    verdict = combine([o.verdict for o in outcomes]) if outcomes else "inconclusive"
    why = sorted({r for r in reasons + [o.reason for o in outcomes] if r})
    return Judged(verdict, tuple(details), " + ".join(tests), "; ".join(why) if verdict ==
                  "inconclusive" else "")


def _ours_side(values: list, q: Quantity, point: bool) -> Sample | str:
    """Our values of one side as the test takes them: a class (text), a constant, one value per
    run (``point``) or the sample over seeds."""
    if isinstance(values[0], str):
        return values[0]
    if isinstance(q, Const):
        return Sample.const(values[0])
    return Sample(float(np.mean(values)), 0.0, 1) if point else Sample.of(values)


def judge_ours(claim: Claim, ours: Reproduced) -> Judged:
    outcomes, details, reasons = [], [], []
    for a, b in claim.pairs:
        va, vb = ours.values(a), ours.values(b)
        if not va or not vb:
            details.append(f"{a.describe() if not va else b.describe()}: {NOT_BUILT}")
            reasons.append(NOT_BUILT)
            continue
        point = per_run(a) or per_run(b)
        sides = [_ours_side(v, q, point) for v, q in ((va, a), (vb, b))]
        out, detail = _judge_pair(*sides, claim, point)
        if point and out.test == POINT:  # s-tau: one number a run, nothing to test it against
            out = dataclasses.replace(out, verdict="inconclusive", reason=UNTESTED)
        outcomes.append(out)
        details.append(detail)
    return _judged(outcomes, details, reasons)


def judge_thesis(claim: Claim, root: Path = Path(".")) -> Judged:
    """The claim on the thesis' own printed numbers: comparisons without them are skipped; none
    at all gives ``NO_NUMBERS``."""
    outcomes, details = [], []
    for a, b in claim.pairs:
        sa, sb = thesis_side(a, root), thesis_side(b, root)
        if sa is None or sb is None:
            continue
        point = any(isinstance(s, Sample) and not s.constant and s.n < 2 for s in (sa, sb))
        out, detail = _judge_pair(sa, sb, claim, point)
        outcomes.append(out)
        details.append(detail)
    if not outcomes:
        return Judged(NO_NUMBERS, (), "", "the thesis prints no number for it")
    return _judged(outcomes, details, [])


def released_claim(claim: Claim) -> Claim | None:
    """``claim`` with every side's run that has a registered released-code variant replaced by
    it; None when no side has one."""
    def swap(q: Quantity) -> Quantity:
        if isinstance(q, (Cell, Epochs)) and released_run(q.run) in RUNS:
            return dataclasses.replace(q, run=released_run(q.run))
        return q

    pairs = tuple((swap(a), swap(b)) for a, b in claim.pairs)
    return None if pairs == claim.pairs else dataclasses.replace(claim, pairs=pairs)


def evaluate(claims: list[Claim], files: list[str], root: Path = Path(".")) -> list[dict]:
    """One row (``COLUMNS``) per claim."""
    ours = Reproduced(files)
    rows = []
    for claim in claims:
        mine, theirs = judge_ours(claim, ours), judge_thesis(claim, root)
        variant = released_claim(claim)
        released = judge_ours(variant, ours) if variant else None
        flagged = theirs.verdict not in ("holds", NO_NUMBERS)
        rows.append({
            "id": claim.id, "chapter": claim.chapter, "section": claim.section,
            "claim": claim.text, "quantity": claim.quantity(), "relation": claim.relation,
            "test": mine.test or theirs.test, "ours": " | ".join(mine.details),
            "verdict": mine.verdict, "reason": mine.reason,
            "thesis": " | ".join(theirs.details), "thesis_verdict": theirs.verdict,
            "flagged": "yes" if flagged else "", "flag_note": claim.flagged if flagged else "",
            "released_verdict": released.verdict + (f" ({released.reason})" if released.reason
                                                    else "") if released else NO_RELEASED,
            "released": " | ".join(released.details) if released else ""})
    return rows


# ---------------------------------------------------------------------------------- output
def headline(rows: list[dict], standin: bool) -> str:
    """The counts of each verdict, ours and the thesis'."""
    count = lambda key, value: sum(r[key] == value for r in rows)  # noqa: E731
    label = "stand-in verdicts (stand-in data: they check the pipeline, not the thesis)" \
        if standin else "verdicts"
    touched = [r for r in rows if r["released_verdict"] != NO_RELEASED]
    released = lambda value: sum(r["released_verdict"].startswith(value) for r in touched)  # noqa: E731
    return (f"{len(rows)} claims; {label}: {count('verdict', 'holds')} hold, "
            f"{count('verdict', 'fails')} fail, {count('verdict', 'inconclusive')} inconclusive. "
            f"On the thesis' own printed numbers: {count('thesis_verdict', 'holds')} supported, "
            f"{count('flagged', 'yes')} flagged (not supported), "
            f"{count('thesis_verdict', NO_NUMBERS)} without printed numbers. "
            f"Under the author's released code ({len(touched)} claims name a run it changes): "
            f"{released('holds')} hold, {released('fails')} fail, "
            f"{released('inconclusive')} inconclusive.")


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_markdown(rows: list[dict], note: str, standin: bool) -> str:
    lines = ["# The reproduction verdict: the thesis' claims against the reproduced numbers", "",
             f"**{headline(rows, standin)}**", "", note, "",
             f"Test: {WELCH} on the values over seeds (mean ± sample std, n seeds; d: the signed "
             "effect, positive in the claimed direction, with its 95% interval); inconclusive "
             f"with fewer than two seeds a side or an interval that contains no effect; {POINT} "
             "for the thesis' printed values without seeds; our values that are one per run "
             "(s-tau) are shown, not tested (inconclusive); a memory class is compared for "
             "equality. A claim holds when every comparison holds.", "",
             "## Flagged: claims the thesis' own printed numbers do not support", ""]
    lines += [f"- **{r['id']}** ({r['section']}): {r['claim']}. Thesis: {r['thesis_verdict']}; "
              f"{r['flag_note'] or r['thesis']}" for r in rows if r["flagged"]] or ["- none"]
    header = ("id", "section", "claim", "verdict", "ours", "thesis_verdict", "thesis",
              "released code")
    lines += ["", "## Every claim", "", "| " + " | ".join(header) + " |",
              "|" + "---|" * len(header)]
    for r in rows:
        cells = [r["id"], r["section"], r["claim"],
                 r["verdict"] + (f" ({r['reason']})" if r["reason"] else ""), r["ours"],
                 r["thesis_verdict"] + (" **flagged**" if r["flagged"] else ""), r["thesis"],
                 r["released_verdict"] + (f": {r['released']}" if r["released"] else "")]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_claims(files: list[str], out_prefix: str, note: str, standin: bool,
                 root: Path = Path(".")) -> list[dict]:
    """Write ``<out_prefix>.csv`` and ``.md`` atomically: every registered claim."""
    rows = evaluate([CLAIMS.get(name) for name in CLAIMS.names()], files, root)
    write_text(f"{out_prefix}.csv", to_csv(rows))
    write_text(f"{out_prefix}.md", to_markdown(rows, note, standin))
    return rows


def write_inputs(path: str, files: list[str], log: str) -> None:
    """The run files the claims read, as JSON (rule claims_inputs: too many for a command line)."""
    write_text(path, json.dumps(sorted(set(files)), indent=0))
    write_text(log, f"claims inputs: {len(set(files))} files -> {path}\n")
