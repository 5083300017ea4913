"""``python -m nasrepro <command>``: the entry point of every workflow job. The subcommands live in
``nasrepro.commands`` (one module per rule family); this module parses, logs and turns errors into
one console line and an exit code.

Workflow rules pass each job's fully resolved spec as one JSON ``--spec`` argument (built by
``nasrepro.profile.resolve``). With ``--log FILE`` the full log goes to FILE; a failure also
prints one line on the console naming the cause (and the log for a traceback).

The log is appended to, one marker line opening each attempt (``attempt_marker``). Snakemake
deletes a job's declared log before it starts the job again (``Job.remove_existing_output``), so
every line is also written to a hidden copy beside it, ``.<name>.unfinished``, until the job
succeeds: a rerun after a kill or a failure finds the log gone and the copy there, restores the
log from it and appends, so the lines before the kill stay above the new marker.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from nasrepro import plugins, registry
from nasrepro.commands import bench, cells, claims, data, fixtures, gate, jobs, protocols, report
from nasrepro.params import ConfigError
from nasrepro.utils.device import DeviceUnavailableError
from nasrepro.utils.download import ChecksumError, MissingDataError

log = logging.getLogger("nasrepro")

# Errors whose message says what is wrong and how to fix it: printed as one line, exit 2.
USER_ERRORS = (ConfigError, registry.UnknownNameError, MissingDataError, ChecksumError,
               DeviceUnavailableError, FileNotFoundError, ValueError)
MARKER = "---- job started"  # opens each attempt's lines in a job's log
# A full disk or an unwritable results folder: one line naming the folder and the fix.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasrepro", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log", help="write the full log to this file (console: errors only)")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, fixtures, jobs, cells, report, claims, gate, bench, protocols):
        module.add_commands(sub)
    return parser


def unfinished_copy(log_file: str | Path) -> Path:
    """The hidden copy of ``log_file`` kept while its job has not succeeded (module docstring)."""
    log_file = Path(log_file)
    return log_file.with_name(f".{log_file.name}.unfinished")


def attempt_marker(attempt: int, now: datetime | None = None) -> str:
    """The line that opens attempt ``attempt`` (1, 2, ...) of a job in its log."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")
    if attempt == 1:
        return f"{MARKER} {stamp}, attempt 1 ----"
    return (f"{MARKER} {stamp}, attempt {attempt}: the lines above are from earlier attempts "
            "(a search or retraining resumes from its last checkpoint) ----")


def _open_log(log_file: Path) -> list[logging.Handler]:
    """Restore ``log_file`` from its unfinished copy if Snakemake deleted it, append the attempt
    marker, mirror the log into the copy and return a handler for each (every line goes to
    both)."""
    copy = unfinished_copy(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        if copy.exists() and not log_file.exists():
            shutil.copyfile(copy, log_file)
        earlier = log_file.read_text(errors="replace") if log_file.exists() else ""
        attempt = 1 + sum(line.startswith(MARKER) for line in earlier.splitlines())
        cut = "\n" if earlier and not earlier.endswith("\n") else ""  # a line cut off by a kill
        with open(log_file, "a") as handle:
            handle.write(cut + attempt_marker(attempt) + "\n")
        shutil.copyfile(log_file, copy)
    except OSError:  # a full disk: the job's first own write reports it in one line
        return [logging.FileHandler(log_file, mode="a")]
    return [logging.FileHandler(log_file, mode="a"), logging.FileHandler(copy, mode="a")]


def _configure_logging(args) -> None:
    level = logging.DEBUG if args.verbose else logging.INFO
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = _open_log(Path(args.log)) if args.log else [logging.StreamHandler()]
    for handler in handlers:
        handler.setFormatter(fmt)
    logging.raiseExceptions = False  # a log file on a full disk must not bury the one-line error
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)


def _finish_log(args) -> None:
    """After a successful job: the log is complete, its unfinished copy goes."""
    if args.log:
        root = logging.getLogger()
        copy = unfinished_copy(args.log)
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == os.path.abspath(copy):
                root.removeHandler(handler)
                handler.close()
        copy.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    plugins.load(*args.loads)
    where = f" (full log: {args.log})" if args.log else ""
    try:
        code = args.func(args) or 0
        if code == 0:
            _finish_log(args)
        return code
    except USER_ERRORS as error:
        log.error("%s", error, exc_info=bool(args.log))  # the log keeps the traceback
        if args.log:
            print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            return _unexpected(error, where)
        target = error.filename or next(v for v in (getattr(args, k, None) for k in
                                                     ("out_dir", "out", "out_prefix", "log")) if v)
        log.error("cannot write %s: %s", target, error.strerror, exc_info=True)
        print(f"error: cannot write {target}: {error.strerror}; free disk space or make the results "
              "folder writable, then rerun (finished epochs resume from _state/)", file=sys.stderr)
        return 2
    except Exception as error:
        return _unexpected(error, where)


def _unexpected(error: Exception, where: str) -> int:
    """An unexpected error: one line on the console, the traceback in the log."""
    log.exception("unexpected error")
    print(f"error: {type(error).__name__}: {error}{where}", file=sys.stderr)
    return 1
