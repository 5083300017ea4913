"""Thesis tables as CSV, Markdown and LaTeX (``report.latex``): for each column of the thesis
(``config/thesis_values/<table>.csv``) our column beside it, from ``eval/<target>/final.json``
files (which name their run, seed and target) and for the search columns from
``search/metrics.jsonl`` and ``search/run.json`` (``experiments.specs.Column``). Rows the pipeline
does not reproduce keep the thesis value and an empty cell of ours.

Each cell of ours is the mean ± std over seeds, the std the population std (numpy's default, as
NAS-Bench-201 reports it); a single value (one seed) is printed alone, and a column says how many
seeds each row has. The headers of every format (``headers``) name the thesis' and our columns
apart, our unit where it differs (search cost: wall-clock hours, not GPU-days) and the stand-in
data our numbers come from (``--standins``, from the profile's data roles), so a cropped table
still says what its numbers are; every format also carries the provenance note.

Each cell of ours with one value per seed also carries its seeds (issue #29 item 2,
``report.reproducibility``): n, mean, std, a 95 % bootstrap interval and the broad verdict as CSV
columns after those every format shares, compact in Markdown and LaTeX ("mean ± std (n=k)"), and
each row its exact and broad reproducibility. Each column says which data split it comes from (issue #29 item 3,
``report.splits``): the CSV's last row, a note under the Markdown and LaTeX table.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from nasrepro.analysis import random_search, space_mean
from nasrepro.experiments.specs import (ACROSS_SUFFIX, ACROSS_TAG, ARCH_FIELDS, GENOTYPE_TAG,
                                        PER_SEED, SAMPLED_SPACES, SELECTED_TAG, SPACE_TAG, Column,
                                        TableSpec, size_key)
from nasrepro.jobs import RELEASED, has_search, selected_run
from nasrepro.layout import is_selection_file, parse_run_path
from nasrepro.registry import RUNS
from nasrepro.report import reproducibility, splits
from nasrepro.utils.atomic import read_jsonl, write_text


def collect(spec: TableSpec, files: list[str]) -> dict[tuple[str, str], list]:
    """{(run, column key): [value per seed]} for the table's space, from the evaluation results
    (``final.json``), the searches (``metrics.jsonl``, ``run.json``) and the probe cells'
    ground truth (``final.json`` of the ``probe-<i>`` runs). In a selecting table
    (``TableSpec.selects``) a searched run's evaluated cells are its selected cell's
    (``selection.json`` among ``files``; ``select_rows``), and the (run, ``<key>_searches``)
    entries hold each search's cell (the across-searches column); (run, ``"selected"``) the
    selection record."""
    from nasrepro.analysis.ranking import kendall_tau, s_tau
    from nasrepro.jobs import PROBE_PREFIX

    values: dict = defaultdict(list)
    seeded: dict = defaultdict(dict)  # (run, column key) -> {seed: value} of the evaluations
    selections: dict[str, dict] = {}
    truth: dict[int, float] = {}
    probe_scores: dict = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    for path in sorted(files):
        path = Path(path)
        data = None if path.suffix == ".jsonl" else json.loads(path.read_text())
        if is_selection_file(path):
            if data["space"] == spec.space:
                selections[data["run"]] = data
        elif data is not None and "wall_time_s" not in data:  # an evaluation result (final.json)
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
                    value = 100.0 - value if column.error else value
                    values[(result["run"], column.key)].append(value)
                    if "seed" in result:
                        seeded[(result["run"], column.key)][int(result["seed"])] = value
            if spec.net_keys and result.get("net"):  # the network that produced the row
                nets = values.setdefault((result["run"], "net"), [{}])[0]
                nets[result["target"]] = {k: result["net"][k] for k in spec.net_keys
                                          if k in result["net"]}
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
                if column.source == "search_cost":  # hours (Column.ours), not the thesis' days
                    values[(job["run"], column.key)].append(info["wall_time_s"] / 3600.0)
                elif column.source == "memory":
                    values[(job["run"], column.key)] = [info["memory"]]
    _search_times(spec, seconds, values)
    if spec.selects:
        select_rows(spec, values, seeded, selections)
    if truth:
        reference = [truth[i] for i in sorted(truth)]
        for run, vectors in probe_scores.items():
            for column in spec.columns:
                if column.source == "tau":
                    values[(run, column.key)] = [kendall_tau(v, reference) for v in vectors]
                elif column.source == "s_tau" and len(vectors) > 1:
                    values[(run, column.key)] = [s_tau(vectors)]
    return values


def select_rows(spec: TableSpec, values: dict, seeded: dict, selections: dict[str, dict]) -> None:
    """The thesis' protocol for a DARTS-space row (``experiments.specs.SELECTION_SPACES``), in
    place: for each run with a selected cell (``selections``: run -> selection record), each
    evaluated column gets the selected cell's retrainings, its search's own (its search's seed)
    first, then those of pseudo-run ``<run>-selected`` (the held-out retraining that selected it,
    ``<run>-heldout``, is not among them); a params or multiply-adds column the
    selected cell's one value. The evaluations of every search's cell, one each, move to
    ``<key>_searches`` (``TableSpec.across``); a searched run without a selected cell among the
    inputs keeps only those (its selected-cell cells stay empty, never the searches' mean)."""
    evaluated = {column.key for column in spec.columns if column.source == "eval"}
    for run, key in [k for k in values if k[1] in evaluated]:
        if has_search(run) and run not in selections:
            found = values.pop((run, key))
            if spec.across(next(c for c in spec.columns if c.key == key)):
                values[(run, key + ACROSS_SUFFIX)] = found
    for run, selection in selections.items():
        chosen = int(selection["seed"])
        values[(run, "selected")] = [selection]
        for column in spec.columns:
            found = seeded.get((run, column.key), {})
            if column.source != "eval" or chosen not in found:
                continue
            if spec.across(column):
                values[(run, column.key + ACROSS_SUFFIX)] = [found[s] for s in sorted(found)]
            more = seeded.get((selected_run(run), column.key), {})
            values[(run, column.key)] = [found[chosen]] + (
                [] if column.field in ARCH_FIELDS else [more[s] for s in sorted(more)])


def net_text(nets: dict[str, dict] | None) -> str:
    """The "Evaluation network [ours]" cell: the settings of each target's network, targets with
    the same settings together, e.g. "cifar10, cifar100: C=36, layers=20; imagenet: C=52, ..."."""
    groups: dict[str, list[str]] = {}
    for target in sorted(nets or {}):
        text = ", ".join(f"{k}={v}" for k, v in nets[target].items())
        groups.setdefault(text, []).append(target)
    return "; ".join(f"{', '.join(targets)}: {text}" for text, targets in groups.items())


def selected_text(selection: dict | None) -> str:
    """The "Selected cell [ours]" cell: the search seed whose cell was selected, and by what."""
    if not selection:
        return ""
    chosen, info = selection["seed"], selection["selection"]
    if len(info["searches"]) == 1:
        return f"seed {chosen} (1 search: nothing to select)"
    score = info["scores"][str(chosen)]
    return (f"seed {chosen} of {info['searches']}: best {info['field']} {score:.2f} on "
            f"{info['target']} (held-out retraining: train half, scored on the validation half)")


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


LEGEND = ("Ours: mean ± std (population) over a row's seeds; a row with 1 seed gives its value "
          "alone. An empty cell of ours: not reproduced by this profile.")
SELECTION_LEGEND = (f"[ours; {SELECTED_TAG}]: the thesis' protocol (§3.4.2): of a row's searches, "
                    "the cell whose held-out retraining (trained on the search's training half, "
                    "scored on its validation half: never the test set) scores best, retrained "
                    "with Seeds seeds (its search's own retraining first); "
                    f"[ours; {ACROSS_TAG}]: each search's cell retrained once, mean ± std "
                    "over the searches (Selected cell names them; the search cost is their mean).")
RANDOM_LEGEND = ("Random sampling: the mean ± std (population) of each column over the benchmark "
                 "table in use (every cell it holds; a profile that retrains its cells: its "
                 "uniformly sampled probe cells, on the search dataset); RI: the relative "
                 "improvement of our mean over it, 100 (ours - random) / random, sign turned "
                 "for a column where lower is better (issue #29).")
SAMPLED_LEGEND = ("Random sampling: the mean ± std (population) of each column over K "
                  "genotypes drawn uniformly from the space with the seed the row names (listed "
                  "in tables/<space>_space_mean.json), each retrained once, seed 0, with the "
                  "protocol of the rows' cells; RI: the relative improvement of our mean over "
                  "it, 100 (ours - random) / random, sign turned for a column where lower is "
                  "better (error, perplexity), so that better than random is positive (issue #29).")
SEARCH_LEGEND = ("Random search (budget-matched): per seed s, cells drawn uniformly (seed s) "
                 "from the benchmark table in use until the next lookup would pass the measured "
                 "search time of the named run's search s (its simulated time: "
                 f"{random_search.SEARCH_EPOCHS} epochs of "
                 "NATS-Bench training plus one evaluation; a profile that retrains its cells: "
                 "its probe cells with their measured retraining times); the incumbent, best by "
                 "validation accuracy, reported like the rows' cells; budget and draws depend "
                 "on wall-clock times (the regression gate does not compare the row; issue #29).")
RI_TAG = "RI vs random sampling (%)"  # the RI column: our column's label, this after its tag
SEEDS_HEADER = "Seeds [ours]"
SELECTED_HEADER = ("selected", "Selected cell", "ours")
NET_HEADER = ("net", "Evaluation network", "ours")


def legend(spec: TableSpec) -> str:
    """The table's legend (every format): with the selection protocol's and the random-sampling
    row's where they apply."""
    random = SAMPLED_LEGEND if spec.space in SAMPLED_SPACES else RANDOM_LEGEND
    seeded = any(reproducibility.has_stats(c) for c in spec.columns)
    return " ".join([LEGEND] + [SELECTION_LEGEND] * spec.selects + [random] * spec.random_row
                    + [SEARCH_LEGEND] * spec.random_search
                    + [reproducibility.LEGEND] * seeded)


def has_ri(spec: TableSpec, column: Column) -> bool:
    """Whether ``column`` has a random-sampling cell and an RI column beside ours: an evaluated
    field of ``space_mean.FIELDS`` in a table with the random-sampling row."""
    return spec.random_row and column.source == "eval" and column.field in space_mean.FIELDS


def random_stats(column: Column, random: dict | None) -> tuple[float, float | None] | None:
    """(mean, std) of the random-sampling row in ``column``'s unit (an error: 100 - accuracy);
    std None for one cell (printed alone, as one seed of ours)."""
    found = space_mean.stats(random, column.target, column.field)
    if found is None:
        return None
    return ((100.0 - found["mean"] if column.error else found["mean"]),
            found["std"] if found["n"] > 1 else None)


def ri_cell(column: Column, values: list, random: dict | None) -> str:
    """Our row's RI over random sampling in ``column`` (``space_mean.relative_improvement`` of
    the mean over seeds), signed, two decimals; empty without both numbers."""
    baseline = random_stats(column, random)
    if not values or baseline is None:
        return ""
    ri = space_mean.relative_improvement(float(np.mean(values)), baseline[0],
                                         column.lower_is_better)
    return f"{ri:+.2f}"


def random_row(spec: TableSpec, random: dict, note: str) -> dict:
    """The "Random sampling" row (``analysis.space_mean``): its mean ± std in every column that
    has one and, in a table that names its rows' networks, the network its cells were retrained
    with; nothing else."""
    out = {"Method": random["label"], "run": "", "seeds": "", "reproduced_with": note}
    for column in spec.columns:
        baseline = random_stats(column, random) if has_ri(spec, column) else None
        if baseline is not None:
            out[f"{column.key}_reproduced"] = fmt_mean(*baseline, column.digits, column.significant)
    if spec.net_keys:
        out["net"] = net_text({target: {k: net[k] for k in spec.net_keys if k in net}
                               for target, net in (random.get("nets") or {}).items()
                               if target in spec.targets()})
    return out


def random_search_row(spec: TableSpec, searched: dict, random: dict | None, note: str) -> dict:
    """The "Random search (budget-matched ...)" row (``analysis.random_search.summary`` of its
    seeds): in each evaluated column the incumbents' values over the seeds as a row of ours
    prints them (mean ± std, seed statistics, RI over random sampling); its run the pseudo-run."""
    out = {"Method": random_search.label(searched), "run": searched["run"],
           "seeds": len(searched["seeds"]), "reproduced_with": note}
    for column in spec.columns:
        if column.source != "eval":
            continue
        values = [100.0 - v if column.error else v
                  for v in searched["per_seed"].get(f"{column.target}/{column.field}", [])]
        out[f"{column.key}_reproduced"] = fmt(values, column.digits, column.significant)
        out.update(reproducibility.stat_cells(f"{column.key}_reproduced", column, values))
        if has_ri(spec, column):
            out[f"{column.key}_ri"] = ri_cell(column, values, random)
    return out


def title(spec: TableSpec, table: list[dict]) -> str:
    """The caption's title: the spec's, and where rows are released-code runs (``fidelity:
    released``, issue #25) a sentence naming them; a table without such rows keeps its title."""
    rows = [row["run"] for row in table
            if row["run"] in RUNS and RUNS.get(row["run"]).fidelity == RELEASED]
    if not rows:
        return spec.title
    return (f"{spec.title} Fidelity: rows {', '.join(rows)} follow the author's released code "
            "(fidelity released, docs/methods.md); the others the thesis' equations.")


def decimals(value: float, significant: int) -> int:
    """The decimals that show ``significant`` figures of ``value`` (none for large values)."""
    if not value or not math.isfinite(value):
        return max(significant - 1, 0)
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


def fmt(values: list, digits: int = 2, significant: int = 0) -> str:
    """One cell of ours: "mean ± std" over seeds, or the value alone when there is one (one
    seed, or one value per run: s-tau); ``digits`` decimals, or ``significant`` figures of the
    mean (the std with as many decimals). Text (the memory kind) is printed as it is."""
    if not values:
        return ""
    if isinstance(values[0], str):
        return values[0]
    return fmt_mean(float(np.mean(values)), float(np.std(values)) if len(values) > 1 else None,
                    digits, significant)


def fmt_mean(mean: float, std: float | None, digits: int = 2, significant: int = 0) -> str:
    """"mean ± std" (``fmt``), or the mean alone when ``std`` is None."""
    places = decimals(mean, significant) if significant else digits
    if std is None:
        return f"{mean:.{places}f}"
    return f"{mean:.{places}f} ± {std:.{places}f}"


def genotype_cell(spec: TableSpec, column: Column, row: dict, complexity: dict | None) -> str:
    """The value of an architecture column computed from the row's released genotype (CSV column
    ``genotype``; ``complexity``: the file of rule genotype_complexity), at the network the
    thesis states for the row's run (``RunVariant.eval_params``, e.g. C = 52), or empty."""
    name = row.get("genotype", "")
    if not name or complexity is None:
        return ""
    if name not in complexity:
        raise KeyError(f"row {row['row']!r}: genotype {name!r} is not a released cell; known: "
                       f"{sorted(complexity)}")
    run = row.get("run", "")
    own = RUNS.get(run).eval_overrides(spec.space, column.target) if run in RUNS else {}
    key = size_key(column.target, own)
    if key not in complexity[name]:
        raise KeyError(f"row {row['row']!r}: no count of {name} at {key!r} in the complexity "
                       "file; rebuild it (rule genotype_complexity)")
    return fmt([complexity[name][key][column.field]], column.digits, column.significant)


def build(spec: TableSpec, thesis_csv: str | Path, final_files: list[str], note: str,
          extra_runs: list[str] = (), complexity: dict | None = None,
          summary: dict | None = None, random: dict | None = None,
          searched: dict | None = None) -> list[dict]:
    """The table's rows (one dict each): ``Method``, ``run``, ``seeds`` (the most seeds behind a
    cell of ours), per column ``<key>_thesis`` and (not for a ``thesis`` column)
    ``<key>_reproduced``, for an architecture column (``TableSpec.from_genotype``) also
    ``<key>_genotype`` (from ``complexity``), and the note; a ``space`` column's cell of ours is
    the row's space's entry of ``summary`` (rule space_summary, Table 1.1). Rows: the thesis'
    (``thesis_csv``), then one per run in ``extra_runs`` (a profile's own runs,
    ``tables.<id>.extra_runs``: no thesis value), then, given ``random`` (rule space_mean, a
    ``TableSpec.random_row`` table), the random-sampling row, and for every row of ours its RI
    over it (``<key>_ri``, ``has_ri``); given ``searched`` (``random_search.summary``, a
    ``TableSpec.random_search`` table) the budget-matched random-search row last."""
    with open(thesis_csv, newline="") as handle:
        thesis = list(csv.DictReader(handle))
    thesis += [{"row": run, "run": run} for run in extra_runs]
    values = collect(spec, final_files)
    # the seeds a row's Seeds cell counts: a selecting table's, the selected cell's retrainings
    counted = ("eval",) if spec.selects else PER_SEED
    rows = []
    for row in thesis:
        cell_run = {c.key: row.get(f"{c.key}_run") or row["run"] for c in spec.columns}
        seeds = max((len(values.get((cell_run[c.key], c.key), [])) for c in spec.columns
                     if c.source in counted), default=0)
        out = {"Method": row["row"], "run": row["run"], "seeds": seeds or ""}
        broad = []
        for column in spec.columns:
            out[f"{column.key}_thesis"] = row.get(column.key, "")
            for key, found in reproducibility.cell_keys(spec, column).items():
                out.update(reproducibility.stat_cells(
                    key, column, values.get((cell_run[column.key], found), []),
                    out[f"{column.key}_thesis"] if found == column.key else ""))
                broad += [out[f"{key}_broad"]] if f"{key}_broad" in out else []
            if column.source == "space":
                out[f"{column.key}_reproduced"] = (summary or {}).get(row.get("space", ""), {}).get(
                    column.field, "")
            elif column.reproduced:
                out[f"{column.key}_reproduced"] = fmt(
                    values.get((cell_run[column.key], column.key), []), column.digits,
                    column.significant)
            if has_ri(spec, column):
                out[f"{column.key}_ri"] = ri_cell(
                    column, values.get((cell_run[column.key], column.key), []), random)
            if spec.across(column):
                out[column.key + ACROSS_SUFFIX] = fmt(
                    values.get((cell_run[column.key], column.key + ACROSS_SUFFIX), []),
                    column.digits, column.significant)
            if spec.from_genotype(column):
                out[f"{column.key}_genotype"] = genotype_cell(spec, column, row, complexity)
        if spec.net_keys:
            out["net"] = net_text((values.get((row["run"], "net")) or [None])[0])
        if spec.selects:
            out["selected"] = selected_text((values.get((row["run"], "selected")) or [None])[0])
        out["exact"] = reproducibility.exact_text(spec, row["run"])
        out["broad"] = reproducibility.row_broad(broad)
        out["reproduced_with"] = note
        rows.append(out)
    if random is not None:
        rows.append(random_row(spec, random, note))
    if searched is not None:
        rows.append(random_search_row(spec, searched, random, note))
    return rows


def ours_tag(column: Column, standins: dict[str, str] | None, scored_by: str = "") -> str:
    """What our column is: "ours", or "ours; stand-in: <loader>" when its numbers come from a
    stand-in for the column's dataset (``standins``: role -> loader); with ``scored_by`` (cells
    looked up in that benchmark) an evaluated column says that only its search used the stand-in."""
    if column.source == "space":
        return SPACE_TAG
    standin = (standins or {}).get(column.target) if column.on_data else None
    if not standin:
        return "ours"
    if scored_by and column.source in ("eval", "tau"):
        return f"ours; searched on stand-in {standin}, scored by {scored_by}"
    return f"ours; stand-in: {standin}"


def headers(spec: TableSpec, standins: dict[str, str] | None,
            scored_by: str = "") -> list[tuple[str, str, str]]:
    """Every output column but the note, in order: (row key, label, tag), the header being
    "<label> [<tag>]" (tag "thesis", or ``ours_tag``); the same in CSV, Markdown and LaTeX;
    in a table with the random-sampling row an RI column after each of ours that ``has_ri``."""
    out = [("Method", "Method", ""), ("run", "run", "")]
    for column in spec.columns:
        out.append((f"{column.key}_thesis", column.label, column.thesis_tag))
        if column.reproduced:
            out.append((f"{column.key}_reproduced", column.ours_label,
                        reproduced_tag(spec, column, standins, scored_by)))
        if has_ri(spec, column):
            out.append((f"{column.key}_ri", column.ours_label,
                        f"{ours_tag(column, standins, scored_by)}; {RI_TAG}"))
        if spec.across(column):
            out.append((column.key + ACROSS_SUFFIX, column.ours_label,
                        f"{ours_tag(column, standins, scored_by)}; {ACROSS_TAG}"))
        if spec.from_genotype(column):
            out.append((f"{column.key}_genotype", column.label, GENOTYPE_TAG))
    return (out + ([NET_HEADER] if spec.net_keys else [])
            + ([SELECTED_HEADER] if spec.selects else []) + [("seeds", "Seeds", "ours")]
            + [reproducibility.EXACT_HEADER, reproducibility.BROAD_HEADER])


def reproduced_tag(spec: TableSpec, column: Column, standins: dict[str, str] | None,
                   scored_by: str = "") -> str:
    """Our column's tag; in a selecting table an evaluated column is the selected cell's."""
    tag = ours_tag(column, standins, scored_by)
    return f"{tag}; {SELECTED_TAG}" if spec.selects and column.source == "eval" else tag


def header_text(label: str, tag: str) -> str:
    return f"{label} [{tag}]" if tag else label


def to_csv(spec: TableSpec, table: list[dict], standins: dict[str, str] | None = None,
           scored_by: str = "", protocols: dict[str, str] | None = None) -> str:
    """The CSV: the columns of ``headers``, then the cells' seed statistics
    (``reproducibility.csv_headers``) and the note (``reproduced_with``); the last row names
    each column's data split (``splits.ROW_LABEL``), from ``protocols`` (target -> retraining
    protocol) or the benchmark ``scored_by``."""
    columns = (reproducibility.csv_headers(spec, headers(spec, standins, scored_by))
               + [("reproduced_with", "reproduced_with", "")])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header_text(label, tag) for _, label, tag in columns])
    writer.writerows([[row.get(key, "") for key, _, _ in columns] for row in table])
    found = splits.by_key(spec, protocols or {}, scored_by)
    writer.writerow([splits.ROW_LABEL] + [found.get(reproducibility.cell_of(key), "")
                                          for key, _, _ in columns[1:]])
    return out.getvalue()


