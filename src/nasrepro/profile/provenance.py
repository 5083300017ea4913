"""Where each hyperparameter of a table's rows comes from (issue #29 item 4, the evaluation card):
for every key of a run's search (the method's config and the supernet's) and of its evaluations
(the evaluation network and the retraining), the source of the value the resolved profile gives
it, in the order ``resolve`` applies them:

- ``profile: <key path>``: the profile sets it (``method_overrides``,
  ``spaces.<space>.{method_overrides,search,evaluate,retrain}``), e.g. the default profile's
  tiny sizes;
- ``author's released code: <source>``: a released-code option of a ``fidelity: released`` run
  (``params.released``, issue #25);
- ``thesis: <citation>`` / ``reference code: <citation>``: the value the thesis text, or else
  the reference code the thesis follows, states for that setting (``experiments.protocols``:
  the facts behind ``python -m nasrepro protocols`` and docs/protocols.md, one source);
- ``run <name>: its settings in experiments/`` or ``space protocol <space>``: the run's own
  overrides (``RunVariant.overrides``, ``eval_overrides``; cited beside them in
  ``experiments/runs.py`` and the chapters);
- ``code default``: the config dataclass' default (the thesis value by the project's convention,
  with no citation recorded for this setting).

Driver side (it reads the resolved profile and the registries); the card job
(``report.card``) gets the result and pairs it with the values its records hold.
"""

from __future__ import annotations

import dataclasses

from nasrepro import jobs, registry
from nasrepro.experiments.protocols import PROTOCOLS
from nasrepro.experiments.runs import SPACE_PROTOCOLS
from nasrepro.profile import resolve, select
from nasrepro.profile.protocols import same
from nasrepro.report.card import NET, RETRAIN, SUPERNET  # the keys as the card flattens them

CODE_DEFAULT = "code default"


def _settings(kind: str, space: str, field: str, target: str | None = None) -> list:
    """The protocol settings (``experiments.protocols``) read from ``kind`` on ``space`` for
    ``field`` (and ``target``), with the run they name for a method setting (else None)."""
    found = []
    for protocol in PROTOCOLS:
        for setting in protocol.settings:
            where = setting.where
            if where[0] != kind:
                continue
            if kind == "method" and where[2:] == (space, field):
                found.append((where[1], setting))
            elif kind == "search_net" and where[1:] == (space, field):
                found.append((None, setting))
            elif kind in ("eval_net", "retrain") and where[1:] == (space, target, field):
                found.append((None, setting))
    return found


def _cited(value, candidates: list) -> str | None:
    """``thesis: ...`` or ``reference code: ...`` of the first setting whose thesis (else
    reference) value is ``value``; None when none states it."""
    for _, setting in candidates:
        if setting.thesis is not None and same(value, setting.thesis):
            return f"thesis: {setting.thesis_at}"
    for _, setting in candidates:
        if setting.reference is not None and same(value, setting.reference):
            return f"reference code: {setting.reference_at}"
    return None


def _method_setting(config: dict, run: str, space: str, field: str) -> list:
    """The method settings for ``field`` on ``space``: ``run``'s own first, then those of other
    runs of the same method (the protocol names one run, e.g. darts-1st's weight optimiser on
    NAS-Bench-201, whose values the method's other runs share)."""
    method = resolve.run_variant(config, run).method
    found = _settings("method", space, field)
    own = [item for item in found if item[0] == jobs.base_run(run)]
    same_method = [item for item in found if item[0] != jobs.base_run(run)
                   and item[0] in registry.RUNS and registry.RUNS.get(item[0]).method == method]
    return own + same_method


def search_sources(config: dict, space: str, run: str) -> dict[str, str]:
    """{key: source} of every hyperparameter of ``run``'s search on ``space``: the method's
    config keys as they are, the supernet's as ``supernet.<key>``."""
    variant = resolve.run_variant(config, run)
    cfg = resolve.method_params(config, run, space)
    profile = {**{k: f"profile: method_overrides.{k}"
                  for k in config.get("method_overrides") or {}},
               **{k: f"profile: spaces.{space}.method_overrides.{k}"
                  for k in resolve.space_overrides(config, space, "method_overrides")}}
    method_cls = registry.METHODS.get(variant.method).Config
    released = {f.name: f"author's released code: {f.metadata['released']}"
                for f in dataclasses.fields(method_cls) if "released" in f.metadata}
    released = {k: v for k, v in released.items()
                if k in resolve.released_overrides(config, run, space)}
    own = {k: f"run {variant.name}: its settings in experiments/" for k in
           {**variant.params, **variant.space_params.get(space, {})}}
    protocol = {k: f"space protocol {space}: experiments/runs.py SPACE_PROTOCOLS"
                for k in SPACE_PROTOCOLS.get(space, {})}
    out = {}
    for key, value in cfg.items():
        out[key] = (profile.get(key) or released.get(key)
                    or _cited(value, _method_setting(config, run, space, key))
                    or own.get(key) or protocol.get(key) or CODE_DEFAULT)
    supernet = resolve.space_overrides(config, space, "search")
    for key, value in resolve.search_net(config, space).items():
        out[f"{SUPERNET}.{key}"] = (
            f"profile: spaces.{space}.search.{key}" if key in supernet
            else _cited(value, _settings("search_net", space, key)) or CODE_DEFAULT)
    return out


def eval_sources(config: dict, space: str, run: str, target: str) -> dict[str, str]:
    """{``net.<key>`` / ``retrain.<key>``: source} of an evaluation of ``run``'s cell on
    ``target`` by retraining; empty where the space's cells are looked up in a benchmark."""
    if resolve.uses_benchmark(config, space):
        return {}
    net, train = resolve.eval_settings(config, space, target, run)
    own = (resolve.run_variant(config, run).eval_overrides(space, target)
           if resolve.has_variant(config, run) else {})
    out = {}
    for prefix, values, part, kind in ((NET, net, "evaluate", "eval_net"),
                                       (RETRAIN, train, "retrain", "retrain")):
        profile = resolve.space_overrides(config, space, part)
        for key, value in values.items():
            if key in profile:
                source = f"profile: spaces.{space}.{part}.{key}"
            elif prefix == NET and key in own:
                source = (_cited(value, _settings(kind, space, key, target))
                          or f"run {jobs.base_run(run)}: its eval_params in experiments/")
            else:
                source = _cited(value, _settings(kind, space, key, target)) or CODE_DEFAULT
            out[f"{prefix}.{key}"] = source
    return out


def table_sources(config: dict, table: str) -> dict:
    """The sources of every row of ``table`` (its runs in the profile): ``{"search": {run:
    {key: source}}, "evaluate": {run: {target: {key: source}}}}`` (a run without a search, e.g.
    a published cell, has no search entry)."""
    spec = registry.TABLES.get(table)
    runs = select.table_runs(config, table)
    targets = select.table_targets(config, table)
    return {
        "search": {run: search_sources(config, spec.space, run)
                   for run in runs if jobs.has_search(run)},
        "evaluate": {run: {t: eval_sources(config, spec.space, run, t) for t in targets}
                     for run in runs},
    }
