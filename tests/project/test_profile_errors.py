"""A bad profile value stops the Snakefile before any job with one line naming the key, the value
and what is allowed (``nasrepro.profile.load.prepare``, which the Snakefile calls and prints as
``error: <message>``). Checked here in process, each value as ``--config`` passes it (Snakemake's
own parser); tests/workflow/test_faults.py runs two of them through Snakemake (one line on the
console, nothing written)."""

import copy

import pytest
import yaml
from snakemake.cli import parse_config
from snakemake.utils import update_config

from nasrepro.params import ConfigError
from nasrepro.profile import load
from tests.conftest import ROOT

DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())

BAD_VALUES = {  # --config override: the message's line
    "negative epochs": ("method_overrides={epochs: -1}",
                        "method_overrides.epochs = -1: out of range, allowed >= 1"),
    "unknown method": ("runs={x: {method: enas}}", "runs.x.method: unknown method 'enas'; known methods: "),
    "unknown space": ("spaces={nb999: {}}",
                      "spaces.nb999: unknown search space 'nb999'; known search spaces: darts_cnn, "),
    "unknown dataset": ("search_dataset=imagenet99", "dataset 'imagenet99' is needed"),
    "unknown table": ("tables={table_9_9: {}}", "unknown table 'table_9_9'; known tables: "),
    "unknown key": ("foo=1", "foo: unknown key; allowed keys: benchmark, data_on_device, datasets, "),
    "wrong type": ("seeds=abc", "seeds = 'abc': expected array of integer"),
    "negative grad_clip": ("method_overrides={grad_clip: -5}", "method_overrides.grad_clip = -5.0: out of range, allowed > 0"),
    "word for a float": ("method_overrides={w_lr: fast}", "method_overrides.w_lr = 'fast': expected float > 0"),
}


def _prepare(config: dict) -> str:
    with pytest.raises(ConfigError) as error:
        load.prepare(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    return str(error.value)


@pytest.mark.parametrize("override,message", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_value_is_one_line_naming_it(override, message):
    config = copy.deepcopy(DEFAULT)
    update_config(config, parse_config([override]))
    text = _prepare(config)
    assert message in text
    assert "Traceback" not in text and "Failed validating" not in text and 'File "' not in text
    assert len([x for x in text.splitlines() if x.strip()]) <= 2, text  # a heading and the line


def test_a_misspelt_key_names_itself():
    config = copy.deepcopy(DEFAULT)
    config["search_datset"] = config.pop("search_dataset")
    assert "search_datset" in _prepare(config)


def test_the_default_profile_prepares_without_a_problem():
    config = copy.deepcopy(DEFAULT)
    load.prepare(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert config["profile"] == "default" and config["tables"]
