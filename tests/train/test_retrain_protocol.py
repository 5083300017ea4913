"""DARTS' retraining protocol where the loop applies it (``train/retrain.py``): the drop-path
probability the network sees in every epoch follows the linear schedule, Cutout reaches the
batches the model is trained on (and only those), the DARTS evaluation network drops paths
only in training, the auxiliary head's weighted loss and label smoothing reach the loss, and
every step is clipped to grad_clip. Only the config values were tested before; these fail if
the loop or the network stops applying them (docs/mutations.md: each switched off by hand)."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from nasrepro.data.base import DataBundle
from nasrepro.data.protocols import PROTOCOLS
from nasrepro.spaces.base import DataShape
from nasrepro.train.retrain import RetrainConfig, run_retrain

SIDE = 8


class Recorder(nn.Module):
    """A linear classifier that records, per forward, its mode, ``drop_path_prob`` and input."""

    def __init__(self):
        super().__init__()
        self.drop_path_prob = -1.0            # the loop must overwrite it every epoch
        self.fc = nn.Linear(SIDE * SIDE, 3)
        self.seen: list[tuple[bool, float, torch.Tensor]] = []

    def forward(self, x):
        self.seen.append((self.training, self.drop_path_prob, x.detach().clone()))
        return self.fc(x.flatten(1))


def _bundle(n=24):
    ones = torch.ones(n, 1, SIDE, SIDE)
    labels = torch.arange(n) % 3
    split = TensorDataset(ones, labels)
    return DataBundle("ones", split, TensorDataset(ones[:8], labels[:8]),
                      TensorDataset(ones[:8], labels[:8]), 3, 1)


def _retrain(tmp_path, data_on_device=False, **cfg):
    torch.manual_seed(0)
    net = Recorder()
    config = RetrainConfig(epochs=4, batch_size=8, lr=0.01, eval_batch_size=8, **cfg)
    run_retrain(net, PROTOCOLS["nb201"].data(_bundle()), config, 0, torch.device("cpu"),
                tmp_path / "state", "fp", data_on_device=data_on_device)
    return net.seen


def test_drop_path_probability_follows_darts_linear_schedule_per_epoch(tmp_path):
    """DARTS: drop_path_prob = drop_path * epoch / epochs at the start of every epoch."""
    seen = _retrain(tmp_path, drop_path=0.2)
    train = [(p, x) for training, p, x in seen if training]
    assert len(train) == 4 * 3                          # 24 examples in batches of 8, 4 epochs
    per_epoch = [sorted({p for p, _ in train[3 * e:3 * e + 3]}) for e in range(4)]
    assert per_epoch == [[pytest.approx(0.2 * e / 4)] for e in range(4)]
    assert per_epoch[-1][0] > 0


@pytest.mark.parametrize("data_on_device", [False, True])
def test_cutout_reaches_the_training_batches_only_when_enabled(tmp_path, data_on_device):
    length = 4
    seen = _retrain(tmp_path / "on", data_on_device, cutout=length)
    train = torch.cat([x for training, _, x in seen if training])
    scored = torch.cat([x for training, _, x in seen if not training])
    zeros = (train == 0).flatten(1).sum(1)
    # every training image lost one square of at most length x length pixels (clipped at borders)
    assert len(zeros) == 4 * 24 and (zeros > 0).all() and (zeros <= length * length).all()
    assert (zeros == length * length).any()
    assert (scored == 1).all()                          # valid/test scoring is never cut out
    seen = _retrain(tmp_path / "off", data_on_device, cutout=0)
    assert all((x == 1).all() for _, _, x in seen)


def test_darts_network_drops_paths_only_in_training():
    from nasrepro.spaces.darts_cnn.genotypes import published
    from nasrepro.spaces.darts_cnn.space import DartsCnnSpace

    torch.manual_seed(0)
    net = DartsCnnSpace().build_network(published("DARTS_V2"), DataShape(10, 1, 8, 8), {"C": 4, "layers": 3})
    x = torch.randn(4, 1, 8, 8)

    def twice(prob, train):
        net.train(train)
        net.drop_path_prob = prob
        outs = []
        for seed in (1, 2):
            torch.manual_seed(seed)
            outs.append(net(x))
        return outs

    a, b = twice(0.5, True)
    assert not torch.allclose(a, b)                     # paths dropped at random in training
    a, b = twice(0.0, True)
    assert torch.equal(a, b)
    a, b = twice(0.5, False)
    assert torch.equal(a, b)                            # never in evaluation


class ZeroHeads(nn.Module):
    """Zero-initialised main and auxiliary classifiers: every logit is 0, so each head's cross
    entropy is log 3 on any batch (the lr below leaves them at ~0)."""

    def __init__(self, auxiliary: bool):
        super().__init__()
        self.fc, self.aux = nn.Linear(SIDE * SIDE, 3), nn.Linear(SIDE * SIDE, 3)
        for p in self.parameters():
            nn.init.zeros_(p)
        if auxiliary:   # DARTS' evaluation network: logits, then the auxiliary head at weight 0.4
            self.train_outputs = lambda x: [(1.0, self(x)), (0.4, self.aux(x.flatten(1)))]

    def forward(self, x):
        return self.fc(x.flatten(1))


@pytest.mark.parametrize("auxiliary", [True, False])
def test_the_training_loss_is_the_weighted_sum_of_the_networks_train_outputs(tmp_path, auxiliary):
    """DARTS' auxiliary head (weight 0.4 in the retraining protocol) is trained through the loop:
    the loss is sum_w w * CE over ``train_outputs``, or the plain CE of a network without them."""
    import math

    config = RetrainConfig(epochs=1, batch_size=8, lr=1e-9, eval_batch_size=8)
    records = run_retrain(ZeroHeads(auxiliary), PROTOCOLS["nb201"].data(_bundle()), config, 0,
                          torch.device("cpu"), tmp_path / "state", "fp")
    want = (1.4 if auxiliary else 1.0) * math.log(3)
    assert records[0]["train_loss"] == pytest.approx(want, rel=1e-6)


def test_label_smoothing_reaches_the_training_loss(tmp_path):
    """DARTS' ImageNet protocol smooths the labels (0.1): the loop's loss is the smoothed cross
    entropy (here of fixed logits (2, 0, 0) over one epoch's 24 examples, 16 of class 0, in one
    step: the epoch's loss is that step's; with balanced classes smoothing would not change it)."""
    net = ZeroHeads(auxiliary=False)
    with torch.no_grad():
        net.fc.bias.copy_(torch.tensor([2.0, 0.0, 0.0]))
    labels = (torch.arange(24) % 3 == 2).long()
    ones = torch.ones(24, 1, SIDE, SIDE)
    bundle = DataBundle("ones", TensorDataset(ones, labels), TensorDataset(ones[:8], labels[:8]),
                        TensorDataset(ones[:8], labels[:8]), 3, 1)
    config = RetrainConfig(epochs=1, batch_size=24, lr=1e-9, eval_batch_size=8, label_smoothing=0.1)
    records = run_retrain(net, PROTOCOLS["nb201"].data(bundle), config, 0, torch.device("cpu"),
                          tmp_path / "state", "fp")
    logits = torch.tensor([[2.0, 0.0, 0.0]]).expand(24, 3)
    want = float(nn.functional.cross_entropy(logits, labels, label_smoothing=0.1))
    assert want != pytest.approx(float(nn.functional.cross_entropy(logits, labels)), rel=1e-2)
    assert records[0]["train_loss"] == pytest.approx(want, rel=1e-6)


def test_every_step_is_clipped_to_grad_clip(tmp_path):
    """The loop clips each step's gradient to ``grad_clip`` (DARTS: 5): with plain SGD (lr 1, no
    momentum or decay) the 3 steps of an epoch move the weights by at most 3 x grad_clip."""
    torch.manual_seed(0)
    net = Recorder()
    before = torch.cat([p.detach().flatten().clone() for p in net.parameters()])
    clip = 1e-3
    config = RetrainConfig(epochs=1, batch_size=8, lr=1.0, momentum=0.0, nesterov=False,
                           weight_decay=0.0, grad_clip=clip, eval_batch_size=8)
    run_retrain(net, PROTOCOLS["nb201"].data(_bundle()), config, 0, torch.device("cpu"),
                tmp_path / "state", "fp")
    moved = float((torch.cat([p.detach().flatten() for p in net.parameters()]) - before).norm())
    assert clip < moved <= 3 * clip * (1 + 1e-5)


def test_records_carry_each_epochs_cosine_lr_and_an_older_checkpoint_without_history_loads(
        tmp_path):
    """Each record's ``lr`` is the epoch's step size (cosine from lr to lr_min over the epochs);
    a checkpoint of older code, without the NT-ASGD check history, is restored (empty history)."""
    from nasrepro.train.epochs import save_checkpoint

    config = RetrainConfig(epochs=3, batch_size=8, lr=0.3, eval_batch_size=8)
    data = PROTOCOLS["nb201"].data(_bundle())
    torch.manual_seed(0)
    records = run_retrain(Recorder(), data, config, 0, torch.device("cpu"), tmp_path, "fp")
    assert [r["lr"] for r in records] == pytest.approx([0.3, 0.225, 0.075])
    saved = torch.load(tmp_path / "epoch0003.pt", weights_only=True)
    del saved["state"]["history"]
    save_checkpoint(tmp_path, 2, saved)
    assert run_retrain(Recorder(), data, config, 0, torch.device("cpu"), tmp_path, "fp") == records


class _ScriptedAccuracy:
    """A ClassificationTask whose valid top-1 of epoch e is ``script[e]`` (test: 0)."""

    def __new__(cls, script):
        from nasrepro.spaces.base import ClassificationTask

        class Scripted(ClassificationTask):
            def __init__(self):
                self.calls = 0

            def top_k(self, model, batches, device, ks):
                list(batches)
                value = script[self.calls // 2] if self.calls % 2 == 0 else 0.0  # valid, then test
                self.calls += 1
                return {k: value for k in ks}

        return Scripted()


@pytest.mark.parametrize("rising, switched", [(True, [False] * 4), (False, [False, False, False, True])])
def test_ntasgd_on_an_accuracy_treats_higher_as_better(tmp_path, rising, switched):
    """NT-ASGD (Merity et al. 2018, Alg. 1; thesis §2.4.2) switches when the validation metric has
    not improved over the last ``nonmono`` checks: with an accuracy (higher is better) a rising
    accuracy never triggers it, a falling one does at the third check (more than nonmono = 1
    earlier checks, worse than the first), so the fourth epoch is averaged (the check history
    stores -accuracy: run_retrain's ``higher_is_better`` branch)."""
    script = [0.1, 0.2, 0.3, 0.4] if rising else [0.4, 0.3, 0.2, 0.1]
    torch.manual_seed(0)
    config = RetrainConfig(epochs=4, batch_size=8, lr=0.01, eval_batch_size=8, nonmono=1)
    records = run_retrain(Recorder(), PROTOCOLS["nb201"].data(_bundle()), config, 0,
                          torch.device("cpu"), tmp_path, "fp", task=_ScriptedAccuracy(script))
    assert [r["valid_acc"] for r in records] == script
    assert [r["averaged"] for r in records] == switched
