rule benchmark:
    output:
        benchmark_table("{space}"),
    params:
        spec=lambda wc: json.dumps(config["benchmark"][wc.space], sort_keys=True),
    conda:
        ENV
    log:
        f"{LOGS}/benchmark/{{space}}.log",
    benchmark:
        f"{BENCH}/benchmark/{{space}}.tsv"
    resources:
        gpu=0,
        mem_mb=16000,
    shell:
        "python -m nasrepro --log {log} benchmark --space {wildcards.space}"
        " --spec {params.spec:q} --out {output}"
