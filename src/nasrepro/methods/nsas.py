"""NSAS: novelty-search-based architecture selection loss (thesis ch. 3, Eq. 3.6, Alg. 3) in the
single-path baselines RandomNAS and GDAS (RandomNAS-NSAS, GDAS-NSAS; variants by ``strategy``).

Each weight step trains the current cell alpha^t on a training batch with
L_N = (1 - beta) (L_c(alpha^t) + lambda R(alpha^t)) + beta / M sum_i (L_c(alpha^i) + lambda R(alpha^i)),
where alpha^1..alpha^M are the constraint cells (``parts.constraints``), L_c the cross entropy on
the same batch and R the l2 term (lambda = ``w_weight_decay``) of the weights each cell uses. All
M + 1 terms carry gradient into the shared weights (no term is detached or read as a float). Each
term is its own forward and backward (single-path memory, the thesis' claim; the shared loop is
``parts.multi_cell``); the weights a cell uses are those its loss reaches.
Steps without constraints (Alg. 3 lines 2-4) use the plain loss.

Choices where the thesis is silent: the loss gradient is clipped to ``grad_clip`` before the l2
gradient is added, which is what the baselines' SGD weight decay does, so with beta = 0 a step
equals the baseline's step exactly; the GDAS current cell is the cell its Gumbel sample stands for
(``Gdas.sampled_cell``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nasrepro.methods.gdas import Gdas, GdasConfig
from nasrepro.methods.parts.constraints import STRATEGIES, ConstraintSelector
from nasrepro.methods.parts.multi_cell import MultiCellLoss
from nasrepro.methods.random_nas import RandomNas, RandomNasConfig
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class NsasParams:
    """M constraints, trade-off beta, |C| recent cells, n candidates of Alg. 2."""

    constraints: int = hp(5, 1)
    beta: float = hp(0.5, 0, 1)
    strategy: str = hp("nsas", choices=STRATEGIES)
    recent: int = hp(50, 1)
    candidates: int = hp(10, 1)


class NsasLoss(MultiCellLoss):
    """Mixin for single-path methods: their ``train_cell`` steps on Eq. 3.6."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.selector = ConstraintSelector(self.space, self.cfg.strategy, self.cfg.constraints,
                                           self.cfg.recent, self.cfg.candidates, self.sample_cell)

    def nsas_terms(self, forward: dict, constraints: list) -> list[tuple[float, float, dict]]:
        """The terms of Eq. 3.6 (``parts.multi_cell``): each cell's l2 term has its loss weight."""
        beta = self.cfg.beta if constraints else 0.0
        terms = [(1.0 - beta, forward)] + [(beta / len(constraints), {"arch": c}) for c in constraints]
        return [(weight, weight, term) for weight, term in terms]

    def nsas_gradients(self, batch, forward: dict, constraints: list) -> list[torch.Tensor | None]:
        """Gradient of Eq. 3.6 for every supernet parameter (None: used by no term), the loss
        part clipped to ``grad_clip``."""
        return self.multi_cell_gradients(batch, self.nsas_terms(forward, constraints))

    def train_cell(self, batch, current, forward: dict | None = None) -> torch.Tensor:
        """Alg. 3: choose the constraints for ``current``, one SGD step on Eq. 3.6."""
        constraints = self.selector.select(current, self.ctx.rng)
        self.multi_cell_step(batch, self.nsas_terms(forward or {"arch": current}, constraints))
        self.selector.observe(current)
        self.trained_arch = current
        return self.last_loss

    def state_dict(self) -> dict:
        return {**super().state_dict(), "constraints": self.selector.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.selector.load_state_dict(state["constraints"])


@dataclass
class RandomNasNsasConfig(NsasParams, RandomNasConfig):
    pass


@METHODS.register("random-nas-nsas")
class RandomNasNsas(NsasLoss, RandomNas):
    """RandomNAS-NSAS (Table 3.3: M = 5, beta = 0.5); selection as RandomNAS."""

    Config = RandomNasNsasConfig


@dataclass
class GdasNsasConfig(NsasParams, GdasConfig):
    constraints: int = hp(2, 1)
    beta: float = hp(0.2, 0, 1)


@METHODS.register("gdas-nsas")
class GdasNsas(NsasLoss, Gdas):
    """GDAS-NSAS (Table 3.3: M = 2, beta = 0.2): the weight step of GDAS on Eq. 3.6 with the
    Gumbel-sampled hard forward as the current cell's term; the architecture step as GDAS."""

    Config = GdasNsasConfig

