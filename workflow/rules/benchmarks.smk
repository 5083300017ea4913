rule benchmark_nb201:
    output:
        benchmark_table("nb201"),
    params:
        spec=lambda wc: as_json(config["benchmark"]["nb201"]),
    conda:
        ENV
    log:
        "results/logs/benchmark/nb201.log",
    resources:
        gpu=0,
        mem_mb=16000,
    shell:
        "python -m nasrepro benchmark --spec {params.spec:q} --out {output} > {log} 2>&1"
