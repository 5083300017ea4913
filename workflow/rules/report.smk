# The cost table (CPU-/GPU-hours per rule family, table, figure and search, beside the thesis'
# search costs) and the `snakemake --report` captions (workflow/report/*.rst). Generic over the
# configured tables and figures: a new one is costed without an edit here.
include: "report_inputs.smk"


rule cost:
    input:
        thesis=nascost.thesis_cost_csvs(),  # the tables with a search-cost column
        outputs=all_targets(),  # every job is done; their benchmark files are read by the spec
    output:
        csv=report(L.report("cost", "csv"), caption="../report/cost.rst", category="Cost"),
        md=L.report("cost", "md"),
    params:
        spec=lambda wc: json.dumps(cost_spec(), sort_keys=True),
        note=lambda wc: f"Profile '{P}'; hours measured on the machines that ran the jobs.",
        prefix=lambda wc, output: output.csv[: -len(".csv")],
    conda:
        ENV
    log:
        L.log("report", "cost"),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} cost --spec {params.spec:q} --thesis-costs {input.thesis}"
        " --note {params.note:q} --out-prefix {params.prefix}"
