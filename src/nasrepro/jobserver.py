"""A local job server: each workflow job still runs in a process of its own, forked from a server
that has imported torch once, instead of starting an interpreter and importing torch anew.

Why: on 2 cores a search or evaluation job of the default profile spends about 3 s before its
first step (``import torch`` 1.3-1.7 s, ``torch._dynamo`` 0.9 s, which torch imports the first
time an optimizer is built; docs/performance.md, "Per-job fixed cost"), which is a third of the
default DAG's job time. With the server a job pays a fork (~0.03 s) and the import of its own
nasrepro modules.

How: ``snakemake`` with the local executor starts the server in ``onstart`` (``start``), exports
its socket as ``NASREPRO_JOBSERVER``, and stops it when the run ends. ``python -m nasrepro`` looks
at that variable before anything else (``run_served``): when a server answers there, the command
is sent to it with the job's working directory, environment, umask and its stdin/stdout/stderr
(the file descriptors themselves, so Snakemake's redirections and logs stay the job's); the
server forks, the child takes over those descriptors, directory and environment, sets torch's
intra-op threads from the job's ``OMP_NUM_THREADS`` as a fresh interpreter would, reseeds
numpy's global generator as a fresh interpreter would, and runs ``nasrepro.cli.main``. The client
waits and exits with the child's code (128 + n for a child killed by signal n). A client that is
killed (Snakemake stopping a job) closes its connection; the server then kills the child's process
group. A server whose parent (Snakemake) is gone stops and kills what it still runs.

Not served (the job runs in the client's own process, as without a server): no variable, the
value ``off``, no server answering at the socket, or a client of another interpreter or another
nasrepro source tree than the server's. Only the local executor starts a server: a Slurm job runs
on its own node, as its own process tree, under Slurm's accounting.

What differs from a fresh process: Snakemake's ``benchmark:`` files measure the job's process
tree, which is now the client; their wall time ``s`` is the job's, their CPU and memory columns
are the client's. ``NASREPRO_JOBSERVER=off snakemake ...`` runs every job in its own interpreter
(the before-and-after numbers: docs/performance.md, "Job server").

This module imports only the standard library at import time: the client runs in every job.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = "NASREPRO_JOBSERVER"  # the server's socket path, or "off"
OFF = "off"
SERVED_ENV = "NASREPRO_JOBSERVER_PID"  # set in a served job: the server that forked it
# Third-party modules the server imports before forking: what a job would import first (worker
# jobs torch; figure jobs matplotlib, 0.4 s; table and claims jobs scipy.stats through
# analysis.verdict, 0.8-1.1 s; benchmark lookups pandas, 0.3 s: `python -c "import numpy, torch;
# import <module>"` timed, 2026-12-08). Our own modules are not preloaded, so a child imports the
# source as it is on disk when the job starts.
PRELOAD = ("numpy", "torch", "torch._dynamo", "torch.optim", "scipy.stats", "pandas",
           "matplotlib.pyplot")
HEADER = struct.Struct("!Q")  # the length of a message that follows
READY_TIMEOUT_S = 60.0  # how long ``start`` waits for the server to import PRELOAD
POLL_S = 0.2  # how often the server looks for finished children and a vanished parent


def package_dir() -> str:
    """The nasrepro source tree this interpreter imports (client and server must agree)."""
    return str(Path(__file__).resolve().parent)


def process_kind() -> str:
    """How this job's process started, for its run.json."""
    server = os.environ.get(SERVED_ENV)
    return f"forked by job server {server}" if server else "own interpreter"


# ---- messages: a length header, then JSON ----

def _send(conn: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    payload = json.dumps(message).encode()
    if fds:
        socket.send_fds(conn, [HEADER.pack(len(payload))], fds)
        conn.sendall(payload)
    else:
        conn.sendall(HEADER.pack(len(payload)) + payload)


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 16))
        if not chunk:
            raise ConnectionError("connection closed mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(conn: socket.socket, nfds: int = 0) -> tuple[dict, list[int]]:
    if nfds:
        head, fds, _, _ = socket.recv_fds(conn, HEADER.size, nfds)
    else:
        head, fds = conn.recv(HEADER.size), []
    if len(head) < HEADER.size:
        head += _read_exactly(conn, HEADER.size - len(head)) if head else b""
    if not head:
        raise ConnectionError("connection closed")
    (size,) = HEADER.unpack(head)
    return json.loads(_read_exactly(conn, size)), list(fds)


# ---- the client: every `python -m nasrepro` ----

def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_served(argv: list[str]) -> int | None:
    """Run ``python -m nasrepro <argv>`` in the job server named by ``NASREPRO_JOBSERVER`` and
    return its exit code; None when there is no server to use (the caller runs it here)."""
    address = os.environ.get(ENV, "")
    if not address or address == OFF or not os.path.exists(address):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(address)
        _send(conn, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                     "umask": _current_umask(), "executable": sys.executable,
                     "package": package_dir()}, fds=[0, 1, 2])
        reply, _ = _receive(conn)
    except OSError:  # no server listening (a stale socket): run here
        conn.close()
        return None
    if "refused" in reply:
        conn.close()
        return None
    try:
        result, _ = _receive(conn)  # blocks until the job ends
    except (OSError, ConnectionError):
        print(f"error: the job server at {address} stopped while it ran this job; rerun the "
              f"workflow (set {ENV}={OFF} to run each job in its own interpreter)", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 128 + result["signal"] if result.get("signal") else result["exit"]


# ---- the server ----

def _preload() -> None:
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)


