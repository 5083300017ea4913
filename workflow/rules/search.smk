rule probe_cell:
    """The fixed probe cell <i> of a space as the "found cell" of pseudo-run probe-<i> (seed 0), so
    that the evaluate rule gives its ground truth like any run's (benchmark or retraining)."""
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/probe-{{index}}/seed0/search/genotype.json",
    wildcard_constraints:
        index="[0-9]+",
    run:
        from nasrepro.utils.atomic import write_json

        cells = nasconfig.probe_cells(config, wildcards.space)
        index = int(wildcards.index)
        write_json(
            output.genotype,
            {"space": wildcards.space, "dataset": wildcards.dataset, "run": f"probe-{index}",
             "method": "probe", "seed": 0, "arch": cells[index]},
        )


rule search:
    wildcard_constraints:
        run="(?!probe-)[a-z0-9\\-]+",
    input:
        data=f"{PREPARED}/{{dataset}}.json",
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/genotype.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/metrics.jsonl",
        run=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/run.json",
        supernet=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/supernet.pt",
    params:
        spec=search_spec,
        out_dir=lambda wc, output: os.path.dirname(output.genotype),
    conda:
        ENV
    log:
        f"{LOGS}/search/{{space}}/{{dataset}}/{{run}}/seed{{seed}}.log",
    benchmark:
        f"{BENCH}/search/{{space}}/{{dataset}}/{{run}}/seed{{seed}}.tsv"
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro --log {log} search --spec {params.spec:q} --out-dir {params.out_dir}"
