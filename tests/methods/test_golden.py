"""Golden values: a short search of each baseline, seeded, on fixed random data, must give the
same per-step losses, architecture parameters (to 1e-5) and derived cell as when the golden file
was written. Performance work (issue #11) must change no result; this is what checks it.

The file ``tests/golden/search_steps.json`` is rewritten only on purpose:
    NASREPRO_UPDATE_GOLDEN=1 python -m pytest tests/methods/test_golden.py
(then say in the commit why the numbers changed).
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
import torch

from nasrepro.spaces.base import DataShape
from nasrepro.utils.seeding import make_deterministic, seed_everything
from tests.conftest import build_method

GOLDEN = Path(__file__).parents[1] / "golden" / "search_steps.json"
UPDATE = os.environ.get("NASREPRO_UPDATE_GOLDEN") == "1"
STEPS = 3
CASES = {  # name: (method, space, network config)
    "nb201-darts-1st": ("darts-1st", "nb201", {"C": 4, "N": 2}),
    "nb201-darts-2nd": ("darts-2nd", "nb201", {"C": 4, "N": 2}),
    "nb201-gdas": ("gdas", "nb201", {"C": 4, "N": 2}),
    "nb201-random-nas": ("random-nas", "nb201", {"C": 4, "N": 2}),
    "darts_cnn-darts-2nd": ("darts-2nd", "darts_cnn", {"C": 4, "layers": 3}),
    "darts_cnn-gdas": ("gdas", "darts_cnn", {"C": 4, "layers": 3}),
    # the methods with released-code options (issue #25) at fidelity thesis: the options off
    # leave their steps as they were before the options existed
    "nb201-random-nas-nsas": ("random-nas-nsas", "nb201", {"C": 4, "N": 2}),
    "nb201-gdas-nsas": ("gdas-nsas", "nb201", {"C": 4, "N": 2}),
    "nb201-gdas-replay": ("gdas-replay", "nb201", {"C": 4, "N": 2}),
    "nb201-idarts": ("idarts", "nb201", {"C": 4, "N": 2}),
}
SHAPE = DataShape(10, 3, 16, 16)


def _batches(seed: int, count: int):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 3, 16, 16, generator=gen), torch.randint(0, 10, (16,), generator=gen))
            for _ in range(count)]


def _trace(case: str) -> dict:
    method_name, space, net = CASES[case]
    make_deterministic(1)
    seed_everything(0)
    extra = {"eval_batch_size": 16, "num_candidates": 3} if method_name.startswith("random-nas") \
        else {}
    method = build_method(method_name, space, shape=SHAPE, net_cfg=net, **extra)
    method.ctx.train_stream = itertools.cycle(_batches(4, 3))  # iDARTS' T - 1 further batches
    method.begin_epoch(0)
    losses = []
    for train, valid in zip(_batches(1, STEPS), _batches(2, STEPS)):
        record = method.step(train, valid)
        losses.append({k: float(v) for k, v in sorted(record.items())})
    method.end_epoch()
    arch = method.derive(lambda batch_size: itertools.cycle(_batches(3, 2)))
    alphas = {k: v.detach().flatten().tolist() for k, v in getattr(method, "alphas", {}).items()}
    weights = sum(float(p.detach().double().sum()) for p in method.supernet.parameters())
    buffers = sum(float(b.detach().double().sum()) for b in method.supernet.buffers())
    return {"losses": losses, "alphas": alphas, "weight_sum": weights, "buffer_sum": buffers,
            "arch": method.space.to_string(arch)}


def _close(actual, expected, path="", atol=1e-6):
    """Losses and sums to 1e-5 relative. Alphas to 5e-5 absolute: Adam moves a parameter by about
    lr * sign(g) wherever |g| is far above its eps, so float-rounding noise in a near-zero
    gradient shows as a few percent of lr (3e-4) after three steps; a wrong step moves it by lr."""
    if isinstance(expected, dict):
        assert set(actual) == set(expected), path
        for key in expected:
            _close(actual[key], expected[key], f"{path}.{key}", 5e-5 if key == "alphas" else atol)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{path}[{i}]", atol)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-5, abs=atol), path
    else:
        assert actual == expected, path


@pytest.mark.parametrize("case", sorted(CASES))
def test_search_steps_match_the_golden_values(case):
    trace = _trace(case)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if UPDATE:
        golden[case] = trace
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    assert case in golden, f"no golden values for {case}; write them with NASREPRO_UPDATE_GOLDEN=1"
    _close(trace, golden[case], case)
