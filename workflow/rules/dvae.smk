# The D-VAE of E²NAS (thesis §4.3.1.1), one per space: trained on the space's cells, saved as
# dvae.pt (what E²NAS reads through the search rule's `dvae` input) with a report on held-out
# reconstruction, validity of prior samples and injectivity. Settings: `dvae.<space>`.


rule train_dvae:
    output:
        model=L.dvae("{space}", "dvae.pt"),
        report=L.dvae("{space}", "report.json"),
        md=L.dvae("{space}", "report.md"),
    params:
        spec=dvae_spec,
        out_dir=lambda wc, output: os.path.dirname(output.model),
    conda:
        ENV
    log:
        L.log("dvae", "{space}"),
    benchmark:
        L.bench("dvae", "{space}")
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro --log {log} train-dvae --spec {params.spec:q} --out-dir {params.out_dir}"
