"""A profile's settings resolved per run, space and target, and the job messages built from them.

One source of truth per setting: thesis values are dataclass defaults (methods, networks,
retraining); a profile YAML holds the experiment matrix and only the values it changes:
``method_overrides`` and ``spaces.<space>.method_overrides`` (applied last, to every run whose
method has the key: the default profile's tiny sizes), ``runs`` (extra named runs),
``spaces.<space>.{search,evaluate,retrain}`` (network and retraining overrides).
"""

from __future__ import annotations

import dataclasses
import json
import random

from nasrepro import jobs, registry
from nasrepro.experiments.runs import RunVariant
from nasrepro.layout import Layout
from nasrepro.params import ConfigError, build_config, released_fields
from nasrepro.experiments.specs import (SAMPLED_SPACES, SEARCH_TARGET, RandomSampling,
                                         RandomSearch,
                                        SelectionProtocol)
from nasrepro.profile.select import (figure_runs, hessian_runs, item_seeds, probed_runs,
                                     table_runs, table_targets)


def run_variant(config: dict, name: str) -> RunVariant:
    """The run ``name`` (a ``<run>-best`` pseudo-run resolves to ``<run>``'s settings)."""
    name = jobs.base_run(name)
    extra = (config.get("runs") or {}).get(name)
    if extra is not None:
        return RunVariant(name, extra["method"], dict(extra.get("params") or {}),
                          dict(extra.get("space_params") or {}),
                          fidelity=extra.get("fidelity", jobs.THESIS))
    if name not in registry.RUNS:
        known = sorted(set(registry.RUNS.names()) | set(config.get("runs") or {}))
        raise ConfigError(f"run {name!r} is not defined; known runs: {', '.join(known)} "
                          "(add it under `runs:` in the profile)")
    return registry.RUNS.get(name)


def space_overrides(config: dict, space: str, part: str) -> dict:
    return dict(((config.get("spaces") or {}).get(space) or {}).get(part) or {})


def released_overrides(config: dict, run: str, space: str) -> dict:
    """The released-code settings of ``run``'s method on ``space`` when the run has ``fidelity:
    released`` (``SearchMethod.released``), else none; a released run on a space where the
    method has no verified difference is refused (it would repeat the thesis run)."""
    variant = run_variant(config, run)
    if variant.fidelity != jobs.RELEASED:
        return {}
    options = registry.METHODS.get(variant.method).released.get(space)
    if not options:
        raise ConfigError(f"runs.{jobs.base_run(run)}.fidelity: method {variant.method!r} has no "
                          f"released-code difference on space {space!r} (docs/methods.md); use "
                          "fidelity: thesis there")
    return dict(options)


def method_params(config: dict, run: str, space: str) -> dict:
    """The resolved, validated hyperparameters of ``run`` on ``space``: the method's defaults
    (thesis values) <- the run's overrides on ``space`` <- its released-code settings (fidelity
    released) <- the profile's ``method_overrides``. The released-code options at their thesis
    default are left out (``params.released_fields``): a thesis run's message is unchanged."""
    variant = run_variant(config, run)
    cls = registry.METHODS.get(variant.method).Config
    fields = {f.name for f in dataclasses.fields(cls)}
    profile = {**(config.get("method_overrides") or {}),
               **space_overrides(config, space, "method_overrides")}
    profile = {k: v for k, v in profile.items() if k in fields}
    own = {**variant.overrides(space), **released_overrides(config, run, space)}
    build_config(cls, own, f"runs.{run}[{space}]")  # even where overridden
    cfg = dataclasses.asdict(build_config(cls, {**own, **profile}, f"runs.{run}[{space}]"))
    for name, default in released_fields(cls).items():
        if cfg[name] == default:
            del cfg[name]
    return cfg


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


def search_net(config: dict, space: str) -> dict:
    obj = registry.SPACES.get(space)()
    cfg = build_config(obj.search_net_config, space_overrides(config, space, "search"),
                       f"spaces.{space}.search")
    return dataclasses.asdict(cfg)