def cells(row: dict, keys: list[str]) -> list[str]:
    """A row's cells of ``keys`` as Markdown and LaTeX print them (``reproducibility.compact``)."""
    return [reproducibility.compact(row, key) for key in keys]


def split_note(spec: TableSpec, standins: dict[str, str] | None, scored_by: str,
               protocols: dict[str, str] | None) -> str:
    return splits.note(spec, headers(spec, standins, scored_by), protocols or {}, scored_by)


def to_markdown(spec: TableSpec, table: list[dict], note: str,
                standins: dict[str, str] | None = None, scored_by: str = "",
                protocols: dict[str, str] | None = None) -> str:
    """Markdown: title, note, one column each for the thesis and for ours, the legend, the data
    split of each column."""
    columns = [c for c in headers(spec, standins, scored_by) if c[0] != "run"]
    keys = [key for key, _, _ in columns]
    lines = [f"# {title(spec, table)}", "", f"**{note}**", "",
             "| " + " | ".join(header_text(label, tag) for _, label, tag in columns) + " |",
             "|" + "---|" * len(columns)]
    for row in table:
        lines.append("| " + " | ".join(cells(row, keys)) + " |")
    return "\n".join(lines + ["", legend(spec), "",
                              split_note(spec, standins, scored_by, protocols)]) + "\n"


