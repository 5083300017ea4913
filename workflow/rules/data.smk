rule prepare_data:
    output:
        "data/prepared/{dataset}.json",
    params:
        spec=lambda wc: as_json(dataset_spec(wc.dataset)),
    conda:
        ENV
    log:
        "results/logs/prepare_data/{dataset}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro prepare-data --spec {params.spec:q} --out {output} > {log} 2>&1"
