# The evaluation card of every configured table (issue #29 item 4; nasrepro.report.card): the
# benchmark identity, seeds, hardware and versions, end-to-end cost, ablations and hyperparameter
# provenance of its rows, from the records of the jobs the table reads. Local and in-process:
# the provenance is read from the resolved profile and the registries (nasrepro.profile.provenance),
# which the driver has loaded; its digest is the param, so a changed setting rebuilds the card.
import functools

from nasrepro.profile import provenance as nasprovenance
from nasrepro.report import card as nascard
from nasrepro.utils.atomic import write_text


localrules:
    card,


@functools.cache
def card_sources(table):
    return nasprovenance.table_sources(config, table)


def card_records(wildcards):
    """The records of every job behind the table's rows: the table's own inputs, the run.json
    beside each evaluation, each search's run.json (a <run>-best row's: its run's) and, in a selecting table, the held-out
    retrainings its cells were selected by (pseudo-run <run>-heldout: T_valid)."""
    table = wildcards.table
    spec = registry.TABLES.get(table)
    files = [f for f in table_finals(table) if L.is_run_file(f)]
    files += [f[: -len("final.json")] + "run.json" for f in files if f.endswith("/final.json")]
    seeds = select.item_seeds(config, "tables", table)
    searched = [run for run in select.table_runs(config, table) if jobs.has_search(run)]
    for run in searched:
        pool = resolve.selection_pool(config, spec.space, run) if spec.selects else seeds
        files += [search_file(spec.space, jobs.base_run(run), seed, "run.json") for seed in pool]
        if spec.selects and len(pool) > 1:
            target = resolve.search_dataset(config, spec.space)
            files += [eval_file(spec.space, jobs.heldout_run(run), seed, target, name)
                      for seed in pool for name in ("final.json", "run.json")]
    return sorted(set(files))


def card_targets():
    return [L.card(name, ext) for name in config["tables"] for ext in ("json", "md")]


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
        nascard.write_card(
            wildcards.table,
            input.table,
            list(input.records),
            card_sources(wildcards.table),
            L,
            output.json[: -len(".json")],
        )
        write_text(log[0], f"card of {wildcards.table}: {output.md}\n")
