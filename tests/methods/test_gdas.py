"""GDAS: Gumbel straight-through sampling, one op per edge, the reference edge rule, tau schedule."""

import pytest
import torch

from nasrepro.methods.gdas import argmax_hard_sample, gumbel_hard_sample
from nasrepro.spaces.nb201.space import EDGES
from tests.conftest import build_method


def test_hard_sample_is_one_hot_with_soft_gradient():
    alpha = torch.randn(6, 5, requires_grad=True)
    hard, index, _ = gumbel_hard_sample(alpha, tau=1.0)
    assert torch.equal(hard.detach().sum(-1), torch.ones(6))
    assert all(hard[e, k].item() == 1.0 for e, k in enumerate(index))
    assert int((hard.detach() != 0).sum()) == 6


def test_gdas_a_sample_runs_argmax_alpha_forward_with_the_tempered_softmax_gradient():
    """GDAS-A (thesis §4.4.1.2): no Gumbel noise, so the forward value is onehot(argmax alpha) of
    every edge and the straight-through backward is that of softmax(log_softmax(alpha) / tau)
    = softmax(alpha / tau) (the soft weights returned beside it)."""
    gen = torch.Generator().manual_seed(0)
    alpha = torch.randn(6, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    tau = 0.5
    hard, index, soft = argmax_hard_sample(alpha, tau)
    assert index == alpha.detach().argmax(dim=-1).tolist()
    want_soft = (alpha / tau).softmax(dim=-1)
    assert torch.allclose(soft, want_soft, rtol=1e-12, atol=1e-15)
    one_hot = torch.nn.functional.one_hot(torch.tensor(index), 5).double()
    assert torch.allclose(hard.detach(), one_hot, rtol=0, atol=1e-15)
    probe = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    got, = torch.autograd.grad((hard * probe).sum(), alpha)
    want, = torch.autograd.grad((want_soft * probe).sum(), alpha)
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-15)
    assert got.abs().max() > 1e-3  # a real gradient, not zero


def _count_op_calls(supernet):
    calls = {}
    for cell_i, module in enumerate(supernet.layers):
        if not hasattr(module, "edges"):
            continue
        for key, ops in module.edges.items():
            for k, op in enumerate(ops):
                op.register_forward_hook(
                    lambda m, i, o, key=(cell_i, key, k): calls.__setitem__(key, calls.get(key, 0) + 1))
    return calls


def test_exactly_one_operation_runs_per_edge_and_straight_through_reaches_every_alpha():
    method = build_method("gdas", epochs=5, batch_size=8)
    calls = _count_op_calls(method.supernet)
    with torch.no_grad():  # 'none' everywhere downstream would leave an edge without influence
        method.alphas["cell"][:, 0] = -50.0
    x = torch.randn(4, 1, 8, 8)
    out = method.supernet(x, **method.sample(detach=False))
    per_edge = {}
    for (cell_i, edge, _k), n in calls.items():
        per_edge[(cell_i, edge)] = per_edge.get((cell_i, edge), 0) + n
    n_cells = sum(hasattr(m, "edges") for m in method.supernet.layers)
    assert n_cells == 3 and len(per_edge) == n_cells * len(EDGES)
    assert all(n == 1 for n in per_edge.values())
    out.sum().backward()
    grad = method.alphas["cell"].grad
    assert grad is not None and (grad.abs() > 0).all(), "every alpha of every edge gets gradient"


def _reference_cell(cell, x, hardwts, index):
    """AutoDL-Projects' GDAS edge rule, re-implemented: for each edge, sum over ops of
    ``hardwts[k] * op(x)`` for the sampled k and ``hardwts[k]`` (no op run) for the others."""
    nodes = [x]
    for j in range(1, 4):
        total = 0
        for e, (t, i) in enumerate(EDGES):
            if t != j:
                continue
            ops = cell.edges[f"{t}<-{i}"]
            k_star = index[e]
            total = total + sum(hardwts[e, k] * op(nodes[i]) if k == k_star else hardwts[e, k]
                                for k, op in enumerate(ops))
        nodes.append(total)
    return nodes[-1]


def test_hard_forward_matches_reference_edge_rule_value_and_alpha_gradient():
    method = build_method("gdas", epochs=5, batch_size=8)
    cell = next(m for m in method.supernet.layers if hasattr(m, "edges"))
    cell.eval()
    x = torch.randn(2, 4, 6, 6)
    alpha = method.alphas["cell"]
    with torch.no_grad():  # keep 'none' off the path so that the output is not identically 0
        alpha[:, 0] = -50.0
    torch.manual_seed(3)
    hard, index, _ = gumbel_hard_sample(alpha, tau=2.0)
    ours = cell(x, weights=hard, choice=index)
    (g_ours,) = torch.autograd.grad(ours.square().sum(), [alpha])
    torch.manual_seed(3)
    hard_ref, index_ref, _ = gumbel_hard_sample(alpha, tau=2.0)
    assert index_ref == index
    ref = _reference_cell(cell, x, hard_ref, index_ref)
    (g_ref,) = torch.autograd.grad(ref.square().sum(), [alpha])
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-5, atol=1e-7)
    unselected = torch.ones_like(g_ref, dtype=torch.bool)
    unselected[range(len(index)), index] = False
    assert (g_ref[unselected] != 0).any(), "the reference rule feeds the unselected alphas"


def test_tau_schedule_is_linear_from_10_to_0_1():
    method = build_method("gdas", epochs=5)
    taus = [method.begin_epoch(e)["tau"] for e in range(5)]
    assert abs(taus[0] - 10.0) < 1e-12 and abs(taus[-1] - 0.1) < 1e-12
    diffs = [a - b for a, b in zip(taus, taus[1:])]
    assert max(diffs) - min(diffs) < 1e-12


def test_tau_min_above_tau_max_is_a_config_error():
    from nasrepro.params import ConfigError

    with pytest.raises(ConfigError, match="tau_min = 20.0 is above tau_max = 10.0: tau falls "
                                          "linearly from tau_max to tau_min; swap them"):
        build_method("gdas", tau_min=20.0)


def test_a_constant_tau_is_allowed_and_two_epochs_end_at_tau_min():
    """tau_min = tau_max is a constant temperature (not above tau_max: accepted); with two
    epochs the linear schedule is tau_max then tau_min, with one epoch tau_max."""
    method = build_method("gdas", epochs=3, tau_min=2.0, tau_max=2.0)
    assert [method.begin_epoch(e)["tau"] for e in range(3)] == [2.0, 2.0, 2.0]
    method = build_method("gdas", epochs=2, tau_min=0.5, tau_max=4.0)
    assert [method.begin_epoch(e)["tau"] for e in range(2)] == [4.0, 0.5]
    assert build_method("gdas", epochs=1).begin_epoch(0)["tau"] == 10.0


def test_step_updates_alpha_and_weights():
    method = build_method("gdas", batch_size=8)
    before_alpha = method.alphas["cell"].detach().clone()
    before_w = [p.detach().clone() for p in method.supernet.parameters()]
    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,)))
    stats = method.step(batch, batch)
    assert set(stats) == {"train_loss", "arch_loss"}
    assert not torch.equal(method.alphas["cell"].detach(), before_alpha)
    assert any(not torch.equal(p.detach(), b) for p, b in zip(method.supernet.parameters(), before_w))
