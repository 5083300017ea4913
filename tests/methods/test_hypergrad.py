"""DARTS 2nd-order hypergradient (Eq. 6.3) against an exact autograd computation, the central
difference's step (DARTS' R = 0.01 / ||v||) and the clipping factor."""

import torch

import pytest

from nasrepro.methods.parts.hypergrad import (clip_coefficient, finite_difference_mixed_hvp,
                                              unrolled_hypergradient)
from nasrepro.spaces.base import DataShape
from nasrepro.spaces.nb201.space import Nb201Space


def _problem():
    torch.manual_seed(0)
    net = Nb201Space().build_supernet(DataShape(4, 1, 8, 8), {"C": 2, "N": 1, "affine": True,
                                                              "track_running_stats": False}).double()
    alpha = torch.nn.Parameter(0.3 * torch.randn(6, 5, dtype=torch.float64))
    xt, yt = torch.randn(8, 1, 8, 8, dtype=torch.float64), torch.randint(0, 4, (8,))
    xv, yv = torch.randn(8, 1, 8, 8, dtype=torch.float64), torch.randint(0, 4, (8,))

    def loss(x, y, params=None):
        if params is not None:
            out = torch.func.functional_call(net, params, (x,), {"weights": {"cell": alpha.softmax(-1)}})
        else:
            out = net(x, weights={"cell": alpha.softmax(-1)})
        return torch.nn.functional.cross_entropy(out, y)

    return net, alpha, (xt, yt), (xv, yv), loss


def test_unrolled_hypergradient_matches_exact_eq_6_3():
    net, alpha, (xt, yt), (xv, yv), loss = _problem()
    names = [n for n, _ in net.named_parameters()]
    weights = [p for _, p in net.named_parameters()]
    lr = 0.05

    # exact: L2(w'(alpha), alpha) with w' = w - lr * grad_w L1(w, alpha), differentiated through
    grads = torch.autograd.grad(loss(xt, yt), weights, create_graph=True)
    unrolled = {n: w - lr * g for n, w, g in zip(names, weights, grads)}
    (exact,) = torch.autograd.grad(loss(xv, yv, unrolled), [alpha])

    before = [w.detach().clone() for w in weights]
    (approx,), value = unrolled_hypergradient(lambda: loss(xt, yt), lambda: loss(xv, yv),
                                              weights, [alpha], lr=lr, eps_scale=1e-4)
    rel = float((approx - exact).norm() / exact.norm())
    assert rel < 1e-5, f"relative error {rel:.2e} of the finite-difference hypergradient"
    assert value > 0
    for w, b in zip(weights, before):  # weights restored bit-for-bit up to fp rounding
        torch.testing.assert_close(w.detach(), b, rtol=0, atol=1e-12)


def test_second_order_term_matters():
    """The Hessian term must change the gradient (guards against silently returning 1st order)."""
    net, alpha, (xt, yt), (xv, yv), loss = _problem()
    weights = list(net.parameters())
    (with_term,), _ = unrolled_hypergradient(lambda: loss(xt, yt), lambda: loss(xv, yv),
                                             weights, [alpha], lr=0.5)
    (first,) = torch.autograd.grad(loss(xv, yv), [alpha])
    assert float((with_term - first).norm()) > 1e-4 * float(first.norm())


def test_finite_difference_mixed_hvp_against_double_backward():
    net, alpha, (xt, yt), _, loss = _problem()
    weights = list(net.parameters())
    torch.manual_seed(1)
    vector = [torch.randn_like(w) for w in weights]
    grads = torch.autograd.grad(loss(xt, yt), weights, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vector))
    (exact,) = torch.autograd.grad(dot, [alpha])
    (approx,) = finite_difference_mixed_hvp(lambda: loss(xt, yt), weights, [alpha], vector, 1e-4)
    assert float((approx - exact).norm() / exact.norm()) < 1e-5


def test_clipped_virtual_step_with_weight_decay_matches_exact_darts_rnn_step():
    """DARTS' recurrent virtual step (rnn/architect.py): w' = w - lr (c grad_w L1 + wd w) with c
    the clipping factor of grad_w L1, dL2/dw' clipped, the second-order term scaled by c."""
    net, alpha, (xt, yt), (xv, yv), loss = _problem()
    names = [n for n, _ in net.named_parameters()]
    weights = [p for _, p in net.named_parameters()]
    lr, wd = 0.05, 0.1
    g = torch.autograd.grad(loss(xt, yt), weights)
    norm = float(torch.sqrt(sum((x ** 2).sum() for x in g)))
    clip = 0.5 * norm
    c = clip / (norm + 1e-6)
    unrolled = {n: (w - lr * (c * gi + wd * w)).detach().requires_grad_()
                for n, w, gi in zip(names, weights, g)}
    d_alpha, *d_w = torch.autograd.grad(loss(xv, yv, unrolled), [alpha, *unrolled.values()])
    d_norm = float(torch.sqrt(sum((x ** 2).sum() for x in d_w)))
    v = [x * min(1.0, clip / (d_norm + 1e-6)) for x in d_w]
    gg = torch.autograd.grad(loss(xt, yt), weights, create_graph=True)
    (mixed,) = torch.autograd.grad(sum((a * b).sum() for a, b in zip(gg, v)), [alpha])
    exact = d_alpha - lr * c * mixed

    (approx,), _ = unrolled_hypergradient(lambda: loss(xt, yt), lambda: loss(xv, yv), weights,
                                          [alpha], lr=lr, eps_scale=1e-4, clip=clip,
                                          weight_decay=wd)
    assert float((approx - exact).norm() / exact.norm()) < 1e-5
    (plain,), _ = unrolled_hypergradient(lambda: loss(xt, yt), lambda: loss(xv, yv), weights,
                                         [alpha], lr=lr, eps_scale=1e-4)
    assert float((approx - plain).norm() / plain.norm()) > 1e-3  # the options change it