def eval_settings(config: dict, space: str, target: str, run: str | None = None) -> tuple[dict, dict]:
    """(evaluation-network config, retraining config) of ``space`` for ``target``: the space's
    network <- the run's own (``RunVariant.eval_params``: the thesis' per-row sizes, e.g. C = 52
    for RandomNAS-NSAS on ImageNet) <- the profile's ``spaces.<space>.evaluate`` (the default
    profile's tiny network applies to every row)."""
    obj = registry.SPACES.get(space)()
    own = {} if run is None or not has_variant(config, run) else \
        run_variant(config, run).eval_overrides(space, target)
    net = build_config(obj.eval_net_config(target),
                       {**own, **space_overrides(config, space, "evaluate")},
                       f"spaces.{space}.evaluate" + (f" (run {run})" if own else ""))
    train = build_config(obj.retrain_config(target), space_overrides(config, space, "retrain"),
                         f"spaces.{space}.retrain")
    return dataclasses.asdict(net), dataclasses.asdict(train)


def has_variant(config: dict, run: str) -> bool:
    """Whether ``run`` (or the run of a ``-best``/``-selected`` pseudo-run) is a named run."""
    return jobs.base_run(run) in registry.RUNS or jobs.base_run(run) in (config.get("runs") or {})


def uses_benchmark(config: dict, space: str) -> bool:
    """Whether ``space``'s architectures are evaluated by benchmark lookup (else retrained)."""
    return (config["evaluation"]["mode"] == "benchmark"
            and registry.benchmark_of(space) in registry.BENCHMARKS)


# ----------------------------------------------------------------------------- pseudo-runs
def probe_settings(config: dict, space: str) -> dict | None:
    """``spaces.<space>.probes``: {cells, seed, every, batches} of the forgetting and ranking
    analyses (chapters 2-3), or None when the profile tracks no probe cells on ``space``."""
    return ((config.get("spaces") or {}).get(space) or {}).get("probes")


def probe_cells(config: dict, space: str) -> list[str]:
    """The fixed probe cells of ``space``: ``cells`` distinct uniformly sampled cells drawn with
    ``seed`` (the same for every run and seed, so rankings compare)."""
    settings = probe_settings(config, space)
    if not settings:
        return []
    obj, rng, cells = registry.SPACES.get(space)(), random.Random(settings.get("seed", 0)), []
    while len(cells) < settings["cells"]:
        cell = obj.to_string(obj.sample(rng))
        if cell not in cells:
            cells.append(cell)
    return cells


def probe_runs(config: dict, space: str) -> list[str]:
    """Pseudo-runs ``probe-<i>`` whose "search" is the fixed probe cell i: evaluating them gives
    the ground truth of the ranking analyses (benchmark lookup or retraining, like any run)."""
    return [jobs.probe_run(i) for i in range(len(probe_cells(config, space)))]


def random_sampling(config: dict) -> RandomSampling:
    """The profile's ``random_sampling`` settings (``RandomSampling``; K = 8 by default)."""
    return build_config(RandomSampling, config.get("random_sampling"), "random_sampling")


def random_search(config: dict) -> RandomSearch:
    """The profile's ``random_search`` settings (``RandomSearch``; budget scale 1 by default)."""
    return build_config(RandomSearch, config.get("random_search"), "random_search")


def sampled_targets(config: dict, space: str) -> list[str]:
    """The targets the sampled cells of a ``SAMPLED_SPACES`` space are retrained on: every target
    of the profile's tables of ``space`` with the random-sampling row (``TableSpec.random_row``),
    in the order of the profile's ``evaluation.targets``; with ``random_sampling.targets:
    search`` only the space's search dataset among them (none: ``space`` has no sampled cells)."""
    if space not in SAMPLED_SPACES:
        return []
    wanted = {target for name in config.get("tables") or {}
              if (spec := registry.TABLES.get(name)).space == space and spec.random_row
              for target in table_targets(config, name)}
    if random_sampling(config).targets == SEARCH_TARGET:
        wanted &= {search_dataset(config, space)}
    return [t for t in config["evaluation"]["targets"] if t in wanted]


def sampled_runs(config: dict, space: str) -> list[str]:
    """Pseudo-runs ``sampled-<k>``, k < K (``random_sampling.cells``), of a space with
    ``sampled_targets``: their evaluations are the random-sampling row of its tables."""
    if not sampled_targets(config, space):
        return []
    return [jobs.sampled_run(k) for k in range(random_sampling(config).cells)]


def published_arch(space: str, run: str) -> str:
    """The architecture string of pseudo-run ``published-<name>`` on ``space``."""
    return registry.SPACES.get(space)().published_arch(jobs.published_name(run))


