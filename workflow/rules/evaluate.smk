rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        final=L.eval_file(*RUN, "{target}", "final.json"),
        metrics=L.eval_file(*RUN, "{target}", "metrics.jsonl"),
        run=L.eval_file(*RUN, "{target}", "run.json"),
        model=L.eval_file(*RUN, "{target}", "model.pt"),
    params:
        spec=evaluate_spec,
        out_dir=lambda wc, output: os.path.dirname(output.final),
    conda:
        ENV
    log:
        L.run_log("evaluate", *RUN, "{target}"),
    benchmark:
        L.run_bench("evaluate", *RUN, "{target}")
    threads: lambda wc: config["threads"]
    resources:
        gpu=lambda wc: 0 if uses_benchmark(wc.space) else 1,
    shell:
        "python -m nasrepro --log {log} evaluate --spec {params.spec:q}"
        " --genotype {input.genotype} --out-dir {params.out_dir}"
