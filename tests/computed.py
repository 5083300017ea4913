"""A session-wide run of the default workflow from a clean copy of the repository, computed once
with `snakemake --cores 2` and shared by the tests that need finished outputs (end to end, DVC,
report, Slurm comparison, faults). Tests that change files work on a copy (``copy_run``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_workflow import clean_copy, snakemake

DEFAULT_OUTPUTS = ("results/default", "data/prepared/default")


@dataclass(frozen=True)
class ComputedRun:
    path: Path
    output: str  # stdout + stderr of the run


@pytest.fixture(scope="session")
def computed_default(tmp_path_factory) -> ComputedRun:
    work = clean_copy(tmp_path_factory.mktemp("computed-default"))
    assert not (work / "results/default").exists(), "no pipeline output is tracked in git"
    out = snakemake("--cores", "2", cwd=work, timeout=1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return ComputedRun(work, out.stdout + out.stderr)


def copy_run(run: ComputedRun, dest: Path) -> Path:
    """A copy of the computed workspace (outputs and Snakemake metadata) at ``dest``."""
    shutil.copytree(run.path, dest, symlinks=True)
    return dest


def file_bytes(root: Path, *folders: str) -> dict[str, bytes]:
    """{relative path: content} of every file under ``folders`` of ``root``."""
    return {str(p.relative_to(root)): p.read_bytes()
            for folder in folders for p in sorted((root / folder).rglob("*")) if p.is_file()}
