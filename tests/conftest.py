"""Shared fixtures. Data from ../shared/data is optional: tests needing it skip with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasrepro import registry

registry.load_all()  # before collection: tests are parametrized over the registries

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


# Tiny networks per space: enough to run every method quickly on CPU. A new space adds a line.
SMALL_NETS = {"nb201": {"C": 4, "N": 1}, "darts_cnn": {"C": 4, "layers": 3},
              **{f"nb1shot1-s{v}": {"C": 2, "cells_per_stack": 1} for v in (1, 2, 3)},
              "darts_rnn": {"emsize": 4, "nhid": 4}}


def build_method(name: str, space_name: str = "nb201", shape=None, seed: int = 0,
                 net_cfg: dict | None = None, arch_examples: int = 1000, **overrides):
    """A registered method on a tiny supernet of a registered space, through the public API."""
    import random

    import torch

    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config
    from nasrepro.registry import METHODS, SPACES
    from nasrepro.spaces.base import DataShape

    space = SPACES.get(space_name)()
    torch.manual_seed(seed)
    supernet = space.build_supernet(shape or DataShape(10, 1, 8, 8),
                                    SMALL_NETS[space_name] if net_cfg is None else net_cfg)
    cls = METHODS.get(name)
    cfg = build_config(cls.Config, overrides, name)
    return cls(SearchContext(space, supernet, cfg, torch.device("cpu"), random.Random(seed),
                             arch_examples=arch_examples))


@pytest.fixture(scope="session")
def computed_default(tmp_path_factory):
    """The default workflow run once per session (tests/computed.py); treat it as read-only."""
    from tests.computed import run_default

    return run_default(tmp_path_factory.mktemp("computed-default"))
