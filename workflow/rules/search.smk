# The searches and the pseudo-runs' cells (nasrepro.jobs): each writes a run's search/genotype.json.
PUBLISHED = ("{space}", "{dataset}", jobs.PUBLISHED_PREFIX + "{name}", "{seed}")
PROBE = ("{space}", "{dataset}", jobs.PROBE_PREFIX + "{index}")  # seed 0: no seed wildcard
SAMPLED = ("{space}", "{dataset}", jobs.SAMPLED_PREFIX + "{index}")  # seed 0, as a probe
BEST = ("{space}", "{dataset}", "{run}" + jobs.BEST_SUFFIX, "{seed}")
RANDOM_SEARCH = ("{space}", "{dataset}", "{run}" + jobs.RANDOM_SEARCH_SUFFIX, "{seed}")


rule probe_cell:
    """The fixed probe cell <i> of a space as the "found cell" of pseudo-run probe-<i> (seed 0), so
    that the evaluate rule gives its ground truth like any run's (benchmark or retraining)."""
    output:
        genotype=L.search_file(*PROBE, 0, "genotype.json"),
    wildcard_constraints:
        index="[0-9]+",
    params:
        arch=lambda wc: resolve.probe_cells(config, wc.space)[int(wc.index)],
    conda:
        ENV
    log:
        L.log("probe_cell", *PROBE),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} probe-cell --space {wildcards.space}"
        " --dataset {wildcards.dataset} --index {wildcards.index} --arch {params.arch:q}"
        " --out {output.genotype}"


rule sampled_cell:
    """The k-th genotype drawn uniformly from a DARTS space (random_sampling.seed) as the "found
    cell" of pseudo-run sampled-<k> (seed 0), so that the evaluate rule retrains it like a row's
    cell: the random-sampling row of the space's tables (issue #29; analysis.space_mean)."""
    output:
        genotype=L.search_file(*SAMPLED, 0, "genotype.json"),
    wildcard_constraints:
        space="|".join(SAMPLED_SPACES),
        index="[0-9]+",
    params:
        seed=lambda wc: resolve.random_sampling(config).seed,
    conda:
        ENV
    log:
        L.log("sampled_cell", *SAMPLED),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} sampled-cell --space {wildcards.space}"
        " --dataset {wildcards.dataset} --index {wildcards.index} --sampling-seed {params.seed}"
        " --out {output.genotype}"


rule random_search:
    """A budget-matched random search by lookup (issue #29; nasrepro.analysis.random_search):
    cells drawn uniformly (seed = the matched search's seed) until the next lookup's simulated
    time would pass the measured time of <run>'s search (times random_search.budget_scale); its incumbent, best by validation
    accuracy, is pseudo-run <run>-random-search, a row of the run's NAS-Bench-201 tables."""
    input:
        budget=L.search_file(*RUN, "run.json"),
        lookups=lambda wc: random_search_sources(wc.space),
    output:
        L.random_search(*RUN),
    wildcard_constraints:
        space="|".join(RANDOM_SEARCH_SPACES),
    params:
        source=lambda wc: "--benchmark" if uses_benchmark(wc.space) else "",
        scale=lambda wc: resolve.random_search(config).budget_scale,
    conda:
        ENV
    log:
        L.run_log("random_search", *RANDOM_SEARCH),
    benchmark:
        L.run_bench("random_search", *RANDOM_SEARCH)
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} random-search --space {wildcards.space}"
        " --target {wildcards.dataset} --budget {input.budget} --budget-scale {params.scale}"
        " --out {output} {params.source} {input.lookups}"


rule published_cell:
    """A literature cell of the space (``published``, e.g. DARTS' recurrent cell) as the "found
    cell" of pseudo-run published-<name>, so that the evaluate rule retrains it like any run's."""
    output:
        genotype=L.search_file(*PUBLISHED, "genotype.json"),
    wildcard_constraints:
        name=layout.RUN,
    conda:
        ENV
    log:
        L.run_log("published_cell", *PUBLISHED),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} published-cell --space {wildcards.space}"
        " --dataset {wildcards.dataset} --name {wildcards.name} --seed {wildcards.seed}"
        " --out {output.genotype}"


rule best_cell:
    """Pseudo-run <run>-best: the best cell over the epochs of <run>'s search (Table 4.2 "Best";
    nasrepro.analysis.best_cell), evaluated by the evaluate rule like a found cell."""
    input:
        genotype=L.search_file(*RUN, "genotype.json"),
        metrics=L.search_file(*RUN, "metrics.jsonl"),
    output:
        genotype=L.search_file(*BEST, "genotype.json"),
    conda:
        ENV
    log:
        L.run_log("best_cell", *BEST),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} best-cell --genotype {input.genotype}"
        " --metrics {input.metrics} --out {output.genotype}"


rule select_cell:
    """Pseudo-run <run>-selected: the cell, among <run>'s searches with the seeds of the tables
    and cell figures that show it, whose held-out retraining (pseudo-run <run>-heldout: trained
    on the search's training half, scored on its validation half, never the test set) scores best
    (the thesis' protocol for a DARTS-space row; nasrepro.analysis.selection).
    The evaluate rule retrains it with the further seeds (resolve.selected_retrain_seeds)."""
    input:
        unpack(selection_inputs),
    output:
        L.selection("{space}", "{dataset}", "{run}"),
    params:
        criterion=lambda wc: selection_criterion_option(wc.space),
        finals=lambda wc, input: " --finals " + " ".join(input.finals) if input.finals else "",
    conda:
        ENV
    log:
        L.log("select_cell", "{space}", "{dataset}", "{run}" + jobs.SELECTED_SUFFIX),
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} select-cell --genotypes {input.genotypes}{params.finals}"
        "{params.criterion} --out {output}"


rule search:
    wildcard_constraints:
        run=layout.SEARCHED_RUN,
    input:
        unpack(search_inputs),
    output:
        genotype=L.search_file(*RUN, "genotype.json"),
        metrics=L.search_file(*RUN, "metrics.jsonl"),
        run=L.search_file(*RUN, "run.json"),
        supernet=L.search_file(*RUN, "supernet.pt"),
    params:
        spec=search_spec,
        out_dir=lambda wc, output: os.path.dirname(output.genotype),
        inputs=lambda wc, input: "".join(
            f" --input {name}={path}" for name, path in input.items() if name not in ("data", "plugins")
        ),
    conda:
        ENV
    log:
        L.run_log("search", *RUN),
    benchmark:
        L.run_bench("search", *RUN)
    priority: search_priority
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro --log {log} search --spec {params.spec:q} --out-dir {params.out_dir}"
        "{params.inputs}"
