"""The Snakemake workflow: lint, dry runs of both profiles, and a real end-to-end default run."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}


def snakemake(*args, cwd=ROOT, timeout=600):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def job_counts(output: str) -> dict[str, int]:
    block = output.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}


def _workdir(tmp_path):
    for item in ("Snakefile", "workflow", "config"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / item)
    return tmp_path


def test_lint_is_clean():
    out = snakemake("--lint")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Lints for" not in out.stdout + out.stderr


def test_dry_run_default_profile(tmp_path):
    out = snakemake("-n", "--cores", "2", cwd=_workdir(tmp_path))
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["search"] == 4 * 2 and counts["evaluate"] == 4 * 2 * 2
    assert "benchmark_nb201" not in counts


def test_dry_run_thesis_profile_plans_benchmark_lookups(tmp_path):
    out = snakemake("-n", "-p", "--cores", "2", "--configfile", "config/thesis.yaml",
                    cwd=_workdir(tmp_path))
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["search"] == 4 * 4 and counts["benchmark_nb201"] == 1
    assert counts["evaluate"] == 4 * 4 * 3
    commands = [line for line in out.stdout.splitlines() if "nasrepro search" in line]
    assert len(commands) == 16
    gdas = [c for c in commands if '"method": "gdas"' in c]
    assert len(gdas) == 4 and all('"epochs": 250' in c and '"C": 16, "N": 5' in c for c in gdas)
    assert sum('"mode": "benchmark"' in line for line in out.stdout.splitlines()) == 48


def test_one_figure_builds_only_what_it_needs(tmp_path):
    out = snakemake("-n", "--cores", "2", "results/figures/search_curves_nb201.png",
                    cwd=_workdir(tmp_path))
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["search"] == 8 and "evaluate" not in counts and "table" not in counts


def test_bad_config_key_fails_validation(tmp_path):
    work = _workdir(tmp_path)
    config = (work / "config/config.yaml").read_text().replace("search_dataset:", "search_datset:")
    (work / "config/config.yaml").write_text(config)
    out = snakemake("-n", "--cores", "1", cwd=work)
    assert out.returncode != 0 and "search_datset" in out.stdout + out.stderr


@pytest.mark.slow
def test_end_to_end_default_run_then_nothing_to_do(tmp_path):
    work = _workdir(tmp_path)
    out = snakemake("--cores", "2", cwd=work, timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for name in ("table_6_1.csv", "table_6_1.md", "table_6_1.tex"):
        assert (work / "results/tables" / name).stat().st_size > 0
    for name in ("search_curves_nb201.png", "search_curves_nb201.pdf"):
        assert (work / "results/figures" / name).stat().st_size > 1000
    md = (work / "results/tables/table_6_1.md").read_text()
    assert "93.40±0.49 / " in md and "profile 'default'" in md
    assert not list(work.rglob("_state"))
    again = snakemake("-n", "--cores", "2", cwd=work)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
