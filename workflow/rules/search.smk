rule probe_cell:
    """The fixed probe cell <i> of a space as the "found cell" of pseudo-run probe-<i> (seed 0), so
    that the evaluate rule gives its ground truth like any run's (benchmark or retraining)."""
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/probe-{{index}}/seed0/search/genotype.json",
    wildcard_constraints:
        index="[0-9]+",
    params:
        arch=lambda wc: resolve.probe_cells(config, wc.space)[int(wc.index)],
    conda:
        ENV
    log:
        f"{LOGS}/probe_cell/{{space}}/{{dataset}}/probe-{{index}}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} probe-cell --space {wildcards.space}"
        " --dataset {wildcards.dataset} --index {wildcards.index} --arch {params.arch:q}"
        " --out {output.genotype}"


rule published_cell:
    """A literature cell of the space (``published``, e.g. DARTS' recurrent cell) as the "found
    cell" of pseudo-run published-<name>, so that the evaluate rule retrains it like any run's."""
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/published-{{name}}/seed{{seed}}/search/genotype.json",
    wildcard_constraints:
        name="[a-z0-9\\-]+",
    conda:
        ENV
    log:
        f"{LOGS}/published_cell/{{space}}/{{dataset}}/published-{{name}}/seed{{seed}}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} published-cell --space {wildcards.space}"
        " --dataset {wildcards.dataset} --name {wildcards.name} --seed {wildcards.seed}"
        " --out {output.genotype}"


rule best_cell:
    """Pseudo-run <run>-best: the best cell over the epochs of <run>'s search (Table 4.2 "Best";
    nasrepro.analysis.best_cell), evaluated by the evaluate rule like a found cell."""
    input:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/genotype.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/metrics.jsonl",
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/{{run}}-best/seed{{seed}}/search/genotype.json",
    conda:
        ENV
    log:
        f"{LOGS}/best_cell/{{space}}/{{dataset}}/{{run}}-best/seed{{seed}}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} best-cell --genotype {input.genotype}"
        " --metrics {input.metrics} --out {output.genotype}"


rule search:
    wildcard_constraints:
        run="(?!probe-|published-)(?![a-z0-9\-]*-best(?![a-z0-9\-]))[a-z0-9\-]+",
    input:
        unpack(search_inputs),
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/genotype.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/metrics.jsonl",
        run=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/run.json",
        supernet=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/search/supernet.pt",
    params:
        spec=search_spec,
        out_dir=lambda wc, output: os.path.dirname(output.genotype),
        inputs=lambda wc, input: "".join(
            f" --input {name}={path}" for name, path in input.items() if name not in ("data", "plugins")
        ),
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
        "{params.inputs}"
