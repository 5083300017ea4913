"""The evaluation card (``report.card``) as Markdown: ``<table>.card.md``, shown beside its table
in ``snakemake --report``. Every number and name is the card's (the JSON beside it); nothing here
is typed."""

from __future__ import annotations

import json
from collections import defaultdict

from nasrepro.report.card import BENCH_SOURCE


def _value(value) -> str:
    plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return str(value) if plain else json.dumps(value)


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s ({seconds / 3600:.4f} h)"


def _differs(differs: dict) -> list[str]:
    return [f"- `{key}`: " + "; ".join(f"{row}: {_value(v)}" for row, v in values.items())
            for key, values in differs.items()]


def identity_lines(card: dict) -> list[str]:
    lines = ["## Benchmark identity", ""]
    if not card["identity"]:
        return lines + ["No evaluation records: no row of ours.", ""]
    for target, found in card["identity"].items():
        hashes = found["hash"]
        same = found["same"]
        split = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in same.items()
                          if k.startswith("split."))
        lines.append(f"**{target}**: space {same.get('space', 'differs')}, mode "
                     f"{same.get('mode', 'differs')}, split {split or 'differs (below)'}; "
                     f"retraining hyperparameters' hash "
                     + (f"`{next(iter(hashes.values()))}` for every row" if
                        len(set(hashes.values())) == 1 else
                        "differs: " + ", ".join(f"{r} `{h}`" for r, h in hashes.items())))
        if found["differs"]:
            lines += ["", "Keys that differ across rows:", *_differs(found["differs"])]
        lines.append("")
    return lines


def seeds_lines(card: dict) -> list[str]:
    lines = ["## Seeds", "", "| row | searches | evaluations | held-out (selection) |",
             "|---|---|---|---|"]
    for row in card["rows"]:
        evals = "; ".join(f"{t}: {s}" for t, s in row["eval_seeds"].items())
        lines.append(f"| {row['key']} | {row['search_seeds'] or '-'} | {evals or '-'} | "
                     f"{row['heldout_seeds'] or '-'} |")
    return lines + [""]


def environment_lines(card: dict) -> list[str]:
    env = card["environment"]
    lines = ["## Hardware and library versions (from the jobs' run.json)", ""]
    lines += [f"- {key}: {_value(value)}" for key, value in env["same"].items()]
    if env["differs"]:
        lines += ["", "Differ across rows:", *_differs(env["differs"])]
    return lines + [""]


def cost_lines(card: dict) -> list[str]:
    lines = ["## End-to-end cost", "",
             "k searches; T_search: a search's wall time, T_valid: the time that validates its "
             "cell (a selecting table's held-out retraining, else 0), T_final: the row's final "
             "evaluations (a lookup's time in benchmark mode, not the benchmark's training time). "
             "Times: each job's Snakemake benchmark file (column s), else its run.json's "
             "wall_time_s. The probe cells' evaluations (ground truth of ranking columns) and the "
             "table's own jobs are in report/cost.csv, not in a row's cost.", "",
             "| row | k | T_search | T_valid | k·(T_search + T_valid) | T_final | + T_final | "
             "from |", "|---|---|---|---|---|---|---|---|"]
    for row, cost in card["cost"].items():
        sources = sorted({s for found in cost["sources"].values() for s in found})
        lines.append(f"| {row} | {cost['k']} | {_duration(cost['T_search_s'])} | "
                     f"{_duration(cost['T_valid_s'])} | {_duration(cost['end_to_end_s'])} | "
                     f"{_duration(cost['T_final_s'])} | {_duration(cost['with_final_s'])} | "
                     f"{', '.join(sources)} |")
    example = next((files[0] for cost in card["cost"].values() for files in cost["files"].values()
                    if files and BENCH_SOURCE in cost["sources"].get("search", [])), None)
    if example:
        lines += ["", f"Files: e.g. `{example}`; every file per term in the card's JSON."]
    return lines + [""]


def ablation_lines(card: dict) -> list[str]:
    lines = ["## Ablations (rows of one method whose search settings differ in one key)", ""]
    if not card["ablations"]:
        return lines + ["None among this table's rows.", ""]
    for found in card["ablations"]:
        lines.append(f"- {found['method']}, `{found['key']}`: " + "; ".join(
            f"{row} = {_value(v)}" for row, v in found["rows"].items()))
    return lines + [""]


def _by_source(entries: dict) -> str:
    groups = defaultdict(list)
    for key, found in entries.items():
        groups[found["source"]].append(f"{key}={_value(found['value'])}")
    return "; ".join(f"{', '.join(keys)} ({source})" for source, keys in groups.items())


def provenance_lines(card: dict) -> list[str]:
    lines = ["## Where each hyperparameter comes from", "",
             "Values from the jobs' records; sources from the resolved profile "
             "(src/nasrepro/profile/provenance.py; the citations of "
             "src/nasrepro/experiments/protocols.py, docs/protocols.md).", ""]
    for row, entry in card["provenance"].items():
        if "search" in entry:
            lines.append(f"- **{row}**, search: {_by_source(entry['search'])}")
        for target, found in entry.get("evaluate", {}).items():
            lines.append(f"- **{row}**, evaluation on {target}: {_by_source(found)}")
    return lines + [""]


def to_markdown(card: dict) -> str:
    lines = [f"# Evaluation card: {card['table']} (profile '{card['profile']}')", "",
             "Generated from the jobs' records (run.json, final.json, benchmark files) and the "
             "resolved profile; the JSON beside this file holds every value.", ""]
    for part in (identity_lines, seeds_lines, environment_lines, cost_lines, ablation_lines,
                 provenance_lines):
        lines += part(card)
    return "\n".join(lines).rstrip() + "\n"
