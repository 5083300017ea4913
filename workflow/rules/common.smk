# Helpers shared by the rules: the profile's paths (L, nasrepro.layout: every input, output, log
# and benchmark file of a rule comes from it), job specs (resolved config as JSON, built by
# nasrepro.profile.resolve) and target lists.
import json
import os

from nasrepro import layout, registry
from nasrepro.experiments.specs import (RANDOM_SAMPLING_SPACES, RANDOM_SEARCH_SPACES, SAMPLED_SPACES,
                                        SELECTION_SPACES)

P = config["profile"]
L = layout.Layout(P)
ENV = "../envs/nasrepro.yaml"
STANDIN_TABLE = "nb1shot1-standin"  # the NAS-Bench-101 stand-in table (rule nb101_standin)
RUN = ("{space}", "{dataset}", "{run}", "{seed}")  # a run's wildcards, for the rules' patterns


wildcard_constraints:
    space="|".join(registry.SPACES.names()),
    dataset="[A-Za-z0-9_\\-]+",
    run=layout.RUN,
    seed="[0-9]+",
    target="[A-Za-z0-9_\\-]+",
    table="[A-Za-z0-9_]+",  # a table id: never "<id>.card" (rule card)


def dataset_spec(name):
    if name not in config["datasets"]:
        raise ValueError(
            f"dataset {name!r} is not configured; configured: {sorted(config['datasets'])}"
        )
    return {"name": name, **config["datasets"][name]}


def search_spec(wildcards):
    job = resolve.search_job(
        config, wildcards.space, dataset_spec(wildcards.dataset), wildcards.run, wildcards.seed
    )
    return jobs.to_json(job)


def search_inputs(wildcards):
    """The dataset record, and the named inputs the run's method declares (e.g. `dvae`: the
    space's trained D-VAE, rule train_dvae)."""
    return {
        "data": L.prepared(wildcards.dataset),
        "plugins": plugin_files(),
        **resolve.method_inputs(config, wildcards.space, wildcards.run),
    }


def plugin_files():
    """The profile's plugin files (``plugins:``): inputs of every search and evaluation, so that
    editing your method reruns its jobs."""
    return [path for path in config.get("plugins") or () if path.endswith(".py")]


def dvae_spec(wildcards):
    return jobs.to_json(resolve.dvae_job(config, wildcards.space))


def dvae_targets():
    """The report of every space configured under `dvae:` (built by `all`)."""
    return [L.dvae(space, "report.json") for space in (config.get("dvae") or {})]


def uses_benchmark(space):
    return resolve.uses_benchmark(config, space)


def evaluate_spec(wildcards):
    dataset = None if uses_benchmark(wildcards.space) else dataset_spec(wildcards.target)
    job = resolve.eval_job(
        config,
        wildcards.space,
        wildcards.dataset,
        wildcards.run,
        wildcards.seed,
        wildcards.target,
        dataset,
        L.benchmark_table(registry.benchmark_of(wildcards.space)),
    )
    return jobs.to_json(job)


def search_file(space, run, seed, name):
    """A file of a search of ``space`` (on its search dataset)."""
    return L.search_file(space, resolve.search_dataset(config, space), run, seed, name)


def eval_file(space, run, seed, target, name):
    """A file of the evaluation on ``target`` of a cell found on the search dataset of ``space``."""
    return L.eval_file(space, resolve.search_dataset(config, space), run, seed, target, name)


def evaluate_inputs(wildcards):
    """The cell (a pseudo-run <run>-selected: its run's selected cell, rule select_cell; a
    pseudo-run <run>-heldout: the cell of its run's search of the same seed), the data or the
    benchmark table."""
    wc = wildcards
    if jobs.is_selected_run(wc.run):
        genotype = L.selection(wc.space, wc.dataset, jobs.base_run(wc.run))
    else:
        run = jobs.base_run(wc.run) if jobs.is_heldout_run(wc.run) else wc.run
        genotype = L.search_file(wc.space, wc.dataset, run, wc.seed, "genotype.json")
    inputs = {"plugins": plugin_files(), "genotype": genotype}
    if uses_benchmark(wildcards.space):
        inputs["benchmark"] = L.benchmark_table(registry.benchmark_of(wildcards.space))
    else:
        inputs["data"] = L.prepared(wildcards.target)
    return inputs


