"""The evaluation card of a table (issue #29 item 4; Lindauer and Hutter's best-practice checklist
for NAS, JMLR 2020): what the rows of one table have in common and where they differ, read from
the records the jobs wrote, never typed. ``<table>.card.json`` and ``.card.md`` beside the table
(``Layout.card``; rule ``card``).

Sources, per job (``layout.parse_run_path``): a search's ``search/run.json`` (its resolved job:
method, method config, supernet, dataset; the versions, Python, CPU, GPU and device the job
recorded, ``utils.runinfo``), an evaluation's ``eval/<target>/run.json`` (mode, retraining and
network config, dataset) and ``final.json`` (the sizes of the data it trained on, scored and
reported: ``data``), and each job's Snakemake ``benchmark:`` file (``Layout.run_bench``, column
``s``: its wall seconds; ``report.cost.job_cost`` reads it) or, without one, ``run.json``'s
``wall_time_s``. The card says which file each time comes from.

The card holds, per row (the table's CSV: its ``Method`` and ``run``; pseudo-runs fold into
their run: ``<run>-selected`` retrainings are the row's, ``<run>-heldout`` its validation):

- **benchmark identity** per target: the space, the split (data sizes and dataset), the
  evaluation mode and a hash of the retraining hyperparameters (``net.*``, ``retrain.*``, the
  budget knob); where rows disagree, the keys that differ and each row's value;
- **seeds**: the searches' and, per target, the evaluations';
- **hardware and library versions** across all the rows' jobs: one value, or each row's;
- **end-to-end cost** k·(T_search + T_valid), k the row's searches, T_search a search's time,
  T_valid the time that validates its cell (the held-out retraining of a selecting table,
  pseudo-run ``<run>-heldout``; 0 where the cell is the search's own result), and the same with
  T_final, the row's final evaluations (retrainings, or benchmark lookups), added;
- **ablations**: rows of the same method whose search settings differ in exactly one key;
- **provenance** of every hyperparameter (``profile.provenance``, computed from the resolved
  profile by the workflow): thesis text, reference code, the author's released code, the
  profile, a run's own settings or the code's default.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

from nasrepro.jobs import SELECTED_SUFFIX, base_run, is_heldout_run, is_probe_run, is_selected_run
from nasrepro.layout import Layout, is_selection_file, parse_run_path
from nasrepro.utils.atomic import write_json, write_text

ENV_KEYS = ("python", "cpu", "gpu", "device")  # beside run.json's ``versions``
BUDGET = "settings.max_batches_per_epoch"  # the budget knob: part of a retraining's identity
# the prefixes of the flattened keys: an evaluation's network and retraining, a search's supernet
NET, RETRAIN, SUPERNET = "net", "retrain", "supernet"
DATA_SKIP = ("root", "download")  # where a dataset lies is not what it is
BENCH_SOURCE, RUN_JSON_SOURCE = "benchmark file (column s)", "run.json (wall_time_s)"


def _flat(prefix: str, values: dict | None) -> dict:
    return {f"{prefix}.{k}": v for k, v in sorted((values or {}).items())}


def digest(values: dict) -> str:
    """A short SHA-256 of ``values`` (JSON, sorted keys): the retraining hyperparameters' hash."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]


def job_seconds(run_json: Path, record: dict, layout: Layout) -> tuple[float, str, str]:
    """(wall seconds, source kind, file) of the job that wrote ``run_json``: its Snakemake
    benchmark file where it exists (``report.cost.job_cost``), else the record's own time."""
    from nasrepro.report.cost import job_cost

    out = parse_run_path(run_json)
    family = "search" if out.kind == "search" else "evaluate"
    target = () if out.kind == "search" else (out.target,)
    bench = Path(layout.run_bench(family, out.space, out.dataset, out.run, out.seed, *target))
    if bench.exists():
        job = {"family": family, "benchmark": str(bench), "run_json": str(run_json)}
        seconds = job_cost(job)["wall_h"] * 3600
        return seconds, BENCH_SOURCE, str(bench)
    return float(record["wall_time_s"]), RUN_JSON_SOURCE, str(run_json)


def environment(record: dict) -> dict:
    """The hardware and library versions one job recorded (``utils.runinfo.write_run_json``)."""
    env = {key: str(record.get(key)) for key in ENV_KEYS}
    env.update({name: str(v) for name, v in sorted((record.get("versions") or {}).items())})
    return env


def identity(run_record: dict, final: dict | None) -> dict:
    """The benchmark identity of one evaluation, flattened: space, mode, dataset (where it lies
    left out), the split's sizes (``final.json``'s ``data``), the benchmark table of a lookup, the
    retraining hyperparameters (``net.*``, ``retrain.*``) and the budget knob."""
    job = run_record["config"]
    out = {"space": job["space"], "search_dataset": job["search_dataset"], "mode": job["mode"]}
    dataset = {k: v for k, v in (job.get("dataset") or {}).items() if k not in DATA_SKIP}
    out.update(_flat("dataset", dataset))
    out.update(_flat("split", (final or {}).get("data")))
    if job.get("benchmark_table"):
        out["benchmark"] = Path(job["benchmark_table"]).name
    out.update(hyperparameters(job))
    return out


