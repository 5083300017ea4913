# Inputs of the cost table: every job of the configured tables and figures (nasrepro.report.cost).
from nasrepro.report import cost as nascost


def prepared_datasets():
    """The datasets the configured tables and figures prepare (search data, retraining targets)."""
    names = {config["search_dataset"]}
    for name in config["tables"]:
        if not uses_benchmark(registry.TABLES.get(name).space):
            names.update(nasconfig.table_targets(config, name))
    return sorted(names)


def cost_spec():
    """Jobs and the jobs each table and figure reads, for `nasrepro cost --spec`."""
    items = {f"table {name}": table_finals(name) for name in config["tables"]}
    items.update({f"figure {name}": figure_metrics(name) for name in config["figures"]})
    others = [("table", f"{BENCH}/table/{name}.tsv") for name in config["tables"]]
    others += [("figure", f"{BENCH}/figure/{name}.tsv") for name in config["figures"]]
    others += [("prepare_data", f"{BENCH}/prepare_data/{name}.tsv") for name in prepared_datasets()]
    spaces = {registry.TABLES.get(name).space for name in config["tables"]}
    others += [("benchmark", f"{BENCH}/benchmark/{s}.tsv") for s in sorted(spaces) if uses_benchmark(s)]
    return nascost.cost_spec(items, others, RUNS, BENCH)


def cost_inputs(wildcards):
    jobs = cost_spec()["jobs"]
    return [j["benchmark"] for j in jobs] + [j["run_json"] for j in jobs if j["run_json"]]


def report_targets():
    return [f"results/{P}/report/cost.csv", f"results/{P}/report/cost.md"]
