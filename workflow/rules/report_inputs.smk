# Inputs of the cost table (nasrepro.report.cost): the jobs each configured table and figure reads.
import functools
import hashlib

from nasrepro.report import cost as nascost

# The cost table of the whole profile is report/cost.csv; a `select:` build writes its own
# (report/cost-<ids>.csv), so that it never overwrites the full run's table.
COST = select.report_name(config, "cost")


def prepared_datasets():
    """The datasets the configured tables and figures prepare (search data, retraining targets)."""
    names = set(validate.needed_datasets(config))
    for name in config["tables"]:
        if not uses_benchmark(registry.TABLES.get(name).space):
            names.update(select.table_targets(config, name))
    return sorted(names)


def random_search_bench(path):
    """The benchmark file of the random_search job that wrote ``path``."""
    run = layout.parse_run_path(path)
    return L.run_bench("random_search", run.space, run.dataset, run.run, run.seed)


def cost_spec():
    """Each table's and figure's run outputs, and the other jobs' benchmark files, for
    `nasrepro cost --spec`; benchmark files of jobs without a `benchmark:` line are skipped."""
    items = {f"table {name}": table_finals(name) + random_row_runs(name) for name in config["tables"]}
    items.update(
        {
            f"figure {name}": [f for f in figure_metrics(name) if L.is_run_file(f)]
            for name in config["figures"]
        }
    )
    others = [("table", L.bench("table", name)) for name in config["tables"]]
    others += [("figure", L.bench("figure", name)) for name in config["figures"]]
    others += [("prepare_data", L.bench("prepare_data", name)) for name in prepared_datasets()]
    others += [  # the budget-matched random searches (issue #29): lookups, no run.json
        ("random_search", random_search_bench(path))
        for path in sorted({f for name in config["tables"] for f in random_search_files(name)})
    ]
    others += [("train_dvae", L.bench("dvae", space)) for space in config.get("dvae") or {}]
    spaces = {registry.TABLES.get(name).space for name in config["tables"]}
    others += [("benchmark", L.bench("benchmark", s)) for s in sorted(spaces) if uses_benchmark(s)]
    if regret_figures():  # the NAS-Bench-101 table of Figs. 5.2, 6.1, 6.4 (converted or stand-in)
        others.append(("benchmark", L.bench("benchmark", nb101_table_name())))
    return nascost.cost_spec(items, others, L)


@functools.cache
def cost_spec_json():
    """The cost spec as JSON (rule cost_spec writes it to a file; the command line gets only its
    digest: the default profile's spec is 72 KB, docs/architecture.md)."""
    return json.dumps(cost_spec(), sort_keys=True)


def cost_spec_digest():
    return hashlib.sha256(cost_spec_json().encode()).hexdigest()[:16]


def report_targets():
    return [L.report(COST, ext) for ext in ("csv", "md")]
