"""The multi-cell weight step shared by NSAS' Eq. (3.6) and E²NAS' Eq. (4.12)
(``methods.parts.multi_cell``), term by term on the planted supernet: which loss is logged (the
first term's, or sum_t value_t L_t where the terms carry value weights), a zero-weight term skipped
without ending the sum, the l2 coefficient per weight tensor (sum_t r_t, or 1 with ``decay_used``)
in the gradient and in the step, and the task's weight penalty (the RNN's AR/TAR) in every term.
The grad clip is switched off (1e9) except where said; ``test_replay.py`` checks an active one."""

import math

import pytest
import torch

from nasrepro.methods.parts.multi_cell import Term
from nasrepro.spaces.base import ClassificationTask
from tests.planted import planted_method

# cells without the planted noise operation, so every loss is deterministic; on the split supernet
# A and B share edge 0's identity scale, A alone reaches edge 2's and B alone edge 1's
A = ("identity", "none", "identity")
B = ("identity", "identity", "none")
C = ("none", "none", "identity")


def _loss(method, batch, arch) -> float:
    with torch.no_grad():
        return float(method.loss(batch, arch=arch))


def _grads(method, batch, arch):
    params = list(method.supernet.parameters())
    return torch.autograd.grad(method.loss(batch, arch=arch), params, allow_unused=True)


def test_the_logged_loss_is_the_first_terms_without_value_weights():
    """Eq. 3.6 / 4.12 in the thesis' form log the current cell's loss (the first term), whatever
    the other terms' weights."""
    method, batch = planted_method("random-nas-replay", grad_clip=1e9)
    method.multi_cell_gradients(batch, [(0.5, 1.0, {"arch": A}), (0.5, 0.0, {"arch": C})])
    assert float(method.last_loss) == pytest.approx(_loss(method, batch, A), rel=1e-6)
    assert _loss(method, batch, A) != pytest.approx(_loss(method, batch, C), rel=1e-3)


def test_value_weights_log_the_weighted_sum_of_every_terms_loss_in_any_order():
    """The released code's floats (issue #25): the logged loss is sum_t value_t L_t, a term with
    a_t = 0 included (computed without a graph), wherever it stands in the list; the gradient is
    that of the terms with a_t > 0 alone."""
    lam = 0.1
    method, batch = planted_method("random-nas-replay", grad_clip=1e9, w_weight_decay=lam)
    terms = [Term(0.0, 0.0, {"arch": B}, 0.3), Term(1.0, 1.0, {"arch": A}, 0.7),
             Term(0.0, 0.0, {"arch": C}, 0.2)]
    grads = method.multi_cell_gradients(batch, terms)
    want = sum(v * _loss(method, batch, arch) for v, arch in ((0.3, B), (0.7, A), (0.2, C)))
    assert float(method.last_loss) == pytest.approx(want, rel=1e-6)
    for got, g, p in zip(grads, _grads(method, batch, A), method.supernet.parameters()):
        assert torch.allclose(got, g + lam * p.detach(), atol=1e-6)


def test_a_skipped_first_term_logs_nan_and_the_later_terms_still_count():
    """A term with a_t = 0 and no value weight is skipped (beta = 1 in Eq. 3.6 drops the current
    cell): the logged loss is nan, and the terms after it make the whole gradient."""
    lam = 0.1
    method, batch = planted_method("random-nas-replay", grad_clip=1e9, w_weight_decay=lam)
    grads = method.multi_cell_gradients(batch, [(0.0, 1.0, {"arch": A}), (1.0, 1.0, {"arch": B})])
    assert math.isnan(float(method.last_loss))
    for got, g, p in zip(grads, _grads(method, batch, B), method.supernet.parameters()):
        assert (got is None) == (g is None)
        if g is not None:
            assert torch.allclose(got, g + lam * p.detach(), atol=1e-6)


