"""What a profile builds: its tables and figures, the runs, seeds, spaces and evaluation targets
each reads (a profile may restrict them: ``tables.<id>.{runs,targets,seeds}``,
``figures.<id>.{runs,spaces,seeds}``), and the ``select: [ids]`` of a partial build."""

from __future__ import annotations

import hashlib

from nasrepro import registry
from nasrepro.params import ConfigError


def item_seeds(config: dict, section: str, name: str) -> list[int]:
    """Seeds of one table/figure: its own ``seeds`` if the profile sets them, else ``seeds``."""
    entry = (config.get(section) or {}).get(name) or {}
    return [int(s) for s in entry.get("seeds", config["seeds"])]


def extra_runs(config: dict, section: str, name: str) -> list[str]:
    """``<section>.<name>.extra_runs``: runs the profile adds to a table (rows) or a figure
    (lines) beyond the thesis' own, e.g. a researcher's method (``plugins:``, ``runs:``)."""
    return list(((config.get(section) or {}).get(name) or {}).get("extra_runs") or [])


def figure_runs(config: dict, figure: str) -> list[str]:
    """The runs a figure plots; a profile may restrict them (``figures.<id>.runs``) and add its
    own (``figures.<id>.extra_runs``)."""
    spec = registry.FIGURES.get(figure)
    chosen = ((config.get("figures") or {}).get(figure) or {}).get("runs")
    if chosen is not None and set(chosen) - set(spec.runs):
        raise ConfigError(f"figures.{figure}.runs: {sorted(set(chosen) - set(spec.runs))} are not "
                          f"plotted by {figure}; its runs: {list(spec.runs)} (add a run of your "
                          f"own with figures.{figure}.extra_runs)")
    own = list(spec.runs) if chosen is None else list(chosen)
    return list(dict.fromkeys(own + extra_runs(config, "figures", figure)))


def figure_spaces(config: dict, figure: str) -> list[str]:
    """The spaces whose runs a figure shows: its ``spaces`` (NAS-Bench-1Shot1's three, Figs. 5.2,
    6.1, 6.4) or its one ``space``; a profile may restrict them (``figures.<id>.spaces``)."""
    spec = registry.FIGURES.get(figure)
    own = list(spec.spaces or (spec.space,))
    chosen = ((config.get("figures") or {}).get(figure) or {}).get("spaces")
    if chosen is None:
        return own
    unknown = sorted(set(chosen) - set(own))
    if unknown:
        raise ConfigError(f"figures.{figure}.spaces: {unknown} are not shown by {figure}; its "
                          f"spaces: {own}")
    return list(chosen)


def figure_seeds(config: dict, figure: str) -> list[int]:
    """The seeds whose searches a figure reads: its ``item_seeds``, of which a cell figure
    (Figs. 2.1, 3.3) draws the cells found with the first."""
    seeds = item_seeds(config, "figures", figure)
    return seeds[:1] if registry.FIGURES.get(figure).first_seed_only else seeds


def figure_curve_target(config: dict, figure: str) -> str | None:
    """The first of the figure's ``curve_targets`` the profile evaluates (None: no curve panel)."""
    spec = registry.FIGURES.get(figure)
    return next((t for t in spec.curve_targets if t in config["evaluation"]["targets"]), None)


def table_runs(config: dict, table: str) -> list[str]:
    """The runs that fill the table's rows; a profile may restrict them (``tables.<id>.runs``)
    and add rows of its own (``tables.<id>.extra_runs``)."""
    spec = registry.TABLES.get(table)
    chosen = ((config.get("tables") or {}).get(table) or {}).get("runs")
    if chosen is not None and set(chosen) - set(spec.runs()):
        raise ConfigError(f"tables.{table}.runs: {sorted(set(chosen) - set(spec.runs()))} fill no "
                          f"row of {table}; its rows' runs: {spec.runs()} (add a row of your own "
                          f"with tables.{table}.extra_runs)")
    own = spec.runs() if chosen is None else list(chosen)
    return list(dict.fromkeys(own + extra_runs(config, "tables", table)))


