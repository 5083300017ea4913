"""The default DAG through `workflow/profiles/slurm` on a real one-node Slurm cluster (munge,
slurmctld, slurmd on loopback with two fake GPUs, brought up as root by
../shared/slurm-recipe/slurm_up.sh, which apt-installs the packages on a fresh Debian machine and
is torn down by slurm_down.sh). For time (each Slurm job costs ~15 s of start-up on 2 cores), the
test cuts one DARTS-space run off a copy of the session's default run (tests/computed.py) and
rebuilds it through Slurm: its search, its two retrainings, Table 6.2 and what reads them;
NASREPRO_SLURM_FULL=1 builds the whole default DAG from a clean copy instead. The outputs equal
those of the `--cores` run; GPU rules asked Slurm for a GPU, the others did not; running jobs
requeued mid-run (as a preemption would) resumed from their `_state/` checkpoints."""

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.computed import (ENV, ROOT, SLICE, SLICE_DARTS_RUN, clean_copy, copy_run,
                            job_counts, reproducible_bytes)

RECIPE = Path(os.environ.get("NASREPRO_SLURM_RECIPE", ROOT.parent / "shared" / "slurm-recipe"))
pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# The test cluster is tiny: the profile's thesis sizes are overridden to fit it, the rest (executor,
# requeue, retries, per-rule gpu requests from the rules) is the profile's. No slurmdbd here, so
# job status comes from squeue (see the recipe's README).
CLUSTER_OVERRIDES = (
    "--configfile", "config/config.yaml", "--jobs", "4",
    "--default-resources", "slurm_partition=debug", "runtime=30", "mem_mb=1000", "cpus_per_task=1",
    "--set-resources", "search:mem_mb=1500", "evaluate:mem_mb=1500",
    "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-no-account", "--slurm-keep-successful-logs",
)
FULL = os.environ.get("NASREPRO_SLURM_FULL") == "1"
COMPARED = ("results/default/tables", "results/default/figures")


def _cannot_start_reason() -> str | None:
    if not (RECIPE / "slurm_up.sh").exists():
        return f"the Slurm test-cluster recipe {RECIPE} is absent (../shared/slurm-recipe)"
    if os.geteuid() != 0:
        return "starting munge/slurmctld/slurmd needs root"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "Slurm is not installed and there is no apt-get to install it (not Debian)"
    return None


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    reason = _cannot_start_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "SLURMLAB_ROOT": str(root), "FAKE_GPUS": "2"}
    for _ in range(3):  # the recipe's `printf | head` under pipefail sometimes dies of SIGPIPE (141)
        with open(root / "up.log", "w") as log:  # not a pipe: the daemons inherit stdout
            up = subprocess.run(["bash", str(RECIPE / "slurm_up.sh")], env=env, stdout=log,
                                stderr=subprocess.STDOUT, timeout=900)
        if up.returncode != 141:
            break
    if up.returncode != 0 and not shutil.which("slurmctld"):
        pytest.skip(f"the Slurm packages could not be installed: {(root / 'up.log').read_text()[-500:]}")
    try:
        assert up.returncode == 0, (root / "up.log").read_text()[-3000:]
        yield {**ENV, "SLURM_CONF": str(root / "etc/slurm.conf")}
    finally:
        subprocess.run(["bash", str(RECIPE / "slurm_down.sh")], env=env, capture_output=True,
                       timeout=120)


def _requeue_running_jobs(work: Path, env: dict, done: threading.Event, requeued: list):
    """Once a DARTS-space search (tens of seconds an epoch) has written a checkpoint, requeue
    every running job, as a preemption would."""
    while not done.is_set() and not list((work / "results/default/runs/darts_cnn").rglob("_state/epoch*.pt")):
        time.sleep(0.5)
    if done.is_set():
        return
    running = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%i"], env=env, capture_output=True,
                             text=True).stdout.split()
    for job in running:
        if subprocess.run(["scontrol", "requeue", job], env=env, capture_output=True).returncode == 0:
            requeued.append(job)
            # Slurm holds a requeued job for ~2 minutes; let it start again at once
            subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], env=env,
                           capture_output=True)


def test_default_dag_through_the_slurm_profile_matches_the_local_run(slurm_cluster, computed_default,
                                                                      tmp_path):
    if FULL:
        work = clean_copy(tmp_path)
    else:
        work = copy_run(computed_default, tmp_path / "work")
        shutil.rmtree(work / SLICE_DARTS_RUN)
    done, requeued = threading.Event(), []
    watcher = threading.Thread(target=_requeue_running_jobs, args=(work, slurm_cluster, done, requeued))
    watcher.start()
    began = time.monotonic()
    try:
        out = subprocess.run(["timeout", "-k", "10", "1800", sys.executable, "-m", "snakemake",
                              "--workflow-profile", "workflow/profiles/slurm", *CLUSTER_OVERRIDES,
                              *SLICE],
                             cwd=work, env=slurm_cluster, capture_output=True, text=True, timeout=1900)
    finally:
        done.set()
        watcher.join()
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    what = "default DAG" if FULL else "a DARTS-space run and Table 6.2"
    print(f"Slurm round trip ({what}): {time.monotonic() - began:.0f} s")
    planned = job_counts(text)
    assert f"{planned['total']} of {planned['total']} steps (100%) done" in text
    assert FULL or (planned["search"] == 1 and planned["evaluate"] == 2 and planned["table"] >= 1)
    assert reproducible_bytes(work, *COMPARED) == reproducible_bytes(computed_default.path, *COMPARED)
    finals = [p.relative_to(work) for p in (work / "results/default/runs").rglob("*.json")
              if p.name in ("final.json", "genotype.json")]
    assert finals and all((work / p).read_bytes() == (computed_default.path / p).read_bytes() for p in finals)

    jobs = subprocess.run(["squeue", "-h", "--states=all", "-O", "Comment:300,tres-per-job:40"],
                          env=slurm_cluster, capture_output=True, text=True).stdout.splitlines()
    gpu = {line.split()[0] for line in jobs if "gpu" in line}
    assert gpu and all(name.startswith(("rule_search", "rule_evaluate")) for name in gpu)
    assert any(line.startswith("rule_table") and "gpu" not in line for line in jobs)
    assert requeued, "no running job could be requeued"
    logs = [p.read_text() for p in (work / "results/default/logs").rglob("*.log")]
    assert any("resuming from" in log for log in logs), "a requeued job resumed from its checkpoint"
    assert FULL or "resuming from" not in "".join(
        p.read_text() for p in (computed_default.path / "results/default/logs").rglob("*.log"))
