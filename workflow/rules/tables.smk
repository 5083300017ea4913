rule table:
    input:
        values="config/thesis_values/{table}.csv",
        finals=table_inputs,
    output:
        csv=report(f"results/{P}/tables/{{table}}.csv", caption="../report/table.rst", category="Tables"),
        md=f"results/{P}/tables/{{table}}.md",
        tex=f"results/{P}/tables/{{table}}.tex",
    params:
        title=lambda wc: registry.TABLES.get(wc.table).title,
        note=lambda wc: provenance_note()
        + f" Seeds {select.item_seeds(config, 'tables', wc.table)}.",
        prefix=lambda wc: f"results/{P}/tables/{wc.table}",
        extra=lambda wc: extra_runs_option("tables", wc.table),
    conda:
        ENV
    log:
        f"{LOGS}/tables/{{table}}.log",
    benchmark:
        f"{BENCH}/table/{{table}}.tsv"
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} table --table {wildcards.table}"
        " --thesis-values {input.values} --note {params.note:q}"
        " --out-prefix {params.prefix}{params.extra} {input.finals}"
