FIGURE_TITLES = {"search_curves_nb201": "NAS-Bench-201 search curves (mean ± std over seeds)"}


rule figure_search_curves:
    input:
        lambda wc: search_metrics(
            config["figures"][f"search_curves_{wc.space}"]["space"],
            config["figures"][f"search_curves_{wc.space}"]["methods"],
        ),
    output:
        png="results/figures/search_curves_{space}.png",
        pdf="results/figures/search_curves_{space}.pdf",
    params:
        title=lambda wc: FIGURE_TITLES[f"search_curves_{wc.space}"],
    conda:
        ENV
    log:
        "results/logs/figures/search_curves_{space}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro figure --title {params.title:q}"
        " --out-prefix results/figures/search_curves_{wildcards.space} {input} > {log} 2>&1"
