"""The budget knob ``max_batches_per_epoch`` (config/rehearsal.yaml, issue #20): from the profile
through the job message to the loops, where it cuts every search, retraining and scoring pass
(text and NT-ASGD included) and changes nothing else; unset, the job messages are those of a
profile without the key. Jobs run through the CLI in this process."""

import json

import pytest
import torch
import yaml
from torch.optim.optimizer import register_optimizer_step_post_hook

from nasrepro.cli import main
from nasrepro.data.base import DataBundle, endless, make_loader
from nasrepro.data.protocols import PROTOCOLS
from nasrepro.data.text import TextSegments
from nasrepro.jobs import EvalJob, SearchJob, to_json
from nasrepro.params import build_config
from nasrepro.profile import resolve
from nasrepro.registry import SPACES
from nasrepro.spaces.darts_rnn.space import DARTS_V2
from nasrepro.train.retrain import run_retrain
from tests.conftest import ROOT

CELL = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|"


def _profile(**top) -> dict:
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    profile["method_overrides"] = {**profile["method_overrides"], "epochs": 1}
    profile["spaces"]["nb201"]["retrain"] = {"epochs": 1, "batch_size": 64}
    return {**profile, **top}


def _dataset(profile: dict) -> dict:
    return {"name": "cifar10", **profile["datasets"]["cifar10"]}


@pytest.fixture()
def steps():
    """The optimiser steps taken while the test runs (every optimiser)."""
    taken = []
    hook = register_optimizer_step_post_hook(lambda opt, a, k: taken.append(1))
    yield taken
    hook.remove()


def test_an_unset_knob_leaves_the_job_message_unchanged_and_a_set_one_reaches_the_worker():
    plain = _profile()
    message = to_json(resolve.search_job(plain, "nb201", _dataset(plain), "gdas", 0))
    assert "max_batches_per_epoch" not in message       # no "Params have changed" for old runs
    assert SearchJob.from_json(message).settings.max_batches_per_epoch is None
    capped = _profile(max_batches_per_epoch=3)
    job = resolve.eval_job(capped, "nb201", "cifar10", "gdas", 0, "cifar10", _dataset(capped), None)
    assert EvalJob.from_json(to_json(job)).settings.max_batches_per_epoch == 3


def test_a_capped_loader_restarts_each_pass_so_endless_streams_do_not_stall():
    data = torch.utils.data.TensorDataset(torch.arange(20.0))
    loader = make_loader(data, 2, False, 0, limit=3)
    assert [b[0].tolist() for b in loader] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    stream = endless(loader)
    assert [next(stream)[0][0].item() for _ in range(7)] == [0.0, 2.0, 4.0, 0.0, 2.0, 4.0, 0.0]


def test_the_search_loop_takes_as_many_steps_as_the_knob_allows(tmp_path):
    found = {}
    for cap in (None, 2):
        profile = _profile(**({} if cap is None else {"max_batches_per_epoch": cap}))
        spec = to_json(resolve.search_job(profile, "nb201", _dataset(profile), "gdas", 0))
        out = tmp_path / str(cap)
        assert main(["search", "--spec", spec, "--out-dir", str(out)]) == 0
        found[cap] = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["steps"]
    assert found[2] == 2 < found[None]


def test_the_evaluate_job_retrains_and_scores_only_the_allowed_batches(tmp_path, steps):
    genotype = tmp_path / "genotype.json"
    genotype.write_text(json.dumps({"arch": CELL}))
    taken = {}
    for cap in (None, 2):
        profile = _profile(**({} if cap is None else {"max_batches_per_epoch": cap}))
        job = resolve.eval_job(profile, "nb201", "cifar10", "gdas", 0, "cifar10",
                               _dataset(profile), None)
        steps.clear()
        assert main(["evaluate", "--spec", to_json(job), "--genotype", str(genotype),
                     "--out-dir", str(tmp_path / str(cap))]) == 0
        taken[cap] = len(steps)
    assert taken[2] == 2 < taken[None]


def test_text_retraining_with_nt_asgd_is_cut_in_training_and_scoring(tmp_path, steps):
    """The language-model path (DARTS' random lengths, NT-ASGD) honours the knob in its
    training pass and in both scoring passes."""
    space = SPACES.get("darts_rnn")()
    stream = torch.randint(50, (6000,), generator=torch.Generator().manual_seed(0))
    bundle = DataBundle("tiny", TextSegments(stream, 10, 0, variable=True),
                        TextSegments(stream[:600], 10, 1), TextSegments(stream[600:1200], 10, 2),
                        50, 1)
    torch.manual_seed(0)
    net = space.build_network(DARTS_V2, bundle.shape, {"emsize": 8, "nhid": 8})
    scored = []
    net.register_forward_pre_hook(lambda m, args: scored.append(1) if args[0].mode != "train"
                                  else None)
    cfg = build_config(space.retrain_config("ptb"),
                       {"epochs": 3, "batch_size": 10, "nonmono": 1, "eval_batch_size": 10}, "t")
    records = run_retrain(net, PROTOCOLS["nb201"].data(bundle), cfg, 0, torch.device("cpu"),
                          tmp_path / "s", "fp", 0, space.task, max_batches=4)
    assert len(steps) == 3 * 4
    assert len(scored) == 3 * 2 * 4          # 3 epochs x (valid, test) x 4 batches
    assert len(records) == 3 and all(r["valid_ppl"] > 0 for r in records)
