"""DARTS (Liu et al., ICLR 2019), 1st and 2nd order, as rerun by the thesis on NAS-Bench-201
(Table 3.3 "DARTS (1st)/(2nd)", Table 6.1 "DARTS").

Mixed forward with alpha-bar = softmax(alpha) per edge (Eq. 1.8). Each step updates alpha on a
validation batch and w on a training batch. 1st order uses dL2/dalpha at the current w (Eq. 6.3
with gamma = 0); 2nd order uses the unrolled hypergradient of Eq. (6.3) with gamma the current
weight learning rate and the finite-difference Hessian-vector product. Choices where the thesis
is silent (documented in docs/methods.md): the virtual step of Eq. (6.3) is the plain gradient
step w - gamma grad_w L1 (no momentum or weight-decay term), except on the recurrent space, where
the thesis follows DARTS' rnn protocol [95] (``virtual_clip``, ``virtual_weight_decay``: the
step's gradient clipped, weight decay added, as rnn/architect.py does); 1st order updates w then alpha (the
NAS-Bench-201 "DARTS-V1" order), 2nd order alpha then w (the original DARTS order). Defaults:
50 epochs (NAS-Bench-201 protocol).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nasrepro.methods.base import ArchConfig, ArchParamMethod
from nasrepro.methods.parts.hypergrad import unrolled_hypergradient
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class DartsConfig(ArchConfig):
    epochs: int = hp(50, 1)
    fd_eps: float = hp(0.01, 0, low_open=True, doc="finite-difference scale of Eq. (6.3)'s HVP")
    virtual_clip: bool = hp(False, doc="2nd order: clip the virtual step's gradients to grad_clip "
                                       "(DARTS rnn/architect.py; the recurrent space's protocol)")
    virtual_weight_decay: bool = hp(False, doc="2nd order: the virtual step adds w_weight_decay * w "
                                               "(DARTS rnn/architect.py)")


class _Darts(ArchParamMethod):
    Config = DartsConfig
    second_order = False
    memory = "whole supernet"

    def arch_step_first(self) -> bool:
        """Whether a step updates alpha before w: 2nd order DARTS does, 1st order does not."""
        return self.second_order

    def hypergradient(self, train_batch, valid_batch) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Eq. (6.3) at the current alpha (1st order: gamma = 0) and L2's value."""
        if self.second_order:
            weights = [p for p in self.supernet.parameters() if p.requires_grad]
            return unrolled_hypergradient(lambda: self.relaxed_loss(train_batch),
                                          lambda: self.relaxed_loss(valid_batch),
                                          weights, self.alpha_list(), lr=self.w_lr,
                                          eps_scale=self.cfg.fd_eps,
                                          clip=self.cfg.grad_clip if self.cfg.virtual_clip else None,
                                          weight_decay=self.cfg.w_weight_decay
                                          if self.cfg.virtual_weight_decay else 0.0)
        value = self.relaxed_loss(valid_batch)
        return list(torch.autograd.grad(value, self.alpha_list())), value.detach()

    def arch_step(self, train_batch, valid_batch) -> torch.Tensor:
        """One Adam step of alpha with the hypergradient of Eq. (6.3)."""
        self.a_opt.zero_grad(set_to_none=True)
        grads, loss = self.hypergradient(train_batch, valid_batch)
        self.set_alpha_grads(grads)
        self.a_opt.step()
        return loss

    def weight_step_mixed(self, train_batch) -> torch.Tensor:
        fixed = {k: w.detach() for k, w in self.mixing_weights().items()}
        return self.weight_step(train_batch, weights=fixed)

    def step(self, train_batch, valid_batch) -> dict:
        self.supernet.train()
        if self.arch_step_first():
            arch_loss = self.arch_step(train_batch, valid_batch)
            train_loss = self.weight_step_mixed(train_batch)
        else:
            train_loss = self.weight_step_mixed(train_batch)
            arch_loss = self.arch_step(train_batch, valid_batch)
        return {"train_loss": train_loss, "arch_loss": arch_loss}


@METHODS.register("darts-1st")
class DartsFirstOrder(_Darts):
    second_order = False


@METHODS.register("darts-2nd")
class DartsSecondOrder(_Darts):
    second_order = True
