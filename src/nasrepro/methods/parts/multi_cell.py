"""The weight step of a single-path method trained on a weighted sum of several cells' losses on
one training batch: NSAS' Eq. (3.6) and the architecture complementation loss of E²NAS'
Eq. (4.12) (``parts.replay``) are both

    L = sum_t a_t L_c(w(alpha_t)) + lambda sum_t r_t R(w(alpha_t)),

with a loss weight a_t and an l2 weight r_t per cell (the first term is the current cell; R the
l2 norm of the weights cell t uses, lambda = ``w_weight_decay``). Each term is its own forward
and backward (single-path memory); the weights a cell uses are those its loss reaches. The loss
part of the gradient is clipped to ``grad_clip`` before the l2 part is added, which is what the
baselines' SGD weight decay does, so a single term (1, 1) is exactly the baseline's step.
"""

from __future__ import annotations

import torch


class MultiCellLoss:
    """Mixin for single-path methods (``SearchMethod`` subclasses)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        for group in self.w_opt.param_groups:  # lambda R is part of the loss, added per term
            group["weight_decay"] = 0.0

    def multi_cell_gradients(self, batch, terms: list[tuple[float, float, dict]]
                             ) -> list[torch.Tensor | None]:
        """Gradient of the weighted loss for every supernet parameter (None: used by no term).
        ``terms``: (loss weight a_t, l2 weight r_t, forward kwargs); terms with a_t = 0 are skipped
        (their l2 part too). Sets ``last_loss``, the loss of the first term (nan if skipped)."""
        params = list(self.supernet.parameters())
        grads: list[torch.Tensor | None] = [None] * len(params)
        l2_coef = [0.0] * len(params)
        self.last_loss = float("nan")
        for t, (weight, l2_weight, forward) in enumerate(terms):
            if weight == 0:
                continue
            loss = self.loss(batch, **forward)
            if t == 0:
                self.last_loss = loss.detach()
            penalized = loss + self.ctx.task.weight_penalty(self.supernet)  # the RNN's AR/TAR
            for i, g in enumerate(torch.autograd.grad(weight * penalized, params,
                                                      allow_unused=True)):
                if g is not None:
                    grads[i] = g if grads[i] is None else grads[i] + g
                    l2_coef[i] += l2_weight
        used = [g for g in grads if g is not None]
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in used]))
        clip = (self.cfg.grad_clip / (total + 1e-6)).clamp(max=1.0)  # as clip_grad_norm_
        lam = self.cfg.w_weight_decay
        return [None if g is None else g * clip + lam * c * p.detach()
                for g, c, p in zip(grads, l2_coef, params)]

    def multi_cell_step(self, batch, terms: list[tuple[float, float, dict]]) -> torch.Tensor:
        """One SGD step of the supernet weights on the weighted loss; returns the first term's
        loss."""
        self.supernet.train()
        self.w_opt.zero_grad(set_to_none=True)
        for p, g in zip(self.supernet.parameters(), self.multi_cell_gradients(batch, terms)):
            p.grad = g
        self.w_opt.step()
        return self.last_loss
