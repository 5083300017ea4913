"""Cell subcommands: the genotypes of pseudo-runs (``probe-cell``, ``published-cell``,
``sampled-cell``, ``best-cell``, ``select-cell``, ``random-search``) and ``arch``, which converts an architecture between string and index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nasrepro import registry
from nasrepro.commands.common import command
from nasrepro.jobs import probe_run
from nasrepro.utils.atomic import read_jsonl, write_json


def cmd_probe_cell(args) -> None:
    """genotype.json of probe cell ``index`` (pseudo-run probe-<index>, seed 0): checked against
    the space, so that the evaluate rule can retrain it or look it up like a found cell."""
    space = registry.SPACES.get(args.space)()
    arch = space.from_string(args.arch)
    write_json(Path(args.out), {"space": args.space, "dataset": args.dataset,
                                "run": probe_run(int(args.index)), "method": "probe", "seed": 0,
                                "arch": space.to_string(arch)})


def cmd_published_cell(args) -> None:
    """genotype.json of the space's published cell ``name`` (pseudo-run published-<name>)."""
    from nasrepro.jobs import PUBLISHED_PREFIX

    arch = registry.SPACES.get(args.space)().published_arch(args.name)
    write_json(Path(args.out), {"space": args.space, "dataset": args.dataset,
                                "run": f"{PUBLISHED_PREFIX}{args.name}", "method": "published",
                                "seed": args.seed, "arch": arch})


def cmd_sampled_cell(args) -> None:
    """genotype.json of pseudo-run sampled-<index> (seed 0): the ``index``-th genotype drawn
    uniformly with ``--sampling-seed`` (``analysis.space_mean.sample_cells``), so that the
    evaluate rule retrains it like a found cell (the random-sampling row, issue #29)."""
    from nasrepro.analysis.space_mean import sample_cells
    from nasrepro.jobs import sampled_run

    arch = sample_cells(registry.SPACES.get(args.space)(), args.index + 1, args.sampling_seed)[-1]
    write_json(Path(args.out), {"space": args.space, "dataset": args.dataset,
                                "run": sampled_run(args.index), "method": "sampled", "seed": 0,
                                "sampling_seed": args.sampling_seed, "arch": arch})


def cmd_genotype_complexity(args) -> None:
    """Params and multiply-adds of every released DARTS-space cell at the papers' evaluation
    sizes and at the networks the thesis states for some rows (``experiments.specs.row_sizes``,
    read from the tables' CSVs; ``spaces.darts_cnn.complexity``): the architecture columns of the
    DARTS-space tables."""
    from nasrepro.experiments.specs import row_sizes, size_key
    from nasrepro.spaces.darts_cnn.complexity import released_complexity

    sizes = [(cell, size_key(target, over), target, over) for cell, target, over in row_sizes()]
    write_json(Path(args.out), released_complexity(sizes=sizes))


def cmd_space_summary(args) -> None:
    """Size, operations and edges of every search space (``analysis.space_summary``, Table 1.1)."""
    from nasrepro.analysis.space_summary import summarize

    write_json(Path(args.out), summarize())


def cmd_space_mean(args) -> None:
    """The random-sampling row of a space's tables (``analysis.space_mean``, issue #29): every
    cell of the converted benchmark table (``--benchmark``), or the evaluations of the uniformly
    sampled probe cells (their ``final.json``) in a profile that retrains its cells, or with
    ``--sampling-seed`` those of the sampled pseudo-runs of a DARTS space."""
    from nasrepro.analysis import space_mean

    if args.benchmark:
        bench = registry.BENCHMARKS.get(registry.benchmark_of(args.space)).load(args.benchmark)
        row = space_mean.from_columns(
            {(target, f"{column}_acc"): bench.column(target, column)
             for target, column in bench.columns}, bench.partial)
    else:
        row = space_mean.from_finals(args.finals, args.sampling_seed)
    space_mean.write(Path(args.out), args.space, row)


