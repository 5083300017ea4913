"""GDAS (Dong & Yang, CVPR 2019) as used in thesis §3.3.5: a Gumbel-softmax relaxation of the
categorical architecture distribution; the forward pass runs only the argmax operation of each
edge (one sampled path), the backward pass uses the softmax (straight-through) gradient.

Per edge e: h_e = softmax((log_softmax(alpha_e) + g_e) / tau), g_e ~ Gumbel(0, 1), k_e = argmax h_e,
hard_e = onehot(k_e) - stopgrad(h_e) + h_e, and the edge output is hard_e[k_e] * o_{k_e}(x)
(value o_{k_e}(x), gradient through h_e[k_e] into every alpha_e). tau falls linearly from
``tau_max`` = 10 to ``tau_min`` = 0.1 over the search (250 epochs, NAS-Bench-201 protocol).
Each step updates w on a training batch and alpha on a validation batch, each with a fresh sample.
The derived cell is argmax(alpha).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.methods.base import ArchConfig, ArchParamMethod
from nasrepro.registry import METHODS


@dataclass
class GdasConfig(ArchConfig):
    epochs: int = 250
    tau_max: float = 10.0
    tau_min: float = 0.1


def gumbel_hard_sample(alpha: torch.Tensor, tau: float) -> tuple[torch.Tensor, list[int]]:
    """Straight-through Gumbel-softmax sample: (hard weights, chosen op index per edge)."""
    while True:  # resample in the (rare) case of an infinite Gumbel draw, as GDAS does
        gumbel = -torch.empty_like(alpha).exponential_().log()
        soft = ((alpha.log_softmax(dim=-1) + gumbel) / tau).softmax(dim=-1)
        if torch.isfinite(soft).all():
            break
    index = soft.argmax(dim=-1)
    one_hot = torch.zeros_like(soft).scatter_(-1, index.unsqueeze(-1), 1.0)
    return one_hot - soft.detach() + soft, index.tolist()


@METHODS.register("gdas")
class Gdas(ArchParamMethod):
    Config = GdasConfig

    def __init__(self, space, supernet, cfg, device):
        super().__init__(space, supernet, cfg, device)
        self.tau = cfg.tau_max

    def begin_epoch(self, epoch: int) -> dict:
        span = max(1, self.cfg.epochs - 1)
        self.tau = self.cfg.tau_max - (self.cfg.tau_max - self.cfg.tau_min) * epoch / span
        return {**super().begin_epoch(epoch), "tau": self.tau}

    def hard_forward(self, x: torch.Tensor) -> torch.Tensor:
        hard, index = gumbel_hard_sample(self.alpha, self.tau)
        return self.supernet(x, weights=hard, choice=index)

    def step(self, train_batch, valid_batch) -> dict:
        self.supernet.train()
        hard, index = gumbel_hard_sample(self.alpha.detach(), self.tau)
        train_loss = self.weight_step(*train_batch, weights=hard, choice=index)
        self.a_opt.zero_grad(set_to_none=True)
        xv, yv = valid_batch
        loss = nn.functional.cross_entropy(self.hard_forward(xv), yv)
        (self.alpha.grad,) = torch.autograd.grad(loss, [self.alpha])
        self.a_opt.step()
        return {"train_loss": train_loss, "arch_loss": float(loss.detach())}
