"""Profiles, schema vs registries, hyperparameter validation, CLI errors, ``arch``, tables."""

import csv
import dataclasses
import json
import subprocess
import sys

import jsonschema
import numpy as np
import pytest
import yaml

from nasrepro import jobs
from nasrepro.profile import resolve, select, validate
from nasrepro.cli import main
from nasrepro.methods.darts import DartsConfig
from nasrepro.params import ConfigError, build_config
from nasrepro.registry import METHODS, RUNS, SPACES, TABLES, UnknownNameError
from nasrepro.report.table import build
from tests.conftest import ROOT

SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def _profile(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_profiles_validate_and_pass_every_check():
    for name in ("config.yaml", "thesis.yaml"):
        profile = _profile(name)
        jsonschema.validate(profile, SCHEMA)
        validate.check_profile(profile)


def test_schema_names_nothing_the_registries_own():
    """A new method, space, loader or table needs no schema edit: names are checked against the
    registries by check_profile (next test), not by enums."""
    assert "enum" not in json.dumps(SCHEMA["properties"]).replace('"enum": ["retrain", "benchmark"]', "")


def test_unknown_registry_names_in_the_profile_are_each_reported():
    profile = _profile("config.yaml")
    profile["spaces"]["nb301"] = {}
    profile["benchmark"]["nb101"] = None
    profile["runs"] = {"x": {"method": "enas"}}
    profile["figures"]["fig_9_9"] = {}
    with pytest.raises(ConfigError) as info:
        validate.check_profile(profile)
    text = str(info.value)
    for expected in ("spaces.nb301: unknown search space 'nb301'", "benchmark.nb101: unknown benchmark",
                     "runs.x.method: unknown method 'enas'", "unknown figure 'fig_9_9'"):
        assert expected in text


def test_every_registered_run_and_table_resolves():
    for run in RUNS.names():
        assert RUNS.get(run).method in METHODS
    for table in TABLES.names():
        spec = TABLES.get(table)
        # Table 1.1 has no run: its columns are computed from the spaces
        assert spec.space in SPACES and (spec.runs(ROOT) or spec.space_columns)
        for run in spec.runs(ROOT):  # a named run (or its -best pseudo-run), or a published cell
            assert jobs.base_run(run) in RUNS or resolve.published_arch(spec.space, run)


def test_published_cells_are_pseudo_runs_with_a_clear_error_for_unknown_names():
    assert resolve.published_arch("darts_rnn", "published-darts-v2") == \
        "sigmoid~0|relu~1|relu~1|identity~1|tanh~2|sigmoid~5|tanh~3|relu~5"
    assert not jobs.has_search("published-darts-v2") and jobs.has_search("darts-2nd")
    with pytest.raises(ConfigError, match="no published cell 'enas'; its published cells: \\['darts-v1', 'darts-v2', 'gdas'\\]"):
        resolve.published_arch("darts_rnn", "published-enas")


def test_thesis_profile_resolves_to_the_thesis_hyperparameters():
    thesis = _profile("thesis.yaml")
    darts = resolve.method_params(thesis, "darts-2nd", "nb201")
    gdas = resolve.method_params(thesis, "gdas", "nb201")
    rnas = resolve.method_params(thesis, "random-nas", "nb201")
    assert darts["epochs"] == 50 and gdas["epochs"] == 250 and rnas["epochs"] == 250
    for block in (darts, gdas, rnas):
        assert block["w_lr"] == 0.025 and block["w_lr_min"] == 0.001 and block["batch_size"] == 64
        assert block["w_weight_decay"] == 5e-4 and block["w_nesterov"] is True
    for block in (darts, gdas):
        assert block["a_lr"] == 3e-4 and block["a_weight_decay"] == 1e-3
        assert (block["a_beta1"], block["a_beta2"]) == (0.5, 0.999)
    assert gdas["tau_max"] == 10.0 and gdas["tau_min"] == 0.1
    assert rnas["num_candidates"] == 100 and rnas["eval_batch_size"] == 512
    cnn = resolve.method_params(thesis, "darts-2nd", "darts_cnn")
    assert cnn["w_weight_decay"] == 3e-4 and cnn["w_nesterov"] is False and cnn["epochs"] == 50
    assert resolve.search_net(thesis, "nb201") == {"C": 16, "N": 5, "affine": False,
                                                     "track_running_stats": True}


def test_default_profile_changes_only_sizes():
    default = _profile("config.yaml")
    gdas = resolve.method_params(default, "gdas", "nb201")
    assert gdas["epochs"] == 8 and gdas["tau_max"] == 10.0 and gdas["w_lr"] == 0.025
    assert resolve.method_params(default, "gdas", "darts_cnn")["epochs"] == 3


@pytest.mark.parametrize("key,value,message", [
    ("grad_clip", -5, "runs.gdas.params.grad_clip = -5.0: out of range, allowed > 0"),
    ("tau_min", -1, "runs.gdas.params.tau_min = -1.0: out of range, allowed > 0"),
    ("w_lr", "fast", "runs.gdas.params.w_lr = 'fast': expected float > 0"),
    ("epochs", 2.5, "runs.gdas.params.epochs = 2.5: expected int >= 1"),
    ("w_nesterov", "yes", "runs.gdas.params.w_nesterov = 'yes': expected bool"),
])
def test_bad_hyperparameters_are_one_line_errors_before_any_job(key, value, message):
    profile = _profile("config.yaml")
    profile["runs"] = {"gdas": {"method": "gdas", "params": {key: value}}}
    with pytest.raises(ConfigError) as info:
        validate.check_profile(profile)
    assert message in str(info.value)


def test_misspelled_method_key_is_caught_at_validation():
    profile = _profile("config.yaml")
    profile["method_overrides"] = {}
    profile["runs"] = {"darts-2nd": {"method": "darts-2nd", "params": {"fd_esp": 0.1}}}
    with pytest.raises(ConfigError, match=r"runs.darts-2nd.params.fd_esp: unknown key; valid keys: .*fd_eps"):
        validate.check_profile(profile)


def test_unknown_names_in_profile_are_listed():
    profile = _profile("config.yaml")
    profile["tables"]["table_9_9"] = {}
    profile["datasets"]["cifar10"]["loader"] = "cifar11"
    profile["evaluation"]["mode"] = "benchmark"
    with pytest.raises(ConfigError) as info:
        validate.check_profile(profile)
    text = str(info.value)
    assert "unknown table 'table_9_9'" in text and "datasets.cifar10.loader: unknown dataset loader 'cifar11'" in text
    assert "needs benchmark.nb201" in text


def test_misspelled_profile_override_is_caught():
    profile = _profile("config.yaml")
    profile["method_overrides"]["epohcs"] = 2
    with pytest.raises(ConfigError, match="method_overrides.epohcs: no registered method has this"):
        validate.check_profile(profile)


def test_a_new_profile_run_is_validated_even_if_no_table_uses_it():
    profile = _profile("config.yaml")
    profile["runs"] = {"my-gdas": {"method": "gdas", "params": {"tau_mn": 1}}}
    with pytest.raises(ConfigError, match=r"runs.my-gdas.params.tau_mn: unknown key"):
        validate.check_profile(profile)


def test_table_runs_restriction_must_name_rows():
    profile = _profile("config.yaml")
    profile["tables"]["table_6_2"] = {"runs": ["iDARTS-x"]}
    with pytest.raises(ConfigError, match=r"tables.table_6_2.runs: \['iDARTS-x'\] fill no row"):
        validate.check_profile(profile)


def test_table_targets_restriction_must_name_columns_and_restricts_the_evaluations():
    profile = _profile("config.yaml")
    assert select.table_targets(profile, "table_2_1") == ["cifar10"]  # the default restricts
    assert select.table_targets(profile, "table_6_2") == ["cifar10", "cifar100"]
    profile["tables"]["table_2_1"] = {"targets": ["ImageNet16-120"]}
    with pytest.raises(ConfigError, match=r"tables.table_2_1.targets: \['ImageNet16-120'\] fill no "
                                          r"column of table_2_1"):
        validate.check_profile(profile)


def test_a_method_on_a_space_it_does_not_support_is_a_config_error(monkeypatch):
    profile = _profile("config.yaml")
    resolve.require_supported(profile, "nb201", "nao")
    monkeypatch.setattr(select, "space_runs", lambda config: {"nb1shot1-s1": ["nao", "darts-1st"]})
    with pytest.raises(ConfigError) as error:
        validate.check_profile(profile)
    assert "run 'nao': method 'nao' is not defined on space 'nb1shot1-s1'" in str(error.value)
    assert "darts-1st" not in str(error.value)


@pytest.mark.parametrize("name", ["probe-1", "sampled-1"])
def test_reserved_probe_run_names_are_rejected(name):
    profile = _profile("config.yaml")
    profile["runs"] = {name: {"method": "gdas"}}
    with pytest.raises(ConfigError, match=rf"runs.{name}: names starting with 'probe-', "
                                          "'published-' or 'sampled-' are reserved"):
        validate.check_profile(profile)


def test_a_bad_random_sampling_setting_is_one_line():
    profile = _profile("config.yaml")
    profile["random_sampling"] = {"cells": 0}
    with pytest.raises(ConfigError, match=r"random_sampling.cells = 0: out of range"):
        validate.check_profile(profile)


def test_build_config_checks_types_ranges_and_keys():
    with pytest.raises(ConfigError, match=r"darts.lr: unknown key; valid keys: .*w_lr"):
        build_config(DartsConfig, {"lr": 0.1}, "darts")
    cfg = build_config(DartsConfig, {"w_lr": 1}, "darts")
    assert isinstance(cfg.w_lr, float) and cfg.fd_eps == 0.01
    assert dataclasses.asdict(build_config(DartsConfig, {}, "d")) == dataclasses.asdict(DartsConfig())


def test_unknown_method_and_space_names():
    with pytest.raises(UnknownNameError, match="known methods: " + ", ".join(METHODS.names())):
        METHODS.get("darts-3rd")
    with pytest.raises(UnknownNameError, match="known search spaces: "):
        SPACES.get("nb301")


def _search_cli(tmp_path, method, device):
    spec = {"space": "nb201", "run": method, "method": method, "method_cfg": {}, "seed": 0,
            "space_cfg": {}, "dataset": {"loader": "digits"}, "eval_batches": None,
            "settings": {"profile": "default", "device": device, "threads": 1, "workers": 0}}
    return subprocess.run([sys.executable, "-m", "nasrepro", "--log", str(tmp_path / "x.log"),
                           "search", "--spec", json.dumps(spec), "--out-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)


def _package_methods() -> list[str]:
    """The methods a job knows without the profile's plugins (the tests also load examples/)."""
    return [m for m in METHODS.names() if METHODS.get(m).__module__.startswith("nasrepro.")]


@pytest.mark.slow
def test_search_cli_error_is_one_line_on_the_console(tmp_path):
    out = _search_cli(tmp_path, "enas-x", "cpu")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: unknown method 'enas-x'; known methods: " + ", ".join(_package_methods())]
    assert "enas-x" in (tmp_path / "x.log").read_text()


@pytest.mark.slow
def test_device_cuda_without_gpu_is_one_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = _search_cli(tmp_path, "gdas", "cuda")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "CUDA is not available" in out.stderr


def _arch_cli(*args):
    return subprocess.run([sys.executable, "-m", "nasrepro", "arch", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_arch_command_string_index_and_errors():
    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    out = _arch_cli("--space", "nb201", cell)
    assert out.returncode == 0 and "index: 11" in out.stdout
    out = _arch_cli("--index", "11")
    assert out.returncode == 0 and cell in out.stdout
    bad = _arch_cli("|conv~0|")
    assert bad.returncode == 2 and "invalid" in bad.stderr
    assert _arch_cli("--index", "99999").returncode == 2
    darts = _arch_cli("--space", "darts_cnn", "--index", "3")
    assert darts.returncode == 2 and darts.stderr.strip().splitlines() == [
        "error: space 'darts_cnn' has no architecture index; give an architecture string"]


@pytest.mark.slow
def test_arch_command_prints_benchmark_accuracies(tmp_path):
    from tests.conftest import NATS_FIXTURE, shared

    shared("nats-tss-v1_0-3ffb9-simple-fixture/000011.pickle.pbz2")
    from nasrepro.spaces.nb201.benchmark import convert

    table = tmp_path / "nb201.parquet"
    convert(NATS_FIXTURE, partial=True).to_parquet(table, index=False)
    out = _arch_cli("--index", "11", "--benchmark", str(table))
    assert out.returncode == 0
    assert "cifar10 test  (cifar10/ori-test, 200 epochs): 91.58" in out.stdout


def test_arch_with_a_missing_thesis_table_says_how_to_build_it(capsys):
    """Issue 22, item 3: the hint named `snakemake data/prepared/thesis/...`, which fails with
    MissingRuleException without the thesis profile. In process (no subprocess): the one line."""
    path = "data/prepared/thesis/benchmarks/nb201.parquet"
    assert main(["arch", "--index", "11", "--benchmark", path]) == 2
    out = capsys.readouterr()
    errors = [line.split(" ERROR nasrepro: ")[1] for line in out.err.splitlines() if " ERROR " in line]
    assert errors == [f"benchmark table {path} not found; build it with `snakemake {path} --cores "
                      "all --configfile config/thesis.yaml` (needs benchmark.nb201 in the profile)"]
    assert "index: 11" in out.out


@pytest.mark.slow
def test_the_build_hint_of_a_thesis_file_plans_its_rule(tmp_path):
    """The command the hint prints, dry-run as printed (plus -n): Snakemake plans the benchmark
    rule, where the old hint's command raised MissingRuleException."""
    import shlex

    from nasrepro.layout import build_command
    from tests.computed import clean_copy, snakemake

    argv = shlex.split(build_command("data/prepared/thesis/benchmarks/nb201.parquet"))
    out = snakemake(*argv[1:], "-n", cwd=clean_copy(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "rule benchmark:" in out.stdout and "MissingRuleException" not in out.stdout + out.stderr


def _finals(tmp_path, run, values, target="cifar10", space="nb201"):
    paths = []
    for seed, (valid, test) in values.items():
        path = tmp_path / f"{space}-{run}-{seed}-{target}.json"
        path.write_text(json.dumps({"valid_acc": valid, "test_acc": test, "run": run, "seed": seed,
                                    "target": target, "space": space, "params_m": 1.5}))
        paths.append(str(path))
    return paths


def test_table_mean_std_and_empty_rows(tmp_path):
    finals = _finals(tmp_path, "gdas", {0: (80.0, 81.0), 1: (90.0, 85.0)})
    finals += _finals(tmp_path, "gdas", {0: (1.0, 2.0)}, space="darts_cnn")  # other space: ignored
    rows = build(TABLES.get("table_6_1"), ROOT / "config/thesis_values/table_6_1.csv", finals,
                 "NOTE")
    table = {row["run"]: row for row in rows}
    gdas = table["gdas"]
    assert gdas["cifar10_valid_reproduced"] == f"{np.mean([80, 90]):.2f} ± {np.std([80, 90]):.2f}"
    assert gdas["cifar10_test_reproduced"] == "83.00 ± 2.00"
    assert gdas["cifar10_test_thesis"] == "93.40±0.49"
    assert gdas["cifar100_test_reproduced"] == ""
    assert table["darts-1st"]["cifar10_test_reproduced"] == ""
    assert {row["reproduced_with"] for row in rows} == {"NOTE"}


def test_table_error_columns_and_provenance_in_every_format(tmp_path):
    from nasrepro.report.table import write_table

    finals = _finals(tmp_path, "darts-2nd", {0: (96.0, 97.0)}, space="darts_cnn")
    note = "Reproduced values: profile 'default'; data roles: cifar10 = digits."
    write_table(TABLES.get("table_6_2"), str(ROOT / "config/thesis_values/table_6_2.csv"), finals,
                str(tmp_path / "t"), note)
    darts = next(row for row in csv.DictReader((tmp_path / "t.csv").open()) if row["run"] == "darts-2nd")
    # 100 - 97 test accuracy (one seed: no ±; no stand-ins given: plain "ours"); no selected cell
    # among the inputs: the search's own cell only, the selected cell's columns empty
    assert darts["CIFAR-10 test error (%) [ours; across searches]"] == "3.00"
    assert darts["CIFAR-10 test error (%) [ours; selected cell]"] == ""
    assert darts["Params (M) [ours; selected cell]"] == ""
    for ext in ("csv", "md"):
        assert "profile 'default'" in (tmp_path / f"t.{ext}").read_text()
    tex = (tmp_path / "t.tex").read_text()
    assert "\\caption{" in tex and "profile 'default'" in tex and "cifar10 = digits" in tex


@pytest.mark.slow
def test_bench_step_and_standalone_print_one_json_object():
    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
    for args in (["step", "--method", "idarts", "--set", "inner_steps=2"], ["standalone"],
                 ["step", "--method", "gdas", "--channels-last"], ["standalone", "--arch", cell]):
        out = subprocess.run([sys.executable, "-m", "nasrepro", "bench", *args, "--C", "2", "--N", "1",
                              "--size", "8", "--channels", "1", "--batch", "8", "--iters", "2",
                              "--warmup", "1"], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr[-2000:]
        result = json.loads(out.stdout)
        assert {"median_s", "min_s", "peak_mb", "device", "threads"} <= set(result)
        assert result["min_s"] <= result["median_s"] and result["peak_mb"] > 0
        assert result["device"] == "cpu" and result["threads"] == 1 and result["iters"] == 2
        assert result.get("channels_last", False) == ("--channels-last" in args)
        if "--arch" in args:
            assert result["arch"] == cell
        assert "bench " in out.stderr and "step 1/3 (warm-up)" in out.stderr  # progress: stderr


def test_bench_step_released_fidelity_takes_the_released_code_path(monkeypatch):
    """``bench step --fidelity released`` (issue #23: ours configured to do the work of the
    author's code) applies the method's ``released`` settings on the space: iDARTS then runs
    its released step; a method with none on the space is refused in one line."""
    from nasrepro import bench
    from nasrepro.methods.idarts import Idarts

    calls = []
    original = Idarts.released_step
    monkeypatch.setattr(Idarts, "released_step",
                        lambda self, *batches: calls.append(1) or original(self, *batches))
    kw = dict(net={"C": 2, "N": 1}, batch=4, size=8, channels=1, device="cpu", threads=1,
              iters=1, warmup=0, overrides={})
    thesis = bench.step("nb201", "idarts", **kw)
    assert not calls and thesis["fidelity"] == "thesis"
    released = bench.step("nb201", "idarts", fidelity="released", **kw)
    assert calls and released["overrides"] == Idarts.released["nb201"]
    with pytest.raises(ValueError, match="gdas has no released-code settings on nb201"):
        bench.step("nb201", "gdas", fidelity="released", **kw)


def test_long_benches_log_progress_with_the_time_left(monkeypatch, caplog):
    """Issue 22, item 3: a DARTS-space 2nd-order bench ran minutes with no output. A line after
    the first step and then every PROGRESS_EVERY_S seconds (on stderr via logging, so stdout
    stays one JSON object); the last step prints none, the result follows at once."""
    import itertools
    import logging

    import torch

    from nasrepro import bench

    clock = itertools.count(0.0, 4.0)  # every perf_counter call: 4 s later
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    with caplog.at_level(logging.INFO, logger="nasrepro.bench"):
        times = bench._timed(lambda: None, torch.device("cpu"), iters=4, warmup=2)
    assert times == [4.0] * 4
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("step 1/6 (warm-up) 4.00 s; about ")
    assert [line.split(" (")[0] for line in lines] == ["step 1/6", "step 3/6", "step 5/6"]
    assert "about 8.0 s left" in lines[-1]