def search_lookups(args):
    """The lookup table of a random search (``analysis.random_search.Lookups``): the converted
    benchmark (``--benchmark``; every cell it holds, validation on ``--target`` at the
    benchmark's ``SEARCH_EPOCHS``, reported at its thesis budget on every target), or the probe
    cells' evaluations on the search dataset (their ``final.json``; the time of each, its
    ``run.json`` ``wall_time_s`` beside it: the measured retraining)."""
    from nasrepro.analysis.random_search import BENCHMARK, STANDIN, Lookups

    if args.benchmark:
        from nasrepro import plugins

        plugins.load("spaces")  # the benchmark classes; a stand-in search imports no torch
        space = registry.SPACES.get(args.space)()
        bench = registry.BENCHMARKS.get(registry.benchmark_of(args.space)).load(args.benchmark)
        cells, valid, seconds = bench.search_lookups(args.target)
        return Lookups(tuple(cells), dict(zip(cells, map(float, valid))),
                       dict(zip(cells, map(float, seconds))),
                       lambda cell: {target: bench.thesis_metrics(space.from_string(cell), target)
                                     for target in sorted({t for t, _ in bench.columns})},
                       BENCHMARK)
    finals = [json.loads(Path(f).read_text()) for f in args.finals]
    times = {r["arch"]: float(json.loads((Path(f).parent / "run.json").read_text())["wall_time_s"])
             for f, r in zip(args.finals, finals)}
    reported = {r["arch"]: {r["target"]: {k: r[k] for k in ("valid_acc", "test_acc")}}
                for r in finals}
    cells = tuple(sorted(reported))
    return Lookups(cells, {r["arch"]: float(r["valid_acc"]) for r in finals}, times,
                   reported.__getitem__, STANDIN)


def cmd_random_search(args) -> None:
    """A budget-matched random search by lookup (``analysis.random_search``, issue #29): the
    budget is the measured time of the matched run's search (``--budget``: its ``run.json``),
    the draws seeded with that search's seed; written as pseudo-run ``<run>-random-search``."""
    from nasrepro.analysis import random_search
    from nasrepro.jobs import random_search_run

    record = json.loads(Path(args.budget).read_text())
    run, seed = record["config"]["run"], int(record["config"]["seed"])
    result = random_search.run(search_lookups(args), float(record["wall_time_s"]), seed,
                               {"run": run, "seed": seed, "search": args.budget},
                               budget_scale=args.budget_scale)
    random_search.write(Path(args.out), args.space, random_search_run(run), result)


def cmd_best_cell(args) -> None:
    """genotype.json of pseudo-run ``<run>-best``: the best cell over the epochs of the search
    (``analysis.best_cell``), for Table 4.2's "Best" column."""
    from nasrepro.analysis.best_cell import best_epoch
    from nasrepro.jobs import BEST_SUFFIX

    found = json.loads(Path(args.genotype).read_text())
    space = registry.SPACES.get(found["space"])()
    record = best_epoch(read_jsonl(Path(args.metrics)), space.task.higher_is_better)
    arch = space.from_string(record["arch"])
    genotype = {key: found[key] for key in ("space", "dataset", "method", "seed")}
    genotype.update(run=found["run"] + BEST_SUFFIX, arch=space.to_string(arch),
                    derived_valid=record["derived_valid"])
    if hasattr(space, "index"):
        genotype["index"] = space.index(arch)
    write_json(Path(args.out), genotype)


def cmd_select_cell(args) -> None:
    """The selected cell of pseudo-run ``<run>-selected`` (``analysis.selection``): the searches'
    genotypes and, when there are several, their retrainings on the search dataset."""
    from nasrepro.analysis.selection import selection_record

    genotypes = [json.loads(Path(path).read_text()) for path in args.genotypes]
    finals = [json.loads(Path(path).read_text()) for path in args.finals]
    write_json(Path(args.out), selection_record(genotypes, finals, args.field,
                                                not args.lower_is_better))


