"""The cost table: CPU- and GPU-hours per rule family, per table and figure, and per searched run
beside the search cost the thesis states (GPU days: the search-cost columns of the thesis tables,
``thesis_costs``).

Sources: each job's Snakemake ``benchmark:`` file (wall seconds ``s`` and CPU seconds
``cpu_time``) and, for searches and evaluations, its ``run.json`` (``device``: a job that ran on
CUDA counts its wall time as GPU time; ``config.space`` and ``config.run`` name the run). The
spec (built by ``workflow/rules/report_inputs.smk``) lists every job and which jobs feed each
table and figure, so new tables and figures are costed without a change here. A job without a
benchmark file (a rule without a ``benchmark:`` line, e.g. one that only writes a genotype) is
left out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from nasrepro.experiments.specs import TableSpec
from nasrepro.jobs import RELEASED
from nasrepro.layout import Layout, is_selection_file, parse_run_path
from nasrepro.registry import RUNS, TABLES
from nasrepro.report.table import decimals
from nasrepro.utils.atomic import write_text

COLUMNS = ["scope", "name", "jobs", "wall_h", "cpu_h", "gpu_h", "days_per_job", "thesis_gpu_days",
           "thesis_source"]


def run_jobs(output: str, layout: Layout) -> list[dict]:
    """The jobs behind one run output (a search file, or an evaluation file): the search, and the
    evaluation for an eval output; a selected cell's record (rule select_cell, no benchmark
    file) adds none of its own."""
    if is_selection_file(output):
        return []
    out = parse_run_path(output)
    run = (out.space, out.dataset, out.run, out.seed)
    jobs = [{"family": "search", "benchmark": layout.run_bench("search", *run),
             "run_json": layout.search_file(*run, "run.json")}]
    if out.kind == "eval":
        jobs.append({"family": "evaluate", "benchmark": layout.run_bench("evaluate", *run, out.target),
                     "run_json": layout.eval_file(*run, out.target, "run.json")})
    return jobs


def cost_spec(items: dict[str, list[str]], others: list[tuple[str, str]], layout: Layout) -> dict:
    """``{"jobs": [...], "groups": {item: [benchmark files]}}`` for items ("table <id>",
    "figure <id>") given the run outputs they read, plus ``others``: (family, benchmark file) of
    jobs without run.json (data, benchmark tables, tables, figures)."""
    jobs = {bench: {"family": family, "benchmark": bench, "run_json": None} for family, bench in others}
    groups = {}
    for item, outputs in items.items():
        item_jobs = [job for output in outputs for job in run_jobs(output, layout)]
        jobs.update({job["benchmark"]: job for job in item_jobs})
        groups[item] = sorted({job["benchmark"] for job in item_jobs})
    return {"jobs": [jobs[k] for k in sorted(jobs)], "groups": groups}


def job_cost(job: dict) -> dict:
    """Wall, CPU and GPU hours of one job from its benchmark file (and run.json, if any)."""
    bench = pd.read_csv(job["benchmark"], sep="\t")
    wall_s, cpu_s = float(bench["s"].sum()), float(pd.to_numeric(bench["cpu_time"]).fillna(0).sum())
    run = json.loads(Path(job["run_json"]).read_text()) if job.get("run_json") else {}
    on_gpu = str(run.get("device", "cpu")).startswith("cuda")
    config = run.get("config", {})
    return {"family": job["family"], "benchmark": job["benchmark"],
            "run": f"{config['space']}/{config['run']}" if job["family"] == "search" else None,
            "wall_h": wall_s / 3600, "cpu_h": cpu_s / 3600, "gpu_h": wall_s / 3600 if on_gpu else 0.0}


def _cost_column(spec: TableSpec) -> str | None:
    return next((c.key for c in spec.columns if c.source == "search_cost"), None)


def thesis_cost_csvs(root: Path = Path(".")) -> list[str]:
    """The thesis CSVs of the tables with a search-cost column (Tables 2.1, 2.2, 3.1, 4.6, 5.1),
    in the order of their ids."""
    specs = [TABLES.get(name) for name in TABLES.names()]
    return [str(spec.thesis_csv(root)) for spec in specs if _cost_column(spec)]


def thesis_costs(csvs: list[str | Path]) -> dict[str, dict]:
    """``"<space>/<run>"`` -> ``{"gpu_days", "source"}``: the search cost the thesis states for a
    run, from the first of the tables ``csvs`` (by id) whose row names the run and whose search-cost
    cell is a number. The first is the run's own chapter: NSAS costs 0.7 GPU days in Table 3.1,
    where Tables 4.6 and 5.1 reprint RandomNAS' 2.7. Rows of pseudo-runs (``published-*``) and
    rows only quoted (no run) have no search here and are skipped."""
    costs = {}
    for csv_path in sorted(csvs, key=lambda path: Path(path).stem):
        spec = TABLES.get(Path(csv_path).stem)
        key, source = _cost_column(spec), f"{spec.title.split(':')[0]} (Search Cost column)"
        for row in pd.read_csv(csv_path, dtype=str, keep_default_na=False).to_dict("records"):
            run = row.get(f"{key}_run") or row["run"]
            try:
                float(row[key])
            except ValueError:
                continue
            if run in RUNS:
                costs.setdefault(f"{spec.space}/{run}", {"gpu_days": row[key], "source": source})
    return costs


def significant(value: float, figures: int = 3, places: int = 4) -> float:
    """``value`` rounded to ``places`` decimals, or more where it needs them to keep ``figures``
    significant figures (a default-profile job lasts seconds: 4 decimals of a day read 0.0)."""
    return round(value, max(places, decimals(value, figures)))


def _row(scope: str, name: str, costs: list[dict], thesis: dict | None = None) -> dict:
    hours = {k: sum(c[k] for c in costs) for k in ("wall_h", "cpu_h", "gpu_h")}
    row = {"scope": scope, "name": name, "jobs": len(costs),
           **{k: significant(v) for k, v in hours.items()}}
    row["days_per_job"] = significant(hours["wall_h"] / max(1, len(costs)) / 24)
    row["thesis_gpu_days"], row["thesis_source"] = (thesis or {}).get("gpu_days", ""), (thesis or {}).get("source", "")
    return row


def build(spec: dict, thesis_csvs: list[str | Path]) -> pd.DataFrame:
    """One row per rule family, per table/figure (``spec['groups']``) and per searched run (with
    the thesis' search cost from the tables ``thesis_csvs``, ``thesis_costs``)."""
    costs = [job_cost(job) for job in spec["jobs"] if Path(job["benchmark"]).exists()]
    by_bench = {c["benchmark"]: c for c in costs}
    thesis = thesis_costs(thesis_csvs)
    families, runs = defaultdict(list), defaultdict(list)
    for cost in costs:
        families[cost["family"]].append(cost)
        if cost["run"]:
            runs[cost["run"]].append(cost)
    rows = [_row("rule", name, group) for name, group in sorted(families.items())]
    rows += [_row(name.split()[0], name.split()[1], [by_bench[b] for b in benches if b in by_bench])
             for name, benches in sorted(spec["groups"].items())]
    rows += [_row("search", name, group, thesis.get(name)) for name, group in sorted(runs.items())]
    return pd.DataFrame(rows, columns=COLUMNS)


def released_note(table: pd.DataFrame) -> str:
    """A sentence naming the search rows of released-code runs (``fidelity: released``, issue
    #25), or "" where there are none."""
    runs = [name for scope, name in zip(table["scope"], table["name"]) if scope == "search"
            and (run := name.split("/", 1)[-1]) in RUNS and RUNS.get(run).fidelity == RELEASED]
    return (f" Rows {', '.join(runs)}: the author's released code (fidelity released, "
            "docs/methods.md), the others the thesis' equations." if runs else "")


def to_markdown(table: pd.DataFrame, note: str) -> str:
    """The cost table as Markdown, with the provenance note (and ``released_note``)."""
    lines = ["# Compute cost (CPU-/GPU-hours) beside the thesis' stated search costs", "",
             f"**{note}** `days_per_job`: wall days per job on this machine (for `search` rows: "
             "per search, comparable to the thesis' GPU days only on the thesis profile's GPUs)."
             + released_note(table),
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def write_spec(path: str, spec_json: str, log: str) -> None:
    """Write the cost spec (JSON text) to ``path`` atomically, and one line to ``log``
    (rule cost_spec)."""
    write_text(path, spec_json)
    write_text(log, f"cost spec: {len(spec_json)} characters -> {path}\n")


def write_cost(spec: dict, thesis_csvs: list[str | Path], out_prefix: str, note: str) -> None:
    """Write ``<out_prefix>.csv`` and ``<out_prefix>.md`` atomically."""
    table = build(spec, thesis_csvs)
    write_text(f"{out_prefix}.csv", table.to_csv(index=False))
    write_text(f"{out_prefix}.md", to_markdown(table, note))
