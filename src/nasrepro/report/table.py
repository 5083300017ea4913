"""Thesis tables as CSV, Markdown and LaTeX: each reproduced cell (mean ± std over seeds, from
``eval/<target>/final.json`` files, which name their run, seed and target, and for the search
columns from ``search/metrics.jsonl`` and ``search/run.json``; see ``experiments.specs.Column``) beside
the value printed in the thesis (``config/thesis_values/<table>.csv``). Rows the pipeline does not
reproduce keep the thesis value and an empty reproduced cell. The std is the population std over
seeds (numpy's default, as NAS-Bench-201 reports it). Every format carries the provenance note
(profile and data roles), so stand-in numbers never pass for CIFAR numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from nasrepro.experiments.specs import TableSpec
from nasrepro.layout import parse_run_path
from nasrepro.utils.atomic import read_jsonl, write_text


def collect(spec: TableSpec, files: list[str]) -> dict[tuple[str, str], list]:
    """{(run, column key): [value per seed]} for the table's space, from the evaluation results
    (``final.json``), the searches (``metrics.jsonl``, ``run.json``) and the probe cells'
    ground truth (``final.json`` of the ``probe-<i>`` runs)."""
    from nasrepro.analysis.ranking import kendall_tau, s_tau
    from nasrepro.jobs import PROBE_PREFIX

    values: dict = defaultdict(list)
    truth: dict[int, float] = {}
    probe_scores: dict = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    for path in sorted(files):
        path = Path(path)
        data = None if path.suffix == ".jsonl" else json.loads(path.read_text())
        if data is not None and "wall_time_s" not in data:  # an evaluation result (final.json)
            result = data
            if result["space"] != spec.space:
                continue
            if result["run"].startswith(PROBE_PREFIX):
                if result["target"] == spec.probe_target:
                    truth[int(result["run"][len(PROBE_PREFIX):])] = float(result["valid_acc"])
                continue
            for column in spec.columns:
                if column.source == "eval" and column.target == result["target"] \
                        and result.get(column.field) is not None:
                    value = float(result[column.field])
                    values[(result["run"], column.key)].append(100.0 - value if column.error else value)
        elif (search := parse_run_path(path)).kind != "search":
            continue
        elif data is None:  # a search's metrics.jsonl
            probed = [r["probe_valid"] for r in read_jsonl(path) if "probe_valid" in r]
            if probed:
                probe_scores[search.run].append(probed[-1])
        else:  # a search's run.json
            info = data
            job = info["config"]
            if job.get("space") != spec.space:
                continue
            seconds[job["run"]].append(float(info["wall_time_s"]))
            for column in spec.columns:
                if column.source == "search_cost":
                    values[(job["run"], column.key)].append(info["wall_time_s"] / 86400.0)
                elif column.source == "memory":
                    values[(job["run"], column.key)] = [info["memory"]]
    _search_times(spec, seconds, values)
    if truth:
        reference = [truth[i] for i in sorted(truth)]
        for run, vectors in probe_scores.items():
            for column in spec.columns:
                if column.source == "tau":
                    values[(run, column.key)] = [kendall_tau(v, reference) for v in vectors]
                elif column.source == "s_tau" and len(vectors) > 1:
                    values[(run, column.key)] = [s_tau(vectors)]
    return values


def _search_times(spec: TableSpec, seconds: dict[str, list[float]], values: dict) -> None:
    """Table 4.5: each search's wall time in seconds, and its ratio to the mean wall time of the
    reference run (``Column.field``) over that run's seeds."""
    for column in spec.columns:
        for run, times in seconds.items():
            if column.source == "search_seconds":
                values[(run, column.key)] = list(times)
            elif column.source == "search_ratio" and seconds.get(column.field):
                reference = float(np.mean(seconds[column.field]))
                values[(run, column.key)] = [t / reference for t in times]


def fmt(values: list, digits: int = 2) -> str:
    if not values:
        return ""
    if isinstance(values[0], str):
        return values[0]
    if len(values) == 1 and digits > 2:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def build(spec: TableSpec, thesis_csv: str | Path, final_files: list[str], note: str,
          extra_runs: list[str] = ()) -> list[dict]:
    """The table's rows (one dict each, the CSV's columns in order): the thesis' rows
    (``thesis_csv``), then one per run in ``extra_runs`` (a profile's own runs,
    ``tables.<id>.extra_runs``: no thesis value)."""
    with open(thesis_csv, newline="") as handle:
        thesis = list(csv.DictReader(handle))
    thesis += [{"row": run, "run": run} for run in extra_runs]
    values = collect(spec, final_files)
    rows = []
    for row in thesis:
        cell_run = {c.key: row.get(f"{c.key}_run") or row["run"] for c in spec.columns}
        seeds = max((len(values.get((cell_run[c.key], c.key), [])) for c in spec.columns
                     if c.source in ("eval", "tau")), default=0)
        out = {"Method": row["row"], "run": row["run"], "seeds": seeds or ""}
        for column in spec.columns:
            out[f"{column.key}_thesis"] = row.get(column.key, "")
            out[f"{column.key}_reproduced"] = fmt(values.get((cell_run[column.key], column.key), []),
                                                  column.digits)
        out["reproduced_with"] = note
        rows.append(out)
    return rows


def to_csv(table: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def to_markdown(spec: TableSpec, table: list[dict], note: str) -> str:
    header = ["Method"] + [f"{c.label} (thesis / ours)" for c in spec.columns] + ["seeds"]
    lines = [f"# {spec.title}", "", f"**{note}**", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        cells = [row["Method"]] + [
            f"{row[f'{c.key}_thesis'] or '–'} / {row[f'{c.key}_reproduced'] or '–'}"
            for c in spec.columns] + [str(row["seeds"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    return (str(text).replace("\\", r"\textbackslash{}").replace("±", r"$\pm$")
            .replace("_", r"\_").replace("&", r"\&").replace("%", r"\%").replace("#", r"\#"))


def to_latex(spec: TableSpec, table: list[dict], note: str) -> str:
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{l{'c' * len(spec.columns)}}}",
             r"\toprule", "Method & " + " & ".join(_tex(c.label) for c in spec.columns) + r" \\",
             r"\midrule"]
    for row in table:
        cells = [_tex(row["Method"])]
        for c in spec.columns:
            ours = row[f"{c.key}_reproduced"]
            cells.append(_tex(row[f"{c.key}_thesis"]) + (rf" ({_tex(ours)})" if ours else ""))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{_tex(spec.title)} Thesis value; reproduced value in parentheses. "
              rf"{_tex(note)}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(spec: TableSpec, thesis_csv: str, final_files: list[str], out_prefix: str,
                note: str, extra_runs: list[str] = ()) -> list[dict]:
    table = build(spec, thesis_csv, final_files, note, extra_runs)
    write_text(f"{out_prefix}.csv", to_csv(table))
    write_text(f"{out_prefix}.md", to_markdown(spec, table, note))
    write_text(f"{out_prefix}.tex", to_latex(spec, table, note))
    return table
