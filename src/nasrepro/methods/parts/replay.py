"""Architecture complementation (thesis §4.3.2, Eq. 4.12, Fig. 4.2) and the replay strategies of
Table 4.3 for single-path weight steps.

Step i trains the current cell alpha_i on a training batch with

    L_c = (1 - eps) L(w_i) + eps (L(w_c) + L(w_{i-1})) + eta R(w_i)        (Eq. 4.12)

where the replay cells are, by ``replay`` strategy:

- ``ac`` (architecture complementation): the previous cell alpha_{i-1} and the complementary
  cell alpha_c = ``space.complement(alpha_i, [alpha_{i-1}], rng)``: on an input edge that
  alpha_{i-1} also uses with alpha_i's operation ("same input", Fig. 4.2 node 1) a uniformly
  chosen different operation, elsewhere ("different input", node 2) alpha_i's operation. So
  w_i is covered by w_{i-1} and w_c, and w_{i-1} and w_c share no weight (the two conditions
  under Fig. 4.2). On an edge alpha_{i-1} uses with another operation, alpha_i's weight is not in
  w_{i-1}, so alpha_c keeps alpha_i's operation there: the reading that makes both conditions
  hold (in NAS-Bench-201 every node takes every earlier node as input, so "same input" is an
  edge where both cells have the same operation);
- ``op`` (OP(WPL), [11]): the previous cell only, (1 - eps) L(w_i) + eps L(w_{i-1}) + eta R(w_i);
- ``rp``: the previous cell and a uniformly random cell that is not the previous one (our reading
  of "RP randomly selects an architecture that is not alpha_{i-1} to place in the replay buffer":
  the replay buffer of AC with the complementary cell replaced by a random one, so RP and AC
  differ only in how the second cell is chosen);
- ``na``: no replay (eps = 0).

Every term keeps its gradient (``parts.multi_cell``); eps multiplies each replay term (not
eps / 2, as printed); eta R is the l2 term (eta = ``w_weight_decay``) of the current cell's
weights only. The first step has no previous cell and trains the plain loss; with eps = 0 (or
``na``) no replay cell is built and no random number drawn, so a step is the baseline's step
exactly. With eps = 1 the current cell has no term at all (neither L nor R).

Released code (``replay_loss_as_value``, issue #25): the author's NAS-Bench-201 E²NAS notebook
adds the replay losses as floats at eps / 2 each, (1 - eps) L(w_i) + eps / 2 (L(w_{i-1}) + L(w_c))
in value, and trains on the current cell's gradient alone at weight 1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from nasrepro.methods.parts.multi_cell import MultiCellLoss, Term
from nasrepro.params import hp, released

EENAS_NB201 = ("miaozhang0525/EENAS@9a3cab2 EENAS-NAS-BENCH201-for-NeurIPS2020/exps/algos/"
               "EENAS_relaxation_exploration_10_0.5_seed0.ipynb cell 4")

STRATEGIES = ("ac", "op", "rp", "na")


@dataclass
class ReplayParams:
    """Replay strategy (Table 4.3) and the trade-off eps of Eq. 4.12."""

    replay: str = hp("ac", choices=STRATEGIES)
    epsilon: float = hp(0.5, 0, 1)
    replay_loss_as_value: bool = released(
        f"{EENAS_NB201} lines 34, 39, 46-47 (pre_loss, compen_loss .item(); cur_loss = base_loss "
        "+ value - base_loss.detach())",
        "the replay cells' losses enter Eq. 4.12 as floats at eps / 2 each (in the logged loss, "
        "not in the gradient); the current cell's gradient has weight 1 (its value 1 - eps)")


def replay_cells(space, strategy: str, current, previous, rng, sample) -> list:
    """The cells replayed with ``current`` by ``strategy`` (``sample()``: a uniformly random
    cell of the space)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown replay strategy {strategy!r}: use one of {list(STRATEGIES)}")
    if strategy == "na" or previous is None:
        return []
    if strategy == "op":
        return [previous]
    if strategy == "ac":
        return [previous, space.complement(current, [previous], rng)]
    for _ in range(1000):
        other = sample()
        if other != previous:
            return [previous, other]
    raise ValueError(f"{space.name}: no random cell other than the previous one in 1000 draws")


class ReplayLoss(MultiCellLoss):
    """Mixin for single-path methods: their ``train_cell`` steps on Eq. 4.12."""

    @classmethod
    def supports(cls, space) -> bool:
        """Complementation needs ``space.complement`` (operations on edges: not NAS-Bench-1Shot1)."""
        rng = random.Random(0)
        cell = space.sample(rng)
        try:
            space.complement(cell, [cell], rng)
        except ValueError:
            return False
        return super().supports(space)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.previous = None  # the cell of the last step

    def replay_terms(self, forward: dict, current) -> list[tuple[float, float, dict]]:
        """The terms of Eq. 4.12 (``parts.multi_cell``): loss and l2 weight per cell."""
        eps = self.cfg.epsilon
        cells = [] if eps == 0 else replay_cells(self.space, self.cfg.replay, current, self.previous,
                                                 self.ctx.rng, self.sample_cell)
        eps = eps if cells else 0.0
        if self.cfg.replay_loss_as_value:
            return ([Term(1.0, 1.0, forward, 1.0 - eps)]
                    + [Term(0.0, 0.0, {"arch": c}, eps / 2) for c in cells])
        return [(1.0 - eps, 1.0, forward)] + [(eps, 0.0, {"arch": c}) for c in cells]

    def train_cell(self, batch, current, forward: dict | None = None) -> torch.Tensor:
        """One SGD step on Eq. 4.12 with ``forward`` (the current cell's forward kwargs)."""
        loss = self.multi_cell_step(batch, self.replay_terms(forward or {"arch": current}, current))
        self.previous = self.trained_arch = current
        return loss

    def state_dict(self) -> dict:
        previous = None if self.previous is None else self.space.to_string(self.previous)
        return {**super().state_dict(), "replay_previous": previous}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        previous = state["replay_previous"]
        self.previous = None if previous is None else self.space.from_string(previous)