def test_darts_2nd_passes_its_virtual_step_options_to_the_hypergradient():
    """``virtual_clip`` and ``virtual_weight_decay`` reach the step (each switched off alone)."""
    from tests.conftest import build_method

    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,)))

    def alpha_grad(**cfg):
        method = build_method("darts-2nd", w_lr=0.5, **cfg)
        grads, _ = method.hypergradient(batch, batch)
        return torch.cat([x.flatten() for x in grads])

    plain = alpha_grad(grad_clip=1e-3, w_weight_decay=0.5)
    clipped = alpha_grad(grad_clip=1e-3, w_weight_decay=0.5, virtual_clip=True)
    decayed = alpha_grad(grad_clip=1e-3, w_weight_decay=0.5, virtual_weight_decay=True)
    assert not torch.allclose(plain, clipped) and not torch.allclose(plain, decayed)
    loose = alpha_grad(grad_clip=1e9, w_weight_decay=0.5, virtual_clip=True)
    torch.testing.assert_close(loose, plain, rtol=1e-4, atol=1e-7)  # clip never reached: plain


def _cubic():
    """L1 = sum alpha w^3: grad_alpha L1 = w^3, whose central difference along v is exactly
    3 w^2 v + eps^2 v^3, so the result shows the step eps."""
    w = torch.tensor([0.3, -0.2, 0.4], dtype=torch.float64, requires_grad=True)
    alpha = torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64, requires_grad=True)
    return w, alpha, lambda: (alpha * w ** 3).sum()


def test_the_central_difference_steps_darts_eps_over_the_vectors_norm():
    """DARTS' ``_hessian_vector_product``: R = 0.01 / ||v|| (the default ``eps_scale``), here with
    ||v|| < 1; the eps^2 v^3 residue is the difference's own, 1e-5 here, and visible."""
    w, alpha, l1 = _cubic()
    v = torch.tensor([0.2, 0.1, -0.3], dtype=torch.float64)
    eps = 0.01 / float(v.norm())
    (got,) = finite_difference_mixed_hvp(l1, [w], [alpha], [v])
    exact = 3 * w.detach() ** 2 * v
    assert torch.allclose(got, exact + eps ** 2 * v ** 3, rtol=0, atol=1e-12)
    assert float((got - exact).abs().max()) > 1e-6


def test_the_unrolled_hypergradient_uses_darts_step_by_default():
    """Eq. 6.3 with L2 = ||w||^2 / 2 (no direct alpha term: dL2/dalpha is zero, not an error):
    w' = w - gamma 3 alpha w^2, v = dL2/dw' = w', the result -gamma (3 w^2 v + eps^2 v^3) with
    DARTS' eps = 0.01 / ||v||; the weights are restored (up to rounding)."""
    w, alpha, l1 = _cubic()
    lr = 0.1
    before = w.detach().clone()
    (got,), value = unrolled_hypergradient(l1, lambda: 0.5 * (w ** 2).sum(), [w], [alpha], lr)
    v = before - lr * 3 * alpha.detach() * before ** 2
    eps = 0.01 / float(v.norm())
    assert float(v.norm()) < 1 and float(value) == pytest.approx(0.5 * float((v ** 2).sum()))
    assert torch.allclose(got, -lr * (3 * before ** 2 * v + eps ** 2 * v ** 3), rtol=0, atol=1e-12)
    torch.testing.assert_close(w.detach(), before, rtol=0, atol=1e-12)  # up to fp rounding


def test_clip_coefficient_is_clip_grad_norms_factor_at_a_small_norm_too():
    """min(1, max_norm / (||g|| + 1e-6)), as ``torch.nn.utils.clip_grad_norm_`` scales; the 1e-6
    matters where the norm is small (5e-4 here); None or a loose clip: 1."""
    g = torch.tensor([3e-4, 4e-4], dtype=torch.float64)
    coef = clip_coefficient([g], 1e-5)
    assert coef == pytest.approx(1e-5 / (5e-4 + 1e-6), rel=1e-12)
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = g.clone()
    torch.nn.utils.clip_grad_norm_([p], 1e-5)
    assert torch.allclose(p.grad, g * coef, rtol=1e-12, atol=0)
    assert clip_coefficient([g], 1.0) == 1.0 and clip_coefficient([g], None) == 1.0