def cmd_arch(args) -> int:
    if (args.arch is None) == (args.index is None):
        print("error: give exactly one of an architecture string or --index", file=sys.stderr)
        return 2
    space = registry.SPACES.get(args.space)()
    if args.index is not None and not hasattr(space, "from_index"):
        print(f"error: space {args.space!r} has no architecture index; give an architecture string",
              file=sys.stderr)
        return 2
    try:
        arch = space.from_index(args.index) if args.index is not None else space.from_string(args.arch)
    except space.InvalidArch as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if hasattr(space, "index"):
        print(f"index: {space.index(arch)}")
    print(f"arch:  {space.to_string(arch)}")
    if args.benchmark:
        from nasrepro.spaces.base import MissingEntryError

        bench = registry.BENCHMARKS.get(registry.benchmark_of(args.space)).load(args.benchmark)
        for (target, column), (dataset, split) in bench.columns.items():
            try:
                value = f"{bench.accuracy(arch, dataset, split):.2f}"
            except MissingEntryError:
                value = "not in table"
            print(f"{target:>15} {column:<5} ({dataset}/{split}, {bench.final_epochs} epochs): {value}")
    return 0


def add_commands(sub) -> None:
    p = command(sub, "probe-cell", cmd_probe_cell, "write the genotype of one probe cell "
                "(ranking analyses)", "--space", "--dataset", "--arch", "--out")
    p.add_argument("--index", type=int, required=True)
    p = command(sub, "published-cell", cmd_published_cell, "write the genotype of a published "
                "(literature) cell", "--space", "--dataset", "--name", "--out")
    p.add_argument("--seed", type=int, required=True)
    command(sub, "genotype-complexity", cmd_genotype_complexity, "params and multiply-adds of "
            "the released DARTS-space cells at their evaluation sizes", "--out",
            loads=("spaces", "experiments"))
    command(sub, "space-summary", cmd_space_summary, "size, operations and edges of the search "
            "spaces (Table 1.1)", "--out", loads=())
    p = command(sub, "space-mean", cmd_space_mean, "the random-sampling row of a space's "
                "tables: every cell of its benchmark table, or its probe cells' evaluations",
                "--space", "--out", loads=("spaces",))
    p.add_argument("--benchmark", help="the converted benchmark table (Parquet)")
    p.add_argument("--sampling-seed", type=int, default=None,
                   help="the finals are the sampled-<k> pseudo-runs' drawn with this seed")
    p.add_argument("finals", nargs="*", help="without --benchmark: the probe cells' (or the "
                   "sampled cells') final.json")
    p = command(sub, "random-search", cmd_random_search, "a random search by lookup whose "
                "budget is a run's measured search time (the budget-matched row)", "--space",
                "--target", "--budget", "--out", loads=())
    p.add_argument("--benchmark", help="the converted benchmark table (Parquet)")
    p.add_argument("--budget-scale", type=float, default=1.0,
                   help="the budget: the search's measured time times this (profile key "
                        "random_search.budget_scale; default 1)")
    p.add_argument("finals", nargs="*", help="without --benchmark: the probe cells' final.json "
                   "(each with its run.json beside it)")
    p = command(sub, "sampled-cell", cmd_sampled_cell, "write the genotype of the k-th "
                "uniformly sampled cell (the random-sampling row)", "--space", "--dataset",
                "--out", loads=("spaces",))
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--sampling-seed", type=int, required=True)
    command(sub, "best-cell", cmd_best_cell, "write the best cell over a search's epochs "
            "(Table 4.2)", "--genotype", "--metrics", "--out")
    p = command(sub, "select-cell", cmd_select_cell, "select the cell of a DARTS-space row: "
                "the search whose retraining scores best on its validation split", "--out",
                loads=())
    p.add_argument("--genotypes", nargs="+", required=True, help="the searches' genotype.json")
    p.add_argument("--finals", nargs="*", default=[],
                   help="their retrainings' final.json on the search dataset (several searches)")
    p.add_argument("--field", default="valid_acc", help="the held-out score selected by")
    p.add_argument("--lower-is-better", action="store_true", help="e.g. a perplexity")
    p = command(sub, "arch", cmd_arch, "convert an architecture between string and index")
    p.add_argument("--space", default="nb201")
    p.add_argument("arch", nargs="?")
    p.add_argument("--index", type=int)
    p.add_argument("--benchmark", help="converted benchmark table (Parquet) for accuracies")