def table_targets(config: dict, table: str) -> list[str]:
    """The evaluation targets a table needs that the profile evaluates; a profile may restrict
    them (``tables.<id>.targets``)."""
    spec = registry.TABLES.get(table)
    chosen = ((config.get("tables") or {}).get(table) or {}).get("targets")
    if chosen is not None and set(chosen) - set(spec.targets()):
        raise ConfigError(f"tables.{table}.targets: {sorted(set(chosen) - set(spec.targets()))} "
                          f"fill no column of {table}; its targets: {spec.targets()}")
    return [t for t in spec.targets() if t in config["evaluation"]["targets"]
            and (chosen is None or t in chosen)]


def _figures_on(config: dict, space: str, wanted) -> set[str]:
    """The runs of the profile's figures on ``space`` whose spec satisfies ``wanted``."""
    runs: set[str] = set()
    for name in config.get("figures") or {}:
        spec = registry.FIGURES.get(name) if name in registry.FIGURES else None
        if spec is not None and spec.space == space and wanted(spec):
            runs |= set(figure_runs(config, name))
    return runs


def probed_runs(config: dict, space: str) -> set[str]:
    """The runs whose searches score the probe cells: those of the profile's tables with ranking
    columns and of its analysis figures on ``space`` (other searches skip the probing cost)."""
    runs = _figures_on(config, space, lambda spec: spec.needs_probes)
    for name in config.get("tables") or {}:
        spec = registry.TABLES.get(name) if name in registry.TABLES else None
        if spec is not None and spec.space == space and spec.probe_target is not None:
            runs |= set(table_runs(config, name))
    return runs


def hessian_runs(config: dict, space: str) -> set[str]:
    """The runs whose searches track the Hessian's dominant eigenvalue (``search.hessian``):
    those of the profile's figures on ``space`` that plot ``hessian_eig`` (Fig. 5.6)."""
    return _figures_on(config, space, lambda spec: "hessian_eig" in spec.keys)


def space_runs(config: dict) -> dict[str, list[str]]:
    """{space: [runs]} over every table and figure of the profile (invalid entries are left to
    ``validate``, which reports them)."""
    out: dict[str, list[str]] = {}
    for name in config.get("tables") or {}:
        if name in registry.TABLES:
            try:
                out.setdefault(registry.TABLES.get(name).space, []).extend(table_runs(config, name))
            except ConfigError:
                continue
    for name in config.get("figures") or {}:
        if name in registry.FIGURES:
            try:
                for space in figure_spaces(config, name):
                    out.setdefault(space, []).extend(figure_runs(config, name))
            except ConfigError:
                continue
    return {space: list(dict.fromkeys(runs)) for space, runs in out.items()}


def apply_selection(config: dict) -> None:
    """``select: [ids]`` (optional): build only these of the profile's tables and figures (and the
    runs they read); the others are dropped from ``config`` in place."""
    chosen = config.get("select")
    if not chosen:
        return
    configured = [*(config.get("tables") or {}), *(config.get("figures") or {})]
    unknown = sorted(set(chosen) - set(configured))
    if unknown:
        raise ConfigError(f"select: {unknown} are not tables or figures of this profile; "
                          f"configured: {', '.join(configured)}")
    for section in ("tables", "figures"):
        config[section] = {k: v for k, v in (config.get(section) or {}).items() if k in chosen}


def report_name(config: dict, base: str) -> str:
    """The name of a profile-wide report file (``base``, e.g. the cost table ``cost``): ``base``
    for the whole profile; with ``select:`` ``<base>-<ids>`` (sorted, joined by ``+``; a digest of
    them when that is long), so that a partial build never overwrites what a full run made."""
    chosen = sorted(set(config.get("select") or ()))
    if not chosen:
        return base
    names = "+".join(chosen)
    if len(names) > 80:
        names = "select-" + hashlib.sha256(names.encode()).hexdigest()[:12]
    return f"{base}-{names}"
