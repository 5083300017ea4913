"""The weight step of a single-path method trained on a weighted sum of several cells' losses on
one training batch: NSAS' Eq. (3.6) and the architecture complementation loss of E²NAS'
Eq. (4.12) (``parts.replay``) are both

    L = sum_t a_t L_c(w(alpha_t)) + lambda sum_t r_t R(w(alpha_t)),

with a loss weight a_t and an l2 weight r_t per cell (the first term is the current cell; R the
l2 norm of the weights cell t uses, lambda = ``w_weight_decay``). Each term is its own forward
and backward (single-path memory); the weights a cell uses are those its loss reaches. The loss
part of the gradient is clipped to ``grad_clip`` before the l2 part is added, which is what the
baselines' SGD weight decay does, so a single term (1, 1) is exactly the baseline's step.

The author's released code (issue #25, docs/methods.md) adds some cells' losses as Python floats
(``.item()``): their value is in the logged loss, their gradient is not. A ``Term`` with a
``value`` weight says so: the logged loss (``last_loss``) is then sum_t value_t L_t, and a term
with weight a_t = 0 is still computed (without a graph) for its value. With
``decay_used`` the l2 coefficient of every weight a term reaches is 1 (SGD's weight decay on
each parameter with a gradient, as the released code's optimiser applies it), not sum_t r_t.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Term(NamedTuple):
    """One cell's term: a_t (its loss' weight in the gradient; 0: none), r_t, the forward
    kwargs, and its loss' weight in the logged loss (None: the thesis' log, the first term's
    loss)."""

    weight: float
    l2: float
    forward: dict
    value: float | None = None


class MultiCellLoss:
    """Mixin for single-path methods (``SearchMethod`` subclasses)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        for group in self.w_opt.param_groups:  # lambda R is part of the loss, added per term
            group["weight_decay"] = 0.0

    def multi_cell_gradients(self, batch, terms: list[tuple], decay_used: bool = False
                             ) -> list[torch.Tensor | None]:
        """Gradient of the weighted loss for every supernet parameter (None: used by no term).
        ``terms``: ``Term`` tuples (a_t, r_t, forward kwargs[, value weight]); terms with a_t = 0
        and no value weight are skipped (their l2 part too). Sets ``last_loss``: the loss of the
        first term (nan if skipped), or sum_t value_t L_t where the terms have value weights."""
        params = list(self.supernet.parameters())
        grads: list[torch.Tensor | None] = [None] * len(params)
        l2_coef = [0.0] * len(params)
        self.last_loss = float("nan")
        logged = None
        for t, (weight, l2_weight, forward, value) in enumerate(Term(*term) for term in terms):
            if weight == 0 and not value:
                continue
            if weight == 0:  # a released-code float: its value only, no graph
                with torch.no_grad():
                    logged = value * self.loss(batch, **forward) + (0.0 if logged is None else logged)
                continue
            loss = self.loss(batch, **forward)
            if t == 0:
                self.last_loss = loss.detach()
            if value is not None:
                logged = value * loss.detach() + (0.0 if logged is None else logged)
            penalized = loss + self.ctx.task.weight_penalty(self.supernet)  # the RNN's AR/TAR
            for i, g in enumerate(torch.autograd.grad(weight * penalized, params,
                                                      allow_unused=True)):
                if g is not None:
                    grads[i] = g if grads[i] is None else grads[i] + g
                    l2_coef[i] = 1.0 if decay_used else l2_coef[i] + l2_weight
        if logged is not None:
            self.last_loss = logged
        used = [g for g in grads if g is not None]
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in used]))
        clip = (self.cfg.grad_clip / (total + 1e-6)).clamp(max=1.0)  # as clip_grad_norm_
        lam = self.cfg.w_weight_decay
        return [None if g is None else g * clip + lam * c * p.detach()
                for g, c, p in zip(grads, l2_coef, params)]

    def multi_cell_step(self, batch, terms: list[tuple], decay_used: bool = False) -> torch.Tensor:
        """One SGD step of the supernet weights on the weighted loss; returns the logged loss
        (``multi_cell_gradients``)."""
        self.supernet.train()
        self.w_opt.zero_grad(set_to_none=True)
        for p, g in zip(self.supernet.parameters(),
                        self.multi_cell_gradients(batch, terms, decay_used)):
            p.grad = g
        self.w_opt.step()
        return self.last_loss
