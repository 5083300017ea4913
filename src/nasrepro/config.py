"""Profile resolution and validation, and the typed job specs the workflow passes to the CLI.

One source of truth per setting: thesis values are dataclass defaults (methods, networks,
retraining); a profile YAML holds the experiment matrix and only the values it changes:
``method_overrides`` and ``spaces.<space>.method_overrides`` (applied last, to every run whose
method has the key: the default profile's tiny sizes), ``runs`` (extra named runs),
``spaces.<space>.{search,evaluate,retrain}`` (network and retraining overrides).
``check_profile`` resolves every job of the profile and reports every invalid value (one line
each: key, value, allowed range) before any job runs.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

from nasrepro import plugins, registry
from nasrepro.params import ConfigError, build_config
from nasrepro.experiments.runs import RunVariant

plugins.load_all()


# ----------------------------------------------------------------------------- resolution
BEST_SUFFIX = "-best"  # pseudo-run <run>-best: the best cell over the epochs of <run>'s search


def base_run(name: str) -> str:
    """The run whose search a pseudo-run ``<run>-best`` reads (else ``name`` itself)."""
    return name[:-len(BEST_SUFFIX)] if name.endswith(BEST_SUFFIX) else name


def run_variant(config: dict, name: str) -> RunVariant:
    """The run ``name`` (a ``<run>-best`` pseudo-run resolves to ``<run>``'s settings)."""
    name = base_run(name)
    extra = (config.get("runs") or {}).get(name)
    if extra is not None:
        return RunVariant(name, extra["method"], dict(extra.get("params") or {}),
                          dict(extra.get("space_params") or {}))
    if name not in registry.RUNS:
        known = sorted(set(registry.RUNS.names()) | set(config.get("runs") or {}))
        raise ConfigError(f"run {name!r} is not defined; known runs: {', '.join(known)} "
                          "(add it under `runs:` in the profile)")
    return registry.RUNS.get(name)


def method_params(config: dict, run: str, space: str) -> dict:
    """The resolved, validated hyperparameters of ``run`` on ``space`` (see ``runs``)."""
    variant = run_variant(config, run)
    cls = registry.METHODS.get(variant.method).Config
    fields = {f.name for f in dataclasses.fields(cls)}
    profile = {**(config.get("method_overrides") or {}),
               **space_overrides(config, space, "method_overrides")}
    profile = {k: v for k, v in profile.items() if k in fields}
    build_config(cls, variant.overrides(space), f"runs.{run}[{space}]")  # even where overridden
    cfg = build_config(cls, {**variant.overrides(space), **profile}, f"runs.{run}[{space}]")
    return dataclasses.asdict(cfg)


def require_supported(config: dict, space: str, run: str) -> None:
    """Raise ``ConfigError`` unless ``run``'s method is defined on ``space``
    (``SearchMethod.supports``: e.g. NAO needs one operation per edge, not NAS-Bench-1Shot1)."""
    method = run_variant(config, run).method
    if not registry.METHODS.get(method).supports(registry.SPACES.get(space)()):
        raise ConfigError(f"run {run!r}: method {method!r} is not defined on space {space!r} (it "
                          "needs a part of the space contract this space lacks, see the method's "
                          "`supports`); remove the run from that space's tables and figures")


def search_dataset(config: dict, space: str) -> str:
    """The dataset ``space`` is searched on: ``spaces.<space>.search_dataset`` (e.g. PTB for the
    DARTS recurrent space), else the profile's ``search_dataset``."""
    return ((config.get("spaces") or {}).get(space) or {}).get("search_dataset") \
        or config["search_dataset"]


def space_overrides(config: dict, space: str, part: str) -> dict:
    return dict(((config.get("spaces") or {}).get(space) or {}).get(part) or {})


def search_net(config: dict, space: str) -> dict:
    obj = registry.SPACES.get(space)()
    cfg = build_config(obj.search_net_config, space_overrides(config, space, "search"),
                       f"spaces.{space}.search")
    return dataclasses.asdict(cfg)


def eval_settings(config: dict, space: str, target: str) -> tuple[dict, dict]:
    """(evaluation-network config, retraining config) of ``space`` for ``target``."""
    obj = registry.SPACES.get(space)()
    net = build_config(obj.eval_net_config(target), space_overrides(config, space, "evaluate"),
                       f"spaces.{space}.evaluate")
    train = build_config(obj.retrain_config(target), space_overrides(config, space, "retrain"),
                         f"spaces.{space}.retrain")
    return dataclasses.asdict(net), dataclasses.asdict(train)


def item_seeds(config: dict, section: str, name: str) -> list[int]:
    """Seeds of one table/figure: its own ``seeds`` if the profile sets them, else ``seeds``."""
    entry = (config.get(section) or {}).get(name) or {}
    return [int(s) for s in entry.get("seeds", config["seeds"])]


# ----------------------------------------------------------------------------- probe cells
PROBE_PREFIX = "probe-"


def probe_settings(config: dict, space: str) -> dict | None:
    """``spaces.<space>.probes``: {cells, seed, every, batches} of the forgetting and ranking analyses
    (chapters 2-3), or None when the profile tracks no probe cells on ``space``."""
    return ((config.get("spaces") or {}).get(space) or {}).get("probes")


def probe_cells(config: dict, space: str) -> list[str]:
    """The fixed probe cells of ``space``: ``cells`` distinct uniformly sampled cells drawn with
    ``seed`` (the same for every run and seed, so rankings compare)."""
    import random

    settings = probe_settings(config, space)
    if not settings:
        return []
    obj, rng, cells = registry.SPACES.get(space)(), random.Random(settings.get("seed", 0)), []
    while len(cells) < settings["cells"]:
        cell = obj.to_string(obj.sample(rng))
        if cell not in cells:
            cells.append(cell)
    return cells


def probed_runs(config: dict, space: str) -> set[str]:
    """The runs whose searches score the probe cells: those of the profile's tables with ranking
    columns and of its analysis figures on ``space`` (other searches skip the probing cost)."""
    runs: set[str] = set()
    for name in config.get("tables") or {}:
        spec = registry.TABLES.get(name) if name in registry.TABLES else None
        if spec is not None and spec.space == space and spec.probe_target is not None:
            runs |= set(table_runs(config, name))
    for name in config.get("figures") or {}:
        spec = registry.FIGURES.get(name) if name in registry.FIGURES else None
        if spec is not None and spec.space == space and spec.needs_probes:
            runs |= set(figure_runs(config, name))
    return runs


def hessian_runs(config: dict, space: str) -> set[str]:
    """The runs whose searches track the Hessian's dominant eigenvalue (``search.hessian``):
    those of the profile's figures on ``space`` that plot ``hessian_eig`` (Fig. 5.6)."""
    runs: set[str] = set()
    for name in config.get("figures") or {}:
        spec = registry.FIGURES.get(name) if name in registry.FIGURES else None
        if spec is not None and spec.space == space and "hessian_eig" in spec.keys:
            runs |= set(figure_runs(config, name))
    return runs


def figure_runs(config: dict, figure: str) -> list[str]:
    """The runs a figure plots; a profile may restrict them (``figures.<id>.runs``)."""
    spec = registry.FIGURES.get(figure)
    chosen = ((config.get("figures") or {}).get(figure) or {}).get("runs")
    if chosen is None:
        return list(spec.runs)
    unknown = sorted(set(chosen) - set(spec.runs))
    if unknown:
        raise ConfigError(f"figures.{figure}.runs: {unknown} are not plotted by {figure}; its "
                          f"runs: {list(spec.runs)}")
    return list(chosen)


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


NB101_STANDIN = "nb1shot1"  # the benchmark whose table a profile without its file replaces


def regret_table_standin(config: dict) -> bool:
    """Whether the NAS-Bench-1Shot1 figures read the stand-in table (``benchmark.nb1shot1`` not
    set: the cells the searches derived, retrained; ``spaces/nb1shot1/standin.py``)."""
    return not (config.get("benchmark") or {}).get(NB101_STANDIN)


def standin_spec(config: dict, spaces: list[str]) -> str:
    """The job of the stand-in NAS-Bench-101 table: the search dataset, each space's evaluation
    network and retraining settings on it, seed 0 and the run settings (JSON)."""
    target = config["search_dataset"]
    nets = {space: eval_settings(config, space, target) for space in spaces}
    return json.dumps({"dataset": {"name": target, **config["datasets"][target]}, "spaces": nets,
                       "seed": 0, "settings": dataclasses.asdict(settings(config))}, sort_keys=True)


def figure_seeds(config: dict, figure: str) -> list[int]:
    """The seeds whose searches a figure reads: its ``item_seeds``, of which a cell figure
    (Figs. 2.1, 3.3) draws the cells found with the first."""
    seeds = item_seeds(config, "figures", figure)
    return seeds[:1] if registry.FIGURES.get(figure).first_seed_only else seeds


def figure_curve_target(config: dict, figure: str) -> str | None:
    """The first of the figure's ``curve_targets`` the profile evaluates (None: no curve panel)."""
    spec = registry.FIGURES.get(figure)
    return next((t for t in spec.curve_targets if t in config["evaluation"]["targets"]), None)


def probe_runs(config: dict, space: str) -> list[str]:
    """Pseudo-runs ``probe-<i>`` whose "search" is the fixed probe cell i: evaluating them gives
    the ground truth of the ranking analyses (benchmark lookup or retraining, like any run)."""
    return [f"{PROBE_PREFIX}{i}" for i in range(len(probe_cells(config, space)))]


def is_probe_run(run: str) -> bool:
    return run.startswith(PROBE_PREFIX)


PUBLISHED_PREFIX = "published-"


def is_published_run(run: str) -> bool:
    """Pseudo-run ``published-<name>``: the space's literature cell ``name`` (``published``),
    evaluated like a found cell (e.g. Table 2.2's "DARTS (2nd)*"); it has no search."""
    return run.startswith(PUBLISHED_PREFIX)


def published_arch(space: str, run: str) -> str:
    """The architecture string of pseudo-run ``published-<name>`` on ``space``."""
    obj, name = registry.SPACES.get(space)(), run[len(PUBLISHED_PREFIX):]
    if name not in obj.published:
        raise ConfigError(f"run {run!r}: space {space!r} has no published cell {name!r}; its "
                          f"published cells: {sorted(obj.published) or 'none'}")
    return obj.to_string(obj.published[name])


def has_search(run: str) -> bool:
    """Whether ``run`` is searched (probe and published pseudo-runs only write a genotype)."""
    return not (is_probe_run(run) or is_published_run(run))


def table_runs(config: dict, table: str) -> list[str]:
    """The runs that fill the table's rows; a profile may restrict them (``tables.<id>.runs``)."""
    spec = registry.TABLES.get(table)
    chosen = ((config.get("tables") or {}).get(table) or {}).get("runs")
    if chosen is None:
        return spec.runs()
    unknown = sorted(set(chosen) - set(spec.runs()))
    if unknown:
        raise ConfigError(f"tables.{table}.runs: {unknown} fill no row of {table}; its rows' "
                          f"runs: {spec.runs()}")
    return list(chosen)


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


# ----------------------------------------------------------------------------- validation
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


def _problems(config: dict) -> list[str]:
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except (ConfigError, registry.UnknownNameError) as error:
            problems.append(str(error))
            return None

    for section, reg in (("tables", registry.TABLES), ("figures", registry.FIGURES)):
        for name in config.get(section) or {}:
            if attempt(reg.get, name) is not None and section == "tables":
                attempt(table_runs, config, name)
                attempt(table_targets, config, name)
            elif name in reg and section == "figures":
                attempt(figure_runs, config, name)
                attempt(figure_spaces, config, name)
    for name, spec in (config.get("datasets") or {}).items():
        if attempt(registry.DATASETS.get, spec["loader"]) is None:
            problems[-1] = f"datasets.{name}.loader: {problems[-1]}"
    known_keys = {f.name for m in registry.METHODS.names()
                  for f in dataclasses.fields(registry.METHODS.get(m).Config)}
    overrides = [("method_overrides", config.get("method_overrides") or {})]
    overrides += [(f"spaces.{space}.method_overrides", space_overrides(config, space, "method_overrides"))
                  for space in config.get("spaces") or {}]
    for where, block in overrides:
        for key in sorted(set(block) - known_keys):
            problems.append(f"{where}.{key}: no registered method has this hyperparameter; "
                            f"known: {', '.join(sorted(known_keys))}")
    for run, variant in (config.get("runs") or {}).items():
        if not has_search(run):
            problems.append(f"runs.{run}: names starting with {PROBE_PREFIX!r} or "
                            f"{PUBLISHED_PREFIX!r} are reserved for the probe cells and the "
                            "published cells; rename the run")
        if attempt(registry.METHODS.get, variant["method"]) is None:
            problems[-1] = f"runs.{run}.method: {problems[-1]}"
    for section, reg in (("spaces", registry.SPACES), ("benchmark", registry.BENCHMARKS)):
        for name in config.get(section) or {}:
            if attempt(reg.get, name) is None:
                problems[-1] = f"{section}.{name}: {problems[-1]}"
    for space, runs in jobs(config).items():
        if attempt(registry.SPACES.get, space) is None:
            continue
        attempt(search_net, config, space)
        for target in config["evaluation"]["targets"]:
            attempt(eval_settings, config, space, target)
        for run in dict.fromkeys([*runs, *(config.get("runs") or {})]):  # profile runs too
            attempt(published_arch if is_published_run(run) else
                    lambda space, run: method_params(config, run, space), space, run)
            if not is_published_run(run):
                attempt(method_inputs, config, space, run)
            if run in runs and has_search(run):
                attempt(require_supported, config, space, run)
        bench = registry.benchmark_of(space)
        if uses_benchmark(config, space) and not (config.get("benchmark") or {}).get(bench):
            problems.append(f"evaluation.mode = 'benchmark' needs benchmark.{bench} (path/url/"
                            f"sha256 of the benchmark file); set it, or use mode 'retrain'")
    for space in config.get("dvae") or {}:
        attempt(dvae_config, config, space)
    for name in needed_datasets(config):
        if name not in (config.get("datasets") or {}):
            problems.append(f"dataset {name!r} is needed (search dataset or a retrained "
                            f"evaluation target) but has no entry under `datasets:`; configured: "
                            f"{sorted(config.get('datasets') or {})}")
    return list(dict.fromkeys(problems))


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


def check_profile(config: dict) -> None:
    """Raise ``ConfigError`` listing every invalid setting of the profile (one per line)."""
    problems = _problems(config)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def jobs(config: dict) -> dict[str, list[str]]:
    """{space: [runs]} over every table and figure of the profile."""
    out: dict[str, list[str]] = {}
    for name in config.get("tables") or {}:
        if name in registry.TABLES:
            spec = registry.TABLES.get(name)
            try:
                out.setdefault(spec.space, []).extend(table_runs(config, name))
            except ConfigError:
                continue  # reported by _problems
    for name in config.get("figures") or {}:
        if name in registry.FIGURES:
            try:
                for space in figure_spaces(config, name):
                    out.setdefault(space, []).extend(figure_runs(config, name))
            except ConfigError:
                continue  # reported by _problems
    return {space: list(dict.fromkeys(runs)) for space, runs in out.items()}


# ----------------------------------------------------------------------------- job specs
@dataclass(frozen=True)
class RunSettings:
    profile: str
    device: str
    threads: int
    workers: int
    data_on_device: bool = False  # batches built on the device (nasrepro.data.images)


@dataclass(frozen=True)
class SearchJob:
    """Everything one search job needs, resolved (what Snakemake compares for reruns)."""

    space: str
    dataset: dict
    run: str
    method: str
    method_cfg: dict
    space_cfg: dict
    seed: int
    eval_batches: int | None
    settings: RunSettings
    probes: tuple[str, ...] = ()
    probe_every: int = 1
    probe_batches: int | None = None
    hessian_iters: int = 0
    hessian_batches: int = 1

    @classmethod
    def from_json(cls, text: str) -> "SearchJob":
        data = json.loads(text)
        return cls(**{**data, "settings": RunSettings(**data["settings"]),
                      "probes": tuple(data.get("probes", ()))})


@dataclass(frozen=True)
class EvalJob:
    space: str
    search_dataset: str
    run: str
    method: str
    seed: int
    target: str
    mode: str
    settings: RunSettings
    dataset: dict | None = None
    net_cfg: dict | None = None
    retrain: dict | None = None
    benchmark_table: str | None = None

    @classmethod
    def from_json(cls, text: str) -> "EvalJob":
        data = json.loads(text)
        return cls(**{**data, "settings": RunSettings(**data["settings"])})


@dataclass(frozen=True)
class DvaeJob:
    """One D-VAE training job (rule ``train_dvae``): the space and its resolved ``DvaeConfig``."""

    space: str
    cfg: dict
    settings: RunSettings

    @classmethod
    def from_json(cls, text: str) -> "DvaeJob":
        data = json.loads(text)
        return cls(**{**data, "settings": RunSettings(**data["settings"])})


def dvae_config(config: dict, space: str) -> dict:
    """The resolved, validated ``dvae.<space>`` settings (``DvaeConfig`` defaults: the thesis')."""
    from nasrepro.train.dvae import DvaeConfig

    registry.SPACES.get(space)
    return dataclasses.asdict(build_config(DvaeConfig, (config.get("dvae") or {}).get(space),
                                           f"dvae.{space}"))


def dvae_job(config: dict, space: str) -> DvaeJob:
    return DvaeJob(space, dvae_config(config, space), settings(config))


# Named inputs a method may declare (``SearchMethod.inputs``): the file each one is.
METHOD_INPUTS = {"dvae": "results/{profile}/dvae/{space}/dvae.pt"}


def method_inputs(config: dict, space: str, run: str) -> dict[str, str]:
    """{name: path} of the named inputs the method of ``run`` declares (e.g. the trained D-VAE
    of the space for E²NAS), for the search rule and ``SearchContext.inputs``."""
    method = registry.METHODS.get(run_variant(config, run).method)
    unknown = [name for name in getattr(method, "inputs", ()) if name not in METHOD_INPUTS]
    if unknown:
        raise ConfigError(f"method {run_variant(config, run).method!r} declares unknown inputs "
                          f"{unknown}; known: {sorted(METHOD_INPUTS)}")
    return {name: METHOD_INPUTS[name].format(profile=config["profile"], space=space)
            for name in getattr(method, "inputs", ())}


def to_json(job) -> str:
    return json.dumps(dataclasses.asdict(job), sort_keys=True)


def settings(config: dict) -> RunSettings:
    return RunSettings(config["profile"], config["device"], int(config["threads"]),
                       int(config["workers"]), bool(config.get("data_on_device", False)))


def search_job(config: dict, space: str, dataset: dict, run: str, seed: int) -> SearchJob:
    probes = probe_cells(config, space) if run in probed_runs(config, space) else []
    hessian = (config["search"].get("hessian") or {}) if run in hessian_runs(config, space) else {}
    return SearchJob(space=space, dataset=dataset, run=run,
                     method=run_variant(config, run).method,
                     method_cfg=method_params(config, run, space),
                     space_cfg=search_net(config, space), seed=int(seed),
                     eval_batches=config["search"]["eval_batches"], settings=settings(config),
                     probes=tuple(probes),
                     probe_every=int((probe_settings(config, space) or {}).get("every", 1)),
                     probe_batches=(probe_settings(config, space) or {}).get("batches"),
                     hessian_iters=int(hessian.get("iters", 0)),
                     hessian_batches=int(hessian.get("batches", 1)))


def eval_job(config: dict, space: str, search_dataset: str, run: str, seed: int, target: str,
             dataset: dict | None, benchmark_table: str | None) -> EvalJob:
    method = "probe" if is_probe_run(run) else "published" if is_published_run(run) \
        else run_variant(config, run).method
    ident = (space, search_dataset, run, method, int(seed), target)
    if uses_benchmark(config, space):
        return EvalJob(*ident, "benchmark", settings(config), benchmark_table=benchmark_table)
    net, train = eval_settings(config, space, target)
    return EvalJob(*ident, "retrain", settings(config), dataset=dataset, net_cfg=net, retrain=train)


def uses_benchmark(config: dict, space: str) -> bool:
    """Whether ``space``'s architectures are evaluated by benchmark lookup (else retrained)."""
    return (config["evaluation"]["mode"] == "benchmark"
            and registry.benchmark_of(space) in registry.BENCHMARKS)


def needed_datasets(config: dict) -> list[str]:
    """The search datasets and every evaluation target some table retrains on."""
    needed = [config["search_dataset"]] + [search_dataset(config, space) for space in jobs(config)]
    for table in config.get("tables") or {}:
        if table in registry.TABLES and not uses_benchmark(config, registry.TABLES.get(table).space):
            needed += table_targets(config, table)
    return list(dict.fromkeys(needed))


def raw_input_problems(config: dict, root: Path = Path(".")) -> list[str]:
    """Raw files the profile needs that are absent and will not be downloaded (one line each:
    the file and where to put it). Checked before the DAG starts."""
    problems = []
    for name in needed_datasets(config):
        spec = config["datasets"][name]
        for line in registry.DATASETS.get(spec["loader"]).missing(spec):
            problems.append(f"datasets.{name}: {line}")
    for space, source in (config.get("benchmark") or {}).items():
        if uses_benchmark(config, space) and source and not source.get("url") \
                and not (root / source["path"]).exists():
            problems.append(f"benchmark.{space}: {source['path']} is missing and has no url; "
                            f"put the benchmark file there (see README, 'Profiles')")
    return problems


def require_raw_inputs(config: dict) -> None:
    """Stop before any job starts when raw inputs are missing, listing all of them."""
    problems = raw_input_problems(config)
    if problems:
        raise ConfigError("missing raw inputs for profile "
                          f"{config['profile']!r}:\n  " + "\n  ".join(problems))
