"""Thesis tables as CSV, Markdown and LaTeX: each reproduced cell (mean ± std over seeds, from
``eval/<target>/final.json`` files, which name their run, seed and target) beside the value
printed in the thesis (``config/thesis_values/<table>.csv``). Rows the pipeline does not
reproduce keep the thesis value and an empty reproduced cell. The std is the population std over
seeds (numpy's default, as NAS-Bench-201 reports it). Every format carries the provenance note
(profile and data roles), so stand-in numbers never pass for CIFAR numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from nasrepro.report.catalog import TableSpec
from nasrepro.utils.atomic import write_text


def collect(spec: TableSpec, final_files: list[str]) -> dict[tuple[str, str], list[float]]:
    """{(run, column key): [value per seed]} for the table's space."""
    values: dict = defaultdict(list)
    for path in sorted(final_files):
        result = json.loads(Path(path).read_text())
        if result["space"] != spec.space:
            continue
        for column in spec.columns:
            if column.target == result["target"] and result.get(column.field) is not None:
                value = float(result[column.field])
                values[(result["run"], column.key)].append(100.0 - value if column.error else value)
    return values


def fmt(values: list[float]) -> str:
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}" if values else ""


def build(spec: TableSpec, thesis_csv: str | Path, final_files: list[str], note: str) -> pd.DataFrame:
    thesis = pd.read_csv(thesis_csv, dtype=str, keep_default_na=False)
    values = collect(spec, final_files)
    rows = []
    for _, row in thesis.iterrows():
        seeds = max((len(values.get((row["run"], c.key), [])) for c in spec.columns), default=0)
        out = {"Method": row["row"], "run": row["run"], "seeds": seeds or ""}
        for column in spec.columns:
            out[f"{column.key}_thesis"] = row[column.key]
            out[f"{column.key}_reproduced"] = fmt(values.get((row["run"], column.key), []))
        out["reproduced_with"] = note
        rows.append(out)
    return pd.DataFrame(rows)


def to_markdown(spec: TableSpec, table: pd.DataFrame, note: str) -> str:
    header = ["Method"] + [f"{c.label} (thesis / ours)" for c in spec.columns] + ["seeds"]
    lines = [f"# {spec.title}", "", f"**{note}**", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = [row["Method"]] + [
            f"{row[f'{c.key}_thesis'] or '–'} / {row[f'{c.key}_reproduced'] or '–'}"
            for c in spec.columns] + [str(row["seeds"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    return (str(text).replace("\\", r"\textbackslash{}").replace("±", r"$\pm$")
            .replace("_", r"\_").replace("&", r"\&").replace("%", r"\%").replace("#", r"\#"))


def to_latex(spec: TableSpec, table: pd.DataFrame, note: str) -> str:
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{l{'c' * len(spec.columns)}}}",
             r"\toprule", "Method & " + " & ".join(_tex(c.label) for c in spec.columns) + r" \\",
             r"\midrule"]
    for _, row in table.iterrows():
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
                note: str) -> pd.DataFrame:
    table = build(spec, thesis_csv, final_files, note)
    write_text(f"{out_prefix}.csv", table.to_csv(index=False))
    write_text(f"{out_prefix}.md", to_markdown(spec, table, note))
    write_text(f"{out_prefix}.tex", to_latex(spec, table, note))
    return table
