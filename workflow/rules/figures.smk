rule figure:
    input:
        figure_inputs,
    output:
        png=f"results/{P}/figures/{{figure}}.png",
        pdf=f"results/{P}/figures/{{figure}}.pdf",
    params:
        note=lambda wc: provenance_note()
        + f" Seeds {nasconfig.item_seeds(config, 'figures', wc.figure)}.",
        prefix=lambda wc: f"results/{P}/figures/{wc.figure}",
    conda:
        ENV
    log:
        f"{LOGS}/figures/{{figure}}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} figure --figure {wildcards.figure}"
        " --note {params.note:q} --out-prefix {params.prefix} {input}"
