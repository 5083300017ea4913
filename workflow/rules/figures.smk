rule figure:
    input:
        figure_inputs,
    output:
        png=report(f"results/{P}/figures/{{figure}}.png", caption="../report/figure.rst", category="Figures"),
        pdf=f"results/{P}/figures/{{figure}}.pdf",
    params:
        title=lambda wc: registry.FIGURES.get(wc.figure).title,
        note=lambda wc: figure_note(wc.figure),
        prefix=lambda wc: f"results/{P}/figures/{wc.figure}",
        extra=lambda wc: extra_runs_option("figures", wc.figure),
    conda:
        ENV
    log:
        f"{LOGS}/figures/{{figure}}.log",
    benchmark:
        f"{BENCH}/figure/{{figure}}.tsv"
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} figure --figure {wildcards.figure}"
        " --note {params.note:q} --out-prefix {params.prefix}{params.extra} {input}"
