rule prepare_data:
    output:
        f"{PREPARED}/{{dataset}}.json",
    params:
        spec=lambda wc: json.dumps(dataset_spec(wc.dataset), sort_keys=True),
    conda:
        ENV
    log:
        f"{LOGS}/prepare_data/{{dataset}}.log",
    benchmark:
        f"{BENCH}/prepare_data/{{dataset}}.tsv"
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} prepare-data --spec {params.spec:q} --out {output}"
