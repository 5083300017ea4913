rule genotype_complexity:
    """Params and multiply-adds of the released DARTS-space cells (spaces.darts_cnn.genotypes) at
    the papers' evaluation sizes: the architecture columns of the DARTS-space tables, computed
    from the genotypes alone (no search, no training); the rows whose run has its own network
    (e.g. RandomNAS-NSAS on ImageNet at C = 52) also at that size, read from the tables' CSVs."""
    input:
        [registry.TABLES.get(t).thesis_csv() for t in registry.TABLES.names()
         if registry.TABLES.get(t).genotype_columns],
    output:
        L.genotype_complexity(),
    conda:
        ENV
    log:
        L.log("tables", "genotype_complexity"),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} genotype-complexity --out {output}"


rule space_summary:
    """Size, number of operations and number of edges of every search space, computed from the
    spaces (nasrepro.analysis.space_summary): Table 1.1."""
    output:
        L.space_summary(),
    conda:
        ENV
    log:
        L.log("tables", "space_summary"),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} space-summary --out {output}"


rule space_mean:
    """The random-sampling row of a space's tables (issue #29 item 1; nasrepro.analysis.space_mean):
    the mean and std of each column over every cell of the benchmark table the space's cells are
    looked up in, or, in a profile that retrains them, over its uniformly sampled probe cells; in
    a DARTS space over its K sampled cells (pseudo-runs sampled-<k>, rule sampled_cell)."""
    wildcard_constraints:
        space="|".join(RANDOM_SAMPLING_SPACES),
    input:
        lambda wc: space_mean_sources(wc.space),
    output:
        L.space_mean("{space}"),
    params:
        source=lambda wc: space_mean_option(wc.space),
    conda:
        ENV
    log:
        L.log("tables", "space_mean_{space}"),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} space-mean --space {wildcards.space} --out {output}"
        " {params.source} {input}"


rule table:
    input:
        values="config/thesis_values/{table}.csv",
        complexity=genotype_complexity_input,
        summary=space_summary_input,
        random=space_mean_input,
        searched=random_search_input,
        finals=table_inputs,
    output:
        csv=report(L.table("{table}", "csv"), caption="../report/table.rst", category="Tables",
                   subcategory="{table}"),  # its evaluation card beside it (rule card)
        md=L.table("{table}", "md"),
        tex=L.table("{table}", "tex"),
    params:
        title=lambda wc: registry.TABLES.get(wc.table).title,
        note=lambda wc: provenance_note()
        + f" Seeds {select.item_seeds(config, 'tables', wc.table)}.",
        prefix=lambda wc, output: output.md[: -len(".md")],
        extra=lambda wc: extra_runs_option("tables", wc.table)
        + resolve.standins_option(config, registry.TABLES.get(wc.table).space)
        + resolve.protocols_option(wc.table)
        + "".join(f" --genotype-complexity {path}" for path in genotype_complexity_input(wc))
        + "".join(f" --space-summary {path}" for path in space_summary_input(wc))
        + "".join(f" --space-mean {path}" for path in space_mean_input(wc))
        + "".join(f" --random-search {path}" for path in random_search_input(wc)),
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
