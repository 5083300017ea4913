# The cost table (CPU-/GPU-hours per rule family, table, figure and search, beside the thesis'
# search costs) and the `snakemake --report` captions (workflow/report/*.rst). Generic over the
# configured tables and figures: a new one is costed without an edit here.
include: "report_inputs.smk"


# Report jobs, torch-free and seconds long, run where Snakemake runs, also under a cluster
# executor: no queue wait for a summary (the tables and figures are submitted like any job)
localrules:
    cost_spec,
    cost,


rule cost_spec:
    """The jobs the cost table reads (report_inputs.smk) as a JSON file. Its param is the spec's
    digest, not the spec: a changed spec reruns the cost table, and neither the command line nor
    Snakemake's "Params have changed" reason carries kilobytes of JSON."""
    output:
        spec=L.report(COST, "spec.json"),
    params:
        digest=lambda wc: cost_spec_digest(),
    log:
        L.log("report", f"{COST}-spec"),
    run:
        nascost.write_spec(output.spec, cost_spec_json(), log[0])


rule cost:
    input:
        spec=L.report(COST, "spec.json"),
        thesis=nascost.thesis_cost_csvs(),  # the tables with a search-cost column
        outputs=all_targets(),  # every job is done; their benchmark files are read by the spec
    output:
        csv=report(L.report(COST, "csv"), caption="../report/cost.rst", category="Cost"),
        md=L.report(COST, "md"),
    params:
        note=lambda wc: f"Profile '{P}'; hours measured on the machines that ran the jobs.",
        prefix=lambda wc, output: output.csv[: -len(".csv")],
    conda:
        ENV
    log:
        L.log("report", COST),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} cost --spec {input.spec} --thesis-costs {input.thesis}"
        " --note {params.note:q} --out-prefix {params.prefix}"
