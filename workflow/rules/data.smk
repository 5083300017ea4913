rule prepare_data:
    output:
        L.prepared("{dataset}"),
    params:
        spec=lambda wc: json.dumps(dataset_spec(wc.dataset), sort_keys=True),
    conda:
        ENV
    log:
        L.log("prepare_data", "{dataset}"),
    benchmark:
        L.bench("prepare_data", "{dataset}")
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} prepare-data --spec {params.spec:q} --out {output}"
