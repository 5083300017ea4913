"""Profiles, schema, registry and CLI errors, the ``arch`` command and the table builder."""

import json
import subprocess
import sys

import jsonschema
import numpy as np
import pytest
import yaml

from nasrepro.cli import main
from nasrepro.methods.base import build_config
from nasrepro.methods.darts import DartsConfig
from nasrepro.registry import METHODS, SPACES, UnknownNameError
from nasrepro.report.table import build
from tests.conftest import ROOT

SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def _profile(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def _keys(obj, prefix=""):
    if isinstance(obj, dict):
        out = set()
        for key, value in obj.items():
            out |= {f"{prefix}{key}"} | _keys(value, f"{prefix}{key}.")
        return out
    return set()


def test_profiles_validate_and_share_the_key_set():
    default, thesis = _profile("config.yaml"), _profile("thesis.yaml")
    for profile in (default, thesis):
        jsonschema.validate(profile, SCHEMA)
    # sources are null in the default profile (offline) and filled in the thesis profile
    def top(keys):
        return {k for k in keys if not any(s in k for s in ("official_split.", "nb201.path", "nb201.url", "nb201.sha256"))}
    assert top(_keys(default)) == top(_keys(thesis))
    assert thesis["seeds"] == [0, 1, 100, 101]


def test_profile_method_blocks_are_complete_method_configs():
    for profile in (_profile("config.yaml"), _profile("thesis.yaml")):
        for name, block in profile["methods"].items():
            cfg = build_config(METHODS.get(name).Config, block, name)
            assert set(block) == set(vars(cfg)), f"{name}: profile must list every hyperparameter"


def test_thesis_profile_uses_thesis_hyperparameters():
    methods = _profile("thesis.yaml")["methods"]
    assert methods["darts-1st"]["epochs"] == methods["darts-2nd"]["epochs"] == 50
    assert methods["gdas"]["epochs"] == 250 and methods["gdas"]["tau_max"] == 10.0
    for block in methods.values():
        assert block["w_lr"] == 0.025 and block["w_lr_min"] == 0.001 and block["batch_size"] == 64
        assert block["w_weight_decay"] == 5e-4 and block["w_nesterov"] is True
    for name in ("darts-1st", "darts-2nd", "gdas"):
        assert methods[name]["a_lr"] == 3e-4 and methods[name]["a_weight_decay"] == 1e-3
        assert (methods[name]["a_beta1"], methods[name]["a_beta2"]) == (0.5, 0.999)
    assert methods["random-nas"]["num_candidates"] == 100


def test_bad_config_key_is_rejected_by_schema():
    bad = _profile("config.yaml")
    bad["serach"] = bad.pop("search")
    with pytest.raises(jsonschema.ValidationError, match="serach"):
        jsonschema.validate(bad, SCHEMA)


def test_unknown_hyperparameter_names_the_valid_keys():
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['lr'\].*valid keys"):
        build_config(DartsConfig, {"lr": 0.1}, "darts-1st")


def test_unknown_method_and_space_names():
    with pytest.raises(UnknownNameError, match="known methods: darts-1st, darts-2nd, gdas, random-nas"):
        METHODS.get("darts-3rd")
    with pytest.raises(UnknownNameError, match="known search spaces: nb201"):
        SPACES.get("nb301")


def test_search_cli_with_unknown_method_exits_2(tmp_path, caplog):
    spec = {"space": "nb201", "method": "enas-x", "method_cfg": {}, "seed": 0, "space_cfg": {},
            "dataset": {"loader": "digits"}}
    assert main(["search", "--spec", json.dumps(spec), "--out-dir", str(tmp_path)]) == 2
    assert "unknown method 'enas-x'" in caplog.text


def _arch_cli(*args):
    return subprocess.run([sys.executable, "-m", "nasrepro", "arch", *args], capture_output=True,
                          text=True, timeout=120)


def test_arch_command_string_index_and_errors():
    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    out = _arch_cli("--space", "nb201", cell)
    assert out.returncode == 0 and "index: 11" in out.stdout
    out = _arch_cli("--index", "11")
    assert out.returncode == 0 and cell in out.stdout
    bad = _arch_cli("|conv~0|")
    assert bad.returncode == 2 and "invalid" in bad.stderr
    assert _arch_cli("--index", "99999").returncode == 2


def test_arch_command_prints_benchmark_accuracies(tmp_path):
    from tests.conftest import NATS_FIXTURE, shared

    shared("nats-tss-v1_0-3ffb9-simple-fixture/000011.pickle.pbz2")
    from nasrepro.benchmarks.nb201 import convert

    table = tmp_path / "nb201.parquet"
    convert(NATS_FIXTURE).to_parquet(table, index=False)
    out = _arch_cli("--index", "11", "--benchmark", str(table))
    assert out.returncode == 0
    assert "cifar10 test  (cifar10/ori-test, 200 epochs): 91.58" in out.stdout


def test_table_mean_std_and_empty_rows(tmp_path):
    values = {0: (80.0, 81.0), 1: (90.0, 85.0)}
    finals = []
    for seed, (valid, test) in values.items():
        path = tmp_path / f"runs/nb201/cifar10/gdas/seed{seed}/eval/cifar10/final.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"valid_acc": valid, "test_acc": test}))
        finals.append(str(path))
    table = build(ROOT / "config/thesis_values/table_6_1.csv", finals).set_index("method_key")
    gdas = table.loc["gdas"]
    assert gdas["cifar10_valid_reproduced"] == f"{np.mean([80, 90]):.2f} ± {np.std([80, 90]):.2f}"
    assert gdas["cifar10_test_reproduced"] == "83.00 ± 2.00"
    assert gdas["cifar10_test_thesis"] == "93.40±0.49"
    assert gdas["cifar100_test_reproduced"] == ""
    assert table.loc["darts-1st"]["cifar10_test_reproduced"] == ""
