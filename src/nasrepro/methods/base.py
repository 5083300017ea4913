"""What every search method shares: its config dataclass, the supernet-weight optimizer and the
interface the search loop drives (``begin_epoch``, ``step``, ``end_epoch``, ``derive``,
``state_dict``).

Weight optimizer defaults are the NAS-Bench-201 v1.0 search protocol the thesis follows (§3.4.2,
"all experimental settings follow [41]"): SGD, lr 0.025 annealed by a per-epoch cosine schedule to
0.001, momentum 0.9, Nesterov, weight decay 5e-4, gradient-norm clipping at 5, batch 64.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import torch
from torch import nn


@dataclass
class WeightConfig:
    epochs: int = 50
    batch_size: int = 64
    w_lr: float = 0.025
    w_lr_min: float = 0.001
    w_momentum: float = 0.9
    w_nesterov: bool = True
    w_weight_decay: float = 5e-4
    grad_clip: float = 5.0


@dataclass
class ArchConfig(WeightConfig):
    """Architecture optimizer of the NAS-Bench-201 protocol: Adam lr 3e-4, betas (0.5, 0.999),
    weight decay 1e-3; alpha initialised as 1e-3 * N(0, 1)."""

    a_lr: float = 3e-4
    a_beta1: float = 0.5
    a_beta2: float = 0.999
    a_weight_decay: float = 1e-3
    a_init_std: float = 1e-3


def build_config(cls: type, overrides: dict, method: str):
    """Instantiate a method's config dataclass; an unknown key is an error naming the valid ones."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown} for method {method!r}; "
                         f"valid keys: {sorted(known)}")
    return cls(**overrides)


class SearchMethod:
    """Base class. Subclasses set ``Config`` and implement ``step`` and ``derive``."""

    Config: type = WeightConfig

    def __init__(self, space, supernet: nn.Module, cfg, device: torch.device):
        self.space, self.supernet, self.cfg, self.device = space, supernet.to(device), cfg, device
        self.w_opt = torch.optim.SGD(supernet.parameters(), lr=cfg.w_lr, momentum=cfg.w_momentum,
                                     nesterov=cfg.w_nesterov, weight_decay=cfg.w_weight_decay)
        self.w_sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.w_opt, T_max=cfg.epochs, eta_min=cfg.w_lr_min)

    @property
    def w_lr(self) -> float:
        return self.w_opt.param_groups[0]["lr"]

    def weight_step(self, x: torch.Tensor, y: torch.Tensor, **forward_kwargs) -> float:
        """One SGD step of the supernet weights on a training batch."""
        self.supernet.train()
        self.w_opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(self.supernet(x, **forward_kwargs), y)
        loss.backward()
        nn.utils.clip_grad_norm_(self.supernet.parameters(), self.cfg.grad_clip)
        self.w_opt.step()
        return float(loss.detach())

    def begin_epoch(self, epoch: int) -> dict:
        return {"w_lr": self.w_lr}

    def end_epoch(self) -> None:
        self.w_sched.step()

    def step(self, train_batch, valid_batch) -> dict:
        raise NotImplementedError

    def derive(self, valid_loader) -> object:
        """The cell this method would return now (``valid_loader``: search_valid batches)."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"supernet": self.supernet.state_dict(), "w_opt": self.w_opt.state_dict(),
                "w_sched": self.w_sched.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.w_opt.load_state_dict(state["w_opt"])
        self.w_sched.load_state_dict(state["w_sched"])

    def config_dict(self) -> dict:
        return dataclasses.asdict(self.cfg)


class ArchParamMethod(SearchMethod):
    """Methods with continuous architecture parameters alpha (one row per edge, one column per
    operation, shared by all cells) optimised by Adam; the cell is argmax(alpha) per edge."""

    Config: type = ArchConfig

    def __init__(self, space, supernet: nn.Module, cfg, device: torch.device):
        super().__init__(space, supernet, cfg, device)
        shape = (len(space.edges), len(space.ops))
        self.alpha = nn.Parameter(cfg.a_init_std * torch.randn(shape, device=device))
        self.a_opt = torch.optim.Adam([self.alpha], lr=cfg.a_lr, betas=(cfg.a_beta1, cfg.a_beta2),
                                      weight_decay=cfg.a_weight_decay)

    def derive(self, valid_loader=None):
        choice = self.alpha.detach().argmax(dim=1).tolist()
        return self.space.arch_type(tuple(self.space.ops[k] for k in choice))

    def state_dict(self) -> dict:
        return {**super().state_dict(), "alpha": self.alpha.detach().clone(),
                "a_opt": self.a_opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            self.alpha.copy_(state["alpha"])
        self.a_opt.load_state_dict(state["a_opt"])
