"""Every path of a profile, built and parsed in one place.

A profile's files live in two namespaces, so profiles never overwrite each other::

    data/raw/rehearsal/<dataset>/..., fixtures.yaml          rehearsal fixtures (every profile)
    data/prepared/<profile>/<dataset>.json                   prepared-data records
    data/prepared/<profile>/benchmarks/<name>.parquet         benchmark tables
    results/<profile>/runs/<space>/<dataset>/<run>/seed<n>/search/<file>
    results/<profile>/runs/<space>/<dataset>/<run>/seed<n>/eval/<target>/<file>
    results/<profile>/{tables,figures,report}/<name>.<ext>
    results/<profile>/dvae/<space>/<file>
    results/<profile>/logs/<family>/.../<job>.log             one log per job
    results/<profile>/benchmarks/<family>/.../<job>.tsv       Snakemake ``benchmark:`` files

The workflow builds its rule patterns by passing Snakemake wildcards as arguments (e.g.
``layout.search_file("{space}", "{dataset}", "{run}", "{seed}", "genotype.json")``); the report
jobs parse a run file back with :func:`parse_run_path`. Run names follow ``RUN``; the pseudo-runs
(``nasrepro.jobs``) are runs too, and :data:`SEARCHED_RUN` matches the runs that are searched.
:func:`build_command` is the Snakemake command that builds a missing file (the hint of every
"not found; build it with ..." error): a profile other than the default needs its config file.
This module imports no torch and no registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from nasrepro.jobs import (PROBE_PREFIX, PSEUDO_SUFFIXES, PUBLISHED_PREFIX, SAMPLED_PREFIX,
                           random_search_run, selected_run)

_RUN_CHAR = "[a-z0-9\\-]"
RUN = f"{_RUN_CHAR}+"  # a run name (wildcard constraint)
_SUFFIXES = "|".join(re.escape(suffix) for suffix in PSEUDO_SUFFIXES)
SEARCHED_RUN = (  # a run with a search of its own: no probe-, published-, sampled-, -best, -selected, -heldout or -random-search pseudo-run
    f"(?!{re.escape(PROBE_PREFIX)}|{re.escape(PUBLISHED_PREFIX)}|{re.escape(SAMPLED_PREFIX)})"
    f"(?!{_RUN_CHAR}*(?:{_SUFFIXES})(?!{_RUN_CHAR})){RUN}"
)
SELECTION_FILE = "selection.json"
RANDOM_SEARCH_FILE = "random_search.json"
DEFAULT_PROFILE = "default"  # the Snakefile's own profile: config/config.yaml, no --configfile
CONFIG_SCHEMA = "workflow/schemas/config.schema.yaml"  # a profile's layout and defaults
SHARED_DATA = "../shared/data"  # small real data beside the project (tests, rehearsal fixtures)
# the regression gate's committed snapshots (``python -m nasrepro diff-results``, report.gate)
SNAPSHOTS = "tests/snapshots"
FIXTURES = "data/raw/rehearsal"  # the rehearsal's format-faithful raw inputs (rule fixtures)
FIXTURES_MANIFEST = f"{FIXTURES}/fixtures.yaml"  # their roots and digests, a profile overlay
# Profiles that are overlays: the config files their command names, in order (Snakemake has no
# include for config files). The rehearsal (issue #20) is the thesis profile, its budgets, and the
# generated manifest of the fixtures (raw-data roots and digests).
OVERLAYS = {"rehearsal": ("config/thesis.yaml", "config/rehearsal.yaml", FIXTURES_MANIFEST)}
_SEED_DIR = "seed{}"
_SEED = re.compile(r"seed([0-9]+)")


@dataclass(frozen=True)
class Layout:
    """The paths of one profile (relative to the repository root)."""

    profile: str

    @property
    def profile_file(self) -> str:
        """The profile's YAML file, as `--configfile` names it (``profile: <name>`` inside)."""
        if self.profile == DEFAULT_PROFILE:
            return "config/config.yaml"
        return f"config/{self.profile}.yaml"

    @property
    def config_files(self) -> tuple[str, ...]:
        """What ``--configfile`` names to run this profile: none for the default one, the
        ``OVERLAYS`` of an overlay, else its own file."""
        if self.profile == DEFAULT_PROFILE:
            return ()
        return OVERLAYS.get(self.profile, (self.profile_file,))

    def command(self, *targets: str, cores: str = "all") -> str:
        """The Snakemake command that builds ``targets`` (none: the whole profile) in this
        profile. The targets come first: ``--configfile`` takes every word after it as a file."""
        files = " ".join(self.config_files)
        return " ".join(("snakemake", *targets, "--cores", cores,
                         *(("--configfile", files) if files else ())))

    @property
    def results(self) -> str:
        return f"results/{self.profile}"

    @property
    def prepared_root(self) -> str:
        return f"data/prepared/{self.profile}"

    @property
    def runs(self) -> str:
        return f"{self.results}/runs"

    def cached_roots(self) -> list[str]:
        """The folders DVC caches (dvc.yaml's outs for the default profile); logs stay out."""
        return [self.prepared_root, self.runs,
                *(f"{self.results}/{name}" for name in ("tables", "figures", "report", "benchmarks",
                                                        "dvae"))]

    # -------------------------------------------------------------------------------- runs
    def run_dir(self, space, dataset, run, seed) -> str:
        return f"{self.runs}/{space}/{dataset}/{run}/{_SEED_DIR.format(seed)}"

    def search_file(self, space, dataset, run, seed, name) -> str:
        """A file of a run's search (or of a pseudo-run's cell): genotype.json, metrics.jsonl, ..."""
        return f"{self.run_dir(space, dataset, run, seed)}/search/{name}"

    def eval_file(self, space, dataset, run, seed, target, name) -> str:
        """A file of the evaluation of a run's cell on ``target``: final.json, metrics.jsonl, ..."""
        return f"{self.run_dir(space, dataset, run, seed)}/eval/{target}/{name}"

    def selection(self, space, dataset, run) -> str:
        """The cell selected over ``run``'s searches (rule select_cell): a genotype record with
        the search seed it comes from and the scores it was selected by, in the folder of
        pseudo-run ``<run>-selected``, whose seed folders hold its further retrainings."""
        return f"{self.runs}/{space}/{dataset}/{selected_run(run)}/{SELECTION_FILE}"

    def random_search(self, space, dataset, run, seed) -> str:
        """The random search by lookup whose budget is ``run``'s search ``seed`` (rule
        random_search, issue #29): in the seed folder of pseudo-run ``<run>-random-search``."""
        return self.search_file(space, dataset, random_search_run(run), seed, RANDOM_SEARCH_FILE)

    def is_run_file(self, path: str) -> bool:
        return path.startswith(f"{self.runs}/")

    # -------------------------------------------------------------------------- data, models
    def prepared(self, dataset) -> str:
        """The prepared-data record of ``dataset`` (rule prepare_data)."""
        return f"{self.prepared_root}/{dataset}.json"

    def benchmark_table(self, name) -> str:
        """A benchmark table (rule benchmark) or the NAS-Bench-101 stand-in (rule nb101_standin)."""
        return f"{self.prepared_root}/benchmarks/{name}.parquet"

    def dvae(self, space, name) -> str:
        """A file of the space's D-VAE (rule train_dvae): dvae.pt, report.json, report.md."""
        return f"{self.results}/dvae/{space}/{name}"

    # ----------------------------------------------------------------------- report outputs
    def table(self, name, ext) -> str:
        return f"{self.results}/tables/{name}.{ext}"

    def card(self, name, ext) -> str:
        """The evaluation card of table ``name`` (rule card, ``report.card``; issue #29):
        ``<name>.card.json`` and ``.card.md`` beside the table."""
        return f"{self.results}/tables/{name}.card.{ext}"

    def genotype_complexity(self) -> str:
        """Params and multiply-adds of the released DARTS-space cells (rule genotype_complexity)."""
        return f"{self.results}/tables/darts_cnn_genotypes.json"

    def space_summary(self) -> str:
        """Size, operations and edges of the search spaces (rule space_summary, Table 1.1)."""
        return f"{self.results}/tables/space_summary.json"

    def space_mean(self, space) -> str:
        """The random-sampling row of ``space``'s tables (rule space_mean, issue #29)."""
        return f"{self.results}/tables/{space}_space_mean.json"

    def figure(self, name, ext) -> str:
        return f"{self.results}/figures/{name}.{ext}"

    def report(self, name, ext) -> str:
        return f"{self.results}/report/{name}.{ext}"

    def snapshot(self, name: str = "") -> str:
        """The committed snapshot of this profile's tables, figures and claims (``report.gate``):
        ``name`` a ``select:`` build's (``select.report_name``), default the whole profile's."""
        return f"{SNAPSHOTS}/{name or self.profile}.json"

    # ------------------------------------------------------------------- logs and benchmarks
    def log(self, family, *parts) -> str:
        """The log of one job of rule ``family``, named by ``parts`` (folders, then the job)."""
        return f"{self.results}/logs/{family}/{'/'.join(map(str, parts))}.log"

    def bench(self, family, *parts) -> str:
        """The Snakemake ``benchmark:`` file of one job (read by nasrepro.report.cost)."""
        return f"{self.results}/benchmarks/{family}/{'/'.join(map(str, parts))}.tsv"

    def run_log(self, family, space, dataset, run, seed, *target) -> str:
        """The log of a run's job (search, evaluate with its ``target``, pseudo-run cells)."""
        return self.log(family, space, dataset, run, _SEED_DIR.format(seed), *target)

    def run_bench(self, family, space, dataset, run, seed, *target) -> str:
        """The benchmark file of a run's job (search, evaluate with its ``target``)."""
        return self.bench(family, space, dataset, run, _SEED_DIR.format(seed), *target)