def selection_file(space, run):
    """The selected cell of ``run`` on ``space`` (rule select_cell)."""
    return L.selection(space, resolve.search_dataset(config, space), run)


def search_priority(wildcards):
    """Snakemake ``priority`` of a search: searches run before the other ready jobs, and those of a
    selecting space (``SELECTION_SPACES``: the DARTS CNN space) first, as each starts one of the
    DAG's longest chains (its held-out retraining, select_cell, the selected cell's retrainings,
    the tables). Without it the scheduler left a 66 s DARTS-space search for the last two minutes
    of the default run, on one core (docs/performance.md, "Default pipeline")."""
    return 2 if wildcards.space in SELECTION_SPACES else 1


def selection_inputs(wildcards):
    """The searches a cell is selected over and, when there are several, each one's held-out
    retraining on the search dataset (pseudo-run <run>-heldout, data.protocols.HELDOUT: its
    validation score selects; nasrepro.analysis.selection)."""
    wc = wildcards
    pool = resolve.selection_pool(config, wc.space, wc.run)
    heldout = jobs.heldout_run(wc.run)
    return {
        "genotypes": [L.search_file(wc.space, wc.dataset, wc.run, s, "genotype.json") for s in pool],
        "finals": [L.eval_file(wc.space, wc.dataset, heldout, s, wc.dataset, "final.json")
                   for s in pool] if len(pool) > 1 else [],
    }


def selection_criterion_option(space):
    """The held-out score a cell of ``space`` is selected by, as select-cell's options."""
    field, higher = resolve.selection_criterion(space)
    return f" --field {field}" + ("" if higher else " --lower-is-better")


def selected_outputs(space, run, targets):
    """What a row of a selecting table reads beyond its searches' evaluations: the selected cell
    and its further retrainings on ``targets`` (pseudo-run <run>-selected)."""
    seeds = resolve.selected_retrain_seeds(config, space, run)
    return [selection_file(space, run)] + [
        eval_file(space, jobs.selected_run(run), seed, target, "final.json")
        for seed in seeds
        for target in targets
    ]


def probe_outputs(space, curves=False):
    """Ground truth of the probe cells (ranking and forgetting analyses): the evaluation of each
    probe pseudo-run on the search dataset (final score and, with ``curves``, its per-epoch
    record: the retraining curve)."""
    target = resolve.search_dataset(config, space)
    names = ("final.json", "metrics.jsonl") if curves else ("final.json",)
    return [
        eval_file(space, run, 0, target, name)
        for run in resolve.probe_runs(config, space)
        for name in names
    ]


def probe_problem(item, space):
    if not resolve.probe_cells(config, space):
        raise ValueError(
            f"{item} analyses probe cells, but spaces.{space}.probes is not set in the profile; "
            f"add e.g. `probes: {{cells: 15, seed: 0, every: 1}}` under spaces.{space}"
        )


def table_finals(table):
    """Every file a table reads (see nasrepro.report.table.collect)."""
    spec = registry.TABLES.get(table)
    seeds = select.item_seeds(config, "tables", table)
    runs = select.table_runs(config, table)
    files = [
        eval_file(spec.space, run, seed, target, "final.json")
        for run in runs
        for seed in seeds
        for target in select.table_targets(config, table)
    ]
    if spec.selects:  # the thesis' protocol for a DARTS-space row (experiments.specs)
        targets = select.table_targets(config, table)
        files += [f for run in runs if jobs.has_search(run)
                  for f in selected_outputs(spec.space, run, targets)]
    if spec.needs_search:
        files += [
            search_file(spec.space, run, seed, name)
            for run in runs
            if jobs.has_search(run)
            for seed in seeds
            for name in ("metrics.jsonl", "run.json")
        ]
    if spec.probe_target is not None:
        probe_problem(table, spec.space)
        files += probe_outputs(spec.space)
    return files


