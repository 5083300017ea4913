"""Non-monotonically triggered averaged SGD (NT-ASGD; Merity, Keskar & Socher 2018, Alg. 1), the
optimiser of DARTS' language-model evaluation (Liu et al. 2019, rnn/train.py; thesis §2.4.2).

Training runs plain SGD and checks the validation metric once per epoch (one "check"). With the
list of the losses of the checks so far ending in the current one, the switch triggers when
there were more than ``nonmono`` earlier checks and the current loss is worse than the best of
the checks before the last ``nonmono`` ones: no improvement over the last ``nonmono`` checks
(Merity et al.'s ``t > n and v > min(logs[:t - n])``). From the switch on, the same SGD step
continues (DARTS switches to ``torch.optim.ASGD(t0=0, lambd=0)``, whose step is plain SGD with
weight decay) and the weights are averaged over the iterates after each step; the average is the
model that is evaluated and kept.
"""

from __future__ import annotations

import torch
from torch import nn


def nonmono_triggered(losses: list[float], nonmono: int) -> bool:
    """Whether NT-ASGD switches after the check whose loss is ``losses[-1]`` (``losses``: every
    check so far, the current one last; a lower loss is better)."""
    earlier = losses[:-1]
    return len(earlier) > nonmono and losses[-1] > min(earlier[:len(earlier) - nonmono])


class IterateAverage:
    """The running mean of a module's parameters over the iterates recorded with ``update``
    (after each optimiser step from the switch on): avg_k = avg_{k-1} + (w_k - avg_{k-1}) / k."""

    def __init__(self, module: nn.Module):
        self.params = [p for p in module.parameters()]
        self.count = 0
        self.avg = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for a, p in zip(self.avg, self.params):
            a.add_(p.detach() - a, alpha=1.0 / self.count)

    @torch.no_grad()
    def swap(self) -> None:
        """Exchange the live parameters and the average (call twice to restore)."""
        for a, p in zip(self.avg, self.params):
            tmp = p.detach().clone()
            p.copy_(a)
            a.copy_(tmp)

    def state_dict(self) -> dict:
        return {"count": self.count, "avg": [a.clone() for a in self.avg]}

    def load_state_dict(self, state: dict) -> None:
        self.count = int(state["count"])
        for a, saved in zip(self.avg, state["avg"]):
            a.copy_(saved)
