# Inputs of the cost table (nasrepro.report.cost): the jobs each configured table and figure reads.
from nasrepro.report import cost as nascost


def prepared_datasets():
    """The datasets the configured tables and figures prepare (search data, retraining targets)."""
    names = set(validate.needed_datasets(config))
    for name in config["tables"]:
        if not uses_benchmark(registry.TABLES.get(name).space):
            names.update(select.table_targets(config, name))
    return sorted(names)


def cost_spec():
    """Each table's and figure's run outputs, and the other jobs' benchmark files, for
    `nasrepro cost --spec`; benchmark files of jobs without a `benchmark:` line are skipped."""
    items = {f"table {name}": table_finals(name) for name in config["tables"]}
    items.update(
        {
            f"figure {name}": [f for f in figure_metrics(name) if f.startswith(f"{RUNS}/")]
            for name in config["figures"]
        }
    )
    others = [("table", f"{BENCH}/table/{name}.tsv") for name in config["tables"]]
    others += [("figure", f"{BENCH}/figure/{name}.tsv") for name in config["figures"]]
    others += [("prepare_data", f"{BENCH}/prepare_data/{name}.tsv") for name in prepared_datasets()]
    others += [("train_dvae", f"{BENCH}/dvae/{space}.tsv") for space in config.get("dvae") or {}]
    spaces = {registry.TABLES.get(name).space for name in config["tables"]}
    others += [("benchmark", f"{BENCH}/benchmark/{s}.tsv") for s in sorted(spaces) if uses_benchmark(s)]
    if regret_figures():  # the NAS-Bench-101 table of Figs. 5.2, 6.1, 6.4 (converted or stand-in)
        table = os.path.basename(nb101_table())[: -len(".parquet")]
        others.append(("benchmark", f"{BENCH}/benchmark/{table}.tsv"))
    return nascost.cost_spec(items, others, RUNS, BENCH)


def report_targets():
    return [f"results/{P}/report/cost.csv", f"results/{P}/report/cost.md"]
