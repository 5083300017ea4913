"""DVC owns the bytes: the models and results of a finished run and the raw data go to the
default directory remote (overridden here with `dvc remote modify --local`) and come back
byte-identical; after `snakemake --touch` Snakemake plans nothing."""

import shutil
import subprocess
import sys

import pytest

from tests.computed import DEFAULT_OUTPUTS, ENV, ROOT, copy_run, file_bytes, snakemake


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
    repro = dvc("repro", cwd=work)  # Snakemake finds nothing to do; DVC caches the outputs
    assert "Nothing to be done" in repro.stdout + repro.stderr
    before = file_bytes(work, *DEFAULT_OUTPUTS, "data/raw")
    models = [p for p in before if p.endswith(("supernet.pt", "model.pt"))]
    assert len(models) == 10 + 20, "every search keeps its supernet, every evaluation its model"
    dvc("push", cwd=work)
    assert du(remote) >= sum(len(before[p]) for p in models)

    for folder in (*DEFAULT_OUTPUTS, "data/raw", ".dvc/cache"):
        shutil.rmtree(work / folder)
    dvc("pull", cwd=work)
    assert file_bytes(work, *DEFAULT_OUTPUTS, "data/raw") == before
    touch = snakemake("--touch", "--cores", "1", cwd=work)
    assert touch.returncode == 0, touch.stderr[-2000:]
    plan = snakemake("-n", "--cores", "1", cwd=work)
    assert plan.returncode == 0 and "Nothing to be done" in plan.stdout + plan.stderr