def figure_metrics(figure):
    """Every file a figure reads: the searches' metrics (a cell figure: their found cells); for
    the analysis figures the probe ground truth; the found cells' evaluation on the search dataset
    where the figure shows it; their retraining curves on the figure's curve target (Fig. 5.4 b)."""
    spec = registry.FIGURES.get(figure)
    seeds = select.figure_seeds(config, figure)
    runs = select.figure_runs(config, figure)
    if spec.selects:  # the selected cell of each run (its tables' rows)
        return [selection_file(spec.space, run) for run in runs]
    files = [
        search_file(space, run, seed, spec.search_file)
        for space in select.figure_spaces(config, figure)
        for run in runs
        for seed in seeds
    ]
    if spec.kind == "regret":
        files.append(nb101_table())
    if spec.needs_probes:
        probe_problem(figure, spec.space)
        files += probe_outputs(spec.space, curves=spec.kind == "forgetting")
    if spec.needs_found_cells:
        files += [
            eval_file(spec.space, run, seed, resolve.search_dataset(config, spec.space), "final.json")
            for run in runs
            for seed in seeds
        ]
    curve_target = select.figure_curve_target(config, figure)
    if curve_target is not None:
        files += [
            eval_file(spec.space, run, seed, curve_target, "metrics.jsonl")
            for run in runs
            for seed in seeds
        ]
    return files


def nb101_table_name():
    """The NAS-Bench-101 table of the NAS-Bench-1Shot1 figures: the converted benchmark, or
    without benchmark.nb1shot1 the stand-in of the cells their searches derived."""
    return STANDIN_TABLE if resolve.regret_table_standin(config) else resolve.NB101_STANDIN


def nb101_table():
    return L.benchmark_table(nb101_table_name())


def regret_figures():
    return [f for f in config["figures"] if registry.FIGURES.get(f).kind == "regret"]


def standin_searches():
    """The searches whose derived cells the stand-in NAS-Bench-101 table holds."""
    files = [f for fig in regret_figures() for f in figure_metrics(fig) if f.endswith(".jsonl")]
    return sorted(set(files))


def standin_spaces():
    return sorted({s for fig in regret_figures() for s in select.figure_spaces(config, fig)})


def figure_note(figure):
    """The provenance note of a figure; the NAS-Bench-1Shot1 figures name their table."""
    note = provenance_note() + f" Seeds {select.figure_seeds(config, figure)}."
    if registry.FIGURES.get(figure).kind == "regret":
        if resolve.regret_table_standin(config):
            note += (" STAND-IN for NAS-Bench-101: the derived cells retrained once on "
                     f"{config['datasets'][config['search_dataset']]['loader']} (not the "
                     "benchmark); regret against the best of those cells, not of the space.")
        else:
            note += " NAS-Bench-101 lookup (mean of 3 repeats, 108 epochs)."
    return note


def extra_runs_option(section, name):
    """The profile's own runs of a table or figure (``extra_runs``), as a CLI option (none: "")."""
    runs = select.extra_runs(config, section, name)
    return f" --extra-runs {','.join(runs)}" if runs else ""


def table_inputs(wildcards):
    return table_finals(wildcards.table)


def genotype_complexity_input(wildcards):
    """The released cells' complexity file for a table with architecture columns."""
    spec = registry.TABLES.get(wildcards.table)
    return [L.genotype_complexity()] if spec.genotype_columns else []


def space_summary_input(wildcards):
    """The spaces' summary for a table with columns computed from the spaces (Table 1.1)."""
    return [L.space_summary()] if registry.TABLES.get(wildcards.table).space_columns else []


