"""Bring your own method: a plugin file outside the package, named in the profile, registers a
method that runs on every space it supports (the registry-parametrized contract tests include the
example, loaded by conftest.py) and fills table rows / figure lines through the profile alone;
and what each kind of job loads (report jobs: no torch)."""

import json
import subprocess
import sys
import textwrap
import zlib

import pytest
import torch
import yaml

from nasrepro import plugins
from nasrepro.params import ConfigError
from nasrepro.profile import select, validate
from nasrepro.registry import METHODS, TABLES
from nasrepro.report.table import build
from tests.computed import ROOT, clean_copy, snakemake
from tests.conftest import EXAMPLE_PLUGIN, build_method


def test_example_plugin_is_registered_once():
    assert "spos" in METHODS
    plugins.load_user([str(EXAMPLE_PLUGIN), str(EXAMPLE_PLUGIN)])  # again: a no-op, no duplicate
    assert METHODS.get("spos").__module__.startswith("nasrepro_plugin_")


def test_a_bad_plugin_is_one_line_naming_the_file(tmp_path):
    with pytest.raises(ConfigError, match="plugins: missing.py is not a file"):
        plugins.load_user(["missing.py"])
    with pytest.raises(ConfigError, match="cannot import module 'no_such_module_xyz'"):
        plugins.load_user(["no_such_module_xyz"])
    broken = tmp_path / "broken.py"
    broken.write_text("x = 1\nraise RuntimeError('half-written method')\n")
    with pytest.raises(ConfigError, match=r"broken.py failed to load: RuntimeError: half-written "
                                          r"method \(.*broken.py:2\)") as error:
        plugins.load_user([str(broken)])
    assert "\n" not in str(error.value)


def test_spos_evolves_from_the_best_scored_cells_and_returns_the_best():
    method = build_method("spos", population=6, parents=2, generations=3, eval_batch_size=8)
    scored = []

    def value(arch) -> float:  # a fixed score per cell, so the best is known
        return (zlib.crc32(method.space.to_string(arch).encode()) % 1000) / 10

    def score(arch, batches):
        scored.append(arch)
        return value(arch)

    method.inherited_score = score
    data = [(torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))) for _ in range(64)]
    best = method.derive(lambda size: iter(data))
    assert 6 < len(scored) <= 6 + 3 * 2, "mutants of the parents are scored after the population"
    assert best == max(scored, key=value)
    first_parents = sorted(scored[:6], key=value, reverse=True)[:2]
    assert all(method.space.distance(child, parent) > 0
               for child, parent in zip(scored[6:8], first_parents)), "mutants of the best two"
    scored.clear()
    method.derive(lambda size: iter(data), final=False)
    assert len(scored) == 6, "the per-epoch curve scores the random population only"


def _profile():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_extra_runs_add_rows_and_lines_and_are_validated():
    profile = _profile()
    profile["runs"] = {"spos": {"method": "spos"}}
    profile["tables"]["table_6_1"] = {"extra_runs": ["spos"]}
    profile["figures"]["search_curves_nb201"] = {"extra_runs": ["spos"]}
    validate.check_profile(profile)
    assert select.table_runs(profile, "table_6_1") == TABLES.get("table_6_1").runs() + ["spos"]
    assert select.figure_runs(profile, "search_curves_nb201")[-1] == "spos"
    profile["tables"]["table_6_1"] = {"extra_runs": ["not-a-run"]}
    with pytest.raises(ConfigError, match="run 'not-a-run' is not defined"):
        validate.check_profile(profile)


def test_extra_runs_are_rows_without_thesis_values(tmp_path):
    spec = TABLES.get("table_6_1")
    final = tmp_path / "final.json"
    final.write_text(json.dumps({"space": "nb201", "run": "spos", "target": "cifar10",
                                 "valid_acc": 50.0, "test_acc": 40.0}))
    table = build(spec, ROOT / "config/thesis_values/table_6_1.csv", [str(final)], "note",
                  ["spos"])
    row = next(row for row in table if row["run"] == "spos")
    assert row["Method"] == "spos" and row["cifar10_test_thesis"] == ""
    assert row["cifar10_test_reproduced"] == "40.00"  # one seed: the value alone
    assert len(table) == len(build(spec, ROOT / "config/thesis_values/table_6_1.csv", [], "n")) + 1