def hyperparameters(job: dict) -> dict:
    """The retraining hyperparameters of an evaluation job (what the identity's hash covers)."""
    out = {**_flat(NET, job.get("net_cfg")), **_flat(RETRAIN, job.get("retrain"))}
    budget = (job.get("settings") or {}).get("max_batches_per_epoch")
    if budget is not None:
        out[BUDGET] = budget
    return out


class Records:
    """The jobs of a table, grouped by row run: ``searches[run][seed]`` (a ``<run>-best`` row
    reads its run's: ``searches_of``), ``evals[run][(target,
    seed, job run)]`` (the row's final evaluations, its ``-selected`` retrainings included) and
    ``heldout[run][seed]``, each ``{"record", "final", "path"}``."""

    def __init__(self, files: list[str]):
        self.searches: dict = defaultdict(dict)
        self.evals: dict = defaultdict(dict)
        self.heldout: dict = defaultdict(dict)
        finals = {}
        for name in sorted(files):
            path = Path(name)
            if is_selection_file(path) or path.name not in ("run.json", "final.json"):
                continue
            out = parse_run_path(path)
            if is_probe_run(out.run):
                continue
            if path.name == "final.json":
                finals[path.parent] = json.loads(path.read_text())
                continue
            entry = {"record": json.loads(path.read_text()), "path": path}
            if out.kind == "search":
                self.searches[out.run][out.seed] = entry
            elif is_heldout_run(out.run):
                self.heldout[base_run(out.run)][out.seed] = entry
            else:
                row = out.run[:-len(SELECTED_SUFFIX)] if is_selected_run(out.run) else out.run
                self.evals[row][(out.target, out.seed, out.run)] = entry
        for group in self.evals.values():
            for entry in group.values():
                entry["final"] = finals.get(entry["path"].parent)

    def searches_of(self, run: str) -> dict:
        """{seed: search} of a row's run (a pseudo-run's: its run's searches)."""
        return self.searches.get(base_run(run), {})

    def targets(self, run: str) -> list[str]:
        """The targets a row's run was evaluated on."""
        return sorted({target for target, _, _ in self.evals.get(run, {})})

    def evals_on(self, run: str, target: str) -> list[tuple[int, dict]]:
        """[(seed, evaluation)] of a row's run on ``target``, in order."""
        return [(seed, entry) for (t, seed, _), entry in sorted(self.evals.get(run, {}).items())
                if t == target]


def _spread(per_row: dict[str, dict]) -> dict:
    """{key: value} where every row agrees, and {key: {row: value}} where they do not."""
    keys = sorted({k for values in per_row.values() for k in values})
    same, differs = {}, {}
    for key in keys:
        values = {row: values.get(key) for row, values in per_row.items()}
        distinct = {json.dumps(v, sort_keys=True) for v in values.values()}
        if len(distinct) == 1:
            same[key] = next(iter(values.values()))
        else:
            differs[key] = values
    return {"same": same, "differs": differs}


def identity_section(rows: list[dict], records: Records) -> dict:
    """Per target: each row's identity (its evaluations' identity; a row whose own evaluations
    disagree lists every value), its hash, and across rows the keys that differ."""
    out = {}
    targets = sorted({t for row in rows for t in records.targets(row["run"])})
    for target in targets:
        per_row = {}
        for row in rows:
            found = [identity(entry["record"], entry["final"])
                     for _, entry in records.evals_on(row["run"], target)]
            if found:
                spread = _spread({str(i): f for i, f in enumerate(found)})
                per_row[row["key"]] = {**spread["same"], **spread["differs"]}
        hashes = {row: digest({k: v for k, v in values.items()
                               if k.startswith((f"{NET}.", f"{RETRAIN}.")) or k == BUDGET})
                  for row, values in per_row.items()}
        spread = _spread(per_row)
        out[target] = {"rows": per_row, "hash": hashes, "same": spread["same"],
                       "differs": spread["differs"]}
    return out


def cost_section(rows: list[dict], records: Records, layout: Layout) -> dict:
    """Per row: k (its searches), each term's seconds and files, k·(T_search + T_valid) and with
    T_final added (module docstring)."""
    out = {}
    for row in rows:
        run = row["run"]
        terms = {"search": list(records.searches_of(run).values()),
                 "valid": list(records.heldout.get(run, {}).values()),
                 "final": list(records.evals.get(run, {}).values())}
        if not any(terms.values()):
            continue
        timed = {name: [job_seconds(e["path"], e["record"], layout) for e in entries]
                 for name, entries in terms.items()}
        k = len(terms["search"])
        seconds = {name: sum(t[0] for t in found) for name, found in timed.items()}
        mean = {name: seconds[name] / k if k else 0.0 for name in ("search", "valid")}
        out[row["key"]] = {
            "k": k, "T_search_s": mean["search"], "T_valid_s": mean["valid"],
            "T_final_s": seconds["final"],
            "end_to_end_s": k * (mean["search"] + mean["valid"]),
            "with_final_s": k * (mean["search"] + mean["valid"]) + seconds["final"],
            "sources": {name: sorted({t[1] for t in found}) for name, found in timed.items()},
            "files": {name: [t[2] for t in found] for name, found in timed.items()},
        }
    return out


