"""The local job server (nasrepro.jobserver): a served job is the job a fresh interpreter runs
(same outputs byte for byte, its exit code, its thread count, its stdio), a killed client takes
its job with it, and a server outlives neither its parent nor ``stop``. The quick tests cover
when a client runs its command itself; the round trips start interpreters and are ``slow``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
import yaml

from nasrepro import jobserver
from nasrepro.jobs import to_json
from nasrepro.profile import resolve
from tests.conftest import ROOT


@pytest.fixture
def no_server_env(monkeypatch):
    monkeypatch.delenv(jobserver.ENV, raising=False)
    monkeypatch.delenv(jobserver.SERVED_ENV, raising=False)


@pytest.mark.parametrize("value", [None, "", jobserver.OFF, "/nonexistent/socket"])
def test_without_a_server_the_client_runs_the_command_itself(value, monkeypatch):
    if value is None:
        monkeypatch.delenv(jobserver.ENV, raising=False)
    else:
        monkeypatch.setenv(jobserver.ENV, value)
    assert jobserver.run_served(["--help"]) is None


def test_a_socket_nobody_listens_on_means_no_server(tmp_path, monkeypatch):
    path = tmp_path / "socket"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nothing listens: a server that died
    monkeypatch.setenv(jobserver.ENV, str(path))
    assert jobserver.run_served(["--help"]) is None


def test_the_server_refuses_another_interpreter_or_source_tree():
    server = jobserver.Server("unused", os.getpid())
    own = {"executable": sys.executable, "package": jobserver.package_dir()}
    assert server.refusal(own) is None
    assert "interpreter" in server.refusal({**own, "executable": "/usr/bin/false"})
    assert "source tree" in server.refusal({**own, "package": "/elsewhere/nasrepro"})


@pytest.mark.parametrize("env, threads", [({"OMP_NUM_THREADS": "3"}, 3),
                                          ({"MKL_NUM_THREADS": "2"}, 2),
                                          ({"OMP_NUM_THREADS": ""}, None), ({}, None)])
def test_a_served_job_takes_its_thread_count_from_its_environment(env, threads):
    assert jobserver._thread_setting(env) == threads


def test_process_kind_names_the_server(no_server_env, monkeypatch):
    assert jobserver.process_kind() == "own interpreter"
    monkeypatch.setenv(jobserver.SERVED_ENV, "123")
    assert jobserver.process_kind() == "forked by job server 123"


# ---- round trips: real interpreters ----

def _search_spec() -> str:
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    profile["method_overrides"] = {**profile["method_overrides"], "epochs": 1}
    dataset = {"name": "cifar10", **profile["datasets"]["cifar10"]}
    return to_json(resolve.search_job(profile, "nb201", dataset, "gdas", 2))


@pytest.fixture
def server(no_server_env):
    process = jobserver.start()
    assert process is not None and os.path.exists(os.environ[jobserver.ENV])
    yield process
    jobserver.stop()
    assert process.poll() is not None and jobserver.ENV not in os.environ


def _job(args, env_extra=None, served=True, **kwargs):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    if not served:
        env[jobserver.ENV] = jobserver.OFF
    return subprocess.run([sys.executable, "-m", "nasrepro", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, **kwargs)


def _outputs(folder):
    """A search's outputs without what a clock or the process writes."""
    metrics = [{k: v for k, v in json.loads(line).items() if "time" not in k and not k.endswith("_s")}
               for line in (folder / "metrics.jsonl").read_text().splitlines()]
    run = json.loads((folder / "run.json").read_text())
    return (folder / "genotype.json").read_bytes(), metrics, run


@pytest.mark.slow
def test_a_served_search_is_the_search_a_fresh_interpreter_runs(server, tmp_path):
    spec = _search_spec()
    results = {}
    for served in (False, True):
        out = tmp_path / str(served)
        done = _job(["search", "--spec", spec, "--out-dir", str(out)], {"OMP_NUM_THREADS": "2"},
                    served=served)
        assert done.returncode == 0, done.stderr
        results[served] = _outputs(out)
    (direct_cell, direct_metrics, direct_run), (served_cell, served_metrics, served_run) = (
        results[False], results[True])
    assert served_cell == direct_cell and served_metrics == direct_metrics
    assert direct_run["process"] == "own interpreter"
    assert served_run["process"] == f"forked by job server {server.pid}"
    assert direct_run["threads"] == served_run["threads"]  # the job's own setting


@pytest.mark.slow
def test_a_served_job_keeps_its_exit_code_and_its_one_line_error(server, tmp_path):
    args = ["--log", str(tmp_path / "log"), "search", "--spec", "{not json", "--out-dir",
            str(tmp_path / "x")]
    direct, served = _job(args, served=False), _job(args)
    assert served.returncode == direct.returncode == 2
    assert served.stderr == direct.stderr and "error:" in served.stderr
    usage_direct, usage_served = _job(["no-such-command"], served=False), _job(["no-such-command"])
    assert usage_served.returncode == usage_direct.returncode == 2
    assert usage_served.stderr == usage_direct.stderr


def _served_children(server):
    return psutil.Process(server.pid).children()


@pytest.mark.slow
def test_killing_the_client_kills_its_job(server, tmp_path):
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    profile["method_overrides"] = {**profile["method_overrides"], "epochs": 200}
    dataset = {"name": "cifar10", **profile["datasets"]["cifar10"]}
    spec = to_json(resolve.search_job(profile, "nb201", dataset, "darts-2nd", 0))
    client = subprocess.Popen([sys.executable, "-m", "nasrepro", "search", "--spec", spec,
                               "--out-dir", str(tmp_path / "long")], cwd=ROOT,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 60
    while not _served_children(server):
        assert time.monotonic() < deadline and client.poll() is None
        time.sleep(0.1)
    job = _served_children(server)[0]
    client.send_signal(signal.SIGTERM)  # what Snakemake does to a job it stops
    client.wait(timeout=30)
    job.wait(timeout=30)  # psutil: raises TimeoutExpired if the job outlived its client
    assert not _served_children(server)


@pytest.mark.slow
def test_a_server_stops_when_its_parent_dies(tmp_path):
    driver = subprocess.run(
        [sys.executable, "-c",
         "import os, sys; from nasrepro import jobserver; p = jobserver.start(); "
         "print(p.pid, os.environ[jobserver.ENV]); sys.stdout.flush(); os._exit(0)"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != jobserver.ENV})
    pid, address = driver.stdout.split()
    server = psutil.Process(int(pid))
    server.wait(timeout=30)  # raises TimeoutExpired if the orphaned server kept running
    assert not os.path.exists(address)


_CHILD = """
import os, sys, torch
from nasrepro import jobserver
torch.set_num_threads(2)  # the server's count (its environment sets none)
pid = os.fork()
if pid == 0:
    fds = [os.dup(0), os.dup(1), os.dup(2)]
    jobserver._become_job({"cwd": sys.argv[1], "umask": 0o027, "argv": ["x"],
                           "env": {"OMP_NUM_THREADS": "1", "PATH": os.environ["PATH"]}}, fds)
    print(torch.get_num_threads(), os.getcwd(), oct(os.umask(0)), os.environ.get("OMP_NUM_THREADS"),
          os.environ[jobserver.SERVED_ENV] == str(os.getppid()), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


@pytest.mark.slow  # an interpreter with torch, forked as the server forks a job
def test_a_forked_job_takes_the_clients_threads_directory_umask_and_environment(tmp_path):
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", str(tmp_path), "0o27", "1", "True"]
