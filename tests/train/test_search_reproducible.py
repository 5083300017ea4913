"""Exact reproducibility (same code, job and seed: the same cell): a search job run twice gives
byte-identical genotypes, also for the methods that draw cells before the search loop starts
(NAO's seed pool, E²NAS' starting cell: from the job's seed, not an unseeded generator). The
jobs run through the CLI in this process (the subprocess path is the workflow tier's)."""

import json

import pytest
import yaml

from nasrepro.cli import main
from nasrepro.jobs import to_json
from nasrepro.profile import resolve
from tests.conftest import ROOT, method_inputs
from nasrepro.registry import METHODS, SPACES


def _spec(run: str, seed: int) -> str:
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    profile["method_overrides"] = {**profile["method_overrides"], "epochs": 1}
    dataset = {"name": "cifar10", **profile["datasets"]["cifar10"]}
    return to_json(resolve.search_job(profile, "nb201", dataset, run, seed))


@pytest.mark.parametrize("run", ["nao", "e2nas"])
def test_a_search_run_twice_finds_the_same_cell(run, tmp_path):
    inputs = method_inputs(METHODS.get(resolve.run_variant({}, run).method), SPACES.get("nb201")())
    extra = [arg for name, path in inputs.items() for arg in ("--input", f"{name}={path}")]
    found = []
    for attempt in range(2):
        out = tmp_path / str(attempt)
        assert main(["search", "--spec", _spec(run, 3), "--out-dir", str(out), *extra]) == 0
        found.append((out / "genotype.json").read_bytes())
    assert found[0] == found[1]
    assert json.loads(found[0])["seed"] == 3
