rule table:
    input:
        values="config/thesis_values/{table}.csv",
        finals=table_inputs,
    output:
        csv=report(L.table("{table}", "csv"), caption="../report/table.rst", category="Tables"),
        md=L.table("{table}", "md"),
        tex=L.table("{table}", "tex"),
    params:
        title=lambda wc: registry.TABLES.get(wc.table).title,
        note=lambda wc: provenance_note()
        + f" Seeds {select.item_seeds(config, 'tables', wc.table)}.",
        prefix=lambda wc, output: output.md[: -len(".md")],
        extra=lambda wc: extra_runs_option("tables", wc.table)
        + resolve.standins_option(config, registry.TABLES.get(wc.table).space),
    conda:
        ENV
    log:
        L.log("tables", "{table}"),
    benchmark:
        L.bench("table", "{table}")
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} table --table {wildcards.table}"
        " --thesis-values {input.values} --note {params.note:q}"
        " --out-prefix {params.prefix}{params.extra} {input.finals}"
