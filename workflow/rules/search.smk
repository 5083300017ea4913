rule search:
    input:
        data="data/prepared/{dataset}.json",
    output:
        genotype=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/search/genotype.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/search/metrics.jsonl",
        run=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/search/run.json",
    params:
        spec=search_spec,
        out_dir=lambda wc, output: os.path.dirname(output.genotype),
    conda:
        ENV
    log:
        "results/logs/search/{space}/{dataset}/{method}/seed{seed}.log",
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro search --spec {params.spec:q} --out-dir {params.out_dir} > {log} 2>&1"
