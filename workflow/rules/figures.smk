rule figure:
    input:
        figure_inputs,
    output:
        png=report(L.figure("{figure}", "png"), caption="../report/figure.rst", category="Figures"),
        pdf=L.figure("{figure}", "pdf"),
    params:
        title=lambda wc: registry.FIGURES.get(wc.figure).title,
        note=lambda wc: figure_note(wc.figure),
        prefix=lambda wc, output: output.pdf[: -len(".pdf")],
        extra=lambda wc: extra_runs_option("figures", wc.figure),
    conda:
        ENV
    log:
        L.log("figures", "{figure}"),
    benchmark:
        L.bench("figure", "{figure}")
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} figure --figure {wildcards.figure}"
        " --note {params.note:q} --out-prefix {params.prefix}{params.extra} {input}"
