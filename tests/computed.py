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

import yaml

from nasrepro.analysis import random_search
from nasrepro.layout import FIXTURES_MANIFEST, SHARED_DATA, Layout

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
# 6.2's rows select their cell (rule select_cell, 3 jobs) without further retrainings of it, and
# its random-sampling row is one sampled genotype retrained on CIFAR-10 (issue #29; 3 jobs).
# Its tables, figures and claim verdicts are the committed snapshot the regression gate compares
# (`python -m nasrepro diff-results --select <SLICE_ITEMS>`, tests/workflow/test_gate_slice.py).
SLICE_ITEMS = ("table_2_3", "table_6_2", "fig_3_5", "fig_5_6", "search_curves_nb201")
SLICE: tuple[str, ...] = ("--config", f"select=[{','.join(SLICE_ITEMS)}]",
                          "spaces={nb201: {probes: {cells: 5, seed: 0, every: 2}}, "
                          "darts_cnn: {method_overrides: {epochs: 2, inner_steps: 2, neumann_terms: 1}, "
                          "retrain: {epochs: 2}}}", "selected_cell={retrainings: 1}",
                          "random_sampling={cells: 1, seed: 0, targets: search}", "--")
# The cost table of the shared run: a `select:` build writes its own (report/cost-<ids>.csv).
SLICE_COST = "results/default/report/cost-fig_3_5+fig_5_6+search_curves_nb201+table_2_3+table_6_2"


# What the shared rehearsal run builds (fixture ``computed_rehearsal``): rule ``fixtures``, then
# the rehearsal command (config/thesis.yaml, config/rehearsal.yaml, the fixtures' manifest) restricted
# with ``select:`` to the part that fits the test tier: Table 2.2 with the published DARTS V2
# recurrent cell (PTB from Mikolov's files, DARTS' language-model retraining with NT-ASGD armed,
# the WikiText-2 transfer), Table 3.2 (two GDAS-NSAS searches in the DARTS space on the CIFAR-10
# python tars with data_on_device, the selection of the row's cell by held-out retrainings on the
# search halves, the ImageNet mobile protocol on the ImageFolder tree) and Table 3.3 (the
# NATS-Bench archive converted, a NAS-Bench-201 search, the CIFAR-100 lookup).
REHEARSAL_PART = {"table_2_2": {"runs": ["published-darts-v2"]},
                  "table_3_2": {"runs": ["gdas-nsas"], "seeds": [0, 1]},  # two searches: a selection
                  "table_3_3": {"runs": ["gdas-nsas"], "targets": ["cifar100"]}}
# The rehearsal run of Table 3.3 (a search, its lookup, the table): tests/workflow/test_slurm.py
# cuts it off a copy and rebuilds it through the Slurm profile.
REHEARSAL_NB201_RUN = "results/rehearsal/runs/nb201/cifar10/gdas-nsas/seed0"


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def rehearsal_args() -> list[str]:
    """The rehearsal's configuration arguments (``Layout("rehearsal").config_files``) restricted
    to ``REHEARSAL_PART`` ("--" ends `--config`: targets may follow)."""
    return ["--configfile", *Layout("rehearsal").config_files,
            "--config", f"select={_flow(list(REHEARSAL_PART))}", f"tables={_flow(REHEARSAL_PART)}",
            "--"]


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


def run_rehearsal(base: Path, shared: Path) -> ComputedRun:
    """Rule ``fixtures`` (from ``shared``, the ``../shared/data`` of a clean copy at ``base``), then
    the rehearsal part (``rehearsal_args``) with `--cores 2`."""
    work = clean_copy(base / "repo")
    (work / SHARED_DATA).parent.mkdir(parents=True)
    (work / SHARED_DATA).symlink_to(shared.resolve())
    fixtures = snakemake(FIXTURES_MANIFEST, "--cores", "1", cwd=work)
    assert fixtures.returncode == 0, fixtures.stdout[-3000:] + fixtures.stderr[-3000:]
    out = snakemake("--cores", "2", *rehearsal_args(), cwd=work, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return ComputedRun(work, out.stdout + out.stderr)


class DryRuns:
    """`snakemake -n -p --cores 2` of a profile in one clean copy, each computed once per session
    (fixture ``dry_runs``) and shared by the tests that read its plan or its messages; a test that
    writes into its copy makes its own."""

    def __init__(self, work: Path):
        self.work, self._plans = work, {}

    def __call__(self, profile: str) -> subprocess.CompletedProcess:
        if profile not in self._plans:
            files = Layout(profile).config_files
            self._plans[profile] = snakemake("-n", "-p", "--cores", "2",
                                             *(("--configfile", *files) if files else ()), cwd=self.work)
        return self._plans[profile]


def copy_run(run: ComputedRun, dest: Path) -> Path:
    """A copy of the computed workspace (outputs and Snakemake metadata) at ``dest``; the raw data
    (the rehearsal's 0.5 GB of fixtures, read only) is linked, not copied."""
    raw = run.path / "data" / "raw"
    shutil.copytree(run.path, dest, symlinks=True,
                    ignore=lambda folder, names: ["raw"] if Path(folder) == raw.parent else [])
    if raw.exists():
        (dest / "data" / "raw").symlink_to(raw)
    return dest


def file_bytes(root: Path, *folders: str) -> dict[str, bytes]:
    """{relative path: content} of every file under ``folders`` of ``root``."""
    return {str(p.relative_to(root)): p.read_bytes()
            for folder in folders for p in sorted((root / folder).rglob("*")) if p.is_file()}


def reproducible_bytes(root: Path, *folders: str) -> dict[str, bytes]:
    """``file_bytes`` of what a rerun reproduces byte for byte: every file but the evaluation
    cards (``Layout.card``, issue 29), which hold the jobs' measured wall-clock times, and the
    budget-matched random-search row of a table (its budget is a measured search time, so its
    draws and values are too: ``analysis.random_search``; the regression gate stores it as wall
    clock). A card keeps its name with empty content and the row its label's prefix, so that a
    missing card or row still differs."""
    return {path: b"" if ".card." in path else _without_random_search_values(data)
            for path, data in file_bytes(root, *folders).items()}


def _without_random_search_values(data: bytes) -> bytes:
    prefix = random_search.LABEL_PREFIX.encode()
    return b"\n".join(line[:line.index(prefix) + len(prefix)] if prefix in line else line
                       for line in data.split(b"\n"))
