"""Hypergradients of the bi-level problem (thesis Eq. 6.1).

``unrolled_hypergradient`` is DARTS' one-step unrolled hypergradient, Eq. (6.3):

    grad_alpha L2^DARTS = dL2/dalpha (w', alpha) - gamma * d2L1/(dalpha dw) (w, alpha) . dL2/dw' (w', alpha),
    w' = w - gamma * grad_w L1(w, alpha),

with the mixed second derivative times the vector v = dL2/dw' evaluated by the central finite
difference of DARTS (Liu et al. 2019, Eq. 8):

    d2L1/(dalpha dw) . v ~= [grad_alpha L1(w + eps v, alpha) - grad_alpha L1(w - eps v, alpha)] / (2 eps),
    eps = eps_scale / ||v||.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

Loss = Callable[[], torch.Tensor]


def _grads(loss: torch.Tensor, params: Sequence[torch.Tensor], **kwargs) -> list[torch.Tensor]:
    grads = torch.autograd.grad(loss, params, allow_unused=True, **kwargs)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


@torch.no_grad()
def _add_(params: Sequence[torch.Tensor], direction: Sequence[torch.Tensor], scale: float) -> None:
    for p, d in zip(params, direction):
        p.add_(d, alpha=scale)


def finite_difference_mixed_hvp(train_loss: Loss, weights: Sequence[torch.Tensor],
                                alphas: Sequence[torch.Tensor], vector: Sequence[torch.Tensor],
                                eps_scale: float = 0.01) -> list[torch.Tensor]:
    """d2L1/(dalpha dw) . vector by central differences; ``weights`` are restored afterwards."""
    norm = torch.sqrt(sum((v.detach() ** 2).sum() for v in vector))
    eps = eps_scale / float(norm.clamp_min(1e-12))
    _add_(weights, vector, eps)
    grad_plus = _grads(train_loss(), alphas)
    _add_(weights, vector, -2 * eps)
    grad_minus = _grads(train_loss(), alphas)
    _add_(weights, vector, eps)
    return [(gp - gm) / (2 * eps) for gp, gm in zip(grad_plus, grad_minus)]


def unrolled_hypergradient(train_loss: Loss, valid_loss: Loss, weights: Sequence[torch.Tensor],
                           alphas: Sequence[torch.Tensor], lr: float,
                           eps_scale: float = 0.01) -> tuple[list[torch.Tensor], float]:
    """Eq. (6.3). ``train_loss``/``valid_loss`` recompute L1/L2 at the current parameter values;
    ``weights`` are left exactly as they were on entry. Returns the hypergradient for each of
    ``alphas`` and the value of L2 at the virtual step w'."""
    backup = [w.detach().clone() for w in weights]
    grad_w = _grads(train_loss(), weights)
    _add_(weights, grad_w, -lr)                               # w' = w - gamma grad_w L1
    loss = valid_loss()
    grads = _grads(loss, list(alphas) + list(weights))
    d_alpha, d_w = grads[: len(alphas)], grads[len(alphas):]
    with torch.no_grad():
        for w, b in zip(weights, backup):
            w.copy_(b)
    mixed = finite_difference_mixed_hvp(train_loss, weights, alphas, d_w, eps_scale)
    return [da - lr * m for da, m in zip(d_alpha, mixed)], float(loss.detach())
