"""Retrain a found cell from scratch (evaluation when no benchmark is configured).

NAS-Bench-201 training protocol (Dong & Yang 2020, the benchmark behind the thesis' tables):
SGD, Nesterov momentum 0.9, weight decay 5e-4, lr 0.1 with a per-epoch cosine schedule to 0,
batch 256, 200 epochs. The network is trained on ``search_train`` and evaluated each epoch on
``search_valid`` ("Valid") and ``test`` ("Test"); the final epoch's numbers are reported. (The
benchmark's CIFAR-10 "Test" trains a second model on train+valid; one run serves both columns
here, a documented simplification.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.data.base import DataBundle, make_loader
from nasrepro.evaluation.metrics import batches_accuracy
from nasrepro.train.epochs import move_batch, run_epochs


@dataclass
class RetrainConfig:
    epochs: int = 200
    batch_size: int = 256
    lr: float = 0.1
    lr_min: float = 0.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float = 5.0


def run_retrain(net: nn.Module, bundle: DataBundle, cfg: RetrainConfig, seed: int,
                device: torch.device, state_dir, workers: int = 0) -> list[dict]:
    net = net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs, eta_min=cfg.lr_min)

    def get_state() -> dict:
        return {"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}

    def set_state(state: dict) -> None:
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])

    def run_epoch(epoch: int, epoch_seed: int) -> dict:
        net.train()
        lr = opt.param_groups[0]["lr"]
        total_loss, steps = 0.0, 0
        for batch in make_loader(bundle.search_train, cfg.batch_size, True, epoch_seed, workers):
            x, y = move_batch(batch, device)
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            opt.step()
            total_loss, steps = total_loss + float(loss.detach()), steps + 1
        sched.step()
        net.eval()
        return {"lr": lr, "train_loss": total_loss / max(1, steps),
                "valid_acc": batches_accuracy(net, make_loader(bundle.search_valid, 512, False, 0, workers), device),
                "test_acc": batches_accuracy(net, make_loader(bundle.test, 512, False, 0, workers), device)}

    return run_epochs(cfg.epochs, seed, state_dir, get_state, set_state, run_epoch)
