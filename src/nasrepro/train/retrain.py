"""Retrain a found architecture from scratch (evaluation when no benchmark is configured).

The hyperparameters come from the space (``space.retrain_config(target)``, thesis values as
defaults): NAS-Bench-201's protocol for its cells (SGD, Nesterov 0.9, weight decay 5e-4, lr 0.1
cosine to 0, batch 256, 200 epochs), DARTS' for the DARTS space (600 epochs, batch 96, lr 0.025,
cutout 16, drop-path 0.2, auxiliary head 0.4; ImageNet: 250 epochs, label smoothing 0.1). The
network is trained on ``search_train`` and evaluated each epoch on ``search_valid`` ("Valid")
and ``test`` ("Test"), both non-augmented; the final epoch's numbers are reported. (The
benchmark's CIFAR-10 "Test" trains a second model on train+valid; one run serves both columns
here, a documented simplification.)

Networks may offer ``train_outputs(x) -> [(weight, logits), ...]`` (e.g. DARTS' auxiliary head,
loss = sum of weight * cross entropy) and a ``drop_path_prob`` attribute, raised linearly from 0
to ``drop_path`` over the epochs as in DARTS.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.data import base as data_base
from nasrepro.data.base import DataBundle, make_loader
from nasrepro.params import hp
from nasrepro.spaces.base import ClassificationTask
from nasrepro.train.epochs import run_epochs


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


def _outputs(net: nn.Module, x: torch.Tensor):
    return net.train_outputs(x) if hasattr(net, "train_outputs") else [(1.0, net(x))]


def run_retrain(net: nn.Module, bundle: DataBundle, cfg: RetrainConfig, seed: int,
                device: torch.device, state_dir, fingerprint: str, workers: int = 0) -> list[dict]:
    net = net.to(device)
    task = ClassificationTask()
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs, eta_min=cfg.lr_min)
    train_data = data_base.CutoutDataset(bundle.search_train, cfg.cutout) if cfg.cutout else bundle.search_train

    def get_state() -> dict:
        return {"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}

    def set_state(state: dict) -> None:
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        if hasattr(net, "drop_path_prob"):
            net.drop_path_prob = cfg.drop_path * epoch / cfg.epochs
        net.train()
        lr = opt.param_groups[0]["lr"]
        total_loss, steps = 0.0, 0
        for batch in make_loader(train_data, cfg.batch_size, True, epoch_seed, workers):
            x, y = task.to_device(batch, device)
            opt.zero_grad(set_to_none=True)
            loss = sum(w * nn.functional.cross_entropy(out, y, label_smoothing=cfg.label_smoothing)
                       for w, out in _outputs(net, x))
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            opt.step()
            total_loss, steps = total_loss + float(loss.detach()), steps + 1
        sched.step()
        net.eval()
        scores = {f"{split}_acc": task.score(net, make_loader(getattr(bundle, name), 512, False, 0, workers), device)
                  for split, name in (("valid", "search_valid"), ("test", "test"))}
        return {"lr": lr, "train_loss": total_loss / max(1, steps), **scores}

    return run_epochs(cfg.epochs, seed, state_dir, get_state, set_state, run_epoch,
                      fingerprint=fingerprint)
