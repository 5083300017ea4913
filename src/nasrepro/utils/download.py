"""Obtain a file: a local path, else a download (http(s):// or file://), checksum verified.

A missing file with no URL, or a download that fails offline, raises ``MissingDataError`` that
names the file and where to put it. A checksum mismatch raises ``ChecksumError`` and leaves any
existing file untouched (the download goes to a temporary file first).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import urllib.request
from pathlib import Path
from typing import Callable

from nasrepro.utils.atomic import atomic_path

log = logging.getLogger(__name__)


class MissingDataError(FileNotFoundError):
    """A required data file is absent and cannot be downloaded."""


class ChecksumError(ValueError):
    """A file's checksum differs from the configured one."""


def file_digest(path: str | Path, algorithm: str = "sha256", opener: Callable | None = None) -> str:
    """The hex digest of the file's bytes, or of what ``opener(path, "rb")`` reads from it (e.g.
    ``gzip.open``: the decompressed content)."""
    digest = hashlib.new(algorithm)
    with (opener or open)(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: str | Path, expected: str | None, algorithm: str = "sha256",
           opener: Callable | None = None) -> str:
    """Return the file's digest (``opener``: of its decompressed content, see ``file_digest``);
    raise ``ChecksumError`` when ``expected`` is set and differs."""
    actual = file_digest(path, algorithm, opener)
    what = f"{path} (decompressed)" if opener else str(path)
    if not expected:
        log.warning("%s: no checksum configured; %s=%s (set it in the config to pin this file)",
                    what, algorithm, actual)
    elif actual.lower() != expected.lower():
        raise ChecksumError(
            f"{what}: {algorithm} is {actual}, expected {expected}. The file is corrupted or a "
            f"different version; delete it and fetch it again, or correct the checksum in the config.")
    return actual


def fetch(dest: str | Path, url: str | None, sha256: str | None, what: str,
          algorithm: str = "sha256") -> Path:
    """Make ``dest`` exist with the right checksum (``sha256``, or a digest of ``algorithm``),
    downloading from ``url`` when needed."""
    dest = Path(dest)
    if dest.exists():
        verify(dest, sha256, algorithm)
        return dest
    if not url:
        raise MissingDataError(
            f"{what}: {dest} is missing and no download URL is configured. "
            f"Put the file at {dest} (or set its `url` in the config).")
    log.info("downloading %s from %s", what, url)
    with atomic_path(dest) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as error:
            raise MissingDataError(
                f"{what}: could not download {url} ({error}). Offline? Put the file at {dest}."
            ) from error
        verify(tmp, sha256, algorithm)
    return dest