def ablations(rows: list[dict], records: Records) -> list[dict]:
    """Rows of one method whose search settings (method config and supernet) differ in exactly
    one key: per (method, key), the rows that agree on every other key, with their values."""
    settings = {}
    for row in rows:
        search = next(iter(records.searches_of(row["run"]).values()), None)
        if search is not None:
            job = search["record"]["config"]
            settings[row["key"]] = (job["method"], {**job["method_cfg"],
                                                    **_flat(SUPERNET, job.get("space_cfg"))})
    found = []
    methods = sorted({method for method, _ in settings.values()})
    for method in methods:
        mine = {row: cfg for row, (m, cfg) in settings.items() if m == method}
        keys = sorted({k for cfg in mine.values() for k in cfg})
        for key in keys:
            groups = defaultdict(dict)
            for row, cfg in mine.items():
                rest = json.dumps({k: v for k, v in cfg.items() if k != key}, sort_keys=True)
                groups[rest][row] = cfg.get(key)
            for group in groups.values():
                if len({json.dumps(v) for v in group.values()}) > 1:
                    found.append({"method": method, "key": key, "rows": group})
    return found


def provenance_section(rows: list[dict], records: Records, sources: dict) -> dict:
    """Per row: ``search`` and, per target, ``evaluate``: {key: {"value", "source"}}, the values
    from the records (the first seed's job), the sources from ``profile.provenance``."""
    out = {}
    for row in rows:
        run, entry = row["run"], {}
        search = next(iter(records.searches_of(run).values()), None)
        if search is not None:
            job = search["record"]["config"]
            values = {**job["method_cfg"], **_flat(SUPERNET, job.get("space_cfg"))}
            own = sources.get("search", {}).get(run, {})
            entry["search"] = {k: {"value": v, "source": own.get(k, "not resolved")}
                               for k, v in sorted(values.items())}
        for target in records.targets(run):
            own = sources.get("evaluate", {}).get(run, {}).get(target, {})
            values = hyperparameters(records.evals_on(run, target)[0][1]["record"]["config"])
            entry.setdefault("evaluate", {})[target] = {
                k: {"value": v, "source": own.get(k, "not resolved")} for k, v in values.items()
                if k != BUDGET}
        if entry:
            out[row["key"]] = entry
    return out


def table_rows(table_csv: str | Path) -> list[dict]:
    """The rows of a built table (``Method``, ``run``); ``key``: the row's name on the card."""
    with open(table_csv, newline="") as handle:
        rows = [r for r in csv.DictReader(handle)]
    return [{"key": f"{r['Method']} ({r['run']})" if r["run"] else r["Method"],
             "row": r["Method"], "run": r["run"]} for r in rows]


def build(table: str, table_csv: str | Path, files: list[str], sources: dict,
          layout: Layout) -> dict:
    """The card of ``table`` (its built CSV ``table_csv``) from the job records ``files``."""
    rows = table_rows(table_csv)
    records = Records(files)
    envs = {}
    for row in rows:
        jobs = [*records.searches_of(row["run"]).values(),
                *records.heldout.get(row["run"], {}).values(),
                *records.evals.get(row["run"], {}).values()]
        if jobs:
            envs[row["key"]] = _spread({str(i): environment(e["record"])
                                        for i, e in enumerate(jobs)})
    per_row_env = {row: {**spread["same"], **spread["differs"]} for row, spread in envs.items()}
    return {
        "table": table,
        "profile": layout.profile,
        "rows": [{**row, "search_seeds": sorted(records.searches_of(row["run"])),
                  "eval_seeds": {t: sorted(s for s, _ in records.evals_on(row["run"], t))
                                 for t in records.targets(row["run"])},
                  "heldout_seeds": sorted(records.heldout.get(row["run"], {}))}
                 for row in rows],
        "identity": identity_section(rows, records),
        "environment": {"rows": per_row_env, **_spread(per_row_env)},
        "cost": cost_section(rows, records, layout),
        "ablations": ablations(rows, records),
        "provenance": provenance_section(rows, records, sources),
    }


def write_card(table: str, table_csv: str, files: list[str], sources: dict, layout: Layout,
               out_prefix: str) -> dict:
    """Write ``<out_prefix>.json`` and ``<out_prefix>.md`` atomically; returns the card."""
    from nasrepro.report.card_markdown import to_markdown

    card = build(table, table_csv, files, sources, layout)
    write_json(f"{out_prefix}.json", card)
    write_text(f"{out_prefix}.md", to_markdown(card))
    return card
