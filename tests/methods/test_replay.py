"""Chapter 4 complementation (Eq. 4.12, Fig. 4.2, Table 4.3) and GDAS-A: the complementary cell's
two conditions on random cells, the replay cells of each strategy, the Eq. 4.12 gradient term by
term, eps = 0 equals the baselines' steps, and GDAS-A's deterministic argmax path."""

import random

import pytest
import torch

from nasrepro.methods.gdas import argmax_hard_sample
from nasrepro.methods.parts.replay import replay_cells
from nasrepro.registry import SPACES
from tests.conftest import build_method
from tests.planted import PlantedSpace, planted_method


@pytest.mark.parametrize("space_name", ["nb201", "darts_cnn"])
def test_complement_covers_current_and_shares_nothing_with_previous(space_name):
    space, rng = SPACES.get(space_name)(), random.Random(0)
    changed = kept = 0
    for _ in range(200):
        current, previous = space.sample(rng), space.sample(rng)
        if rng.random() < 0.3:
            previous = current  # every edge is a "same input" edge
        comp = space.complement(current, [previous], rng)
        w_i, w_prev, w_c = (space.embed(a).bool() for a in (current, previous, comp))
        assert bool((w_i <= (w_prev | w_c)).all())      # w_i within w_{i-1} u w_c
        assert not bool((w_prev & w_c).any())           # w_{i-1} n w_c empty
        assert space.embed(comp).sum() == space.embed(current).sum()  # same input edges
        changed += int((w_i & ~w_c).sum())
        kept += int((w_i & w_c).sum())
    assert changed > 0 and kept > 0


def test_replay_methods_run_where_a_cell_has_a_complement():
    """Eq. 4.12's complement needs operations on edges: every space but NAS-Bench-1Shot1's."""
    from nasrepro.registry import METHODS
    edge_spaces = {s for s in SPACES.names() if not s.startswith("nb1shot1")}
    for name in ("random-nas-replay", "gdas-replay", "e2nas"):
        supported = {s for s in SPACES.names() if METHODS.get(name).supports(SPACES.get(s)())}
        # E²NAS also needs the D-VAE's decode and graph_weights (not the recurrent space's)
        assert supported == (edge_spaces - {"darts_rnn"} if name == "e2nas" else edge_spaces), name


