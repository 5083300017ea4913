"""Same seed -> identical search; a crash followed by a rerun resumes to the identical result."""

import pytest
import torch

from nasrepro.methods.base import build_config
from nasrepro.registry import DATASETS, METHODS
from nasrepro.spaces.nb201 import Nb201Space
from nasrepro.train.search import run_search
from nasrepro.utils.seeding import make_deterministic, seed_everything

SPACE_CFG = {"C": 2, "N": 1, "affine": False, "track_running_stats": True}
SMALL = {"darts-1st": {}, "darts-2nd": {}, "gdas": {}, "random-nas": {"num_candidates": 5}}


def _search(method_name, tmp_path, seed=0, epochs=3):
    make_deterministic(1)
    bundle = DATASETS.get("digits").load({"split_seed": 0})
    seed_everything(seed)
    supernet = Nb201Space.build_supernet(bundle.num_classes, bundle.in_channels, SPACE_CFG)
    cls = METHODS.get(method_name)
    cfg = build_config(cls.Config, {"epochs": epochs, "batch_size": 128, **SMALL[method_name]},
                       method_name)
    method = cls(Nb201Space, supernet, cfg, torch.device("cpu"))
    return run_search(method, bundle, seed, tmp_path / "_state", eval_batches=2), method


def _strip_times(records):
    return [{k: v for k, v in r.items() if not k.endswith("time_s")} for r in records]


@pytest.mark.parametrize("method_name", sorted(SMALL))
def test_every_method_searches_and_same_seed_is_identical(method_name, tmp_path):
    first, m1 = _search(method_name, tmp_path / "a")
    second, m2 = _search(method_name, tmp_path / "b")
    assert first.arch == second.arch
    assert _strip_times(first.records) == _strip_times(second.records)
    assert len(first.records) == 3 and all(0 <= r["derived_valid_acc"] <= 100 for r in first.records)
    for key, value in m1.supernet.state_dict().items():
        assert torch.equal(value, m2.supernet.state_dict()[key]), key


@pytest.mark.parametrize("method_name", ["darts-2nd", "gdas", "random-nas"])
def test_kill_and_resume_gives_identical_result(method_name, tmp_path, monkeypatch):
    reference, _ = _search(method_name, tmp_path / "ref", epochs=3)

    cls = METHODS.get(method_name)
    original = cls.end_epoch
    calls = {"n": 0}

    def crashing_end_epoch(self):
        calls["n"] += 1
        if calls["n"] == 2:  # die in the middle of the second epoch
            raise KeyboardInterrupt("simulated kill")
        original(self)

    monkeypatch.setattr(cls, "end_epoch", crashing_end_epoch)
    with pytest.raises(KeyboardInterrupt):
        _search(method_name, tmp_path / "resumed", epochs=3)
    assert (tmp_path / "resumed" / "_state" / "state.pt").exists()
    monkeypatch.setattr(cls, "end_epoch", original)
    resumed, _ = _search(method_name, tmp_path / "resumed", epochs=3)
    assert resumed.arch == reference.arch
    assert _strip_times(resumed.records) == _strip_times(reference.records)


def test_corrupted_checkpoint_is_a_clear_error(tmp_path):
    from nasrepro.train.epochs import CorruptCheckpointError

    state = tmp_path / "bad" / "_state"
    state.mkdir(parents=True)
    (state / "state.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CorruptCheckpointError, match="Delete"):
        _search("gdas", tmp_path / "bad")
