"""Shared fixtures. Data from ../shared/data is optional: tests needing it skip with a reason."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
import torch

from nasrepro import plugins
from tests import xdist_groups

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NASREPRO_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATS_FIXTURE = SHARED_DATA / "nats-tss-v1_0-3ffb9-simple-fixture"

# the example plugin of examples/ (a method outside the package) is loaded like a profile's
# `plugins:`, so the registry-parametrized tests cover it on every space
EXAMPLE_PLUGIN = ROOT / "examples" / "spos.py"
plugins.load_all([str(EXAMPLE_PLUGIN)])  # before collection: tests are parametrized over them


def shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data {path} is absent (see ../shared/data/README.md)")
    return path


@pytest.fixture(autouse=True)
def _registries():
    plugins.load_all([str(EXAMPLE_PLUGIN)])


# Test tiers: a test that starts Snakemake or the nasrepro CLI as a subprocess is an end-to-end test
# and must be marked ``slow`` (`pytest -m "not slow"` is the quick tier). Unmarked tests that try
# fail loudly here instead of silently making the quick tier slow.
_TIER_COMMANDS = ("snakemake", "nasrepro")
_WRAPPERS = {"timeout", "env", "nice", "nohup", "stdbuf", "srun", "setsid"}


def _starts_slow_command(args) -> str | None:
    argv = shlex.split(args) if isinstance(args, str) else [os.fspath(a) for a in args]
    wrapped = bool(argv) and os.path.basename(argv[0]) in _WRAPPERS
    for i, token in enumerate(argv):
        name = os.path.basename(token) if i == 0 or wrapped else ""
        module = argv[i + 1] if token == "-m" and i + 1 < len(argv) else ""
        for command in _TIER_COMMANDS:
            if name == command or module == command or module.startswith(command + "."):
                return command
    return None


class _TierGuardedPopen(subprocess.Popen):
    def __init__(self, args, *rest, **kwargs):
        command = _starts_slow_command(args)
        if command is not None:
            raise RuntimeError(
                f"this test starts {command} as a subprocess ({args!r}) but is not marked slow: "
                "add @pytest.mark.slow (or a module-level pytestmark) so that the quick tier "
                "(`pytest -m \"not slow\"`) stays quick")
        super().__init__(args, *rest, **kwargs)


@pytest.fixture(autouse=True)
def _tier_guard(request, monkeypatch):
    """Unmarked (quick-tier) tests may not start Snakemake or the CLI (see _TIER_COMMANDS)."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setattr(subprocess, "Popen", _TierGuardedPopen)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    xdist_groups.order_and_record(config, items)  # one worker per shared fixture


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadgroup":
        return xdist_groups.make_scheduler(config, log)
    return None


# One torch thread in every test, whatever the machine's cores or load (results and their speed
# must not depend on either; several test modules also set it, this makes it session-wide).
torch.set_num_threads(1)


# Tiny networks per space: enough to run every method quickly on CPU. A new space adds a line.
SMALL_NETS = {"nb201": {"C": 4, "N": 1}, "darts_cnn": {"C": 4, "layers": 3},
              **{f"nb1shot1-s{v}": {"C": 2, "cells_per_stack": 1} for v in (1, 2, 3)},
              "darts_rnn": {"emsize": 4, "nhid": 4}}


_INPUT_DIR: list = []


def _tiny_dvae(space) -> Path:
    """A tiny real graph VAE for ``space`` (E²NAS' input ``dvae``), once per session: untrained
    (its decodes fall back to ``discretize``, E2nas.decode_cell) except on the 27-cell planted
    space, where it is trained until it reconstructs every cell (a few seconds)."""
    import random
    import tempfile

    import torch

    from nasrepro.methods.parts.dvae import KL_WEIGHT, GraphVAE

    if not _INPUT_DIR:
        _INPUT_DIR.append(tempfile.TemporaryDirectory(prefix="nasrepro-dvae-"))
    path = Path(_INPUT_DIR[0].name) / f"{space.name}.pt"
    if path.exists():
        return path
    torch.manual_seed(0)
    rng = random.Random(0)
    if space.name == "planted":
        from tests.planted import cells
        graphs = [space.encode(c) for c in cells()]
    else:
        graphs = [space.encode(space.sample(rng))]
    model = GraphVAE(graphs[0].types, len(graphs[0].node_types), 32, 6, False)
    if space.name == "planted":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for step in range(600):
            model.train()
            recon, kl = model.loss(graphs)
            opt.zero_grad()
            ((recon + KL_WEIGHT * kl) / len(graphs)).backward()
            opt.step()
            if step % 50 == 49:
                model.eval()
                if model.decode(model.encode(graphs)[0]) == graphs:
                    break
    model.eval().save(path)
    return path


def method_inputs(cls, space) -> dict[str, Path]:
    """Tiny real files for the named inputs a method declares (``cls.inputs``)."""
    makers = {"dvae": _tiny_dvae}
    return {name: makers[name](space) for name in cls.inputs}


def build_method(name: str, space_name: str = "nb201", shape=None, seed: int = 0,
                 net_cfg: dict | None = None, arch_examples: int = 1000, **overrides):
    """A registered method on a tiny supernet of a registered space, through the public API
    (with tiny input files and ``setup()`` for methods that declare inputs)."""
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
    method = cls(SearchContext(space, supernet, cfg, torch.device("cpu"), random.Random(seed),
                               inputs=method_inputs(cls, space), arch_examples=arch_examples))
    method.setup()
    return method


@pytest.fixture(scope="session")
def computed_default(tmp_path_factory):
    """The default workflow run once per session (tests/computed.py); treat it as read-only."""
    from tests.computed import run_default

    return run_default(tmp_path_factory.mktemp("computed-default"))


@pytest.fixture(scope="session")
def computed_rehearsal(tmp_path_factory):
    """The rehearsal fixtures and part of the rehearsal run once per session (tests/computed.py:
    ``run_rehearsal``); treat it as read-only. Skips without ../shared/data."""
    from nasrepro.data.fixtures import common
    from tests.computed import run_rehearsal

    shared(common.CIFAR_NPZ)
    return run_rehearsal(tmp_path_factory.mktemp("computed-rehearsal"), SHARED_DATA)


@pytest.fixture(scope="session")
def dry_runs(tmp_path_factory):
    """``dry_runs(profile)``: that profile's dry run in a clean copy, once per session
    (tests/computed.py: ``DryRuns``); read-only."""
    from tests.computed import DryRuns, clean_copy

    return DryRuns(clean_copy(tmp_path_factory.mktemp("dry-runs")))