def selection_protocol(config: dict):
    """The profile's ``selected_cell`` settings (``SelectionProtocol``; thesis: 3 retrainings,
    100-epoch held-out retrainings)."""
    return build_config(SelectionProtocol, config.get("selected_cell"), "selected_cell")


def selection_pool(config: dict, space: str, run: str) -> list[int]:
    """The search seeds ``run``'s cell on ``space`` is selected over: the seeds of every table
    and cell figure of the profile that selects it (``TableSpec.selects``, ``FigureSpec.selects``);
    they must agree, since the selected cell is one pseudo-run (``<run>-selected``)."""
    pools: dict[tuple[int, ...], list[str]] = {}
    for section, reg, runs_of in (("tables", registry.TABLES, table_runs),
                                  ("figures", registry.FIGURES, figure_runs)):
        for name in config.get(section) or {}:
            spec = reg.get(name) if name in reg else None
            if spec is not None and spec.selects and spec.space == space \
                    and run in runs_of(config, name):
                pools.setdefault(tuple(item_seeds(config, section, name)), []).append(name)
    if not pools:
        raise ConfigError(f"run {run!r} on {space}: no table or cell figure of the profile selects "
                          "its cell")
    if len(pools) > 1:
        found = "; ".join(f"{', '.join(names)}: seeds {list(seeds)}" for seeds, names in pools.items())
        raise ConfigError(f"run {run!r} on {space}: its cell is selected over different search "
                          f"seeds ({found}); give these tables and figures the same `seeds`")
    return list(next(iter(pools)))


def selected_retrain_seeds(config: dict, space: str, run: str) -> list[int]:
    """The seeds of the selected cell's further retrainings (``jobs.selected_retrain_seeds``)."""
    return jobs.selected_retrain_seeds(selection_pool(config, space, run),
                                       selection_protocol(config).retrainings)


def selection_criterion(space: str) -> tuple[str, bool]:
    """(field, higher is better) of the held-out score a cell of ``space`` is selected by: its
    task's score on the held-out retraining's validation split (``valid_acc`` for a classifier;
    ``data.protocols.HELDOUT``)."""
    from nasrepro.train.retrain import SCORE_KEYS

    task = registry.SPACES.get(space)().task
    return f"valid_{SCORE_KEYS[task.metric]}", task.higher_is_better


NB101_STANDIN = "nb1shot1"  # the benchmark whose table a profile without its file replaces


def regret_table_standin(config: dict) -> bool:
    """Whether the NAS-Bench-1Shot1 figures read the stand-in table (``benchmark.nb1shot1`` not
    set: the cells the searches derived, retrained; ``spaces/nb1shot1/standin.py``)."""
    return not (config.get("benchmark") or {}).get(NB101_STANDIN)


def data_roles(config: dict) -> dict[str, str]:
    """Each dataset role of the profile (``cifar10``, ``ptb``, ...) and the loader playing it."""
    return {role: spec["loader"] for role, spec in config["datasets"].items()}


def standins(config: dict) -> dict[str, str]:
    """The roles played by a stand-in loader (``DatasetLoader.standin``; the default profile:
    ``{"cifar10": "digits", ...}``), for the provenance note and the tables' headers."""
    return {role: loader for role, loader in data_roles(config).items()
            if loader in registry.DATASETS and registry.DATASETS.get(loader).standin}


def standins_option(config: dict, space: str) -> str:
    """``standins`` as the table command's options (``--standins role=loader,...``; none: ""),
    with ``--scored-by <benchmark>`` where ``space``'s cells are looked up, not retrained (their
    values then come from the benchmark, their search from a stand-in where there is one; the
    data split each column states, ``report.splits``)."""
    roles = standins(config)
    option = (" --standins " + ",".join(f"{role}={loader}" for role, loader in roles.items())
              if roles else "")
    return option + (f" --scored-by {registry.benchmark_of(space)}"
                     if uses_benchmark(config, space) else "")


def protocols_option(table: str) -> str:
    """``--protocols target=protocol,...``: the retraining protocol (``data.protocols``,
    ``SearchSpace.retrain_protocol``) of each target ``table`` evaluates or ranks on, from which
    the table states each column's data split (``report.splits``); none: ""."""
    spec = registry.TABLES.get(table)
    space = registry.SPACES.get(spec.space)()
    targets = dict.fromkeys([*spec.targets(), *filter(None, [spec.probe_target])])
    if not targets:
        return ""
    return " --protocols " + ",".join(f"{t}={space.retrain_protocol(t)}" for t in targets)