def test_report_jobs_do_not_import_torch(tmp_path):
    """A table, a figure and the claims command run in one fresh interpreter on small inputs;
    none imports torch, a space or a method."""
    run = tmp_path / "nb201/cifar10/gdas/seed0"
    (run / "search").mkdir(parents=True)
    (run / "search/genotype.json").write_text(json.dumps({"run": "gdas", "space": "nb201"}))
    (run / "search/metrics.jsonl").write_text("".join(
        json.dumps({"epoch": e, "derived_valid": 10.0 * e}) + "\n" for e in range(3)))
    (run / "final.json").write_text(json.dumps({"space": "nb201", "run": "gdas",
                                                "target": "cifar10", "test_acc": 50.0}))
    code = textwrap.dedent(f"""
        import sys
        from nasrepro.cli import main
        assert main(["table", "--table", "table_6_1", "--thesis-values",
                     "config/thesis_values/table_6_1.csv", "--note", "n", "--out-prefix",
                     "{tmp_path}/t", "{run}/final.json"]) == 0
        assert main(["figure", "--figure", "search_curves_nb201", "--note", "n", "--out-prefix",
                     "{tmp_path}/f", "{run}/search/metrics.jsonl"]) == 0
        open("{tmp_path}/inputs.json", "w").write('["{run}/search/metrics.jsonl"]')
        assert main(["claims", "--inputs", "{tmp_path}/inputs.json", "--note", "n",
                     "--out-prefix", "{tmp_path}/c"]) == 0
        print(sorted(m for m in ("torch", "nasrepro.spaces", "nasrepro.methods")
                     if m in sys.modules))
        """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "t.csv").exists() and (tmp_path / "f.png").exists()
    assert (tmp_path / "c.md").exists()


def test_worker_jobs_do_not_import_pandas():
    """Search and evaluation jobs load every family (``command(..., loads=FAMILIES)``); pandas
    (~0.3 s a job, docs/performance.md "Per-job fixed cost") stays out until a table is built."""
    code = ("import sys\nfrom nasrepro import plugins\nplugins.load(*plugins.FAMILIES)\n"
            "print(len(plugins.FAMILIES), 'pandas' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1:] == ["False", "True"]  # torch: the families did load


@pytest.mark.slow
def test_a_plugin_method_fills_a_table_row_through_the_workflow(tmp_path):
    """examples/spos.yaml as a user would give it (a smaller grid on top): the plugin's run is
    searched, evaluated and placed in Table 6.1 beside RandomNAS; a rerun has nothing to do."""
    work = clean_copy(tmp_path)
    (work / "small.yaml").write_text(yaml.safe_dump({
        "tables": {"table_6_1": {"seeds": [0], "runs": ["random-nas"], "targets": ["cifar10"]}},
        "method_overrides": {"epochs": 2}, "evaluation": {"targets": ["cifar10"]},
        "spaces": {"nb201": {"probes": {"cells": 2}}}}))  # the random-sampling row: 2 cells, not 10
    args = ("--configfile", "config/config.yaml", "examples/spos.yaml", "small.yaml", "--cores", "2",
            "results/default/tables/table_6_1.csv")
    out = snakemake(*args, cwd=work)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {row["run"]: row for row in _csv(work / "results/default/tables/table_6_1.csv")}
    ours = "CIFAR-10 Test (%) [ours; stand-in: digits]"
    assert rows["spos"][ours] and rows["random-nas"][ours]
    assert rows["spos"]["CIFAR-10 Test (%) [thesis]"] == ""
    search = json.loads((work / "results/default/runs/nb201/cifar10/spos/seed0/search/run.json")
                        .read_text())
    assert search["config"]["method"] == "spos" and search["config"]["method_cfg"]["population"] == 8
    again = snakemake(*args, "-n", cwd=work)
    assert "Nothing to be done" in again.stdout + again.stderr


def _csv(path):
    import csv

    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
