TABLE_TITLES = {"table_6_1": "Table 6.1: Comparison results with NAS baselines on NAS-Bench-201."}


rule table:
    input:
        values="config/thesis_values/{table}.csv",
        finals=lambda wc: final_files(
            config["tables"][wc.table]["space"], config["tables"][wc.table]["methods"]
        ),
    output:
        csv="results/tables/{table}.csv",
        md="results/tables/{table}.md",
        tex="results/tables/{table}.tex",
    params:
        title=lambda wc: TABLE_TITLES[wc.table],
        note=lambda wc: provenance_note(),
    conda:
        ENV
    log:
        "results/logs/tables/{table}.log",
    resources:
        gpu=0,
    shell:
        "python -m nasrepro table --thesis-values {input.values} --title {params.title:q}"
        " --note {params.note:q} --out-prefix results/tables/{wildcards.table} {input.finals}"
        " > {log} 2>&1"