def test_complement_follows_fig_4_2_on_nb201():
    space = SPACES.get("nb201")()
    current = space.from_string("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|none~2|")
    previous = space.from_string(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|")
    comp = space.complement(current, [previous], random.Random(0))
    rows_c, rows_i = space.embed(comp).view(6, -1), space.embed(current).view(6, -1)
    rows_p = space.embed(previous).view(6, -1)
    same = [e for e in range(6) if rows_i[e].argmax() == rows_p[e].argmax()]
    for e in range(6):
        if e in same:   # same input and operation -> a different operation
            assert rows_c[e].argmax() != rows_i[e].argmax()
        else:           # different -> alpha_i's operation
            assert rows_c[e].argmax() == rows_i[e].argmax()
    assert len(same) == 4


def test_replay_cells_by_strategy():
    space, rng = SPACES.get("nb201")(), random.Random(1)
    current, previous = space.sample(rng), space.sample(rng)
    sample = lambda: space.sample(rng)  # noqa: E731
    assert replay_cells(space, "na", current, previous, rng, sample) == []
    assert replay_cells(space, "ac", current, None, rng, sample) == []
    assert replay_cells(space, "op", current, previous, rng, sample) == [previous]
    ac = replay_cells(space, "ac", current, previous, rng, sample)
    assert ac[0] == previous and not bool((space.embed(ac[1]).bool() & space.embed(previous).bool()).any())
    for _ in range(50):
        rp = replay_cells(space, "rp", current, previous, rng, lambda: rng.choice([previous, current]))
        assert rp == [previous, current]
    with pytest.raises(ValueError, match="one of"):
        replay_cells(space, "xx", current, previous, rng, sample)
    draws = []  # a space whose every random cell is the previous one: 1000 draws, then a clear error
    with pytest.raises(ValueError, match="nb201: no random cell other than the previous one in 1000"):
        replay_cells(space, "rp", current, previous, rng, lambda: draws.append(1) or previous)
    assert len(draws) == 1000


def test_rp_step_replays_the_previous_cell_and_a_random_other_one():
    """RP through the method (eps > 0): the terms of Eq. 4.12 are the current cell, alpha_{i-1}
    and a random cell of the space that is not alpha_{i-1}, drawn anew each step."""
    method, _ = planted_method("random-nas-replay", seed=1, epsilon=0.5, replay="rp")
    method.previous = ("identity", "none", "none")
    current = ("none", "none", "identity")
    others = set()
    for _ in range(20):
        terms = method.replay_terms({"arch": current}, current)
        assert [t[:2] for t in terms] == [(0.5, 1.0), (0.5, 0.0), (0.5, 0.0)]
        assert terms[1][2] == {"arch": method.previous} and terms[2][2]["arch"] != method.previous
        others.add(terms[2][2]["arch"])
    assert len(others) > 1




def test_eq_4_12_gradient_term_by_term():
    eps, lam = 0.3, 0.01
    method, batch = planted_method("random-nas-replay", epsilon=eps, replay="ac", w_weight_decay=lam,
                             grad_clip=1e9)
    current = ("none", "none", "identity")
    method.previous = ("identity", "none", "none")
    terms = method.replay_terms({"arch": current}, current)
    comp = terms[2][2]["arch"]
    assert [t[:2] for t in terms] == [(1 - eps, 1.0), (eps, 0.0), (eps, 0.0)]
    # edge 0 and 2 differ from alpha_{i-1}: alpha_i's operation; edge 1 is shared: a different one
    assert comp[0] == "none" and comp[2] == "identity" and comp[1] != "none"
    grads = method.multi_cell_gradients(batch, terms)
    params = list(method.supernet.parameters())
    ref = [lam * p.detach() for p in params]  # R(w_i): every planted tensor is used by alpha_i
    for weight, arch in [(1 - eps, current), (eps, method.previous), (eps, comp)]:
        for r, g in zip(ref, torch.autograd.grad(method.loss(batch, arch=arch), params)):
            r += weight * g
    for g, r in zip(grads, ref):
        assert torch.allclose(g, r, atol=1e-6)
    # edge 0 identity is trained only by the previous cell, with weight eps (not eps / 2)
    g_prev, = torch.autograd.grad(method.loss(batch, arch=method.previous), [method.supernet.scale])
    index = params.index(method.supernet.scale)
    expected = eps * g_prev[0, 2] + lam * method.supernet.scale[0, 2].detach()
    assert float(g_prev[0, 2].abs()) > 1e-3
    assert float(grads[index][0, 2]) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("base,name", [("random-nas", "random-nas-replay"), ("gdas", "gdas-replay")])
@pytest.mark.parametrize("strategy", ["ac", "rp", "op", "na"])
def test_eps_zero_is_the_baseline_step(base, name, strategy):
    eps = 0.0 if strategy != "na" else 0.5
    ref, batch = planted_method(base, seed=3)
    rep, _ = planted_method(name, seed=3, epsilon=eps, replay=strategy)
    for method in (ref, rep):
        torch.manual_seed(0)  # the planted noise operation draws from the global generator
        for _ in range(3):
            method.step(batch, batch)
    assert ref.trained_arch == rep.trained_arch and rep.previous == rep.trained_arch
    for p, q in zip(ref.supernet.parameters(), rep.supernet.parameters()):
        assert torch.equal(p, q)
    if base == "gdas":
        assert torch.equal(ref.alphas["cell"], rep.alphas["cell"])


def test_replay_step_trains_the_replayed_cells_weights():
    method, batch = planted_method("random-nas-replay", seed=1, epsilon=0.8, replay="op")
    method.step(batch, batch)
    first = method.trained_arch
    before = method.supernet.scale.detach().clone()
    method.step(batch, batch)
    moved = (method.supernet.scale.detach() - before).abs() > 0
    for e, op in enumerate(first):
        if op != "none":  # none has no weight
            assert bool(moved[e, PlantedSpace.ops.index(op)]), (e, op)


def test_a_resumed_search_replays_the_same_previous_cell():
    """The checkpoint (``state_dict``) keeps alpha_{i-1} of Eq. 4.12: a search resumed after a
    step replays the cell trained last, and one resumed before the first step has none."""
    method, batch = planted_method("random-nas-replay", seed=1, epsilon=0.5, replay="op")
    resumed, _ = planted_method("random-nas-replay", seed=2, epsilon=0.5, replay="op")
    resumed.previous = ("identity", "identity", "identity")
    resumed.load_state_dict(method.state_dict())
    assert resumed.previous is None
    method.step(batch, batch)
    assert method.previous is not None
    resumed.load_state_dict(method.state_dict())
    assert resumed.previous == method.previous
    current = ("none", "none", "identity")
    assert resumed.replay_terms({"arch": current}, current)[1][2] == {"arch": method.previous}


def test_an_active_grad_clip_scales_the_loss_part_of_all_terms_together():
    """``grad_clip`` scales the summed loss gradient of every term of Eq. 4.12 to that norm, as
    ``clip_grad_norm_`` does (factor clip / (total norm + 1e-6), at most 1); lambda = 0 here."""
    clip = 1e-3
    method, batch = planted_method("random-nas-replay", epsilon=0.5, replay="op", w_weight_decay=0.0,
                                   grad_clip=clip)
    method.previous = ("identity", "none", "none")
    current = ("none", "none", "identity")
    terms = method.replay_terms({"arch": current}, current)
    params = list(method.supernet.parameters())
    summed = [None] * len(params)
    for weight, _, forward in terms:
        grads = torch.autograd.grad(weight * method.loss(batch, **forward), params, allow_unused=True)
        for i, g in enumerate(grads):
            if g is not None:
                summed[i] = g if summed[i] is None else summed[i] + g
    total = torch.linalg.vector_norm(torch.stack([g.norm() for g in summed if g is not None]))
    assert float(total) > 100 * clip  # the clip is active
    for got, want in zip(method.multi_cell_gradients(batch, terms), summed):
        assert (got is None) == (want is None)
        if got is not None:
            assert torch.allclose(got, want * (clip / (total + 1e-6)), rtol=1e-5, atol=0)


def test_gdas_a_takes_the_argmax_path_always_with_softmax_gradient():
    alpha = torch.randn(6, 5, requires_grad=True)
    first = argmax_hard_sample(alpha, 5.0)
    for _ in range(20):
        assert argmax_hard_sample(alpha, 5.0).index == first.index == alpha.argmax(-1).tolist()
    assert torch.equal(first.hard.detach(), torch.nn.functional.one_hot(alpha.argmax(-1), 5).float())
    (first.hard * torch.arange(5.0)).sum().backward()
    assert torch.allclose(first.soft, (alpha / 5.0).softmax(-1), atol=1e-6)
    assert alpha.grad.abs().sum() > 0
    method = build_method("gdas-a")
    paths = set()
    for _ in range(10):
        method.sample(detach=True)
        paths.add(method.space.to_string(method.sampled_cell()))
    assert paths == {method.space.to_string(method.derive())}
    gdas = build_method("gdas")
    seen = set()
    for _ in range(10):
        gdas.sample(detach=True)
        seen.add(gdas.space.to_string(gdas.sampled_cell()))
    assert len(seen) > 1  # GDAS itself samples different paths (tau = 10)
