"""Dominant eigenvalue of the Hessian of the validation loss w.r.t. the architecture parameters
(Zela et al. 2020; the stability measure of thesis §5.2.1, Eq. 5.2, and Fig. 5.6), by power
iteration on Hessian-vector products (double backward; the Hessian is never formed)."""

from __future__ import annotations

from typing import Callable, Sequence

import torch


def dominant_eigenvalue(loss: Callable[[], torch.Tensor], params: Sequence[torch.Tensor],
                        iters: int = 20, generator: torch.Generator | None = None) -> float:
    """The eigenvalue of largest magnitude of d2 loss / d params^2: ``iters`` power-iteration steps
    v <- Hv / ||Hv|| from a random unit v, then the Rayleigh quotient v^T H v."""
    if iters < 1:
        raise ValueError(f"power iteration needs iters >= 1; got {iters}")
    grads = torch.autograd.grad(loss(), params, create_graph=True)
    vector = [torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device) for p in params]

    def normalise(vs):
        norm = torch.sqrt(sum((v ** 2).sum() for v in vs)).clamp_min(1e-30)
        return [v / norm for v in vs]

    vector = normalise(vector)
    for _ in range(iters):
        product = torch.autograd.grad(grads, params, grad_outputs=vector, retain_graph=True)
        vector = normalise([p.detach() for p in product])
    product = torch.autograd.grad(grads, params, grad_outputs=vector)
    return float(sum((v * p).sum() for v, p in zip(vector, product)))
