rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        final=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/eval/{{target}}/final.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/eval/{{target}}/metrics.jsonl",
        run=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/eval/{{target}}/run.json",
        model=f"{RUNS}/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/eval/{{target}}/model.pt",
    params:
        spec=evaluate_spec,
        out_dir=lambda wc, output: os.path.dirname(output.final),
    conda:
        ENV
    log:
        f"{LOGS}/evaluate/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/{{target}}.log",
    benchmark:
        f"{BENCH}/evaluate/{{space}}/{{dataset}}/{{run}}/seed{{seed}}/{{target}}.tsv"
    threads: lambda wc: config["threads"]
    resources:
        gpu=lambda wc: 0 if uses_benchmark(wc.space) else 1,
    shell:
        "python -m nasrepro --log {log} evaluate --spec {params.spec:q}"
        " --genotype {input.genotype} --out-dir {params.out_dir}"
