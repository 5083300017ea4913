"""iDARTS (ch. 6): the implicit hypergradient of Eq. (6.6)-(6.9) against closed forms, and the
method class against DARTS (T = 1, K = 0) and against its own equation (T > 1, K > 0).

The closed-form problem: a ridge regression whose per-coordinate regulariser depends on alpha,

    L1(w, alpha) = 1/2 w^T A w - b^T w + 1/2 sum_i exp(alpha_i) w_i^2,   w*(alpha) = (A + diag e^alpha)^-1 b,
    L2(w, alpha) = 1/2 ||C w - d||^2 + 1/2 rho ||alpha||^2,

whose exact hypergradient is autograd through the linear solve.
"""

import copy

import pytest
import torch

from nasrepro.methods.parts.hypergrad import implicit_hypergradient, unrolled_hypergradient
from tests.conftest import build_method

N = 6


def _ridge(seed=0):
    gen = torch.Generator().manual_seed(seed)
    m = torch.randn(N, N, generator=gen, dtype=torch.float64)
    a = m @ m.T / N + 0.5 * torch.eye(N, dtype=torch.float64)
    b = torch.randn(N, generator=gen, dtype=torch.float64)
    c = torch.randn(4, N, generator=gen, dtype=torch.float64)
    d = torch.randn(4, generator=gen, dtype=torch.float64)
    alpha = torch.nn.Parameter(0.3 * torch.randn(N, generator=gen, dtype=torch.float64))
    rho = 0.1

    def l1(w):
        return 0.5 * w @ a @ w - b @ w + 0.5 * (alpha.exp() * w * w).sum()

    def l2(w):
        return 0.5 * ((c @ w - d) ** 2).sum() + 0.5 * rho * (alpha ** 2).sum()

    def w_star():
        return torch.linalg.solve(a + torch.diag(alpha.exp()), b)

    return a, alpha, l1, l2, w_star


def _exact(alpha, l2, w_star):
    return torch.autograd.grad(l2(w_star()), [alpha])[0]


def _implicit(alpha, l1, l2, w_star, lr, terms):
    w = torch.nn.Parameter(w_star().detach().clone())
    (grad,), _ = implicit_hypergradient(lambda: l1(w), lambda: l2(w), [w], [alpha], lr, terms)
    return grad, w


def test_implicit_hypergradient_equals_the_analytic_one_with_many_terms():
    a, alpha, l1, l2, w_star = _ridge()
    hessian = a + torch.diag(alpha.detach().exp())
    lr = 1.0 / float(torch.linalg.eigvalsh(hessian).max())      # gamma < 1 / L (Corollary 1)
    exact = _exact(alpha, l2, w_star)
    approx, _ = _implicit(alpha, l1, l2, w_star, lr, terms=2000)
    assert torch.allclose(approx, exact, rtol=1e-9, atol=1e-12)
    # the implicit term matters: dL2/dalpha alone is far from it
    direct = 0.1 * alpha.detach()
    assert float((exact - direct).norm()) > 0.1 * float(exact.norm())


def test_neumann_error_falls_with_k_within_theorem_1():
    """Theorem 1: ||grad - grad_K|| <= C_{L1 w alpha} C_{L2 w} (1 / mu) (1 - gamma mu)^(K + 1), with
    C_{L1 w alpha} = ||d2L1/(dalpha dw)||_2, C_{L2 w} = ||dL2/dw||, mu = lambda_min(H)."""
    a, alpha, l1, l2, w_star = _ridge(1)
    ws = w_star().detach()
    hessian = a + torch.diag(alpha.detach().exp())
    eigen = torch.linalg.eigvalsh(hessian)
    mu, lr = float(eigen.min()), 0.5 / float(eigen.max())
    mixed = torch.diag(alpha.detach().exp() * ws)                 # d2L1/(dalpha dw) at w*
    w = ws.clone().requires_grad_(True)
    c_l2w = float(torch.autograd.grad(l2(w), [w])[0].norm())
    c_mixed = float(torch.linalg.matrix_norm(mixed, ord=2))
    exact = _exact(alpha, l2, w_star)
    errors = []
    for k in range(6):
        approx, _ = _implicit(alpha, l1, l2, w_star, lr, terms=k)
        errors.append(float((approx - exact).norm()))
        bound = c_mixed * c_l2w / mu * (1 - lr * mu) ** (k + 1)
        assert errors[-1] <= bound * (1 + 1e-9), f"K={k}: error {errors[-1]:.3e} > bound {bound:.3e}"
    assert all(e2 < e1 for e1, e2 in zip(errors, errors[1:])), errors


