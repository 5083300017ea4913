"""Every problem of a profile, before any job runs: invalid values (one line each: key, value,
allowed range), unknown names, unsupported method/space pairs, and raw inputs that are missing and
will not be downloaded."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from nasrepro import jobs, registry
from nasrepro.data import checksums
from nasrepro.params import ConfigError, check_field
from nasrepro.profile import resolve, select

_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")  # 3e-4: a str to PyYAML


def coerce_cli_values(config: dict) -> None:
    """Snakemake's ``--config key=value`` passes every scalar of ``value`` as a string ("0",
    "true"), and PyYAML reads ``3e-4`` (no dot) as a string; turn strings that are numbers,
    booleans or null back into those, in place."""
    import yaml

    def convert(value):
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, str):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            if parsed is None or isinstance(parsed, (bool, int, float)):
                return parsed
            return float(value) if _EXPONENT_FLOAT.fullmatch(value) else value
        return value

    config.update(convert(dict(config)))


def needed_datasets(config: dict) -> list[str]:
    """The search datasets and every evaluation target some table retrains on."""
    needed = [config["search_dataset"]]
    needed += [resolve.search_dataset(config, space) for space in select.space_runs(config)]
    for table in config.get("tables") or {}:
        if table in registry.TABLES and \
                not resolve.uses_benchmark(config, registry.TABLES.get(table).space):
            needed += select.table_targets(config, table)
    return list(dict.fromkeys(needed))


def _method_fields() -> dict[str, list[str]]:
    """{hyperparameter: [the registered methods that have it]}."""
    fields: dict[str, list[str]] = {}
    for method in registry.METHODS.names():
        for f in dataclasses.fields(registry.METHODS.get(method).Config):
            fields.setdefault(f.name, []).append(method)
    return fields


def _check_key(methods: list[str], key: str, value, where: str) -> list[str]:
    """The problems of ``value`` for ``key`` (at ``where`` in the profile) under each of
    ``methods``: one line per distinct problem, naming the methods when not all of them reject it."""
    failed: dict[str, list[str]] = {}
    for method in methods:
        try:
            check_field(registry.METHODS.get(method).Config, key, value, where)
        except ConfigError as error:
            failed.setdefault(str(error), []).append(method)
    return [line if len(names) == len(methods) else f"{line} (for method{'s' * (len(names) > 1)} "
            f"{', '.join(names)})" for line, names in failed.items()]


def _hyperparameter_problems(config: dict) -> tuple[list[str], dict]:
    """Every value of ``method_overrides``, ``spaces.<space>.method_overrides`` and the profile's
    ``runs.<run>.{params,space_params}`` checked once, at its key path in the profile (not once per
    run and space it reaches). Returns the problems and a copy of ``config`` without the bad
    values, whose runs are then resolved per space (checks across fields: ``tau_min <= tau_max``)."""
    fields, problems = _method_fields(), []
    config = dict(config)

    def checked(block: dict | None, where: str, method: str | None = None) -> dict:
        """``block`` without its bad values (``method``: a run's own block, checked against its
        method only; else a profile-wide one, against every method that has the key; a key no
        method has is reported later, with the list of known keys)."""
        good = {}
        for key, value in (block or {}).items():
            owners = fields.get(key, []) if method is None else [method]
            if method is not None and method not in fields.get(key, []):
                known = sorted(f.name for f in dataclasses.fields(registry.METHODS.get(method).Config))
                problems.append(f"{where}.{key}: unknown key; valid keys: {', '.join(known)}")
                continue
            found = _check_key(owners, key, value, f"{where}.{key}")
            problems.extend(found)
            if not found:
                good[key] = value
        return good

    config["method_overrides"] = checked(config.get("method_overrides"), "method_overrides")
    config["spaces"] = {space: {**(entry or {}), "method_overrides": checked(
        (entry or {}).get("method_overrides"), f"spaces.{space}.method_overrides")}
        for space, entry in (config.get("spaces") or {}).items()}
    runs = {}
    for run, variant in (config.get("runs") or {}).items():
        if variant["method"] not in registry.METHODS:
            runs[run] = variant  # reported as an unknown method
            continue
        one = variant["method"]
        runs[run] = {**variant, "params": checked(variant.get("params"), f"runs.{run}.params", one),
                     "space_params": {space: checked(block, f"runs.{run}.space_params.{space}", one)
                                      for space, block in (variant.get("space_params") or {}).items()}}
    config["runs"] = runs
    return problems, config


_RUN_ON_SPACE = re.compile(r"runs\.(?P<run>[^\s\[]+)\[(?P<space>[^\]]+)\](?P<rest>.*)", re.S)


def _set_by(problem: str, overrides: dict[str, dict]) -> str:
    """`` (set by <block>.<key>)`` for each profile-wide override (``overrides``: {key path of the
    block: block}) whose key the problem names, else ""."""
    found = [f"{where}.{key}" for where, block in overrides.items() for key in block
             if re.search(rf"\b{re.escape(key)}\b", problem)]
    return f" (set by {', '.join(found)})" if found else ""


def _merge_run_lines(problems: list[str], spaces_checked: list[str],
                     overrides: dict[str, dict]) -> list[str]:
    """One line per distinct problem of the runs resolved per space (``runs.<run>[<space>]...``):
    the runs (a ``<run>-best`` pseudo-run is its run) and the spaces that share it are named
    together; the spaces only when it is not on all of ``spaces_checked``."""
    merged: dict[str, tuple[list, list]] = {}
    out: list[str | tuple] = []
    for line in problems:
        match = _RUN_ON_SPACE.fullmatch(line)
        if not match:
            out.append(line)
            continue
        if match["rest"] not in merged:
            merged[match["rest"]] = ([], [])
            out.append(("run", match["rest"]))
        runs, spaces = merged[match["rest"]]
        run = jobs.base_run(match["run"])
        runs.append(run) if run not in runs else None
        spaces.append(match["space"]) if match["space"] not in spaces else None
    lines = []
    for item in out:
        if isinstance(item, str):
            lines.append(item)
            continue
        runs, spaces = merged[item[1]]
        where = f"[{', '.join(spaces)}]" if set(spaces_checked) - set(spaces) else ""
        more = f" and {len(runs) - 3} more runs" if len(runs) > 4 else ""
        names = ", ".join(f"runs.{run}" for run in (runs[:3] if more else runs))
        lines.append(names + more + (" " if more and where else "") + where + item[1]
                     + _set_by(item[1], overrides))
    return lines


def _problems(config: dict) -> list[str]:
    problems, config = _hyperparameter_problems(config)

    def attempt(fn, *args):
        try:
            return fn(*args)
        except (ConfigError, registry.UnknownNameError) as error:
            problems.append(str(error))
            return None

    for section, reg in (("tables", registry.TABLES), ("figures", registry.FIGURES)):
        for name in config.get(section) or {}:
            if attempt(reg.get, name) is not None and section == "tables":
                attempt(select.table_runs, config, name)
                attempt(select.table_targets, config, name)
            elif name in reg and section == "figures":
                attempt(select.figure_runs, config, name)
                attempt(select.figure_spaces, config, name)
    for name, spec in (config.get("datasets") or {}).items():
        loader = attempt(registry.DATASETS.get, spec["loader"])
        if loader is None:
            problems[-1] = f"datasets.{name}.loader: {problems[-1]}"
        else:
            problems += checksums.problems(f"datasets.{name}", spec,
                                           loader.digests(spec) if loader.digests else None)
    known_keys = {f.name for m in registry.METHODS.names()
                  for f in dataclasses.fields(registry.METHODS.get(m).Config)}
    overrides = [("method_overrides", config.get("method_overrides") or {})]
    overrides += [(f"spaces.{space}.method_overrides",
                   resolve.space_overrides(config, space, "method_overrides"))
                  for space in config.get("spaces") or {}]
    for where, block in overrides:
        for key in sorted(set(block) - known_keys):
            problems.append(f"{where}.{key}: no registered method has this hyperparameter; "
                            f"known: {', '.join(sorted(known_keys))}")
    for run, variant in (config.get("runs") or {}).items():
        if not jobs.has_search(run) or jobs.base_run(run) != run:
            problems.append(f"runs.{run}: names starting with {jobs.PROBE_PREFIX!r}, "
                            f"{jobs.PUBLISHED_PREFIX!r} or {jobs.SAMPLED_PREFIX!r} are reserved, "
                            "as are names ending with "
                            f"{' or '.join(map(repr, jobs.PSEUDO_SUFFIXES))}: the probe, "
                            "published, sampled, best, selected and held-out cells; rename the run")
        if attempt(registry.METHODS.get, variant["method"]) is None:
            problems[-1] = f"runs.{run}.method: {problems[-1]}"
    for section, reg in (("spaces", registry.SPACES), ("benchmark", registry.BENCHMARKS)):
        for name in config.get(section) or {}:
            if attempt(reg.get, name) is None:
                problems[-1] = f"{section}.{name}: {problems[-1]}"
    unknown_method = {run for run, variant in (config.get("runs") or {}).items()
                      if variant["method"] not in registry.METHODS}
    for space, runs in select.space_runs(config).items():
        if attempt(registry.SPACES.get, space) is None:
            continue
        attempt(resolve.search_net, config, space)
        for target in config["evaluation"]["targets"]:
            attempt(resolve.eval_settings, config, space, target)
        for run in dict.fromkeys([*runs, *(config.get("runs") or {})]):  # profile runs too
            if run in unknown_method:
                continue  # reported once, as runs.<run>.method
            if jobs.is_published_run(run):
                attempt(resolve.published_arch, space, run)
            else:
                attempt(resolve.method_params, config, run, space)
                attempt(resolve.method_inputs, config, space, run)
                if (variant := attempt(resolve.run_variant, config, run)) is not None \
                        and variant.eval_params.get(space):  # the run's own networks
                    for target in config["evaluation"]["targets"]:
                        attempt(resolve.eval_settings, config, space, target, run)
            if run in runs and jobs.has_search(run):
                attempt(resolve.require_supported, config, space, run)
        bench = registry.benchmark_of(space)
        if resolve.uses_benchmark(config, space) and not (config.get("benchmark") or {}).get(bench):
            problems.append(f"evaluation.mode = 'benchmark' needs benchmark.{bench} (path/url/"
                            f"sha256 of the benchmark file); set it, or use mode 'retrain'")
    for space in config.get("dvae") or {}:
        attempt(resolve.dvae_config, config, space)
    attempt(resolve.random_sampling, config)
    attempt(resolve.random_search, config)
    if attempt(resolve.selection_protocol, config) is not None:
        for space, run in selected_runs(config):
            attempt(resolve.selection_pool, config, space, run)
    for name in needed_datasets(config):
        if name not in (config.get("datasets") or {}):
            problems.append(f"dataset {name!r} is needed (search dataset or a retrained "
                            f"evaluation target) but has no entry under `datasets:`; configured: "
                            f"{sorted(config.get('datasets') or {})}")
    checked = [space for space in select.space_runs(config) if space in registry.SPACES]
    blocks = {where: block for where, block in overrides if block}
    return _merge_run_lines(list(dict.fromkeys(problems)), checked, blocks)


def selected_runs(config: dict) -> list[tuple[str, str]]:
    """(space, run) of every searched run whose cell a table or cell figure of the profile
    selects (``TableSpec.selects``, ``FigureSpec.selects``; invalid entries are reported apart)."""
    found = []
    for section, reg, runs_of in (("tables", registry.TABLES, select.table_runs),
                                  ("figures", registry.FIGURES, select.figure_runs)):
        for name in config.get(section) or {}:
            if name not in reg or not reg.get(name).selects:
                continue
            try:
                runs = runs_of(config, name)
            except ConfigError:
                continue
            found += [(reg.get(name).space, run) for run in runs if jobs.has_search(run)]
    return list(dict.fromkeys(found))


def check_profile(config: dict) -> None:
    """Raise ``ConfigError`` listing every invalid setting of the profile (one per line)."""
    problems = _problems(config)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def raw_inputs(config: dict, root: Path = Path(".")) -> tuple[list[str], list[str]]:
    """(missing, fetched): the raw files the profile needs that are absent, one line each naming
    the config key, the file and where it comes from; ``missing`` ones will not be downloaded
    (the user puts them there), ``fetched`` ones the prepare/benchmark jobs download."""
    missing, fetched = [], []
    for name in needed_datasets(config):
        spec = config["datasets"][name]
        loader = registry.DATASETS.get(spec["loader"])
        missing += [f"datasets.{name}: {line}" for line in loader.missing(spec)]
        fetched += [f"datasets.{name}: {line}" for line in loader.fetched(spec)]
    for bench, source in (config.get("benchmark") or {}).items():
        if not source or not resolve.uses_benchmark(config, bench) or (root / source["path"]).exists():
            continue
        if source.get("url"):
            fetched.append(f"benchmark.{bench}: {source['path']} from {source['url']}")
        else:
            missing.append(f"benchmark.{bench}: {source['path']} is missing and has no url; "
                           f"put the benchmark file there (see README, 'Profiles')")
    return missing, fetched


def raw_input_message(config: dict, root: Path = Path(".")) -> str | None:
    """The block printed before any job (dry runs included) when raw inputs are absent: every
    missing one (a real run then stops) and every one a job will download (which fails offline)."""
    missing, fetched = raw_inputs(config, root)
    if not missing and not fetched:
        return None
    lines = [f"raw inputs of profile {config['profile']!r} that are not on disk:"]
    if missing:
        lines += [f"  missing, not downloadable ({len(missing)}; a real run stops before any job "
                  "until each is where it says):", *(f"    {line}" for line in missing)]
    if fetched:
        lines += [f"  to be downloaded by their jobs ({len(fetched)}; offline these jobs fail: put "
                  "the files there first):", *(f"    {line}" for line in fetched)]
    return "\n".join(lines)


def require_raw_inputs(config: dict) -> None:
    """Stop a real run before any job when raw inputs are missing (the list was printed when the
    workflow was read: ``raw_input_message``)."""
    missing, _ = raw_inputs(config)
    if missing:
        raise ConfigError(f"{len(missing)} raw input(s) of profile {config['profile']!r} are "
                          "missing (listed above); nothing has run")