@dataclass(frozen=True)
class RunPath:
    """A run file, parsed: ``kind`` is "search" or "eval" (``target`` set for eval)."""

    space: str
    dataset: str
    run: str
    seed: int
    kind: str
    target: str | None
    name: str


def is_selection_file(path: str | PurePath) -> bool:
    """Whether ``path`` is a selected cell's record (:meth:`Layout.selection`), not a run file."""
    return PurePath(path).name == SELECTION_FILE


def parse_run_path(path: str | PurePath) -> RunPath:
    """The inverse of :meth:`Layout.search_file` and :meth:`Layout.eval_file`, read from the end
    of ``path`` (any prefix: the runs root of any profile, or a copy of it elsewhere)."""
    parts = PurePath(path).parts
    if len(parts) >= 7 and parts[-3] == "eval" and _SEED.fullmatch(parts[-4]):
        space, dataset, run, seed, _, target, name = parts[-7:]
    elif len(parts) >= 6 and parts[-2] == "search" and _SEED.fullmatch(parts[-3]):
        (space, dataset, run, seed, _, name), target = parts[-6:], None
    else:
        raise ValueError(f"{path} is not a run file: expected .../<space>/<dataset>/<run>/"
                         "seed<n>/search/<file> or .../seed<n>/eval/<target>/<file>")
    return RunPath(space, dataset, run, int(_SEED.fullmatch(seed).group(1)),
                   "search" if target is None else "eval", target, name)



def profile_of(path: str | PurePath) -> tuple[str, str] | None:
    """(profile, path from the repository root) of a file under ``results/<profile>/`` or
    ``data/prepared/<profile>/`` (any prefix before those); None for any other path."""
    parts = PurePath(path).parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "results" and i + 2 < len(parts):
            return parts[i + 1], str(PurePath(*parts[i:]))
        if parts[i : i + 2] == ("data", "prepared") and i + 3 < len(parts):
            return parts[i + 2], str(PurePath(*parts[i:]))
    return None


def build_command(path: str | PurePath) -> str:
    """The Snakemake command that builds ``path``, run from the repository root, in the profile
    the path belongs to (``Layout.command``: the default profile's files need no config file,
    an overlay's name all of theirs)."""
    found = profile_of(path)
    if found is None:
        return f"snakemake {path} --cores all"
    profile, target = found
    return Layout(profile).command(target)
