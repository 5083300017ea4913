"""Validation prints one line per distinct problem, naming where it is in the profile (the key
path; the run and space when it matters) and the fix, however many runs and spaces it reaches."""

import copy

import pytest
import yaml

from nasrepro.params import ConfigError
from nasrepro.profile import validate
from nasrepro.schema import check_schema
from tests.computed import clean_copy, snakemake
from tests.conftest import ROOT

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
DEFAULT = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _lines(check, config) -> list[str]:
    """The problem lines ``check`` raises for ``config`` (after the header line)."""
    with pytest.raises(ConfigError) as info:
        check(config)
    header, *lines = str(info.value).splitlines()
    assert header == "invalid configuration:"
    return [line.strip() for line in lines]


def _profile(**changes) -> dict:
    profile = copy.deepcopy(DEFAULT)
    for key, value in changes.items():
        profile[key] = value
    return profile


def test_a_bad_method_override_is_one_line_at_its_key_path():
    """It reaches every run of every space (28 lines before), but it is one value."""
    profile = _profile(method_overrides={**DEFAULT["method_overrides"], "epochs": "ten"})
    assert _lines(validate.check_profile, profile) == \
        ["method_overrides.epochs = 'ten': expected int >= 1"]
    spaces = copy.deepcopy(DEFAULT["spaces"])
    spaces["nb201"]["method_overrides"] = {"epochs": 0}
    assert _lines(validate.check_profile, _profile(spaces=spaces)) == \
        ["spaces.nb201.method_overrides.epochs = 0: out of range, allowed >= 1"]


def test_an_overlay_alone_is_one_line_saying_the_profile_comes_first():
    overlay = {"runs": {"gdas": {"method": "gdas", "params": {"tau_max": 5.0}}}}
    [line] = _lines(lambda c: check_schema(c, SCHEMA), overlay)
    assert line.startswith("(top level): missing required keys profile, device, ")
    assert "runs" not in line.split("(is this")[0] and "--configfile config/config.yaml" in line


def test_a_check_across_fields_names_the_run_and_where_the_value_comes_from():
    profile = _profile(runs={"gdas": {"method": "gdas", "params": {"tau_min": 20.0, "tau_max": 1.0}}})
    assert _lines(validate.check_profile, profile) == \
        ["runs.gdas: tau_min = 20.0 is above tau_max = 1.0: tau falls linearly from tau_max to "
         "tau_min; swap them"]
    profile = _profile(method_overrides={**DEFAULT["method_overrides"], "tau_min": 20.0})
    [line] = _lines(validate.check_profile, profile)
    assert line.startswith("runs.gdas, runs.gdas-nsas, ") and "more runs" in line
    assert line.endswith("swap them (set by method_overrides.tau_min)")


def test_an_unknown_method_is_one_line():
    profile = _profile(runs={"mine": {"method": "nosuch"}})
    [line] = _lines(validate.check_profile, profile)
    assert line.startswith("runs.mine.method: unknown method 'nosuch'; known methods: ")


def test_a_bad_value_of_a_profile_run_is_one_line_at_its_key_path():
    profile = _profile(runs={"gdas": {"method": "gdas", "params": {"grad_clip": -5},
                                      "space_params": {"darts_cnn": {"epochs": "x"}}}})
    assert _lines(validate.check_profile, profile) == [
        "runs.gdas.params.grad_clip = -5.0: out of range, allowed > 0",
        "runs.gdas.space_params.darts_cnn.epochs = 'x': expected int >= 1"]


@pytest.mark.slow
def test_snakemake_with_an_overlay_alone_prints_one_problem_line(tmp_path):
    work = clean_copy(tmp_path)
    (work / "overlay.yaml").write_text("runs:\n  gdas: {method: gdas, params: {tau_max: 5.0}}\n")
    out = snakemake("-n", "--cores", "1", "--configfile", "overlay.yaml", cwd=work)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "Traceback" not in text
    assert text.count("missing required keys") == 1, text
    assert "a profile comes first: `--configfile config/config.yaml <overlay.yaml>`" in text
    assert len(text.splitlines()) <= 4, text


THESIS = yaml.safe_load((ROOT / "config/thesis.yaml").read_text())


def _thesis_under(base) -> dict:
    """The thesis profile with every raw-data path moved under ``base``."""
    profile = copy.deepcopy(THESIS)
    for spec in profile["datasets"].values():
        spec["root"] = str(base / spec["root"])
        if spec.get("official_split"):
            spec["official_split"]["path"] = str(base / spec["official_split"]["path"])
    for source in profile["benchmark"].values():
        source["path"] = str(base / source["path"])
    return profile


def test_raw_inputs_split_what_the_user_must_put_from_what_a_job_downloads(tmp_path):
    """Thesis profile over an empty directory: ImageNet and the NATS-Bench file are missing (no
    script can fetch them); CIFAR, the split files, PTB, WikiText-2 and NAS-Bench-101 are listed
    with their URLs; a file put in place leaves its list; the default profile has nothing absent."""
    missing, fetched = validate.raw_inputs(_thesis_under(tmp_path))
    assert [line.split(":")[0] for line in missing] == ["datasets.imagenet", "benchmark.nb201"]
    keys = [line.split(":")[0] for line in fetched]
    assert sorted(set(keys)) == ["benchmark.nb1shot1", "datasets.cifar10", "datasets.cifar100",
                                 "datasets.ptb", "datasets.wikitext2"]
    assert keys.count("datasets.ptb") == 3 and all(" from https://" in line for line in fetched)

    (tmp_path / "data/raw/ptb").mkdir(parents=True)
    (tmp_path / "data/raw/NATS-tss-v1_0-3ffb9-simple.tar").write_bytes(b"")
    for split in ("train", "valid", "test"):
        (tmp_path / f"data/raw/ptb/ptb.{split}.txt").write_text("a b\n")
    missing, fetched = validate.raw_inputs(_thesis_under(tmp_path))
    assert [line.split(":")[0] for line in missing] == ["datasets.imagenet"]
    assert not any(line.startswith("datasets.ptb") for line in fetched)
    message = validate.raw_input_message(_thesis_under(tmp_path))
    assert message.splitlines()[0] == "raw inputs of profile 'thesis' that are not on disk:"
    assert "missing, not downloadable (1;" in message and "offline these jobs fail" in message

    assert validate.raw_inputs(copy.deepcopy(DEFAULT)) == ([], [])
    assert validate.raw_input_message(copy.deepcopy(DEFAULT)) is None
