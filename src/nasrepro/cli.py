"""``python -m nasrepro <command>``: the entry point of every workflow job. The subcommands live in
``nasrepro.commands`` (one module per rule family); this module parses, logs and turns errors into
one console line and an exit code.

Workflow rules pass each job's fully resolved spec as one JSON ``--spec`` argument (built by
``nasrepro.profile.resolve``). With ``--log FILE`` the full log goes to FILE; a failure also prints one
line on the console naming the cause (and the log for a traceback).
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from pathlib import Path

from nasrepro import plugins, registry
from nasrepro.commands import bench, cells, data, jobs, report
from nasrepro.params import ConfigError
from nasrepro.utils.device import DeviceUnavailableError
from nasrepro.utils.download import ChecksumError, MissingDataError

log = logging.getLogger("nasrepro")

# Errors whose message says what is wrong and how to fix it: printed as one line, exit 2.
USER_ERRORS = (ConfigError, registry.UnknownNameError, MissingDataError, ChecksumError,
               DeviceUnavailableError, FileNotFoundError, ValueError)
# A full disk or an unwritable results folder: one line naming the folder and the fix.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasrepro", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--log", help="write the full log to this file (console: errors only)")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, jobs, cells, report, bench):
        module.add_commands(sub)
    return parser


def _configure_logging(args) -> None:
    level = logging.DEBUG if args.verbose else logging.INFO
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler: logging.Handler
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(args.log, mode="w")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(fmt)
    logging.raiseExceptions = False  # a log file on a full disk must not bury the one-line error
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    plugins.load(*args.loads)
    where = f" (full log: {args.log})" if args.log else ""
    try:
        return args.func(args) or 0
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
