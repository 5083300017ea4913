"""DARTS 2nd-order hypergradient (Eq. 6.3) against an exact autograd computation."""

import torch

from nasrepro.methods.parts.hypergrad import finite_difference_mixed_hvp, unrolled_hypergradient
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
