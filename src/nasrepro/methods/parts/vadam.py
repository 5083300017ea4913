"""Variational Adam (VAdam), thesis Eq. (5.12)-(5.17): natural-gradient variational inference of a
diagonal Gaussian q(alpha) = N(mu, sigma^2) over the architecture parameters (BaLeNAS, ch. 5).

The optimizer's parameters hold the mean mu. Per parameter it keeps the precision estimate s
(Eq. 5.17) and the previous mean mu_{t-1} (the momentum term of Eq. 5.16). One iteration:

1. ``sample(generator)`` draws theta_t ~ N(mu_t, sigma_t^2), sigma_t^2 = 1 / (N (s_t + delta~))
   (Eq. 5.12), one draw per MCMC sample (Eq. 5.11);
2. the caller averages the gradients of the loss at the M samples into ``p.grad`` (g-hat of
   Eq. 5.12, the Monte-Carlo estimate of grad_mu E_q[l]);
3. ``step()`` applies, element-wise,

       s_{t+1}  = (1 - beta) s_t + beta g o g                                          (5.17)
       mu_{t+1} = mu_t - beta (g + delta~ mu_t) / (s_{t+1} + delta~)
                  + gamma (s_t + delta~) / (s_{t+1} + delta~) o (mu_t - mu_{t-1})       (5.16)

   with beta = ``lr`` (beta_t), gamma = ``momentum`` (gamma_t), delta~ = ``prior_precision`` / N.

Choices where the thesis is silent (docs/methods.md): constant beta_t and gamma_t; s_0 = ``s_init``
(0: the first sigma is the prior's, 1/sqrt(delta)); mu_{-1} = mu_0 (no momentum on the first step).
"""

from __future__ import annotations

import torch


class VAdam(torch.optim.Optimizer):
    """Eq. (5.16)-(5.17) over ``params`` (the means mu). ``dataset_size`` is N of Eq. (5.12)."""

    def __init__(self, params, lr: float, momentum: float, prior_precision: float,
                 dataset_size: int, s_init: float = 0.0):
        if lr <= 0 or not 0 <= momentum < 1 or prior_precision <= 0 or dataset_size < 1 or s_init < 0:
            raise ValueError(f"VAdam needs lr > 0, 0 <= momentum < 1, prior_precision > 0, "
                             f"dataset_size >= 1 and s_init >= 0; got lr={lr}, momentum={momentum}, "
                             f"prior_precision={prior_precision}, dataset_size={dataset_size}, "
                             f"s_init={s_init}")
        super().__init__(params, dict(lr=lr, momentum=momentum, prior_precision=prior_precision,
                                      dataset_size=dataset_size, s_init=s_init))

    def _state(self, p: torch.Tensor, group: dict) -> dict:
        state = self.state[p]
        if not state:
            state["s"] = torch.full_like(p, group["s_init"])
            state["prev_mu"] = p.detach().clone()
        return state

    @staticmethod
    def _delta(group: dict) -> float:
        return group["prior_precision"] / group["dataset_size"]   # delta~ = delta / N

    @torch.no_grad()
    def std(self) -> list[torch.Tensor]:
        """sigma_t of every parameter: 1 / sqrt(N (s_t + delta~)) (Eq. 5.12)."""
        return [((self._state(p, g)["s"] + self._delta(g)) * g["dataset_size"]).rsqrt()
                for g in self.param_groups for p in g["params"]]

    @torch.no_grad()
    def sample(self, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """theta_t ~ N(mu_t, sigma_t^2) for every parameter (one MCMC sample of Eq. 5.11)."""
        params = [p for g in self.param_groups for p in g["params"]]
        return [p + sigma * torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
                for p, sigma in zip(params, self.std())]

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            raise ValueError("VAdam.step takes no closure: average the gradients of the sampled "
                             "parameters into p.grad first (Eq. 5.12's g-hat)")
        for group in self.param_groups:
            beta, gamma, delta = group["lr"], group["momentum"], self._delta(group)
            for p in group["params"]:
                if p.grad is None:
                    continue
                state, g = self._state(p, group), p.grad
                s_old = state["s"]
                s_new = (1 - beta) * s_old + beta * g * g                                # (5.17)
                mu = p.detach().clone()
                update = -beta * (g + delta * mu) / (s_new + delta)                      # (5.16)
                update += gamma * (s_old + delta) / (s_new + delta) * (mu - state["prev_mu"])
                p.add_(update)
                state["s"], state["prev_mu"] = s_new, mu
        return None