# ----------------------------------------------------------------------------- job messages
def settings(config: dict) -> jobs.RunSettings:
    return jobs.RunSettings(config["profile"], config["device"], int(config["threads"]),
                            int(config["workers"]), bool(config.get("data_on_device", False)),
                            tuple(config.get("plugins") or ()),
                            config.get("max_batches_per_epoch"))


# Named inputs a method may declare (``SearchMethod.inputs``): the file each one is, per space.
METHOD_INPUTS = {"dvae": lambda layout, space: layout.dvae(space, "dvae.pt")}


def method_inputs(config: dict, space: str, run: str) -> dict[str, str]:
    """{name: path} of the named inputs the method of ``run`` declares (e.g. the trained D-VAE
    of the space for E²NAS), for the search rule and ``SearchContext.inputs``."""
    method = registry.METHODS.get(run_variant(config, run).method)
    unknown = [name for name in getattr(method, "inputs", ()) if name not in METHOD_INPUTS]
    if unknown:
        raise ConfigError(f"method {run_variant(config, run).method!r} declares unknown inputs "
                          f"{unknown}; known: {sorted(METHOD_INPUTS)}")
    return {name: METHOD_INPUTS[name](Layout(config["profile"]), space)
            for name in getattr(method, "inputs", ())}


def search_job(config: dict, space: str, dataset: dict, run: str, seed: int) -> jobs.SearchJob:
    probes = probe_cells(config, space) if run in probed_runs(config, space) else []
    hessian = (config["search"].get("hessian") or {}) if run in hessian_runs(config, space) else {}
    probing = probe_settings(config, space) or {}
    return jobs.SearchJob(space=space, dataset=dataset, run=run,
                          method=run_variant(config, run).method,
                          method_cfg=method_params(config, run, space),
                          space_cfg=search_net(config, space), seed=int(seed),
                          eval_batches=config["search"]["eval_batches"],
                          settings=settings(config), probes=tuple(probes),
                          probe_every=int(probing.get("every", 1)),
                          probe_batches=probing.get("batches"),
                          hessian_iters=int(hessian.get("iters", 0)),
                          hessian_batches=int(hessian.get("batches", 1)),
                          fidelity=run_variant(config, run).fidelity)


def eval_job(config: dict, space: str, search_dataset: str, run: str, seed: int, target: str,
             dataset: dict | None, benchmark_table: str | None) -> jobs.EvalJob:
    method = "probe" if jobs.is_probe_run(run) else "published" if jobs.is_published_run(run) \
        else "sampled" if jobs.is_sampled_run(run) else run_variant(config, run).method
    ident = (space, search_dataset, run, method, int(seed), target)
    if uses_benchmark(config, space):
        return jobs.EvalJob(*ident, "benchmark", settings(config), benchmark_table=benchmark_table)
    net, train = eval_settings(config, space, target, run)
    epochs = selection_protocol(config).epochs
    if jobs.is_heldout_run(run) and epochs is not None:  # the selection's short retraining
        train = {**train, "epochs": epochs}
    return jobs.EvalJob(*ident, "retrain", settings(config), dataset=dataset, net_cfg=net,
                        retrain=train)


def dvae_config(config: dict, space: str) -> dict:
    """The resolved, validated ``dvae.<space>`` settings (``DvaeConfig`` defaults: the thesis')."""
    from nasrepro.train.dvae import DvaeConfig

    registry.SPACES.get(space)
    return dataclasses.asdict(build_config(DvaeConfig, (config.get("dvae") or {}).get(space),
                                           f"dvae.{space}"))


def dvae_job(config: dict, space: str) -> jobs.DvaeJob:
    return jobs.DvaeJob(space, dvae_config(config, space), settings(config))


def standin_spec(config: dict, spaces: list[str]) -> str:
    """The job of the stand-in NAS-Bench-101 table: the search dataset, each space's evaluation
    network and retraining settings on it, seed 0 and the run settings (JSON)."""
    target = config["search_dataset"]
    nets = {space: eval_settings(config, space, target) for space in spaces}
    return json.dumps({"dataset": {"name": target, **config["datasets"][target]}, "spaces": nets,
                       "seed": 0, "settings": jobs.settings_dict(settings(config))}, sort_keys=True)
