# Helpers shared by the rules: job specs (resolved config blocks as JSON) and target lists.
import json
import os

RUNS = "results/runs"
ENV = "../envs/nasrepro.yaml"


wildcard_constraints:
    space="[a-z0-9_]+",
    dataset="[A-Za-z0-9_\\-]+",
    method="[a-z0-9\\-]+",
    seed="[0-9]+",
    target="[A-Za-z0-9_\\-]+",


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


def dataset_spec(name):
    if name not in config["datasets"]:
        raise ValueError(
            f"dataset {name!r} is not configured; configured: {sorted(config['datasets'])}"
        )
    return {"name": name, **config["datasets"][name]}


def run_settings():
    return {k: config[k] for k in ("device", "threads", "workers")}


def search_spec(wildcards):
    if wildcards.method not in config["methods"]:
        raise ValueError(
            f"method {wildcards.method!r} is not configured; configured: {sorted(config['methods'])}"
        )
    return as_json(
        {
            "space": wildcards.space,
            "space_cfg": config["spaces"][wildcards.space]["search"],
            "dataset": dataset_spec(wildcards.dataset),
            "method": wildcards.method,
            "method_cfg": config["methods"][wildcards.method],
            "seed": int(wildcards.seed),
            "eval_batches": config["search"]["eval_batches"],
            **run_settings(),
        }
    )


def evaluate_spec(wildcards):
    mode = config["evaluation"]["mode"]
    spec = {
        "mode": mode,
        "target": wildcards.target,
        "space": wildcards.space,
        "seed": int(wildcards.seed),
        **run_settings(),
    }
    if mode == "benchmark":
        spec["benchmark_table"] = benchmark_table(wildcards.space)
    else:
        spec.update(
            dataset=dataset_spec(wildcards.target),
            space_cfg=config["spaces"][wildcards.space]["evaluate"],
            retrain=config["evaluation"]["retrain"],
        )
    return as_json(spec)


def benchmark_table(space):
    return f"data/benchmarks/{space}.parquet"


def run_dir(space, method, seed):
    return f"{RUNS}/{space}/{config['search_dataset']}/{method}/seed{seed}"


def final_files(space, methods):
    return [
        f"{run_dir(space, m, s)}/eval/{t}/final.json"
        for m in methods
        for s in config["seeds"]
        for t in config["evaluation"]["targets"]
    ]


def search_metrics(space, methods):
    return [
        f"{run_dir(space, m, s)}/search/metrics.jsonl" for m in methods for s in config["seeds"]
    ]


def all_targets():
    tables = [
        f"results/tables/{name}.{ext}" for name in config["tables"] for ext in ("csv", "md", "tex")
    ]
    figures = [
        f"results/figures/{name}.{ext}" for name in config["figures"] for ext in ("png", "pdf")
    ]
    return tables + figures


def provenance_note():
    roles = ", ".join(f"{name} = {spec['loader']}" for name, spec in config["datasets"].items())
    return (
        f"Reproduced values (ours): profile '{config['profile']}', seeds {config['seeds']}, "
        f"evaluation by {config['evaluation']['mode']}; data roles: {roles}."
    )


def evaluate_inputs(wildcards):
    inputs = {
        "genotype": f"{RUNS}/{wildcards.space}/{wildcards.dataset}/{wildcards.method}/seed{wildcards.seed}/search/genotype.json"
    }
    if config["evaluation"]["mode"] == "benchmark":
        inputs["benchmark"] = benchmark_table(wildcards.space)
    else:
        inputs["data"] = f"data/prepared/{wildcards.target}.json"
    return inputs
