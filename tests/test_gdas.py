import torch

from nasrepro.methods.base import build_config
from nasrepro.methods.gdas import Gdas, GdasConfig, gumbel_hard_sample
from nasrepro.spaces.nb201 import EDGES, Nb201Space


def _method(epochs=5):
    torch.manual_seed(0)
    supernet = Nb201Space.build_supernet(10, 1, {"C": 4, "N": 1, "affine": False,
                                                 "track_running_stats": True})
    cfg = build_config(GdasConfig, {"epochs": epochs, "batch_size": 8}, "gdas")
    return Gdas(Nb201Space, supernet, cfg, torch.device("cpu"))


def test_hard_sample_is_one_hot_with_soft_gradient():
    alpha = torch.randn(6, 5, requires_grad=True)
    hard, index = gumbel_hard_sample(alpha, tau=1.0)
    assert torch.equal(hard.detach().sum(-1), torch.ones(6))
    assert all(hard[e, k].item() == 1.0 for e, k in enumerate(index))
    assert int((hard.detach() != 0).sum()) == 6


def test_exactly_one_operation_runs_per_edge_and_alpha_gets_gradient():
    method = _method()
    calls = {}
    for cell_i, module in enumerate(method.supernet.layers):
        if not hasattr(module, "edges"):
            continue
        for key, ops in module.edges.items():
            for k, op in enumerate(ops):
                op.register_forward_hook(
                    lambda m, i, o, key=(cell_i, key, k): calls.__setitem__(key, calls.get(key, 0) + 1))
    with torch.no_grad():  # make 'none' (zero output, hence zero gradient) practically unsampled
        method.alpha[:, 0] = -50.0
    x = torch.randn(4, 1, 8, 8)
    out = method.hard_forward(x)
    per_edge = {}
    for (cell_i, edge, _k), n in calls.items():
        per_edge[(cell_i, edge)] = per_edge.get((cell_i, edge), 0) + n
    n_cells = sum(hasattr(m, "edges") for m in method.supernet.layers)
    assert n_cells == 3 and len(per_edge) == n_cells * len(EDGES)
    assert all(n == 1 for n in per_edge.values())
    out.sum().backward()
    assert method.alpha.grad is not None
    assert (method.alpha.grad.abs() > 0).all(), "straight-through gradient must reach every alpha"


def test_tau_schedule_is_linear_from_10_to_0_1():
    method = _method(epochs=5)
    taus = [method.begin_epoch(e)["tau"] for e in range(5)]
    assert abs(taus[0] - 10.0) < 1e-12 and abs(taus[-1] - 0.1) < 1e-12
    diffs = [a - b for a, b in zip(taus, taus[1:])]
    assert max(diffs) - min(diffs) < 1e-12


def test_step_updates_alpha_and_weights():
    method = _method()
    before_alpha = method.alpha.detach().clone()
    before_w = [p.detach().clone() for p in method.supernet.parameters()]
    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,)))
    stats = method.step(batch, batch)
    assert set(stats) == {"train_loss", "arch_loss"}
    assert not torch.equal(method.alpha.detach(), before_alpha)
    assert any(not torch.equal(p.detach(), b) for p, b in zip(method.supernet.parameters(), before_w))
