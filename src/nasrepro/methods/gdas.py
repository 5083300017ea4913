"""GDAS (Dong & Yang, CVPR 2019) as used in thesis §3.3.5: a Gumbel-softmax relaxation of the
categorical architecture distribution; the forward pass runs only the argmax operation of each
edge (one sampled path), the backward pass uses the softmax (straight-through) gradient.

Per edge e: h_e = softmax((log_softmax(alpha_e) + g_e) / tau), g_e ~ Gumbel(0, 1), k_e = argmax h_e,
hard_e = onehot(k_e) - stopgrad(h_e) + h_e, and the edge output is
hard_e[k_e] * o_{k_e}(x) (value o_{k_e}(x)); the space's supernet implements the edge rule of the
reference code for ``weights`` + ``choice``: on NAS-Bench-201 AutoDL-Projects (and NASLib) also add
sum_{k != k_e} hard_e[k], zero-valued terms that give each alpha_e gradient through its own
h_e[k]; on the DARTS space AutoDL-Projects' GDAS cell does not. tau falls linearly from
``tau_max`` = 10 to ``tau_min`` = 0.1 over the search (250 epochs, NAS-Bench-201 protocol).
Each step updates w on a training batch and alpha on a validation batch, each with a fresh sample.
The derived cell is argmax(alpha).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from nasrepro.methods.base import ArchConfig, ArchParamMethod
from nasrepro.params import ConfigError, hp
from nasrepro.registry import METHODS


@dataclass
class GdasConfig(ArchConfig):
    epochs: int = hp(250, 1)
    tau_max: float = hp(10.0, 0, low_open=True)
    tau_min: float = hp(0.1, 0, low_open=True)
    depth_constraint: bool = hp(False)

    def __post_init__(self):
        if self.tau_min > self.tau_max:
            raise ConfigError(f"tau_min = {self.tau_min} is above tau_max = {self.tau_max}: tau "
                              "falls linearly from tau_max to tau_min; swap them")


class GumbelSample(NamedTuple):
    hard: torch.Tensor   # onehot(index) - stopgrad(soft) + soft
    index: list[int]     # the chosen operation of each edge
    soft: torch.Tensor   # softmax((log_softmax(alpha) + g) / tau)


def gumbel_hard_sample(alpha: torch.Tensor, tau: float) -> GumbelSample:
    """Straight-through Gumbel-softmax sample of every edge."""
    while True:  # resample in the (rare) case of an infinite Gumbel draw, as GDAS does
        gumbel = -torch.empty_like(alpha).exponential_().log()
        soft = ((alpha.log_softmax(dim=-1) + gumbel) / tau).softmax(dim=-1)
        if torch.isfinite(soft).all():
            break
    index = soft.argmax(dim=-1)
    one_hot = torch.zeros_like(soft).scatter_(-1, index.unsqueeze(-1), 1.0)
    return GumbelSample(one_hot - soft.detach() + soft, index.tolist(), soft)


def argmax_hard_sample(alpha: torch.Tensor, tau: float) -> GumbelSample:
    """GDAS-A (thesis §4.4.1.2): the straight-through sample without the Gumbel noise, so the
    forward runs argmax(alpha) of every edge and the backward the softmax(alpha / tau) gradient
    (the same tau schedule as GDAS)."""
    soft = (alpha.log_softmax(dim=-1) / tau).softmax(dim=-1)
    index = alpha.argmax(dim=-1)
    one_hot = torch.zeros_like(soft).scatter_(-1, index.unsqueeze(-1), 1.0)
    return GumbelSample(one_hot - soft.detach() + soft, index.tolist(), soft)


@METHODS.register("gdas")
class Gdas(ArchParamMethod):
    Config = GdasConfig
    draw = staticmethod(gumbel_hard_sample)  # the straight-through sampler of each edge

    def __init__(self, ctx):
        super().__init__(ctx)
        self.tau = self.cfg.tau_max

    def begin_epoch(self, epoch: int) -> dict:
        span = max(1, self.cfg.epochs - 1)
        self.tau = self.cfg.tau_max - (self.cfg.tau_max - self.cfg.tau_min) * epoch / span
        return {**super().begin_epoch(epoch), "tau": self.tau}

    def sample(self, detach: bool) -> dict:
        """One Gumbel sample per named alpha: the forward kwargs of the hard forward."""
        weights, choice = {}, {}
        self.last_soft = {}
        alphas = self.constrained({k: a.detach() if detach else a for k, a in self.alphas.items()})
        for name, alpha in alphas.items():
            weights[name], choice[name], self.last_soft[name] = self.draw(alpha, self.tau)
        return {"weights": weights, "choice": choice}

    def sampled_cell(self):
        """The cell the last sample stands for: ``discretize`` of its soft weights (on
        NAS-Bench-201 exactly the chosen operations; on the DARTS space the two strongest
        sampled inputs of each node)."""
        return self.space.discretize({k: v.detach() for k, v in self.last_soft.items()})

    def arch_step(self, valid_batch) -> torch.Tensor:
        """Adam step of alpha on the validation loss of a fresh straight-through sample."""
        self.a_opt.zero_grad(set_to_none=True)
        loss = self.loss(valid_batch, **self.sample(detach=False))
        self.set_alpha_grads(torch.autograd.grad(loss, self.alpha_list()))
        self.a_opt.step()
        return loss.detach()

    def step(self, train_batch, valid_batch) -> dict:
        self.supernet.train()
        forward = self.sample(detach=True)
        train_loss = self.train_cell(train_batch, self.sampled_cell(), forward)
        return {"train_loss": train_loss, "arch_loss": self.arch_step(valid_batch)}


@METHODS.register("gdas-a")
class GdasA(Gdas):
    """GDAS-A (Table 4.2): GDAS with argmax instead of Gumbel sampling (``argmax_hard_sample``),
    the baseline of E²NAS with gamma = 0 and eps = 0; everything else as GDAS."""

    draw = staticmethod(argmax_hard_sample)
