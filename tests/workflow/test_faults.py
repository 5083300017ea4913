"""Faults survived, nothing computed lost: a search or retraining killed with SIGKILL at a random
point resumes to the uninterrupted result; Snakemake interrupted mid-DAG (SIGINT, SIGKILL) rebuilds
what was cut off; a second Snakemake on the same directory is refused; a read-only or full results
folder and bad config values stop with a clear message and write nothing. The uninterrupted
reference is the session's default run (tests/computed.py)."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.computed import (ENV, SLICE, clean_copy, copy_run, file_bytes, reproducible_bytes,
                            snakemake)
from tests.project.test_profile_errors import BAD_VALUES

RUN = "results/default/runs/nb201/cifar10/gdas"
CUT = "results/default/runs/darts_cnn/cifar10/gdas/seed0"
# cut off by the mid-DAG interruptions: an 8-epoch NAS-Bench-201 search (a checkpoint every epoch,
# seconds each: the kill lands with epochs to go), its retraining, and Table 2.3, cost, claims
SLOW = "results/default/runs/nb201/cifar10/en2as/seed1"
TIMING = ("epoch_time_s", "elapsed_s", "step_time_s")
COMPARED = ("results/default/tables", "results/default/figures")
LOCKED = "Directory cannot be locked"
pytestmark = pytest.mark.slow  # every test here runs Snakemake


def start(*args, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """Snakemake in its own session (process group), as a terminal would run it; its output goes
    to ``cwd/snakemake.out`` (a pipe nobody reads could fill up and stall it)."""
    with open(cwd / "snakemake.out", "w") as out:  # SIGINT as a terminal has it, even when the
        # tests run as a background job of a non-interactive shell (which ignores SIGINT)
        return subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=cwd,
                                env={**ENV, **(env or {})},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_until(condition, proc: subprocess.Popen) -> bool:
    """Poll ``condition`` until it holds (True) or ``proc`` has exited (False)."""
    while proc.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def last_checkpoint(state: Path) -> int:
    """The epochs the newest checkpoint completes (``epoch0003.pt``: 3, the log's "epoch 3/N")."""
    epochs = [int(p.stem[5:]) for p in state.glob("epoch*.pt")]
    return max(epochs, default=0)


def job_pids(session: int, marker: str) -> list[int]:
    """Processes of our Snakemake's session whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session and marker in (entry / "cmdline").read_text():
                    found.append(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
    return found


def same_records(a: Path, b: Path) -> bool:
    def strip(path):
        return [{k: v for k, v in json.loads(line).items() if k not in TIMING}
                for line in path.read_text().splitlines()]
    return strip(a) == strip(b)


def same_weights(a: Path, b: Path) -> bool:
    # weights_only=True: what the jobs save (and DVC pushes) is tensors and plain containers
    sa, sb = torch.load(a, weights_only=True), torch.load(b, weights_only=True)

    def flat(obj, prefix=""):
        if isinstance(obj, dict):
            return {k2: v2 for k, v in obj.items() for k2, v2 in flat(v, f"{prefix}{k}.").items()}
        return {prefix: obj}

    fa, fb = flat(sa), flat(sb)
    return fa.keys() == fb.keys() and all(
        torch.equal(fa[k], fb[k]) if torch.is_tensor(fa[k]) else fa[k] == fb[k] for k in fa)


@pytest.mark.slow
@pytest.mark.parametrize("out,done,model,log", [
    (f"{RUN}/seed0/search", "genotype.json", "supernet.pt", "search/nb201/cifar10/gdas/seed0.log"),
    # a DARTS-space retraining: its epochs take seconds (a NAS-Bench-201 one finishes in 0.5 s,
    # before a kill "up to 0.25 s after a checkpoint" can land)
    (f"{CUT}/eval/cifar10", "final.json", "model.pt", "evaluate/darts_cnn/cifar10/gdas/seed0/cifar10.log"),
], ids=["search", "retrain"])
def test_job_killed_at_a_random_point_resumes_to_the_same_result(computed_default, tmp_path,
                                                                  out, done, model, log):
    epochs = len((computed_default.path / out / "metrics.jsonl").read_text().splitlines())
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    after, delay = rng.randrange(1, epochs), rng.uniform(0, 0.25)  # at least one epoch left
    print(f"kill seed {seed}: SIGKILL {delay:.3f} s after checkpoint epoch{after:04d}.pt")
    work = copy_run(computed_default, tmp_path / "work")
    shutil.rmtree(work / out)
    target = f"{out}/{done}"
    proc = start("--cores", "1", *SLICE, target, cwd=work)
    assert wait_until(lambda: last_checkpoint(work / out / "_state") >= after, proc), \
        (work / "snakemake.out").read_text()[-2000:]
    time.sleep(delay)
    for pid in job_pids(proc.pid, "nasrepro\0--log"):  # the job's python, not its shell
        os.kill(pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode != 0 and not (work / out / done).exists(), "the job was cut off"

    log_file = work / "results/default/logs" / log
    killed = log_file.read_text()
    rerun = snakemake("--cores", "1", *SLICE, target, cwd=work)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    # Snakemake deleted the log before the rerun; the job put the killed attempt's lines back
    # (from its hidden unfinished copy) and appended the new attempt under a marker line
    text = log_file.read_text()
    print("".join(line + "\n" for line in text.splitlines() if line.startswith("---- ")))
    first, second = [line for line in text.splitlines() if line.startswith("---- job started")]
    assert first.endswith(", attempt 1 ----") and ", attempt 2: the lines above" in second
    assert killed.startswith("---- job started") and text.startswith(killed.rstrip("\n"))
    assert text.index(second) < text.index("resuming from")
    assert not (log_file.parent / f".{log_file.name}.unfinished").exists()
    assert not (work / out / "_state").exists()
    reference = computed_default.path / out
    assert (work / out / done).read_bytes() == (reference / done).read_bytes()
    assert same_records(work / out / "metrics.jsonl", reference / "metrics.jsonl")
    assert same_weights(work / out / model, reference / model)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_snakemake_interrupted_mid_dag_rebuilds_what_was_cut_off(computed_default, tmp_path, sig):
    work = copy_run(computed_default, tmp_path / "work")
    cut = work / SLOW
    shutil.rmtree(cut)
    # each job in its own interpreter (no job server): with served jobs the cut-off search ended
    # before the lock check below returned, so no checkpoint was seen mid-run (CI, 2026-12-08)
    proc = start("--cores", "2", *SLICE, cwd=work, env={"NASREPRO_JOBSERVER": "off"})
    assert wait_until(lambda: any((work / ".snakemake/locks").glob("*.lock")), proc)
    # --rerun-incomplete: once the first run's jobs have started, their outputs are "incomplete"
    # to a second run, which would otherwise stop on that before it tries the lock
    second = snakemake("--cores", "1", "--rerun-incomplete", *SLICE, cwd=work)
    assert second.returncode != 0 and LOCKED in second.stdout + second.stderr
    assert wait_until(lambda: any(not (p.parent.parent / "run.json").exists()  # not finishing
                                  for p in cut.rglob("_state/epoch*.pt")), proc)
    os.killpg(proc.pid, sig)  # the whole process group, as Ctrl-C or a killed terminal would
    proc.wait()

    # recover as Snakemake asks: a stale lock (only after SIGKILL: no clean-up ran) needs
    # `--unlock`, outputs of cut-off jobs `--rerun-incomplete`
    asked, redo = set(), []
    for _ in range(3):
        rerun = snakemake("--cores", "2", *redo, *SLICE, cwd=work, timeout=900)
        text = rerun.stdout + rerun.stderr
        if rerun.returncode == 0:
            break
        if LOCKED in text:
            asked.add("unlock")
            assert snakemake("--unlock", cwd=work).returncode == 0
        else:
            assert "--rerun-incomplete" in text, text[-3000:]
            asked.add("rerun-incomplete")
            redo = ["--rerun-incomplete"]
    assert rerun.returncode == 0, text[-3000:]
    assert ("unlock" in asked) == (sig == signal.SIGKILL)
    logs = (work / "results/default/logs").rglob("*.log")
    assert any("resuming from" in log.read_text() for log in logs), "a cut-off job kept its epochs"
    assert reproducible_bytes(work, *COMPARED) == reproducible_bytes(computed_default.path, *COMPARED)
    assert file_bytes(work, SLOW).keys() == file_bytes(computed_default.path, SLOW).keys()
    again = snakemake("-n", "--cores", "2", *SLICE, cwd=work)
    assert "Nothing to be done" in again.stdout + again.stderr


def _mounted(path: Path, options: list[str]) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", *options, str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_unwritable_or_full_results_folder_is_a_clear_error(tmp_path, fault):
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only or a full folder over results/ needs root")
    work = clean_copy(tmp_path)
    results = work / "results"
    options = (["--bind", str(results)] if fault == "read-only" else ["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
    if not _mounted(results, options):
        pytest.skip("this machine does not allow mounts (container without CAP_SYS_ADMIN)")
    try:
        if fault == "read-only":
            assert subprocess.run(["mount", "-o", "remount,bind,ro", str(results)]).returncode == 0
        out = snakemake("--cores", "1", f"{RUN}/seed0/search/genotype.json", cwd=work)
        written = [p for p in results.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".pt")]
    finally:
        subprocess.run(["umount", str(results)], check=True)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and not written
    if fault == "read-only":
        assert "Failed to create output directory results/default" in text and "Read-only file system" in text
    else:
        assert f"error: cannot write {RUN}/seed0/search" in text and "No space left on device" in text
        assert "free disk space or make the results folder writable" in text


# every bad value's message is tests/project/test_profile_errors.py's (in process); here two of
# them, one the schema finds and one a registry finds, through Snakemake itself
@pytest.mark.parametrize("case", ["unknown method", "wrong type"])
def test_bad_config_value_stops_with_one_line_and_writes_nothing(tmp_path, case):
    override, message = BAD_VALUES[case]
    work = clean_copy(tmp_path)
    out = snakemake("--cores", "1", "--config", override, cwd=work)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and message in text
    assert "Traceback" not in text and "Failed validating" not in text
    assert not (work / "results/default").exists() and not (work / "data/prepared").exists()
