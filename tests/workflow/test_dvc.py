"""DVC owns the bytes: the models and results of a finished run (committed to the DVC cache with
`dvc commit`, as `dvc repro` does after running the workflow) and the raw data go to the default
directory remote (overridden here with `dvc remote modify --local`) and come back byte-identical;
after `snakemake --touch` Snakemake plans nothing."""

import shutil
import subprocess
import sys

import pytest
import yaml

from tests.computed import ENV, ROOT, SLICE, copy_run, file_bytes, job_counts, snakemake

STAGE = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["default"]
OUTS = tuple(next(iter(out)) for out in STAGE["outs"])  # the stage's outputs, as dvc.yaml declares


def dvc(*args, cwd):
    out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"dvc {' '.join(args)}: {out.stdout[-2000:]}{out.stderr[-2000:]}"
    return out


def du(path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_default_remote_is_a_directory_beside_the_repository():
    config = (ROOT / ".dvc/config").read_text()
    assert "remote = storage" in config and "url = ../../nasrepro-dvc-storage" in config


@pytest.mark.slow
def test_push_delete_pull_restores_models_and_tables(computed_default, tmp_path):
    work = copy_run(computed_default, tmp_path / "work")
    remote = tmp_path / "remote"
    raw = work / "data/raw/sample"
    raw.mkdir(parents=True)
    shutil.copy2(work / "config/thesis_values/table_6_1.csv", raw / "table_6_1.csv")  # stand-in raw file
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    dvc("remote", "modify", "--local", "storage", "url", str(remote), cwd=work)
    dvc("add", "data/raw", cwd=work)
    dvc("commit", "--force", cwd=work)  # the stage's outputs, computed by Snakemake, into the cache
    assert (work / "dvc.lock").exists()
    before = file_bytes(work, *OUTS, "data/raw")
    models = [p for p in before if p.endswith(("supernet.pt", "model.pt"))]
    counts = job_counts(computed_default.output)
    assert len(models) == counts["search"] + counts["evaluate"], "every search and evaluation keeps its model"
    dvc("push", cwd=work)
    assert du(remote) >= sum(len(before[p]) for p in models)

    for folder in (*OUTS, "data/raw", ".dvc/cache"):
        shutil.rmtree(work / folder)
    dvc("pull", cwd=work)
    assert file_bytes(work, *OUTS, "data/raw") == before
    touch = snakemake("--touch", "--cores", "1", *SLICE, cwd=work)
    assert touch.returncode == 0, touch.stderr[-2000:]
    plan = snakemake("-n", "--cores", "1", *SLICE, cwd=work)
    assert plan.returncode == 0 and "Nothing to be done" in plan.stdout + plan.stderr
