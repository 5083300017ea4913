rule table:
    input:
        values="config/thesis_values/{table}.csv",
        finals=table_inputs,
    output:
        csv=f"results/{P}/tables/{{table}}.csv",
        md=f"results/{P}/tables/{{table}}.md",
        tex=f"results/{P}/tables/{{table}}.tex",
    params:
        note=lambda wc: provenance_note()
        + f" Seeds {nasconfig.item_seeds(config, 'tables', wc.table)}.",
        prefix=lambda wc: f"results/{P}/tables/{wc.table}",
    conda:
        ENV
    log:
        f"{LOGS}/tables/{{table}}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} table --table {wildcards.table}"
        " --thesis-values {input.values} --note {params.note:q}"
        " --out-prefix {params.prefix} {input.finals}"
