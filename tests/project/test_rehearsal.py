"""``config/rehearsal.yaml`` (issue #20 item 1, a start): an overlay of ``config/thesis.yaml``
that changes budgets only; the raw-data locations come from the fixtures' manifest
(``tests/data/test_fixtures.py`` checks that the three together leave no raw input missing)."""

import copy

import yaml
from snakemake.utils import update_config

from nasrepro.layout import Layout
from nasrepro.profile import validate
from nasrepro.schema import check_schema
from tests.conftest import ROOT

# key paths ('*': any name) the rehearsal may set: budgets (epochs, sizes, counts), seeds, name
BUDGETS = ("profile", "seeds", "method_overrides.*", "spaces.*.method_overrides.*",
           "spaces.*.search.*", "spaces.*.evaluate.*", "spaces.*.retrain.*", "spaces.*.probes.*",
           "dvae.*.*", "search.eval_batches", "search.hessian.*")


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
    for key in ("datasets", "benchmark", "evaluation", "tables", "figures", "device",
                "data_on_device", "runs"):
        assert config[key] == thesis[key], key  # the thesis profile's own data and code paths
    check_schema(copy.deepcopy(config), ROOT / "workflow" / "schemas" / "config.schema.yaml")
    validate.check_profile(config)
