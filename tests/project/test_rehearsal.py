"""``config/rehearsal.yaml`` (issue #20 item 1): an overlay of ``config/thesis.yaml`` that changes
budgets only (epochs, batches per epoch, sizes, seeds, grids trimmed to one point per code path);
the raw-data locations come from the fixtures' manifest (``tests/data/test_fixtures.py`` checks
that the three together leave no raw input missing)."""

import copy

import yaml
from snakemake.utils import update_config

from nasrepro import jobs, plugins
from nasrepro.layout import FIXTURES_MANIFEST, Layout
from nasrepro.profile import resolve, select, validate
from nasrepro.schema import check_schema
from tests.conftest import ROOT

# key paths ("*": any name) the rehearsal may set: budgets (epochs, sizes, counts), seeds, threads, name
BUDGETS = ("profile", "seeds", "threads", "max_batches_per_epoch", "method_overrides.*",
           "spaces.*.method_overrides.*", "spaces.*.search.*", "spaces.*.evaluate.*",
           "spaces.*.retrain.*", "spaces.*.probes.*", "dvae.*.*", "search.eval_batches",
           "search.hessian.*", "tables.*.runs", "tables.*.targets", "tables.*.seeds",
           "figures.*.runs", "figures.*.spaces", "selected_cell.epochs",
           "random_sampling.cells", "random_sampling.targets",  # K and its targets: a grid
           "random_search.budget_scale")  # the random search's budget


def _leaves(tree: dict, prefix=()) -> list[tuple[str, ...]]:
    return [leaf for key, value in tree.items()
            for leaf in (_leaves(value, (*prefix, key)) if isinstance(value, dict) and value
                         else [(*prefix, key)])]


def _allowed(path: tuple[str, ...]) -> bool:
    return any(len(p := pattern.split(".")) == len(path)
               and all(a in ("*", b) for a, b in zip(p, path)) for pattern in BUDGETS)


def rehearsal_config() -> dict:
    config = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())
    update_config(config, yaml.safe_load((ROOT / "config" / "rehearsal.yaml").read_text()))
    return config


def test_the_rehearsal_changes_budgets_only_and_is_a_valid_profile():
    overlay = yaml.safe_load((ROOT / "config" / "rehearsal.yaml").read_text())
    assert [".".join(p) for p in _leaves(overlay) if not _allowed(p)] == []
    config = rehearsal_config()
    assert Layout(config["profile"]).results == "results/rehearsal"
    assert Layout(config["profile"]).profile_file == "config/rehearsal.yaml"
    thesis = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())
    for key in ("datasets", "benchmark", "evaluation", "device", "data_on_device", "runs"):
        assert config[key] == thesis[key], key  # the thesis profile's own data and code paths
    for key in ("tables", "figures"):             # every table and figure, trimmed grids
        assert list(config[key]) == list(thesis[key]), key
    check_schema(copy.deepcopy(config), ROOT / "workflow" / "schemas" / "config.schema.yaml")
    validate.check_profile(config)


def test_the_rehearsal_command_names_the_thesis_profile_the_overlay_and_the_manifest():
    command = Layout("rehearsal").command()
    assert command == ("snakemake --cores all --configfile config/thesis.yaml "
                       f"config/rehearsal.yaml {FIXTURES_MANIFEST}")
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert Layout("rehearsal").command() in readme


def _methods(config: dict) -> dict[str, set[str]]:
    """{space: methods searched} of a profile (pseudo-runs left out)."""
    return {space: {resolve.run_variant(config, run).method for run in runs
                    if jobs.has_search(jobs.base_run(run))}
            for space, runs in select.space_runs(config).items()}


def _flags(config: dict, space: str) -> set[tuple[str, str]]:
    """(parameter, value) of the code-path switches the searched runs on ``space`` set (NSAS'
    constraint strategies, the replay buffers, the fixed depth): each value once, whichever
    method it is set on (the switch is one shared part, ``methods/parts``)."""
    return {(key, repr(value)) for run in select.space_runs(config)[space]
            if jobs.has_search(jobs.base_run(run))
            for variant in [resolve.run_variant(config, jobs.base_run(run))]
            for key, value in {**variant.params, **variant.space_params.get(space, {})}.items()
            if isinstance(value, (bool, str))}


def test_every_method_the_thesis_profile_runs_on_a_space_is_rehearsed_there():
    plugins.load("experiments", "methods")
    thesis = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())
    ours, theirs = _methods(rehearsal_config()), _methods(thesis)
    assert ours == theirs
    for space in ("nb201", "darts_cnn"):   # every switch of a method's code path once
        assert _flags(rehearsal_config(), space) == _flags(thesis, space), space
