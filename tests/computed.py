"""Helpers for tests that run Snakemake on a copy of the repository, and the session-wide run of
the default workflow (fixture ``computed_default`` in conftest.py): computed once with
`snakemake --cores 2` from a clean copy and shared by the tests that need finished outputs (end to
end, DVC, report, Slurm comparison, faults). Tests that change files work on a copy (``copy_run``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
# What the shared run builds: a slice of the default DAG (README command 1 builds all of it) that
# has every kind of job: Tables 6.2 (DARTS space, with iDARTS) and 2.3 (ranking columns over 5
# probe cells), Figures 3.5 (tau curves) and 5.6 (Hessian tracking, BaLeNAS) and the search
# curves, and the cost table over them. Every test that
# reruns or checks Snakemake on the shared run passes SLICE, so they all plan the same DAG ("--"
# ends `--config`: targets may follow). The DARTS-space jobs (Table 6.2) are the costliest of the
# slice: their searches and retrainings run 2 epochs instead of 3 (still one resume point in
# between), and iDARTS T=2, K=1 instead of the default T=4, K=2 (still T > 1 and K > 0); Table
# 6.2's rows select their cell (rule select_cell, 3 jobs) without further retrainings of it.
# Its tables, figures and claim verdicts are the committed snapshot the regression gate compares
# (`python -m nasrepro diff-results --select <SLICE_ITEMS>`, tests/workflow/test_gate_slice.py).
SLICE_ITEMS = ("table_2_3", "table_6_2", "fig_3_5", "fig_5_6", "search_curves_nb201")
SLICE: tuple[str, ...] = ("--config", f"select=[{','.join(SLICE_ITEMS)}]",
                          "spaces={nb201: {probes: {cells: 5, seed: 0, every: 2}}, "
                          "darts_cnn: {method_overrides: {epochs: 2, inner_steps: 2, neumann_terms: 1}, "
                          "retrain: {epochs: 2}}}", "selected_cell={retrainings: 1}", "--")
# A DARTS-space search of the slice long enough (two epochs of tens of seconds) to be interrupted
# between its checkpoints; tests that cut it off rebuild it, its retrainings and Table 6.2.
SLICE_DARTS_RUN = "results/default/runs/darts_cnn/cifar10/darts-2nd/seed0"
# The cost table of the shared run: a `select:` build writes its own (report/cost-<ids>.csv).
SLICE_COST = "results/default/report/cost-fig_3_5+fig_5_6+search_curves_nb201+table_2_3+table_6_2"


def snakemake(*args, cwd=ROOT, timeout=600):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def job_counts(output: str) -> dict[str, int]:
    block = output.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}


def clean_copy(tmp_path):
    """The repository as a fresh clone has it: tracked files only (working-tree content)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split("\0")
    for name in filter(None, files):
        src, dst = ROOT / name, tmp_path / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return tmp_path


@dataclass(frozen=True)
class ComputedRun:
    path: Path
    output: str  # stdout + stderr of the run


def run_default(base: Path) -> ComputedRun:
    """`snakemake --cores 2` of the default profile in a clean copy at ``base``."""
    work = clean_copy(base)
    assert not (work / "results/default").exists(), "no pipeline output is tracked in git"
    out = snakemake("--cores", "2", *SLICE, cwd=work, timeout=3600)  # a hang, not a slow machine
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


def reproducible_bytes(root: Path, *folders: str) -> dict[str, bytes]:
    """``file_bytes`` of what a rerun reproduces byte for byte: every file but the evaluation
    cards (``Layout.card``, issue 29), which hold the jobs' measured wall-clock times; their
    names are kept, with empty content, so that a missing card still differs."""
    return {path: b"" if ".card." in path else data
            for path, data in file_bytes(root, *folders).items()}
