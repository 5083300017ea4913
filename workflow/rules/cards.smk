# The evaluation card of every configured table (issue #29 item 4; nasrepro.report.card): the
# benchmark identity, seeds, hardware and versions, end-to-end cost, ablations and hyperparameter
# provenance of its rows, from the records of the jobs the table reads. Local and in-process:
# the provenance is read from the resolved profile (card_inputs.smk); its digest is the param,
# so a changed setting rebuilds the card.
include: "card_inputs.smk"


localrules:
    card,


rule card:
    input:
        table=L.table("{table}", "csv"),
        records=card_records,
    output:
        json=L.card("{table}", "json"),
        md=report(
            L.card("{table}", "md"),
            caption="../report/card.rst",
            category="Tables",
            subcategory="{table}",
        ),
    params:
        title=lambda wc: registry.TABLES.get(wc.table).title,
        digest=lambda wc: nascard.digest(card_sources(wc.table)),
    log:
        L.log("tables", "{table}_card"),
    run:
        write_card(wildcards.table, input, output, log)