def write_table(spec: TableSpec, thesis_csv: str, final_files: list[str], out_prefix: str,
                note: str, extra_runs: list[str] = (), standins: dict[str, str] | None = None,
                scored_by: str = "", complexity_file: str | None = None,
                summary_file: str | None = None, random_file: str | None = None,
                protocols: dict[str, str] | None = None,
                search_files: list[str] = ()) -> list[dict]:
    """Write ``<out_prefix>.{csv,md,tex}`` atomically; ``standins``: the data roles a stand-in
    plays (role -> loader), named in the headers of our columns (``ours_tag``);
    ``complexity_file``: the released cells' params and multiply-adds (rule
    genotype_complexity), for the architecture columns; ``summary_file``: the spaces' sizes (rule
    space_summary), for Table 1.1; ``random_file``: the random-sampling row of the space (rule
    space_mean), for a ``TableSpec.random_row`` table; ``protocols``: the retraining protocol
    of each target (``SearchSpace.retrain_protocol``), for the columns' data splits;
    ``search_files``: the budget-matched random searches of the table, one per seed (rule
    random_search), for a ``TableSpec.random_search`` table."""
    from nasrepro.report.latex import to_latex

    complexity, summary, random = (json.loads(Path(f).read_text()) if f else None
                                   for f in (complexity_file, summary_file, random_file))
    table = build(spec, thesis_csv, final_files, note, extra_runs, complexity, summary, random,
                  random_search.summary(list(search_files)))
    write_text(f"{out_prefix}.csv", to_csv(spec, table, standins, scored_by, protocols))
    write_text(f"{out_prefix}.md", to_markdown(spec, table, note, standins, scored_by, protocols))
    write_text(f"{out_prefix}.tex", to_latex(spec, table, note, standins, scored_by, protocols))
    return table
