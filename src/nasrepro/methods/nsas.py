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

Released code (``fidelity: released``, issue #25; docs/methods.md lists each difference with its
line): on NAS-Bench-201 the author's notebooks train the current cell with a uniformly random
cell and a cell that differs from that random cell on every edge, drawn afresh each step, with no
archive (``random_diverse_constraints``): RandomNAS-NSAS at 0.2 / 0.4 / 0.4 with every term's
gradient (beta = 0.8, M = 2) for 100 epochs, GDAS-NSAS with the two constraint losses as floats
(``constraint_loss_as_value``: value 0.8 / 0.1 / 0.1, gradient the current cell's alone at
weight 1, ``current_grad_weight``); on the DARTS space RandomNAS-NSAS adds the mean loss of an
8-cell archive as a float (0.5 L_c + 0.5 mean, gradient 0.5 grad L_c) and GDAS-NSAS updates its
archive but trains the current cell alone (beta = 0). Weight decay is SGD's in all of them
(``optimizer_weight_decay``).

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
from nasrepro.methods.parts.multi_cell import MultiCellLoss, Term
from nasrepro.methods.random_nas import RandomNas, RandomNasConfig
from nasrepro.params import hp, released
from nasrepro.registry import METHODS

NSAS_REPO = "miaozhang0525/NSAS_FOR_CVPR@6fa070e"
NB201_RANDOM = f"{NSAS_REPO} NSAS_Bench201/exps/algos/random_NAS_NSAS_0.2_seed0.ipynb cell 2"
NB201_GDAS = f"{NSAS_REPO} NSAS_Bench201/exps/algos/GDAS_NSAS_0.2_seed0.ipynb cell 2"


@dataclass
class NsasParams:
    """M constraints, trade-off beta, |C| recent cells, n candidates of Alg. 2."""

    constraints: int = hp(5, 1)
    beta: float = hp(0.5, 0, 1)
    strategy: str = hp("nsas", choices=STRATEGIES)
    recent: int = hp(50, 1)
    candidates: int = hp(10, 1)
    random_diverse_constraints: bool = released(
        f"{NB201_RANDOM} lines 61-67 (random_genotype, arch_diver); {NB201_GDAS} lines 64-70 "
        "(random_gene, diver_gene)",
        "the constraint cells of a step are a uniformly random cell and a cell that differs from "
        "it on every edge (space.complement of the random cell against itself), drawn afresh; "
        "Alg. 3's archive is not used (M = 2 whatever `constraints` says)")
    constraint_loss_as_value: bool = released(
        f"{NB201_GDAS} lines 68, 74, 80-81 (.item(), cur_loss + value - cur_loss.detach()); "
        f"{NSAS_REPO} CNN/RandomNAS_NSAS_demo.py lines 211, 213, 259 (loss.item() in "
        "cal_loss_archive)",
        "the constraint cells' losses enter Eq. 3.6 as floats: in the logged loss with weight "
        "beta / M, in the gradient not at all")
    current_grad_weight: float | None = released(
        f"{NB201_GDAS} line 81 (the current cell's loss enters the gradient at weight 1)",
        "the current cell's loss weight in the gradient when the constraints are floats "
        "(null: 1 - beta, as in its value)", default=None, low=0.0)
    optimizer_weight_decay: bool = released(
        f"{NB201_RANDOM} line 77 and cell 3 (get_optim_scheduler: SGD with weight decay, no R "
        f"term in the loss); {NSAS_REPO} CNN/RandomNAS_NSAS_demo.py line 259",
        "lambda applied by SGD to every weight with a gradient (coefficient 1), not Eq. 3.6's "
        "per-cell lambda R(alpha_t) weighted 1 - beta and beta / M")


class NsasLoss(MultiCellLoss):
    """Mixin for single-path methods: their ``train_cell`` steps on Eq. 3.6."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.selector = ConstraintSelector(self.space, self.cfg.strategy, self.cfg.constraints,
                                           self.cfg.recent, self.cfg.candidates, self.sample_cell)

    def nsas_terms(self, forward: dict, constraints: list) -> list[tuple]:
        """The terms of Eq. 3.6 (``parts.multi_cell``): each cell's l2 term has its loss weight;
        with ``constraint_loss_as_value`` the constraint terms are floats (value beta / M, no
        gradient) and the current cell's gradient weight is ``current_grad_weight``."""
        beta = self.cfg.beta if constraints else 0.0
        if self.cfg.constraint_loss_as_value:
            grad = self.cfg.current_grad_weight
            return ([Term(1.0 - beta if grad is None else grad, 1.0, forward, 1.0 - beta)]
                    + [Term(0.0, 0.0, {"arch": c}, beta / len(constraints)) for c in constraints])
        terms = [(1.0 - beta, forward)] + [(beta / len(constraints), {"arch": c}) for c in constraints]
        return [(weight, weight, term) for weight, term in terms]

    def nsas_gradients(self, batch, forward: dict, constraints: list) -> list[torch.Tensor | None]:
        """Gradient of Eq. 3.6 for every supernet parameter (None: used by no term), the loss
        part clipped to ``grad_clip``."""
        return self.multi_cell_gradients(batch, self.nsas_terms(forward, constraints),
                                         self.cfg.optimizer_weight_decay)

    def constraints_for(self, current) -> list:
        """The constraint cells of the step that trains ``current``: Alg. 3's selection, or the
        released NAS-Bench-201 code's random cell and its every-edge complement."""
        if self.cfg.random_diverse_constraints:
            other = self.sample_cell()
            return [other, self.space.complement(other, [other], self.ctx.rng)]
        return self.selector.select(current, self.ctx.rng)

    def train_cell(self, batch, current, forward: dict | None = None) -> torch.Tensor:
        """Alg. 3: choose the constraints for ``current``, one SGD step on Eq. 3.6."""
        constraints = self.constraints_for(current)
        self.multi_cell_step(batch, self.nsas_terms(forward or {"arch": current}, constraints),
                             self.cfg.optimizer_weight_decay)
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
    released = {
        # 0.2 L(current) + 0.4 L(random) + 0.4 L(diverse) (line 77), 100 epochs (the notebook's
        # log, "[002-100]")
        "nb201": {"random_diverse_constraints": True, "constraints": 2, "beta": 0.8,
                  "optimizer_weight_decay": True, "epochs": 100},
        # store_num = 8 (line 151), 0.5 loss1 + 0.5 loss_archive (line 259)
        "darts_cnn": {"constraints": 8, "beta": 0.5, "constraint_loss_as_value": True,
                      "optimizer_weight_decay": True}}


@dataclass
class GdasNsasConfig(NsasParams, GdasConfig):
    constraints: int = hp(2, 1)
    beta: float = hp(0.2, 0, 1)


@METHODS.register("gdas-nsas")
class GdasNsas(NsasLoss, Gdas):
    """GDAS-NSAS (Table 3.3: M = 2, beta = 0.2): the weight step of GDAS on Eq. 3.6 with the
    Gumbel-sampled hard forward as the current cell's term; the architecture step as GDAS."""

    Config = GdasNsasConfig
    released = {
        # lbd = 0.2: value 0.8 L(current) + 0.1 (L(random) + L(diverse)), gradient L(current)
        "nb201": {"random_diverse_constraints": True, "constraints": 2, "beta": 0.2,
                  "constraint_loss_as_value": True, "current_grad_weight": 1.0,
                  "optimizer_weight_decay": True},
        # CNN/GDAS_NSAS_demo.py lines 304-308: the weight step is loss = criterion(logits,
        # target) of the current cell; cal_loss_archive (line 200) is never called
        "darts_cnn": {"beta": 0.0}}

