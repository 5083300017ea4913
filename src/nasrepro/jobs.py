"""The job messages the workflow sends to its workers, and the naming of pseudo-runs.

Every search, evaluation and D-VAE job gets its fully resolved spec as one JSON ``--spec``
argument (built on the Snakefile side by ``nasrepro.profile.resolve``); Snakemake compares these
params to decide reruns. This is the only configuration module workers and report jobs import:
it imports no registry, no plugin and no torch.

Pseudo-runs are names that fill a table row or a figure like a run, but have no search of their
own: ``probe-<i>`` (the fixed probe cell i of the ranking analyses), ``published-<name>`` (a
literature cell of the space), ``<run>-best`` (the best cell over the epochs of ``<run>``'s
search, Table 4.2 "Best"), ``<run>-heldout`` (seed s: the held-out retraining of the cell of
``<run>``'s search s, the score the selection reads: ``data.protocols.HELDOUT``) and
``<run>-selected`` (the cell selected over ``<run>``'s searches by those scores, the thesis'
protocol for a DARTS-space row; its seed folders hold that cell's further retrainings,
``experiments.specs.SELECTION_SPACES``) and ``<run>-random-search`` (seed s: the random search by
lookup whose budget is the measured time of ``<run>``'s search s, ``analysis.random_search``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

PROBE_PREFIX = "probe-"
PUBLISHED_PREFIX = "published-"
SAMPLED_PREFIX = "sampled-"
BEST_SUFFIX = "-best"
SELECTED_SUFFIX = "-selected"
HELDOUT_SUFFIX = "-heldout"
RANDOM_SEARCH_SUFFIX = "-random-search"
HELDOUT_PROTOCOL = "heldout"  # the retraining protocol of a <run>-heldout job (data.protocols)
PSEUDO_SUFFIXES = (BEST_SUFFIX, SELECTED_SUFFIX, HELDOUT_SUFFIX, RANDOM_SEARCH_SUFFIX)
# A run's fidelity (issue #25): the thesis' equations (the default) or the author's released code
# where it computes something else (the methods' ``released`` options, docs/methods.md)
THESIS, RELEASED = "thesis", "released"
FIDELITIES = (THESIS, RELEASED)


def probe_run(index: int) -> str:
    """The pseudo-run of probe cell ``index``."""
    return f"{PROBE_PREFIX}{index}"


def is_probe_run(run: str) -> bool:
    return run.startswith(PROBE_PREFIX)


def sampled_run(index: int) -> str:
    """The pseudo-run of the ``index``-th uniformly sampled cell (random-sampling row)."""
    return f"{SAMPLED_PREFIX}{index}"


def is_sampled_run(run: str) -> bool:
    return run.startswith(SAMPLED_PREFIX)


def is_published_run(run: str) -> bool:
    """Pseudo-run ``published-<name>``: the space's literature cell ``name`` (``published``),
    evaluated like a found cell (e.g. Table 2.2's "DARTS (2nd)*"); it has no search."""
    return run.startswith(PUBLISHED_PREFIX)


def published_name(run: str) -> str:
    """The literature cell a ``published-<name>`` pseudo-run names."""
    return run[len(PUBLISHED_PREFIX):]


def base_run(name: str) -> str:
    """The run whose searches a pseudo-run ``<run>-best``, ``<run>-selected`` or ``<run>-heldout``
    reads (else ``name`` itself)."""
    for suffix in PSEUDO_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def selected_run(run: str) -> str:
    """The pseudo-run of the cell selected over ``run``'s searches."""
    return f"{run}{SELECTED_SUFFIX}"


def is_selected_run(run: str) -> bool:
    return run.endswith(SELECTED_SUFFIX)


def heldout_run(run: str) -> str:
    """The pseudo-run of the held-out retrainings of ``run``'s cells (one per search seed)."""
    return f"{run}{HELDOUT_SUFFIX}"


def is_heldout_run(run: str) -> bool:
    return run.endswith(HELDOUT_SUFFIX)


def random_search_run(run: str) -> str:
    """The pseudo-run of the random searches matched to ``run``'s search times (issue #29)."""
    return f"{run}{RANDOM_SEARCH_SUFFIX}"


def is_random_search_run(run: str) -> bool:
    return run.endswith(RANDOM_SEARCH_SUFFIX)


def has_search(run: str) -> bool:
    """Whether ``run`` is searched (probe, published and sampled pseudo-runs only write a
    genotype; a selected, held-out or random-search pseudo-run reads its run's searches)."""
    return not (is_probe_run(run) or is_published_run(run) or is_sampled_run(run)
                or is_selected_run(run) or is_heldout_run(run) or is_random_search_run(run))


def selected_retrain_seeds(pool: list[int], retrainings: int) -> list[int]:
    """The seeds of the selected cell's further retrainings: the ``retrainings - 1`` smallest
    seeds >= 0 outside the search seeds ``pool`` (the retraining of its search's cell, with its
    search's seed, is the first of the ``retrainings``; so every seed is distinct)."""
    seeds, seed = [], 0
    while len(seeds) < retrainings - 1:
        if seed not in pool:
            seeds.append(seed)
        seed += 1
    return seeds


@dataclass(frozen=True)
class RunSettings:
    profile: str
    device: str
    threads: int
    workers: int
    data_on_device: bool = False  # batches built on the device (nasrepro.data.images)
    plugins: tuple[str, ...] = ()  # the profile's own plugin files/modules (``plugins.load_user``)
    # the budget knob (config key of the same name; the rehearsal): every search, retraining and
    # scoring pass stops after this many batches; None (the default and thesis profiles): all
    max_batches_per_epoch: int | None = None


def _from_json(cls, text: str):
    data = json.loads(text)
    settings = data["settings"]
    return cls(**{**data, "settings": RunSettings(**{**settings,
                                                     "plugins": tuple(settings.get("plugins", ()))})})


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
    fidelity: str = THESIS  # left out of the message when THESIS (``to_json``)

    @classmethod
    def from_json(cls, text: str) -> "SearchJob":
        job = _from_json(cls, text)
        return dataclasses.replace(job, probes=tuple(job.probes))


@dataclass(frozen=True)
class EvalJob:
    """One evaluation: benchmark lookup (``benchmark_table``) or retraining (``dataset``,
    ``net_cfg``, ``retrain``) of the cell a run found."""

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
        return _from_json(cls, text)


@dataclass(frozen=True)
class DvaeJob:
    """One D-VAE training job (rule ``train_dvae``): the space and its resolved ``DvaeConfig``."""

    space: str
    cfg: dict
    settings: RunSettings

    @classmethod
    def from_json(cls, text: str) -> "DvaeJob":
        return _from_json(cls, text)


def settings_dict(settings: RunSettings) -> dict:
    """``settings`` as JSON data, the unset (None) knobs left out: a profile without the budget
    knob sends the same message as before it existed (no Snakemake "Params have changed" rerun,
    the same checkpoint fingerprint)."""
    return {k: v for k, v in dataclasses.asdict(settings).items() if v is not None}


def to_json(job) -> str:
    """The message of ``job``; a thesis-fidelity search leaves ``fidelity`` out, so its message
    (and its run.json) is what it was before the setting existed."""
    data = dataclasses.asdict(job)
    if "settings" in data:
        data["settings"] = settings_dict(job.settings)
    if data.get("fidelity") == THESIS:
        del data["fidelity"]
    return json.dumps(data, sort_keys=True)