def test_implicit_hypergradient_restores_the_weights_and_uses_the_inner_point():
    a, alpha, l1, l2, w_star = _ridge(2)
    w = torch.nn.Parameter(w_star().detach() + 0.1)
    before = w.detach().clone()
    inner = [before - 0.05]
    (at_inner,), _ = implicit_hypergradient(lambda: l1(w), lambda: l2(w), [w], [alpha], 0.1, 1,
                                            inner_point=inner)
    assert torch.equal(w.detach(), before)
    (at_current,), _ = implicit_hypergradient(lambda: l1(w), lambda: l2(w), [w], [alpha], 0.1, 1)
    assert not torch.allclose(at_inner, at_current)       # L1's derivatives moved with the point



def test_parameters_one_level_does_not_reach_add_no_second_order_term():
    """Eq. 6.9 over parameters that one level does not reach: a weight only L1 uses (s: dL2/ds = 0),
    one only L2 uses (u: no Hessian row, skipped) and an architecture parameter only L2 uses
    (beta: no mixed term). The alpha hypergradient is the ridge's own and beta's is dL2/dbeta
    alone (zeros, not errors, for the terms that do not exist); K < 0 is refused by message."""
    a, alpha, l1, l2, w_star = _ridge(3)
    w = torch.nn.Parameter(w_star().detach().clone())
    s = torch.nn.Parameter(torch.tensor([0.5, -1.0], dtype=torch.float64))
    u = torch.nn.Parameter(torch.tensor([0.2, 0.7], dtype=torch.float64))
    beta = torch.nn.Parameter(torch.tensor([0.3, -0.4], dtype=torch.float64))
    (plain,), _ = implicit_hypergradient(lambda: l1(w), lambda: l2(w), [w], [alpha], 0.1, 3)
    (g_alpha, g_beta), _ = implicit_hypergradient(
        lambda: l1(w) + 0.5 * (s ** 2).sum(),
        lambda: l2(w) + 0.5 * ((u - 1) ** 2).sum() + 0.5 * (beta ** 2).sum(),
        [w, s, u], [alpha, beta], 0.1, 3)
    assert torch.allclose(g_alpha, plain, rtol=1e-12, atol=1e-15)
    assert torch.equal(g_beta, beta.detach())
    with pytest.raises(ValueError, match=r"the Neumann series needs K >= 0 terms; got -1"):
        implicit_hypergradient(lambda: l1(w), lambda: l2(w), [w], [alpha], 0.1, -1)


def _plain_sgd(**extra):
    return dict(w_momentum=0.0, w_nesterov=False, w_weight_decay=0.0, grad_clip=1e9, w_lr=0.2,
                epochs=3, **extra)


def _double(method):
    method.supernet.double()
    with torch.no_grad():
        for name in list(method.alphas):
            method.alphas[name].data = (0.5 * torch.randn_like(method.alphas[name])).double()
    method.a_opt = torch.optim.Adam(method.alphas.parameters(), lr=1e-3)
    return method


def _applied_grads(method, train_batch, valid_batch):
    applied = {}
    step = method.a_opt.step
    method.a_opt.step = lambda: (applied.update(g=[a.grad.clone() for a in method.alpha_list()]), step())
    method.step(train_batch, valid_batch)
    return applied["g"]


def _batches(seed=0, n=16):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(n, 1, 8, 8, generator=gen, dtype=torch.float64),
             torch.randint(0, 10, (n,), generator=gen)) for _ in range(4)]


NET = {"C": 2, "N": 1, "affine": True}


