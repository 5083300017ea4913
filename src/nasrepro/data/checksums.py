"""The ``checksums`` key of a dataset spec: the digest each raw file must have (issue #28 item 3).

Every loader that verifies its raw files names them in ``DatasetLoader.digests(spec)``: ``{key:
official digest or None}``, keys being file names (CIFAR-10/100, ImageNet16-120) or split names
(PTB, WikiText-2). The spec's ``checksums``:

- absent: the official digests (``None``: no official digest, the file's sha256 is logged);
- a mapping ``{key: digest}``: each listed key pinned to its digest (md5 if 32 hex digits, sha256
  if 64: a mirror's or the rehearsal fixtures' own files), unlisted keys keep the official digest;
  a key the loader does not read is refused (one line), never ignored;
- ``null``: nothing pinned, every file's sha256 logged so that it can be pinned.

A loader without ``digests`` verifies nothing, so ``checksums`` set on it is refused too (the
profile check says so before any job: ``problems``). ``verify: false`` (CIFAR, ImageNet16-120)
still skips hashing altogether.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from nasrepro.params import ConfigError
from nasrepro.utils.download import verify

ALGORITHMS = {32: "md5", 64: "sha256"}


def algorithm(digest: str, what: str) -> str:
    """``md5`` or ``sha256``, from the digest's length."""
    if len(digest) not in ALGORITHMS:
        raise ConfigError(f"{what}: checksum {digest!r} is neither an md5 (32 hex digits) nor a "
                          "sha256 (64 hex digits)")
    return ALGORITHMS[len(digest)]


def problems(what: str, spec: dict, official: Mapping[str, str | None] | None) -> list[str]:
    """One line per problem of ``spec['checksums']`` (``what``: e.g. ``datasets.cifar10``);
    ``official``: the loader's ``digests(spec)``, None for a loader that verifies nothing."""
    configured = spec.get("checksums")
    if "checksums" not in spec:
        return []
    if official is None:
        return [f"{what}.checksums: loader {spec['loader']!r} verifies no checksums; remove the "
                "key"]
    out = [f"{what}.checksums: {key!r} is not a file this loader reads; its keys are "
           f"{', '.join(official)}" for key in sorted(set(configured or {}) - set(official))]
    for key, digest in (configured or {}).items():
        if key in official and len(str(digest)) not in ALGORITHMS:
            out.append(f"{what}.checksums.{key}: {digest!r} is neither an md5 (32 hex digits) "
                       "nor a sha256 (64 hex digits)")
    return out


def expected(spec: dict, what: str, official: Mapping[str, str | None]) -> dict[str, str | None]:
    """{key: digest to check, or None (log it)} from ``spec``'s ``checksums`` (module docstring);
    a bad ``checksums`` raises ``ConfigError`` (its first problem, one line)."""
    found = problems(what, spec, official)
    if found:
        raise ConfigError(found[0])
    if "checksums" not in spec:
        return dict(official)
    if spec["checksums"] is None:
        return {key: None for key in official}
    return {**official, **spec["checksums"]}


def check(path: str | Path, digest: str | None, what: str,
          opener: Callable | None = None) -> str:
    """The file's digest (its decompressed content with ``opener``, e.g. ``gzip.open``), checked
    against ``digest`` (``ChecksumError`` on a mismatch; None: the sha256 is logged)."""
    return verify(path, digest, algorithm(digest, what) if digest else "sha256", opener)
