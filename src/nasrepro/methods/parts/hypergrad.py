"""Hypergradients of the bi-level problem (thesis Eq. 6.1).

``unrolled_hypergradient`` is DARTS' one-step unrolled hypergradient, Eq. (6.3):

    grad_alpha L2^DARTS = dL2/dalpha (w', alpha) - gamma * d2L1/(dalpha dw) (w, alpha) . dL2/dw' (w', alpha),
    w' = w - gamma * grad_w L1(w, alpha),

with the mixed second derivative times the vector v = dL2/dw' evaluated by the central finite
difference of DARTS (Liu et al. 2019, Eq. 8):

    d2L1/(dalpha dw) . v ~= [grad_alpha L1(w + eps v, alpha) - grad_alpha L1(w - eps v, alpha)] / (2 eps),
    eps = eps_scale / ||v||.

``implicit_hypergradient`` is iDARTS' stochastic implicit hypergradient, Eq. (6.9): the implicit
function theorem's inverse Hessian (Eq. 6.6) replaced by K + 1 terms of its Neumann series
(Eq. 6.7-6.8),

    grad_alpha L2 ~= dL2/dalpha - gamma * d2L1/(dalpha dw) . sum_{k=0..K} (I - gamma H)^k dL2/dw,
    H = d2L1/(dw dw),

every product by exact Hessian-vector products (double backward, never an explicit Hessian).
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


def clip_coefficient(grads: Sequence[torch.Tensor], max_norm: float | None) -> float:
    """min(1, max_norm / (||grads|| + 1e-6)), the factor of ``clip_grad_norm_`` (None: 1)."""
    if max_norm is None:
        return 1.0
    norm = float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))
    return min(1.0, max_norm / (norm + 1e-6))


def unrolled_hypergradient(train_loss: Loss, valid_loss: Loss, weights: Sequence[torch.Tensor],
                           alphas: Sequence[torch.Tensor], lr: float, eps_scale: float = 0.01,
                           clip: float | None = None, weight_decay: float = 0.0,
                           ) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Eq. (6.3). ``train_loss``/``valid_loss`` recompute L1/L2 at the current parameter values;
    ``weights`` are left exactly as they were on entry. Returns the hypergradient for each of
    ``alphas`` and the value of L2 at the virtual step w'.

    DARTS' recurrent virtual step (rnn/architect.py, ``_compute_unrolled_model`` and
    ``_backward_step_unrolled``): with ``clip``, grad_w L1 is scaled by its clipping factor c
    (``clip_coefficient``), dL2/dw' is clipped to ``clip`` too and the second-order term is
    scaled by c (the derivative of the clipped step); with ``weight_decay`` lambda the step is
    w' = w - gamma (c grad_w L1 + lambda w) (lambda w has no alpha-derivative). Departure: DARTS
    multiplies by its unclamped factor, which exceeds 1 when the gradient is shorter than
    ``clip``; here c <= 1, the factor of the step actually taken."""
    backup = [w.detach().clone() for w in weights]
    grad_w = _grads(train_loss(), weights)
    coef = clip_coefficient(grad_w, clip)
    step = [coef * g + weight_decay * w.detach() for w, g in zip(weights, grad_w)]
    _add_(weights, step, -lr)                                 # w' = w - gamma (c g + lambda w)
    loss = valid_loss()
    grads = _grads(loss, list(alphas) + list(weights))
    d_alpha, d_w = grads[: len(alphas)], grads[len(alphas):]
    d_w_coef = clip_coefficient(d_w, clip)
    d_w = [g * d_w_coef for g in d_w]
    with torch.no_grad():
        for w, b in zip(weights, backup):
            w.copy_(b)
    mixed = finite_difference_mixed_hvp(train_loss, weights, alphas, d_w, eps_scale)
    return [da - lr * coef * m for da, m in zip(d_alpha, mixed)], loss.detach()


def _swap_(params: Sequence[torch.Tensor], values: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Copy ``values`` into ``params`` in place; returns the previous values."""
    previous = [p.detach().clone() for p in params]
    with torch.no_grad():
        for p, v in zip(params, values):
            p.copy_(v)
    return previous


def implicit_hypergradient(train_loss: Loss, valid_loss: Loss, weights: Sequence[torch.Tensor],
                           alphas: Sequence[torch.Tensor], lr: float, terms: int,
                           inner_point: Sequence[torch.Tensor] | None = None,
                           on_neumann: Callable | None = None,
                           ) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Eq. (6.9) with K = ``terms`` and gamma = ``lr``. L2's derivatives are taken at the current
    ``weights``; L1's second derivatives at ``inner_point`` (weight values; default: the current
    weights, Eq. 6.9's one point), which are restored afterwards. iDARTS' ``darts_point`` option
    passes the weights before its last inner step, the point where DARTS' Eq. (6.3) differentiates
    L1, so that T = 1, K = 0 is DARTS' hypergradient. ``on_neumann(params, v, total)`` is called
    with the weights L1 reaches, v = dL2/dw on them and the Neumann sum (iDARTS' released-code
    option ``inner_steps_on_copy`` moves the weights by it).
    Returns the hypergradient for each of ``alphas`` and L2 at the current weights."""
    if terms < 0:
        raise ValueError(f"the Neumann series needs K >= 0 terms; got {terms}")
    loss = valid_loss()
    grads = _grads(loss, list(alphas) + list(weights))
    d_alpha, d_w = grads[: len(alphas)], grads[len(alphas):]
    current = _swap_(weights, inner_point) if inner_point is not None else None
    try:
        first = torch.autograd.grad(train_loss(), weights, create_graph=True, allow_unused=True)
        used = [i for i, g in enumerate(first) if g is not None and g.requires_grad]
        g_w, params = [first[i] for i in used], [weights[i] for i in used]
        vector = [d_w[i] for i in used]
        total = [v.clone() for v in vector]
        for _ in range(terms):                       # v_k = (I - gamma H) v_{k-1}; total = sum v_k
            hvp = _grads_like(g_w, params, vector)
            vector = [v - lr * h for v, h in zip(vector, hvp)]
            total = [t + v for t, v in zip(total, vector)]
        mixed = _grads_like(g_w, list(alphas), total, retain=False)
    finally:
        if current is not None:
            _swap_(weights, current)
    if on_neumann is not None:
        on_neumann(params, [d_w[i] for i in used], total)
    return [da - lr * m for da, m in zip(d_alpha, mixed)], loss.detach()


def _grads_like(outputs: Sequence[torch.Tensor], params: Sequence[torch.Tensor],
                vector: Sequence[torch.Tensor], retain: bool = True) -> list[torch.Tensor]:
    """(d outputs / d params)^T . vector: a Hessian-vector product when ``outputs`` is a gradient."""
    grads = torch.autograd.grad(outputs, params, grad_outputs=vector, retain_graph=retain,
                                allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