@pytest.mark.parametrize("darts_point", [True, False])
def test_idarts_with_t1_k0_is_darts_second_order_only_at_darts_point(darts_point):
    """§6.3.4: with one plain SGD inner step and no Neumann term, Eq. (6.9) is Eq. (6.3) when L1's
    second derivatives are taken where DARTS takes them (``darts_point``); at Eq. 6.9's one point
    w^j = w_T (the default) it is not (here, lr 0.2, by about half the gradient's norm)."""
    train_batch, valid_batch, *_ = _batches()
    torch.manual_seed(0)
    darts = _double(build_method("darts-2nd", net_cfg=NET, fd_eps=1e-6, **_plain_sgd()))
    torch.manual_seed(0)
    idarts = _double(build_method("idarts", net_cfg=NET, **_plain_sgd(inner_steps=1, neumann_terms=0,
                                                                      darts_point=darts_point)))
    assert all(torch.equal(p, q) for p, q in zip(darts.supernet.parameters(), idarts.supernet.parameters()))
    got = _applied_grads(idarts, train_batch, valid_batch)
    want = _applied_grads(darts, train_batch, valid_batch)
    errors = [float((g - w).norm() / w.norm()) for g, w in zip(got, want)]
    if darts_point:
        assert max(errors) < 1e-5, f"iDARTS(T=1, K=0) differs from DARTS' Eq. (6.3) by {errors}"
    else:
        assert max(errors) > 1e-3, errors


@pytest.mark.parametrize("inner_steps,terms,darts_point", [(3, 2, False), (2, 0, False), (1, 1, False),
                                                            (3, 2, True)])
def test_idarts_step_applies_eq_6_9_after_t_inner_steps(inner_steps, terms, darts_point):
    """The method's step = T weight steps on the step's batch then T - 1 stream batches, then
    Eq. (6.9) with gamma the weight lr, L1 on the last inner batch and L2 on the validation
    batch, all at one point: the final weights w^j = w_T (Eq. 6.6/6.9); with ``darts_point`` L1's
    second derivatives at the weights before the last step instead."""
    batches = _batches(3)
    train_batch, valid_batch, extra = batches[0], batches[1], batches[2:1 + inner_steps]
    method = _double(build_method("idarts", net_cfg=NET, inner_steps=inner_steps,
                                  neumann_terms=terms, w_lr=0.1, epochs=3, darts_point=darts_point))
    reference = copy.deepcopy(method)
    method.ctx.train_stream = iter(extra)
    logs, step = {}, method.step
    method.step = lambda t, v: logs.update(step(t, v)) or logs
    got = _applied_grads(method, train_batch, valid_batch)

    inner = [train_batch] + extra[: inner_steps - 1]
    weights = [p for p in reference.supernet.parameters() if p.requires_grad]
    inner_losses = [float(reference.weight_step_mixed(batch)) for batch in inner[:-1]]
    before_last = [w.detach().clone() for w in weights]
    gamma = reference.w_lr
    inner_losses.append(float(reference.weight_step_mixed(inner[-1])))
    want, l2 = implicit_hypergradient(lambda: reference.relaxed_loss(inner[-1]),
                                     lambda: reference.relaxed_loss(valid_batch), weights,
                                     reference.alpha_list(), gamma, terms,
                                     inner_point=before_last if darts_point else None)
    other, _ = implicit_hypergradient(lambda: reference.relaxed_loss(inner[-1]),
                                      lambda: reference.relaxed_loss(valid_batch), weights,
                                      reference.alpha_list(), gamma, terms,
                                      inner_point=None if darts_point else before_last)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, rtol=1e-9, atol=1e-12)
    assert not all(torch.allclose(g, o, rtol=1e-6) for g, o in zip(got, other))  # the point matters
    assert all(torch.allclose(p, q) for p, q in zip(method.supernet.parameters(), weights))
    with pytest.raises(StopIteration):
        next(method.ctx.train_stream)  # exactly T - 1 extra batches were drawn
    # the step logs the mean of the T inner losses and L2 at w_T
    assert sorted(logs) == ["arch_loss", "train_loss"]
    assert float(logs["train_loss"]) == pytest.approx(sum(inner_losses) / inner_steps, rel=1e-9)
    assert float(logs["arch_loss"]) == pytest.approx(float(l2), rel=1e-9)


def test_more_neumann_terms_change_the_hypergradient():
    batches = _batches(4)
    grads = []
    for terms in (0, 3):
        torch.manual_seed(0)
        method = _double(build_method("idarts", net_cfg=NET, inner_steps=1, neumann_terms=terms,
                                      w_lr=0.1, epochs=3))
        grads.append(_applied_grads(method, batches[0], batches[1]))
    assert not all(torch.allclose(a, b) for a, b in zip(*grads))


def test_gamma_alpha_is_the_scaled_architecture_lr():
    method = build_method("idarts", a_lr=2e-3, a_lr_scale=3.0)
    assert method.a_opt.param_groups[0]["lr"] == pytest.approx(6e-3)
