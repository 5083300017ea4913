"""The evaluate command: benchmark lookup on the real fixture, and retraining with resume."""

import json

import pytest
import torch

from nasrepro.cli import main
from nasrepro.data.protocols import PROTOCOLS
from nasrepro.registry import DATASETS
from nasrepro.spaces.nb201.space import Nb201Space
from nasrepro.train.retrain import RetrainConfig, run_retrain
from nasrepro.utils.seeding import make_deterministic, seed_everything
from tests.conftest import NATS_FIXTURE, shared


def _genotype(tmp_path, index):
    path = tmp_path / "genotype.json"
    path.write_text(json.dumps({"space": "nb201", "arch": Nb201Space().from_index(index).to_string()}))
    return path


def test_evaluate_by_benchmark_lookup_writes_thesis_columns(tmp_path):
    shared("nats-tss-v1_0-3ffb9-simple-fixture/000011.pickle.pbz2")
    from nasrepro.spaces.nb201.benchmark import convert

    table = tmp_path / "nb201.parquet"
    convert(NATS_FIXTURE, partial=True).to_parquet(table, index=False)
    spec = {"mode": "benchmark", "target": "cifar10", "space": "nb201", "seed": 0, "run": "gdas",
            "method": "gdas", "search_dataset": "cifar10",
            "benchmark_table": str(table),
            "settings": {"device": "cpu", "threads": 1, "workers": 0, "profile": "test"}}
    out = tmp_path / "eval"
    assert main(["evaluate", "--spec", json.dumps(spec), "--genotype", str(_genotype(tmp_path, 11)),
                 "--out-dir", str(out)]) == 0
    final = json.loads((out / "final.json").read_text())
    assert final["test_acc"] == pytest.approx(91.583, abs=1e-3)
    assert final["valid_acc"] == pytest.approx(87.94, abs=0.01)
    assert {k: final[k] for k in ("space", "dataset", "run", "method", "seed", "target")} == {
        "space": "nb201", "dataset": "cifar10", "run": "gdas", "method": "gdas", "seed": 0,
        "target": "cifar10"}
    run = json.loads((out / "run.json").read_text())
    assert run["device"] == "cpu" and "torch" in run["versions"] and run["wall_time_s"] >= 0


def test_retrain_resume_is_identical(tmp_path, monkeypatch):
    bundle = DATASETS.get("digits").load({"split_seed": 0})
    arch = Nb201Space().from_index(11)
    cfg = RetrainConfig(epochs=3, batch_size=128)
    cell_cfg = {"C": 2, "N": 1, "affine": True, "track_running_stats": True}

    def retrain(state_dir):
        make_deterministic(1)
        seed_everything(5)
        net = Nb201Space().build_network(arch, bundle.shape, cell_cfg)
        return run_retrain(net, PROTOCOLS["nb201"].data(bundle), cfg, 5, torch.device("cpu"),
                           state_dir, fingerprint="f")

    reference = retrain(tmp_path / "ref")
    calls = {"n": 0}
    original = torch.optim.lr_scheduler.CosineAnnealingLR.step

    def crash(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # second epoch's scheduler step (the first happens at construction)
            raise KeyboardInterrupt("simulated kill")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.lr_scheduler.CosineAnnealingLR, "step", crash)
    with pytest.raises(KeyboardInterrupt):
        retrain(tmp_path / "resumed")
    monkeypatch.setattr(torch.optim.lr_scheduler.CosineAnnealingLR, "step", original)
    resumed = retrain(tmp_path / "resumed")
    strip = lambda rs: [{k: v for k, v in r.items() if not k.endswith("_s")} for r in rs]  # noqa: E731
    assert strip(resumed) == strip(reference)
    assert reference[-1]["test_acc"] > 10.0  # better than chance on 10 classes after 3 epochs


def test_a_retraining_writes_its_network_and_top5_into_final_json(tmp_path):
    """final.json names the network that produced it (the tables' "Evaluation network [ours]",
    issue 30 item 4) and carries top-5 accuracy beside top-1 (item 5)."""
    net_cfg = {"C": 2, "N": 1, "affine": True, "track_running_stats": True}
    spec = {"mode": "retrain", "target": "cifar10", "space": "nb201", "seed": 0, "run": "gdas",
            "method": "gdas", "search_dataset": "cifar10",
            "dataset": {"name": "cifar10", "loader": "digits", "split_seed": 0},
            "net_cfg": net_cfg, "retrain": {"epochs": 1, "batch_size": 256},
            "settings": {"device": "cpu", "threads": 1, "workers": 0, "profile": "test"}}
    out = tmp_path / "eval"
    assert main(["evaluate", "--spec", json.dumps(spec), "--genotype", str(_genotype(tmp_path, 11)),
                 "--out-dir", str(out)]) == 0
    final = json.loads((out / "final.json").read_text())
    assert final["net"] == net_cfg
    assert 0 <= final["test_acc"] <= final["test_top5_acc"] <= 100