@pytest.mark.parametrize("decay_used", [False, True])
def test_the_l2_part_weights_each_tensor_by_its_terms_r_or_by_one_with_decay_used(decay_used):
    """lambda sum_t r_t R(w(alpha_t)) per weight tensor (a tensor only a term with r_t = 0 reaches
    has no l2 part; the default), or lambda on every reached tensor (``decay_used``: SGD's weight
    decay in the released code); the step's gradients are these (``multi_cell_step``)."""
    lam, wa, wb = 0.1, 0.6, 0.4
    method, batch = planted_method("random-nas-replay", grad_clip=1e9, w_weight_decay=lam,
                                   net_cfg={"split": True})
    params = list(method.supernet.parameters())
    terms = [(wa, 1.0, {"arch": A}), (wb, 0.0, {"arch": B})]
    want, coef = [], []
    for p, ga, gb in zip(params, _grads(method, batch, A), _grads(method, batch, B)):
        if ga is None and gb is None:
            want.append(None), coef.append(None)
            continue
        r = 1.0 if (decay_used or ga is not None) else 0.0
        loss_part = sum(w * g for w, g in ((wa, ga), (wb, gb)) if g is not None)
        want.append(loss_part + lam * r * p.detach().clone())
        coef.append(r)
    assert coef.count(0.0) == (0 if decay_used else 1)      # edge 1's identity: B's alone
    assert coef.count(None) > 0                              # weights neither cell reaches
    kwargs = {"decay_used": True} if decay_used else {}      # the default: r_t
    got = method.multi_cell_gradients(batch, terms, **kwargs)
    method.multi_cell_step(batch, terms, **kwargs)
    stepped = [p.grad for p in params]
    for g, s, w in zip(got, stepped, want):
        assert (g is None) == (s is None) == (w is None)
        if w is not None:
            assert torch.allclose(g, w, atol=1e-6) and torch.allclose(s, w, atol=1e-6)


class _PenalisedTask(ClassificationTask):
    """A weight penalty that depends on the weights (a stand-in for the RNN's AR/TAR)."""

    def weight_penalty(self, net):
        return 0.5 * net.classifier.weight.pow(2).sum()


def test_the_tasks_weight_penalty_joins_every_terms_loss():
    """Each term's gradient is that of a_t (L_t + the task's weight penalty), as the single-cell
    step's ``(loss + weight_penalty).backward()``."""
    method, batch = planted_method("random-nas-replay", grad_clip=1e9, w_weight_decay=0.0)
    method.space.task = _PenalisedTask()
    params = list(method.supernet.parameters())
    grads = method.multi_cell_gradients(batch, [(0.7, 1.0, {"arch": A}), (0.3, 0.0, {"arch": B})])
    index = next(i for i, p in enumerate(params) if p is method.supernet.classifier.weight)
    ga, gb = _grads(method, batch, A)[index], _grads(method, batch, B)[index]
    penalty = method.supernet.classifier.weight.detach()     # d/dW of 0.5 ||W||^2, weights 0.7 + 0.3
    assert float(penalty.abs().max()) > 1e-2
    assert torch.allclose(grads[index], 0.7 * ga + 0.3 * gb + penalty, atol=1e-6)


def test_the_clip_factor_is_clip_grad_norms_at_a_small_norm_too():
    """The loss part is scaled by clip / (total norm + 1e-6), at most 1, as ``clip_grad_norm_``;
    the 1e-6 matters where the norm is small (a term of weight 1e-5 here)."""
    clip = 1e-7
    method, batch = planted_method("random-nas-replay", grad_clip=clip, w_weight_decay=0.0)
    grads = method.multi_cell_gradients(batch, [(1e-5, 1.0, {"arch": A})])
    params = list(method.supernet.parameters())
    for p, g in zip(params, _grads(method, batch, A)):
        p.grad = None if g is None else 1e-5 * g
    total = float(torch.nn.utils.clip_grad_norm_(params, clip))
    assert 1e-6 < total < 1e-4                               # 1e-6 is a tenth of it or more
    for got, p in zip(grads, params):
        assert (got is None) == (p.grad is None)
        if got is not None:
            assert torch.allclose(got, p.grad, rtol=1e-4, atol=0)
