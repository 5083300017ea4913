rule search:
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
