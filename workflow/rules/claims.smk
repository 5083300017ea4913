# The reproduction verdict (issue 24): every claim of the thesis (nasrepro.experiments.claims)
# judged on the numbers the profile's tables and figures read, and on the thesis' own printed
# numbers (nasrepro.report.claims). Generic over the claims: a new one needs no edit here.
include: "claims_common.smk"


localrules:  # as the cost table (report.smk)
    claims_inputs,
    claims,


rule claims_inputs:
    """The run files the claims read, as a JSON file (thousands in the thesis profile: too many
    for a command line); its param is their digest, so a changed list reruns the claims."""
    output:
        L.report(CLAIMS, "inputs.json"),
    params:
        digest=lambda wc: hashlib.sha256("\n".join(claims_files()).encode()).hexdigest()[:16],
    log:
        L.log("report", f"{CLAIMS}-inputs"),
    run:
        nasclaims.write_inputs(output[0], claims_files(), log[0])


rule claims:
    input:
        inputs=L.report(CLAIMS, "inputs.json"),
        thesis=claims_thesis_csvs(),
        runs=claims_files(),
    output:
        csv=report(L.report(CLAIMS, "csv"), caption="../report/claims.rst", category="Claims"),
        md=L.report(CLAIMS, "md"),
    params:
        note=lambda wc: provenance_note(),
        prefix=lambda wc, output: output.csv[: -len(".csv")],
        standins=lambda wc: (
            " --standins " + ",".join(f"{r}={x}" for r, x in resolve.standins(config).items())
            if resolve.standins(config)
            else ""
        ),
    conda:
        ENV
    log:
        L.log("report", CLAIMS),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} claims --inputs {input.inputs} --note {params.note:q}"
        " --out-prefix {params.prefix}{params.standins}"
