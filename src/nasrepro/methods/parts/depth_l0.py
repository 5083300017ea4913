"""Depth-aware regularisation of BaLeNAS, thesis Eq. (5.19)-(5.21) (E²NAS-R's Eq. 4.13-4.15 is the
same idea): an expected-L0 term that rewards the connections c^{i,i-1} between consecutive nodes.

The L0 norm of hard-concrete gates (Louizos et al. 2018): a gate with location log_a, temperature
tau and stretch interval (gamma, zeta), gamma < 0 < zeta, is non-zero with probability

    P(z != 0) = sigmoid(log_a - tau * log(-gamma / zeta)),

so the expected number of open depth connections is sum_j sigmoid(alpha^depth_j - tau log(-gamma/zeta))
and Eq. (5.20) is its negative. The DARTS supernet has no connection parameter; the thesis turns
the ``none`` operation into one (Fig. 5.1). Our reading (a choice, docs/methods.md): the
connection parameter of edge j is the log-odds, under the edge's softmax, that the edge is *not*
``none``:  alpha^depth_j = logsumexp(alpha_{j, o != none}) - alpha_{j, none}. Raising it lowers the
edge's ``none`` weight and raises every other operation's, the quantity DARTS' derivation ranks
edges by. Defaults: tau = 2/3, gamma = -0.1, zeta = 1.1 (Louizos et al.), weight eta_1 = 0.05 (§5.4.2.1).
"""

from __future__ import annotations

import math

import torch


def open_probability(log_alpha: torch.Tensor, temperature: float = 2 / 3, gamma: float = -0.1,
                     zeta: float = 1.1) -> torch.Tensor:
    """P(z != 0) of hard-concrete gates with location ``log_alpha``: the expected L0 norm."""
    if not gamma < 0 < zeta:
        raise ValueError(f"the hard-concrete stretch needs gamma < 0 < zeta; got ({gamma}, {zeta})")
    return torch.sigmoid(log_alpha - temperature * math.log(-gamma / zeta))


def connection_logits(alpha: torch.Tensor, none_index: int) -> torch.Tensor:
    """Per edge (row), log-odds of not ``none`` under softmax(alpha_row)."""
    others = torch.cat([alpha[:, :none_index], alpha[:, none_index + 1:]], dim=1)
    return others.logsumexp(dim=1) - alpha[:, none_index]


def depth_penalty(alphas: dict[str, torch.Tensor], depth_edges: dict[str, list[int]],
                  none_index: int, temperature: float = 2 / 3, gamma: float = -0.1,
                  zeta: float = 1.1) -> torch.Tensor:
    """L_0^depth of Eq. (5.20): minus the expected number of open i-1 -> i connections, summed
    over the cells named in ``depth_edges`` (edge indices of each cell's consecutive-node edges)."""
    total = 0.0
    for name, edges in depth_edges.items():
        logits = connection_logits(alphas[name][edges], none_index)
        total = total - open_probability(logits, temperature, gamma, zeta).sum()
    return total