def space_mean_input(wildcards):
    """The random-sampling row of the table's space (rule space_mean) for a table that has one."""
    spec = registry.TABLES.get(wildcards.table)
    return [L.space_mean(spec.space)] if spec.random_row else []


def sampled_outputs(space):
    """The evaluations of the uniformly sampled cells of a DARTS space (pseudo-runs sampled-<k>,
    seed 0) on every target of its tables with the random-sampling row (resolve.sampled_targets)."""
    return [
        eval_file(space, run, 0, target, "final.json")
        for run in resolve.sampled_runs(config, space)
        for target in resolve.sampled_targets(config, space)
    ]


def space_mean_sources(space):
    """What the random-sampling row of ``space`` averages (the space_mean job's inputs): the
    benchmark table its cells are looked up in; in a DARTS space its sampled cells' evaluations;
    else the probe cells' evaluations on the search dataset (analysis.space_mean)."""
    if uses_benchmark(space):
        return [L.benchmark_table(registry.benchmark_of(space))]
    if space in SAMPLED_SPACES:
        return sampled_outputs(space)
    return probe_outputs(space)


def random_row_runs(table):
    """The run outputs behind a table's random-sampling row (the probe or sampled cells'
    evaluations; none where it reads a benchmark table): costed with the table."""
    spec = registry.TABLES.get(table)
    if not spec.random_row:
        return []
    return [f for f in space_mean_sources(spec.space) if L.is_run_file(f)]


def space_mean_option(space):
    """space-mean's option naming its source: the benchmark table, or the sampled cells' seed."""
    if uses_benchmark(space):
        return "--benchmark"
    if space in SAMPLED_SPACES:
        return f"--sampling-seed {resolve.random_sampling(config).seed}"
    return ""


def random_search_files(table):
    """The budget-matched random searches of a table (rule random_search, issue #29), one per
    seed of the table: matched to its ``budget_run``'s searches, where the profile builds that
    run in the table; none otherwise."""
    spec = registry.TABLES.get(table)
    if not spec.random_search or spec.budget_run not in select.table_runs(config, table):
        return []
    dataset = resolve.search_dataset(config, spec.space)
    return [
        L.random_search(spec.space, dataset, spec.budget_run, seed)
        for seed in select.item_seeds(config, "tables", table)
    ]


def random_search_input(wildcards):
    return random_search_files(wildcards.table)


def random_search_sources(space):
    """What a random search of ``space`` looks its draws up in: the benchmark table, or, in a
    profile that retrains its cells, the probe cells' evaluations (the run.json beside each, the
    measured retraining time, comes from the same evaluate job)."""
    if uses_benchmark(space):
        return [L.benchmark_table(registry.benchmark_of(space))]
    return probe_outputs(space)


def figure_inputs(wildcards):
    return figure_metrics(wildcards.figure)


def all_targets():
    """Every table and figure, and every run output they read: Snakemake does not rerun a job
    whose outputs exist when one of its inputs was deleted, so the run outputs are targets too
    (a deleted run is recomputed, and the tables and figures that read it follow)."""
    runs = [path for name in config["tables"] for path in table_finals(name)]
    runs += [path for name in config["figures"] for path in figure_metrics(name)]
    runs += [path for space in SAMPLED_SPACES for path in sampled_outputs(space)]
    runs += [path for name in config["tables"] for path in random_search_files(name)]
    tables = [L.table(name, ext) for name in config["tables"] for ext in ("csv", "md", "tex")]
    figures = [L.figure(name, ext) for name in config["figures"] for ext in ("png", "pdf")]
    return tables + figures + sorted(set(runs))


def provenance_note():
    """Profile, evaluation mode and data roles (a stand-in loader marked; resolve.standins)."""
    standins = resolve.standins(config)
    roles = ", ".join(
        f"{role} = {loader}" + (" (stand-in)" if role in standins else "")
        for role, loader in resolve.data_roles(config).items()
    )
    return (
        f"Reproduced values: profile '{P}', evaluation by {config['evaluation']['mode']}; "
        f"data roles: {roles}."
    )
