"""Retrain a found architecture from scratch (evaluation when no benchmark is configured).

The hyperparameters come from the space (``space.retrain_config(target)``, thesis values as
defaults): NAS-Bench-201's protocol for its cells (SGD, Nesterov 0.9, weight decay 5e-4, lr 0.1
cosine to 0, batch 256, 200 epochs), DARTS' for the DARTS space (600 epochs, batch 96, lr 0.025,
cutout 16, drop-path 0.2, auxiliary head 0.4; ImageNet: 250 epochs, label smoothing 0.1). The
network is trained on the protocol's training set and evaluated each epoch on its "Valid" and
"Test" sets, both non-augmented (``data.protocols``: NAS-Bench-201's splits for its cells, the
whole training and test sets for the DARTS space); the final epoch's numbers are reported. A
classifier is scored by top-1 (``valid_acc``, ``test_acc``) and top-5 accuracy
(``valid_top5_acc``, ``test_top5_acc``: the ImageNet top-5 error of Tables 4.6, 5.1, 6.2), both
from one pass. (The
benchmark's CIFAR-10 "Test" trains a second model on train+valid; one run serves both columns
here, a documented simplification.)

Networks may offer ``train_outputs(x) -> [(weight, logits), ...]`` (e.g. DARTS' auxiliary head,
loss = sum of weight * cross entropy) and a ``drop_path_prob`` attribute, raised linearly from 0
to ``drop_path`` over the epochs as in DARTS.

Other tasks (``task``: the space's ``Task``, e.g. the DARTS recurrent space's language model) train
on ``task.loss`` and are scored with ``task.score``; the records then hold
``{valid,test}_<SCORE_KEYS[task.metric]>`` (``valid_ppl``: perplexity). Language-model data is
sequential (``make_loader`` keeps corpus order, the model carries its hidden state; a training
pass draws DARTS' random sequence lengths and scales each step's lr by length / BPTT,
``data.text``; the loss adds the task's ``weight_penalty``, DARTS' TAR). DARTS'
language-model protocol adds two options: ``nonmono`` > 0 turns on NT-ASGD (``train.ntasgd``:
after the switch every step updates the average of the iterates, and the average is what is
scored, checkpointed and returned), ``report = "best_valid"`` reports the epoch with the best
validation score (DARTS keeps the checkpoint of the best validation perplexity and tests it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.data.base import lr_scale, make_loader
from nasrepro.data.images import CutoutDataset
from nasrepro.data.protocols import RetrainData
from nasrepro.params import hp
from nasrepro.spaces.base import ClassificationTask, Task
from nasrepro.train.epochs import run_epochs
from nasrepro.train.lr import scaled_lr
from nasrepro.train.ntasgd import IterateAverage, nonmono_triggered

SCORE_KEYS = {"accuracy": "acc", "perplexity": "ppl"}  # record keys: valid_acc, test_ppl, ...


@dataclass
class RetrainConfig:
    epochs: int = hp(200, 1)
    batch_size: int = hp(256, 1)
    lr: float = hp(0.1, 0, low_open=True)
    lr_min: float = hp(0.0, 0)
    momentum: float = hp(0.9, 0, 1)
    nesterov: bool = hp(True)
    weight_decay: float = hp(5e-4, 0)
    grad_clip: float = hp(5.0, 0, low_open=True)
    cutout: int = hp(0, 0, doc="cutout square side in pixels (0 = off)")
    drop_path: float = hp(0.0, 0, 1)
    label_smoothing: float = hp(0.0, 0, 1)
    eval_batch_size: int = hp(512, 1, doc="batch size of the valid/test scoring")
    nonmono: int = hp(0, 0, doc="NT-ASGD: switch to averaged SGD after this many epochs without "
                                "a better validation score (0 = plain SGD throughout)")
    report: str = hp("last", choices=("last", "best_valid"),
                     doc="the epoch whose scores are reported: the last or the best validation")


def _outputs(net: nn.Module, x: torch.Tensor):
    return net.train_outputs(x) if hasattr(net, "train_outputs") else [(1.0, net(x))]


def _loss(task: Task, net: nn.Module, batch, cfg: RetrainConfig) -> torch.Tensor:
    if isinstance(task, ClassificationTask):
        x, y = batch
        return sum(w * nn.functional.cross_entropy(out, y, label_smoothing=cfg.label_smoothing)
                   for w, out in _outputs(net, x))
    return task.loss(net, batch) + task.weight_penalty(net)


def reported(records: list[dict], cfg: RetrainConfig, task: Task) -> dict:
    """The record whose scores are reported (``cfg.report``; ties: the earliest)."""
    if cfg.report == "last":
        return records[-1]
    key = f"valid_{SCORE_KEYS[task.metric]}"
    best = records[0]
    for record in records[1:]:
        if task.better(record[key], best[key]):
            best = record
    return best


def run_retrain(net: nn.Module, data: RetrainData, cfg: RetrainConfig, seed: int,
                device: torch.device, state_dir, fingerprint: str, workers: int = 0,
                task: Task | None = None, data_on_device: bool = False,
                max_batches: int | None = None) -> list[dict]:
    """Train ``net`` on ``data.train`` for ``cfg.epochs`` (resuming from ``state_dir``), scoring
    ``data.valid`` and ``data.test`` every epoch; returns the per-epoch records. With NT-ASGD
    the network holds the averaged weights when this returns. ``max_batches`` (the profile's
    ``max_batches_per_epoch``) cuts each training and scoring pass to its first batches."""
    net = net.to(device)
    on = device if data_on_device else None  # batches built on the device (data.images)
    task = task or ClassificationTask()
    key = SCORE_KEYS[task.metric]
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs, eta_min=cfg.lr_min)
    train_data = CutoutDataset(data.train, cfg.cutout) if cfg.cutout else data.train
    average: IterateAverage | None = None  # NT-ASGD's average, from the switch on
    history: list[float] = []              # validation score of every check (NT-ASGD)

    def get_state() -> dict:
        return {"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "history": list(history),
                "average": None if average is None else average.state_dict()}

    def set_state(state: dict) -> None:
        nonlocal average
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        history[:] = state.get("history", [])
        if state.get("average") is not None:
            average = IterateAverage(net)
            average.load_state_dict(state["average"])

    def scores() -> dict:
        net.eval()
        out = {}
        for split in ("valid", "test"):
            batches = make_loader(getattr(data, split), cfg.eval_batch_size, False, 0, workers,
                                  device=on, limit=max_batches)
            if isinstance(task, ClassificationTask):  # top-1 and top-5 in one pass
                top = task.top_k(net, batches, device, (1, 5))
                out.update({f"{split}_{key}": top[1], f"{split}_top5_{key}": top[5]})
            else:
                out[f"{split}_{key}"] = task.score(net, batches, device)
        return out

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        nonlocal average
        if hasattr(net, "drop_path_prob"):
            net.drop_path_prob = cfg.drop_path * epoch / cfg.epochs
        net.train()
        lr = opt.param_groups[0]["lr"]
        total_loss, steps = 0.0, 0
        for batch in make_loader(train_data, cfg.batch_size, True, epoch_seed, workers, device=on,
                                 phase="retrain", limit=max_batches):
            loss = _loss(task, net, task.to_device(batch, device), cfg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            with scaled_lr(opt, lr_scale(train_data, batch)):  # random-length text (DARTS)
                opt.step()
            if average is not None:
                average.update()
            total_loss, steps = total_loss + loss.detach().double(), steps + 1  # read per epoch
        sched.step()
        if average is not None:  # score the average; the live weights go on training
            average.swap()
            record = scores()
            average.swap()
        else:
            record = scores()
        record.update(lr=lr, train_loss=float(total_loss) / max(1, steps), averaged=average is not None)
        if cfg.nonmono and average is None:
            history.append(record[f"valid_{key}"] if not task.higher_is_better
                           else -record[f"valid_{key}"])
            if nonmono_triggered(history, cfg.nonmono):
                average = IterateAverage(net)
        return record

    records = run_epochs(cfg.epochs, seed, state_dir, get_state, set_state, run_epoch,
                         fingerprint=fingerprint)
    if average is not None:
        average.swap()  # the network that is kept is the average (DARTS' saved model)
    return records
