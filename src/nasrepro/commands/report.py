"""Report subcommands: ``table`` (a thesis table), ``figure`` (a thesis figure) and ``cost``
(the CPU-/GPU-hours table). None of them imports torch."""

from __future__ import annotations

import dataclasses
import json

from nasrepro import registry
from nasrepro.commands.common import command

REPORT = ("experiments",)  # what a report job loads: the tables, figures and runs; no torch


def cmd_table(args) -> None:
    from nasrepro.report.table import write_table

    write_table(registry.TABLES.get(args.table), args.thesis_values, args.finals,
                args.out_prefix, args.note, args.extra_runs, args.standins, args.scored_by,
                args.genotype_complexity, args.space_summary, args.space_mean, args.protocols,
                args.random_search)


def cmd_figure(args) -> None:
    from nasrepro.report.figure import drawn_title

    spec = registry.FIGURES.get(args.figure)
    if args.extra_runs:  # a profile's own runs drawn beside the thesis' (figures.<id>.extra_runs)
        spec = dataclasses.replace(spec, runs=spec.runs + tuple(args.extra_runs))
    # the caption names what is drawn when the profile builds only some of the runs
    spec = dataclasses.replace(spec, title=drawn_title(spec.title, spec.runs, args.metrics))
    if spec.kind == "search_curves":
        from nasrepro.report.figure import plot_search_curves

        plot_search_curves(args.metrics, args.out_prefix, spec.title, key="derived_valid",
                           note=args.note)
    elif spec.kind == "cell":  # the space lays its cells out: the one kind that loads spaces
        from nasrepro.plugins import load
        from nasrepro.report.cells import plot_cells

        load("spaces")
        plot_cells(spec, args.metrics, args.out_prefix, args.note)
    elif spec.kind == "regret":
        from nasrepro.report.regret import plot_regret

        plot_regret(spec, args.metrics, args.out_prefix, args.note)
    elif spec.kind in ("epoch_stats", "sweep", "gamma_schedule"):
        from nasrepro.report.trajectories import plot_trajectories

        plot_trajectories(spec, args.metrics, args.out_prefix, args.note)
    else:
        from nasrepro.report.analysis import plot_analysis

        from nasrepro.report.figure import drawn_runs

        # the runs the profile builds (``figures.<id>.runs``), as the title says (issue #20: the
        # rehearsal's trimmed figures stopped on "no search metrics" for the runs left out)
        plot_analysis(dataclasses.replace(spec, runs=tuple(drawn_runs(spec.runs, args.metrics))),
                      args.metrics, args.out_prefix, args.note)


def cmd_cost(args) -> None:
    from nasrepro.report.cost import write_cost

    with open(args.spec) as handle:
        spec = json.load(handle)
    write_cost(spec, args.thesis_costs, args.out_prefix, args.note)


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _roles(text: str) -> dict[str, str]:
    """``cifar10=digits,ptb=text_standin`` -> ``{"cifar10": "digits", "ptb": "text_standin"}``."""
    return dict(item.split("=", 1) for item in _names(text))


def add_commands(sub) -> None:
    provenance = "provenance: profile, data roles, seeds"
    p = command(sub, "table", cmd_table, "build a thesis table", "--table", "--thesis-values",
                "--out-prefix", loads=REPORT)
    p.add_argument("--note", required=True, help=provenance)
    p.add_argument("--extra-runs", type=_names, default=[], help="the profile's own rows (a,b)")
    p.add_argument("--standins", type=_roles, default={},
                   help="the data roles a stand-in plays (role=loader,...): named in the headers")
    p.add_argument("--scored-by", default="",
                   help="the benchmark the space's cells are looked up in (evaluation: benchmark)")
    p.add_argument("--protocols", type=_roles, default={},
                   help="the retraining protocol of each target (target=protocol,...; "
                        "data.protocols): the data split each column states")
    p.add_argument("--genotype-complexity", default=None,
                   help="params and multiply-adds of the released cells (rule genotype_complexity):"
                   " the architecture columns computed from a row's genotype")
    p.add_argument("--space-summary", default=None,
                   help="the search spaces' sizes (rule space_summary): Table 1.1's cells")
    p.add_argument("--space-mean", default=None,
                   help="the random-sampling row of the space (rule space_mean, issue #29)")
    p.add_argument("--random-search", action="append", default=[],
                   help="a budget-matched random search of the table, one per seed (rule "
                        "random_search, issue #29); repeated")
    p.add_argument("finals", nargs="*")
    p = command(sub, "figure", cmd_figure, "build a thesis figure (kind: see "
                "experiments.specs.FigureSpec)", "--figure", "--out-prefix", loads=REPORT)
    p.add_argument("--note", required=True, help=provenance)
    p.add_argument("--extra-runs", type=_names, default=[], help="the profile's own runs (a,b)")
    p.add_argument("metrics", nargs="*")
    p = command(sub, "cost", cmd_cost, "build the cost table (CPU-/GPU-hours)", "--out-prefix",
                loads=REPORT)
    p.add_argument("--thesis-costs", nargs="+", required=True,
                   help="the thesis CSVs whose search-cost columns give the thesis' search costs")
    p.add_argument("--spec", required=True,
                   help="JSON file: jobs and the jobs of each table/figure (rule cost_spec)")
    p.add_argument("--note", required=True, help="provenance: profile and machine")
