# Inputs and the in-process step of the card rule (cards.smk), the records of the jobs behind a
# table's rows, and the sources of its hyperparameters read from the resolved profile
# (nasrepro.profile.provenance), which the driver has loaded.
import functools

from nasrepro.profile import provenance as nasprovenance
from nasrepro.report import card as nascard
from nasrepro.utils.atomic import write_text


@functools.cache
def card_sources(table):
    return nasprovenance.table_sources(config, table)


def card_records(wildcards):
    """The records of every job behind the table's rows: the table's own inputs, the run.json
    beside each evaluation, each search's run.json (a <run>-best row's: its run's) and, in a
    selecting table, the held-out retrainings its cells were selected by (pseudo-run
    <run>-heldout: T_valid)."""
    table = wildcards.table
    spec = registry.TABLES.get(table)
    files = [f for f in table_finals(table) if L.is_run_file(f)]
    files += [os.path.join(os.path.dirname(f), "run.json") for f in files
              if os.path.basename(f) == "final.json"]
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


def write_card(table, input, output, log):
    """The card step: the card of ``table`` from its records and sources, and one log line."""
    sources = card_sources(table)
    prefix = output.json[: -len(".json")]
    nascard.write_card(table, input.table, list(input.records), sources, L, prefix)
    where = "the Snakemake process" if workflow.is_main_process else "a Snakemake of its own"
    write_text(log[0], f"card of {table}: {output.md} ({len(input.records)} records; run in {where})\n")
