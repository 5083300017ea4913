"""Shared fixtures. Data from ../shared/data is optional: tests needing it skip with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NASREPRO_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATS_FIXTURE = SHARED_DATA / "nats-tss-v1_0-3ffb9-simple-fixture"


def shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data {path} is absent (see ../shared/data/README.md)")
    return path


@pytest.fixture(autouse=True)
def _registries():
    from nasrepro import registry

    registry.load_all()
