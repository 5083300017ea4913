# The D-VAE of E²NAS (thesis §4.3.1.1), one per space: trained on the space's cells, saved as
# dvae.pt (what E²NAS reads through the search rule's `dvae` input) with a report on held-out
# reconstruction, validity of prior samples and injectivity. Settings: `dvae.<space>`.


rule train_dvae:
    output:
        model=f"results/{P}/dvae/{{space}}/dvae.pt",
        report=f"results/{P}/dvae/{{space}}/report.json",
        md=f"results/{P}/dvae/{{space}}/report.md",
    params:
        spec=dvae_spec,
        out_dir=lambda wc, output: os.path.dirname(output.model),
    conda:
        ENV
    log:
        f"{LOGS}/dvae/{{space}}.log",
    benchmark:
        f"{BENCH}/dvae/{{space}}.tsv"
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro --log {log} train-dvae --spec {params.spec:q} --out-dir {params.out_dir}"