def _thread_setting(env: dict) -> int | None:
    """The intra-op thread count a fresh interpreter would take from the job's environment."""
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = env.get(key, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _become_job(request: dict, fds: list[int]) -> None:
    """In the forked child: take over the client's stdio, directory, environment and umask, then
    set what a fresh interpreter would have set differently from the server."""
    os.setpgid(0, 0)  # killing the job kills what it started
    _die_with_parent()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ[SERVED_ENV] = str(os.getppid())
    os.umask(request["umask"])
    sys.argv = [sys.argv[0], *request["argv"]]
    import numpy
    import torch

    threads = _thread_setting(request["env"])
    if threads is not None:
        torch.set_num_threads(threads)
    numpy.random.seed()  # a fresh interpreter seeds numpy's global generator from the OS


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the server dies (the client then reports it)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _run_job(request: dict, fds: list[int]) -> None:
    """The forked child's whole life: become the job, run the command, exit with its code."""
    code = 1
    try:
        _become_job(request, fds)
        from nasrepro.cli import main

        code = main(request["argv"])
    except SystemExit as stop:  # argparse: --help, bad arguments
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException as error:  # noqa: BLE001 - the child must never return into the server
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        try:
            import atexit
            import logging

            atexit._run_exitfuncs()
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Server:
    """Accepts jobs on a UNIX socket and forks one child per job (module docstring)."""

    def __init__(self, address: str, parent: int):
        self.address, self.parent = address, parent
        self.running: dict[int, socket.socket] = {}  # child pid -> its client's connection
        self.selector = selectors.DefaultSelector()
        self.stopping = False

    def listen(self) -> socket.socket:
        """Bind under a temporary name and rename: the socket appears once the server is ready."""
        staging = f"{self.address}.{os.getpid()}"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(staging)
        listener.listen(64)
        os.replace(staging, self.address)
        return listener

    def accept(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        conn.settimeout(30)
        try:
            request, fds = _receive(conn, nfds=3)
        except (OSError, ConnectionError, ValueError):
            conn.close()
            return
        refusal = self.refusal(request)
        if refusal:
            _send(conn, {"refused": refusal})
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        _send(conn, {"accepted": True})
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            listener.close()
            conn.close()
            _run_job(request, fds)
        try:
            os.setpgid(pid, pid)  # as the child does: no kill can come before its group exists
        except OSError:  # the child has already set it, or already exited
            pass
        for fd in fds:
            os.close(fd)
        conn.settimeout(None)
        self.running[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)

    def refusal(self, request: dict) -> str | None:
        if os.path.realpath(request.get("executable", "")) != os.path.realpath(sys.executable):
            return f"another interpreter ({request.get('executable')})"
        if request.get("package") != package_dir():
            return f"another nasrepro source tree ({request.get('package')})"
        return None

    def client_gone(self, pid: int) -> None:
        """The client closed its connection before its job ended (Snakemake killed the job)."""
        self._forget(self.running.get(pid))
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def reap(self) -> None:
        while self.running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.running.pop(pid, None)
            if conn is None:
                continue
            self._forget(conn)
            result = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                      else {"exit": os.waitstatus_to_exitcode(status)})
            try:
                _send(conn, result)
            except OSError:
                pass
            conn.close()

    def _forget(self, conn: socket.socket | None) -> None:
        """Stop watching a client's connection (its job ended, or the client went away)."""
        if conn is not None and conn.fileno() in self.selector.get_map():
            self.selector.unregister(conn)

    def parent_alive(self) -> bool:
        return os.getppid() == self.parent

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        listener = self.listen()
        self.selector.register(listener, selectors.EVENT_READ, None)
        try:
            while not self.stopping and self.parent_alive():
                for key, _ in self.selector.select(timeout=POLL_S):
                    if key.data is None:
                        self.accept(listener)
                    elif key.data in self.running:
                        self.client_gone(key.data)
                self.reap()
        finally:
            listener.close()
            Path(self.address).unlink(missing_ok=True)
            for pid in list(self.running):
                self.client_gone(pid)


# ---- the driver side: Snakefile onstart / onsuccess / onerror ----

_started: list[subprocess.Popen] = []  # the server ``start`` started in this process


def start(python: str = sys.executable) -> subprocess.Popen | None:
    """Start a server for this (Snakemake) process, wait until it is ready and export its socket
    in ``NASREPRO_JOBSERVER`` for the jobs; None (jobs run in their own interpreters) when the
    variable says ``off``, the platform cannot fork, or the server did not come up."""
    if os.environ.get(ENV) == OFF or not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return None
    address = os.path.join(tempfile.mkdtemp(prefix="nasrepro-jobs-"), "socket")
    process = subprocess.Popen(
        [python, "-m", "nasrepro.jobserver", address, str(os.getpid())],
        stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not os.path.exists(address):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            os.rmdir(os.path.dirname(address))
            return None
        time.sleep(0.05)
    os.environ[ENV] = address
    _started.append(process)
    return process


def stop() -> None:
    """Stop the server ``start`` started, if any (a child still running is killed)."""
    while _started:
        process = _started.pop()
        address = os.environ.pop(ENV, None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if address:
            Path(address).unlink(missing_ok=True)
            try:
                os.rmdir(os.path.dirname(address))
            except OSError:
                pass


def main(argv: list[str]) -> int:
    """``python -m nasrepro.jobserver SOCKET PARENT_PID``."""
    address, parent = argv
    _preload()
    Server(address, int(parent)).serve()
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)  # nothing to flush; tearing torch down would only delay the workflow's end
