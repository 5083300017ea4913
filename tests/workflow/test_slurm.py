"""Jobs through `workflow/profiles/slurm` on a real one-node Slurm cluster (munge, slurmctld,
slurmd on loopback with two fake GPUs, brought up as root by ../shared/slurm-recipe/slurm_up.sh,
which apt-installs the packages on a fresh Debian machine and is torn down by slurm_down.sh).
For time (each Slurm job costs ~15 s of start-up on 2 cores), the test cuts one run off a copy of
the session's rehearsal run (tests/computed.py, issue #20 item 3: the thesis profile's own code
path at rehearsal budgets) and rebuilds it through Slurm: Table 3.3's NAS-Bench-201 search, its
CIFAR-100 lookup, the table and what reads them. The outputs equal those of the `--cores` run;
GPU rules asked Slurm for a GPU, the others did not; the search, requeued while it ran (as a
preemption would), ran again to the same result. NASREPRO_SLURM_FULL=1 builds the whole default
DAG from a clean copy instead, where a requeued DARTS-space search (tens of seconds an epoch)
resumes from its `_state/` checkpoint; resuming after a kill at a random point is
tests/workflow/test_faults.py's."""

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.computed import (ENV, REHEARSAL_NB201_RUN, ROOT, clean_copy, copy_run,
                            job_counts, rehearsal_args, reproducible_bytes)

RECIPE = Path(os.environ.get("NASREPRO_SLURM_RECIPE", ROOT.parent / "shared" / "slurm-recipe"))

# The test cluster is tiny: the profile's thesis sizes are overridden to fit it, the rest (executor,
# requeue, retries, per-rule gpu requests from the rules) is the profile's. No slurmdbd here, so
# job status comes from squeue (see the recipe's README).
CLUSTER_OVERRIDES = (
    "--jobs", "4",
    "--default-resources", "slurm_partition=debug", "runtime=30", "mem_mb=1000", "cpus_per_task=1",
    "--set-resources", "search:mem_mb=1500", "evaluate:mem_mb=1500",
    "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-no-account", "--slurm-keep-successful-logs",
)
FULL = os.environ.get("NASREPRO_SLURM_FULL") == "1"
PROFILE = "default" if FULL else "rehearsal"
REFERENCE = "computed_default" if FULL else "computed_rehearsal"  # the session run it rebuilds
# on the xdist worker that holds that run (tests/xdist_groups.py: one worker per shared fixture)
pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.xdist_group(REFERENCE)]
COMPARED = (f"results/{PROFILE}/tables", f"results/{PROFILE}/figures")


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
    """Requeue every running job, as a preemption would, once there is something to requeue: in
    the rehearsal, the cut-off search as soon as Slurm runs it (seconds long); in the full default
    DAG, once a DARTS-space search (tens of seconds an epoch) has written a checkpoint."""
    def ready() -> list[str]:
        if FULL and not list((work / "results/default/runs/darts_cnn").rglob("_state/epoch*.pt")):
            return []
        return subprocess.run(["squeue", "-h", "-t", "R", "-o", "%i"], env=env, capture_output=True,
                              text=True).stdout.split()

    while not done.is_set() and not (running := ready()):
        time.sleep(0.2)
    for job in [] if done.is_set() else running:
        if subprocess.run(["scontrol", "requeue", job], env=env, capture_output=True).returncode == 0:
            requeued.append(job)
            _start_now(job, env)


def _start_now(job: str, env: dict) -> None:
    """Slurm holds a requeued job for ~2 minutes (reason BeginTime): once it is pending again (a
    job requeued as it started completes first), let it start at once."""
    updated = False
    for _ in range(150):
        state, _, reason = subprocess.run(["squeue", "-h", "-j", job, "-o", "%T %r"], env=env,
                                          capture_output=True, text=True).stdout.strip().partition(" ")
        if state == "PENDING" and reason == "BeginTime":
            updated = subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"],
                                     env=env, capture_output=True).returncode == 0
        elif state == "PENDING" or (state == "RUNNING" and updated):
            return
        time.sleep(0.2)


@pytest.fixture
def reference(request):
    """The local run the Slurm run must equal (built in the fixture's time, not the test's)."""
    return request.getfixturevalue(REFERENCE)


def test_rehearsal_jobs_through_the_slurm_profile_match_the_local_run(slurm_cluster, reference, tmp_path):
    if FULL:
        work, args = clean_copy(tmp_path), ("--configfile", "config/config.yaml")
    else:
        work = copy_run(reference, tmp_path / "work")
        shutil.rmtree(work / REHEARSAL_NB201_RUN)
        args = tuple(rehearsal_args())
    done, requeued = threading.Event(), []
    watcher = threading.Thread(target=_requeue_running_jobs, args=(work, slurm_cluster, done, requeued))
    watcher.start()
    began = time.monotonic()
    try:
        out = subprocess.run(["timeout", "-k", "10", "1800", sys.executable, "-m", "snakemake",
                              "--workflow-profile", "workflow/profiles/slurm", *CLUSTER_OVERRIDES,
                              *args],
                             cwd=work, env=slurm_cluster, capture_output=True, text=True, timeout=1900)
    finally:
        done.set()
        watcher.join()
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    what = "default DAG" if FULL else "Table 3.3's rehearsal run"
    print(f"Slurm round trip ({what}): {time.monotonic() - began:.0f} s")
    planned = job_counts(text)
    assert f"{planned['total']} of {planned['total']} steps (100%) done" in text
    assert FULL or (planned["search"] == 1 and planned["evaluate"] == 1 and planned["table"] == 1)
    assert reproducible_bytes(work, *COMPARED) == reproducible_bytes(reference.path, *COMPARED)
    finals = [p.relative_to(work) for p in (work / f"results/{PROFILE}/runs").rglob("*.json")
              if p.name in ("final.json", "genotype.json")]
    assert finals and all((work / p).read_bytes() == (reference.path / p).read_bytes() for p in finals)

    jobs = subprocess.run(["squeue", "-h", "--states=all", "-O", "JobID:12,Comment:300,tres-per-job:40"],
                          env=slurm_cluster, capture_output=True, text=True).stdout.splitlines()
    gpu = {line.split()[1] for line in jobs if "gpu" in line}
    assert gpu and all(name.startswith(("rule_search", "rule_evaluate")) for name in gpu)
    assert any(line.split()[1].startswith("rule_table") and "gpu" not in line for line in jobs)
    assert requeued, "no running job could be requeued"
    for job in requeued:  # each ran again after its requeue, and Snakemake took its result
        record = subprocess.run(["scontrol", "show", "job", job], env=slurm_cluster,
                                capture_output=True, text=True).stdout
        assert "Restarts=1" in record and "JobState=COMPLETED" in record, record
    if FULL:
        logs = [p.read_text() for p in (work / "results/default/logs").rglob("*.log")]
        assert any("resuming from" in log for log in logs), "a requeued job resumed"
