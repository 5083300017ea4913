rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        final=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/eval/{{target}}/final.json",
        metrics=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/eval/{{target}}/metrics.jsonl",
        run=f"{RUNS}/{{space}}/{{dataset}}/{{method}}/seed{{seed}}/eval/{{target}}/run.json",
    params:
        spec=evaluate_spec,
        out_dir=lambda wc, output: os.path.dirname(output.final),
    conda:
        ENV
    log:
        "results/logs/evaluate/{space}/{dataset}/{method}/seed{seed}/{target}.log",
    threads: lambda wc: config["threads"]
    resources:
        gpu=lambda wc: 0 if config["evaluation"]["mode"] == "benchmark" else 1,
    shell:
        "python -m nasrepro evaluate --spec {params.spec:q} --genotype {input.genotype}"
        " --out-dir {params.out_dir} > {log} 2>&1"
