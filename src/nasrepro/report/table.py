"""Thesis tables as CSV, Markdown and LaTeX: each reproduced cell (mean ± std over seeds, from
``eval/<target>/final.json`` files) beside the value printed in the thesis
(``config/thesis_values/<table>.csv``). Rows the pipeline does not reproduce yet keep the thesis
value and an empty reproduced cell. The std is the population std over seeds (numpy's default,
as NAS-Bench-201 reports it).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from nasrepro.utils.atomic import write_text

TARGETS = ("cifar10", "cifar100", "ImageNet16-120")
TARGET_LABELS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "ImageNet16-120": "ImageNet16-120"}


def run_key(path: Path) -> tuple[str, str, str]:
    """(method, seed, target) from results/runs/<space>/<dataset>/<method>/seed<k>/eval/<target>/final.json."""
    parts = Path(path).parts
    return parts[-5], parts[-4], parts[-2]


def collect(final_files: list[str]) -> dict[tuple[str, str, str], list[float]]:
    """{(method, target, 'valid'|'test'): [value per seed]}."""
    values: dict = defaultdict(list)
    for path in sorted(final_files):
        method, _seed, target = run_key(Path(path))
        result = json.loads(Path(path).read_text())
        for column in ("valid", "test"):
            values[(method, target, column)].append(float(result[f"{column}_acc"]))
    return values


def fmt(values: list[float]) -> str:
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}" if values else ""


def build(thesis_csv: str | Path, final_files: list[str]) -> pd.DataFrame:
    thesis = pd.read_csv(thesis_csv, dtype=str, keep_default_na=False)
    values = collect(final_files)
    rows = []
    for _, row in thesis.iterrows():
        out = {"Method": row["row"], "method_key": row["method"],
               "seeds": len(values.get((row["method"], "cifar10", "test"), [])) or ""}
        for target in TARGETS:
            for column in ("valid", "test"):
                name = f"{target}_{column}"
                out[f"{name}_thesis"] = row[name]
                out[f"{name}_reproduced"] = fmt(values.get((row["method"], target, column), []))
        rows.append(out)
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame, title: str, note: str = "") -> str:
    header = ["Method"] + [f"{TARGET_LABELS[t]} {c.title()} (thesis / ours)"
                           for t in TARGETS for c in ("valid", "test")] + ["seeds"]
    lines = [f"# {title}", "", *([note, ""] if note else []),
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = [row["Method"]] + [
            f"{row[f'{t}_{c}_thesis'] or '–'} / {row[f'{t}_{c}_reproduced'] or '–'}"
            for t in TARGETS for c in ("valid", "test")] + [str(row["seeds"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_latex(table: pd.DataFrame, caption: str) -> str:
    def esc(text: str) -> str:
        return str(text).replace("±", r"$\pm$").replace("_", r"\_").replace("&", r"\&")

    cols = "l" + "cc" * len(TARGETS)
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
             "Method & " + " & ".join(rf"\multicolumn{{2}}{{c}}{{{TARGET_LABELS[t]}}}" for t in TARGETS)
             + r" \\", " & " + " & ".join(["Valid (\\%) & Test (\\%)"] * len(TARGETS)) + r" \\",
             r"\midrule"]
    for _, row in table.iterrows():
        cells = [esc(row["Method"])]
        for t in TARGETS:
            for c in ("valid", "test"):
                ours = row[f"{t}_{c}_reproduced"]
                cells.append(esc(row[f"{t}_{c}_thesis"]) + (rf" \newline ({esc(ours)})" if ours else ""))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{esc(caption)} Thesis value; "
              r"reproduced value in parentheses.}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(thesis_csv: str, final_files: list[str], out_prefix: str, title: str,
                note: str = "") -> pd.DataFrame:
    table = build(thesis_csv, final_files)
    write_text(f"{out_prefix}.csv", table.to_csv(index=False))
    write_text(f"{out_prefix}.md", to_markdown(table, title, note))
    write_text(f"{out_prefix}.tex", to_latex(table, title))
    return table
