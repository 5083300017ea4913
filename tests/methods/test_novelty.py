"""Chapters 2-3 mathematics: the §3.3.2 distance, kNN novelty (Eq. 2.4 / 3.5), the ES novelty step
(Eq. 2.5-2.6), greedy novelty search (Alg. 2 never lowers Eq. 3.4), the complement cell, the
constraint strategies (Assumptions 1-2 for NSAS-G) and the NSAS loss gradient (Eq. 3.6) through
the method class, plus the EN²AS evolutionary model selection (Eq. 2.7)."""

import random

import pytest
import torch

from nasrepro.methods.parts.constraints import STRATEGIES, ConstraintSelector
from nasrepro.methods.parts.evolution import evolve
from nasrepro.methods.parts.novelty import (behaviour_distances, diversity, es_novelty_step,
                                            greedy_novelty_search, knn_novelty, novelty)
from nasrepro.registry import SPACES
from tests.conftest import build_method
from tests.planted import OPS as PLANTED_OPS
from tests.planted import PlantedSpace, planted_method

SPACE_NAMES = ["nb201", "darts_cnn"]


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_distance_matrix_and_knn_novelty_equal_brute_force(space_name):
    space, rng = SPACES.get(space_name)(), random.Random(0)
    archive = [space.sample(rng) for _ in range(25)]
    probes = [space.sample(rng) for _ in range(6)] + archive[:2]
    matrix = space.distance_matrix(probes, archive)
    embeds = torch.stack([space.embed(a) for a in archive])
    for i, probe in enumerate(probes):
        brute = [space.distance(probe, other) for other in archive]
        assert matrix[i].tolist() == pytest.approx(brute, abs=1e-6)
        for k in (1, 3, 10, 100):
            expected = sum(sorted(brute)[:k]) / min(k, len(brute))
            assert novelty(space, probe, embeds, k) == pytest.approx(expected, abs=1e-6)
    assert matrix[-1, 1] == 0.0 and 0 < matrix[:6].mean() < 1


def test_nb201_distance_is_hamming_over_six_edges():
    space = SPACES.get("nb201")()
    a = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|none~2|")
    b = space.from_string("|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
    assert space.distance(a, b) == pytest.approx(2 / 6)
    assert float(space.distance_matrix([a], [b])[0, 0]) == pytest.approx(2 / 6)


def test_knn_novelty_takes_the_k_smallest():
    d = torch.tensor([[0.9, 0.1, 0.5, 0.3]])
    assert float(knn_novelty(d, 2)[0]) == pytest.approx(0.2)
    assert float(knn_novelty(d, 9)[0]) == pytest.approx(0.45)


def test_novelty_refuses_an_unknown_distance_by_name():
    with pytest.raises(ValueError, match="unknown novelty distance 'cosine'; expected one of"):
        novelty(SPACES.get("nb201")(), None, torch.zeros(1, 30), 1, metric="cosine")


def _expected_novelty(space, alpha, archive, k, sigma, samples, seed):
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(samples):
        arch = space.discretize({n: a + sigma * torch.randn(a.shape, generator=gen) for n, a in alpha.items()})
        total += novelty(space, arch, archive, k)
    return total / samples


def test_es_step_raises_the_expected_novelty_of_a_member():
    # Toy archive: 30 cells close to one cell X (X and single mutations of it); the member sits on
    # X. Moving along the ES estimate of Eq. 2.5 must raise E[N(argmax(alpha + sigma eps), A)].
    space, rng = SPACES.get("nb201")(), random.Random(3)
    x = space.sample(rng)
    cells = [x] + [space.mutate(x, rng) for _ in range(29)]
    archive = torch.stack([space.embed(c) for c in cells])
    alpha = {n: 1.5 * t for n, t in space.one_hot(x).items()}
    sigma, k = 1.0, 5
    before = _expected_novelty(space, alpha, archive, k, sigma, 3000, seed=11)
    gen = torch.Generator().manual_seed(0)
    moved = alpha
    for _ in range(5):
        moved = es_novelty_step(space, moved, archive, k, n=50, sigma=sigma, gamma=2.0, generator=gen)
    after = _expected_novelty(space, moved, archive, k, sigma, 3000, seed=11)
    # Monte-Carlo standard error of each estimate is below 0.005 (novelty in [0, 1], 3000 samples)
    assert after > before + 0.03, (before, after)


def _edge_fraction(a, b) -> float:
    """§3.3.2 between planted cells by hand: the fraction of the three edges whose operations differ
    (the edge-wise ``embed`` rows that ``novelty`` compares; ``PlantedSpace.node_inputs`` puts every
    edge on one node, so its ``distance`` ignores the edges' order)."""
    return sum(x != y for x, y in zip(a, b)) / len(a)


def test_es_step_equals_eq_2_6_by_hand():
    """Eq. 2.6 with sigma != 1 and n > 1 (so gamma / (n sigma) differs from gamma sigma / n), from
    an undecided alpha: the perturbed cells differ, so the novelties and the step are not zero."""
    space = PlantedSpace()
    alpha = {"cell": torch.tensor([[0.0, 0.0, 0.1], [0.1, 0.0, 0.0], [0.0, 0.1, 0.0]])}
    archive = torch.stack([space.embed(("identity", "none", "noise"))])
    gen = torch.Generator().manual_seed(5)
    out = es_novelty_step(space, alpha, archive, k=1, n=3, sigma=0.5, gamma=0.3, generator=gen)
    gen = torch.Generator().manual_seed(5)
    grad = torch.zeros(3, 3)
    for _ in range(3):
        eps = torch.randn(3, 3, generator=gen)
        arch = space.discretize({"cell": alpha["cell"] + 0.5 * eps})
        grad += _edge_fraction(arch, ("identity", "none", "noise")) * eps
    assert grad.abs().sum() > 0.1  # some perturbed cell is novel: the step moves alpha
    assert torch.allclose(out["cell"], alpha["cell"] + 0.3 / (3 * 0.5) * grad)


def test_es_noise_is_drawn_in_the_representations_dtype():
    """eps_i of Eq. 2.6 in alpha's dtype: float64 alphas get float64 noise, bit for bit. On the
    DARTS space (16 input edges) every §3.3.2 distance is a multiple of 1/16, exact in float32
    and float64, so the step by hand must equal the method's exactly; float32 noise cast up
    differs in the last bits."""
    space = SPACES.get("darts_cnn")()
    alpha = {name: torch.zeros(shape, dtype=torch.float64)
             for name, shape in space.arch_shapes.items()}
    reference = space.sample(random.Random(0))
    archive = torch.stack([space.embed(reference)])
    out = es_novelty_step(space, alpha, archive, k=1, n=3, sigma=0.5, gamma=0.3,
                          generator=torch.Generator().manual_seed(5))
    gen = torch.Generator().manual_seed(5)
    grad = {name: torch.zeros_like(a) for name, a in alpha.items()}
    for _ in range(3):
        eps = {name: torch.randn(a.shape, generator=gen, dtype=torch.float64)
               for name, a in alpha.items()}
        arch = space.discretize({name: a + 0.5 * eps[name] for name, a in alpha.items()})
        score = space.distance(arch, reference)
        assert score * 16 == int(score * 16) and score > 0
        for name in grad:
            grad[name] += score * eps[name]
    for name, a in alpha.items():
        assert out[name].dtype == torch.float64
        assert torch.equal(out[name], a + 0.3 / (3 * 0.5) * grad[name])


def test_behaviour_distances_are_the_pairwise_euclidean_distances():
    """Eq. 2.4's ||b_i - b_j||_2 for every pair of rows (several rows at once, not only the
    one-row calls of ``novelty``), and exactly 0 between a row and itself."""
    g = torch.Generator().manual_seed(0)
    rows, others = torch.rand(3, 7, generator=g, dtype=torch.float64), torch.rand(5, 7, generator=g,
                                                                                dtype=torch.float64)
    assert torch.allclose(behaviour_distances(rows, others), torch.cdist(rows, others))
    binary = (rows > 0.5).double()
    assert torch.equal(behaviour_distances(binary, binary).diagonal(), torch.zeros(3))


def test_diversity_sums_each_unordered_pair_once():
    """Eq. 3.4: 0 for fewer than two cells; one pair is its distance; three cells, three pairs."""
    space = SPACES.get("nb201")()
    rng = random.Random(3)
    a, b, c = (space.sample(rng) for _ in range(3))
    assert diversity(space, []) == 0.0 and diversity(space, [a]) == 0.0
    assert space.distance(a, b) > 0
    assert diversity(space, [a, b]) == pytest.approx(space.distance(a, b))
    assert diversity(space, [a, b, c]) == pytest.approx(
        space.distance(a, b) + space.distance(a, c) + space.distance(b, c))


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_greedy_novelty_search_never_lowers_the_eq_3_4_objective(space_name):
    space, rng = SPACES.get(space_name)(), random.Random(1)
    raised = 0
    for _ in range(30):
        archive = [space.sample(rng) for _ in range(rng.randint(2, 5))]
        recent = [space.sample(rng) for _ in range(8)]
        slot = rng.randrange(len(archive))
        before = diversity(space, archive)
        archive[slot] = greedy_novelty_search(space, archive, slot, recent, 10, rng)
        after = diversity(space, archive)
        assert after >= before - 1e-6
        raised += after > before + 1e-6
    assert raised > 0  # it does something


def test_greedy_novelty_search_keeps_the_incumbent_on_a_tie():
    """Alg. 2 replaces the incumbent only with a strictly more novel candidate: one exactly as
    novel (both one edge away from the other member) leaves the incumbent in place."""
    space, rng = SPACES.get("nb201")(), random.Random(0)
    other = space.sample(rng)
    incumbent = space.mutate(other, rng)
    tie = next(c for c in (space.mutate(other, rng) for _ in range(100)) if c != incumbent)
    assert space.distance(tie, other) == space.distance(incumbent, other) == 1 / 6
    assert greedy_novelty_search(space, [incumbent, other], 0, [tie], 5, rng) == incumbent
    better = space.sample(random.Random(7))  # sanity: a more novel candidate does replace it
    assert space.distance(better, other) > 1 / 6
    assert greedy_novelty_search(space, [incumbent, other], 0, [better], 5, rng) == better


def test_nsas_selector_keeps_diversity_monotone_once_full():
    space, rng = SPACES.get("nb201")(), random.Random(2)
    selector = ConstraintSelector(space, "nsas", m=4, recent=50, candidates=10)
    history = []
    for step in range(120):
        current = space.sample(rng)
        constraints = selector.select(current, rng)
        selector.observe(current)
        if step < 4:
            assert constraints == []
        else:
            assert len(constraints) == 4
            history.append(diversity(space, constraints))
    assert all(b >= a - 1e-6 for a, b in zip(history, history[1:]))
    assert history[-1] > history[0]


def test_nsas_selector_replaces_the_member_closest_to_the_current_cell():
    space, rng = SPACES.get("nb201")(), random.Random(8)
    selector = ConstraintSelector(space, "nsas", m=3, recent=50, candidates=50)
    members = [space.sample(rng) for _ in range(3)]
    for cell in members:
        assert selector.select(cell, rng) == []  # filling
        selector.observe(cell)
    for _ in range(20):
        selector.observe(space.sample(rng))  # novel recent cells to draw from
    current = space.mutate(members[1], rng)  # closest to member 1
    before = list(selector.archive)
    after = selector.select(current, rng)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [1]


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_complement_covers_the_current_cell_and_shares_nothing(space_name):
    space, rng = SPACES.get(space_name)(), random.Random(4)
    for _ in range(40):
        current, others = space.sample(rng), [space.sample(rng)]
        comp = space.complement(current, others, rng)
        cur, oth, com = space.embed(current), space.embed(others[0]), space.embed(comp)
        assert torch.all(cur <= oth + com)          # Assumption 1
        assert float(oth @ com) == 0.0               # Assumption 2
        # same input edges as the current cell (only operations change)
        for name in space.arch_shapes:
            assert torch.equal(space.one_hot(comp)[name].sum(1), space.one_hot(current)[name].sum(1))


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_nsas_g_constraints_satisfy_assumptions_1_and_2(space_name, m):
    """§3.4.2.3: NSAS-G and NSAS-LG "strictly observe" Assumption 1 (the constraints cover every
    (edge, operation) weight of the current cell) and Assumption 2 (no two constraints share one),
    for every M: with M >= 3 the archive members (and NSAS-LG's previous cell) are made disjoint;
    the first constraint is kept as it is (NSAS-LG: the previous cell)."""
    space, rng = SPACES.get(space_name)(), random.Random(5)
    for strategy in ("nsas-g", "nsas-lg"):
        selector = ConstraintSelector(space, strategy, m=m, recent=50, candidates=10)
        checked, shared_before = 0, 0
        for _ in range(60):
            current = space.sample(rng)
            members = [selector.previous] * (strategy == "nsas-lg") + list(selector.archive)
            constraints = selector.select(current, rng)
            if constraints:
                assert len(constraints) == m
                first = selector.previous if strategy == "nsas-lg" else selector.archive[0]
                assert constraints[0] == first
                e = [space.embed(c) for c in constraints]
                assert torch.all(space.embed(current) <= sum(e)), strategy          # Assumption 1
                for i in range(m):
                    for j in range(i + 1, m):
                        assert float(e[i] @ e[j]) == 0.0, (strategy, i, j)          # Assumption 2
                raw = [space.embed(c) for c in members[:m - 1] if c is not None]
                shared_before += any(float(a @ b) > 0 for i, a in enumerate(raw) for b in raw[i + 1:])
                checked += 1
            selector.observe(current)
        assert checked >= 60 - m
        if m >= 3 and space_name == "nb201":   # the raw archive (and previous cell) shared
            assert shared_before > 0, strategy   # weights there: the disjointness has teeth


def test_naive_strategies_pick_what_they_say():
    space, rng = SPACES.get("nb201")(), random.Random(6)
    cells = [space.sample(rng) for _ in range(3)]
    sel = {s: ConstraintSelector(space, s, m=3, recent=50, candidates=10) for s in STRATEGIES}
    assert sel["low"].select(cells[0], rng) == [] and sel["nsas-lg"].select(cells[0], rng) == []
    for s in sel.values():
        s.observe(cells[0])
    assert sel["low"].select(cells[1], rng) == [cells[0]]
    low_r = sel["low-r"].select(cells[1], rng)
    assert len(low_r) == 3 and low_r[0] == cells[0]
    assert len(sel["rg"].select(cells[1], rng)) == 3
    assert sel["nsas-lg"].select(cells[1], rng) == []  # its M - 2 = 1 archive cell fills first
    sel["nsas-lg"].observe(cells[1])
    lg = sel["nsas-lg"].select(cells[2], rng)
    # previous, archive, complement; the archive cell equals the previous one (cells[1]), so it
    # is made disjoint from it (Assumption 2): another operation on every edge
    assert len(lg) == 3 and lg[0] == cells[1] and sel["nsas-lg"].archive == [cells[1]]
    assert all(a != b for a, b in zip(lg[1].ops, cells[1].ops))


def test_random_constraints_are_the_spaces_uniform_cells_or_the_given_sampler():
    """``rg`` / ``low-r`` draw their cells from ``space.sample(rng)`` (the step's generator), or
    from ``sample`` where the method passes one (its ``sample_cell``: NSAS-C's fixed depth)."""
    space = SPACES.get("nb201")()
    current = space.sample(random.Random(0))
    rng = random.Random(11)
    want = [space.sample(rng) for _ in range(3)]
    assert ConstraintSelector(space, "rg", m=3, recent=5, candidates=2).select(
        current, random.Random(11)) == want
    fixed = space.sample(random.Random(1))
    given = ConstraintSelector(space, "low-r", m=3, recent=5, candidates=2, sample=lambda: fixed)
    given.observe(current)
    assert given.select(current, random.Random(11)) == [current, fixed, fixed]
    with pytest.raises(ValueError, match=r"unknown constraint strategy 'nsas-x'; use one of \("):
        ConstraintSelector(space, "nsas-x", m=3, recent=5, candidates=2)


def test_alg_2_draws_its_candidates_from_the_c_most_recent_cells_only():
    """Alg. 2's candidates come from the ``recent`` (C) cells trained last: with C = 1 a replaced
    archive member is the last observed cell (or the member is kept)."""
    space, rng = SPACES.get("nb201")(), random.Random(3)
    selector = ConstraintSelector(space, "nsas", m=2, recent=1, candidates=10)
    members = [space.sample(rng) for _ in range(2)]
    for cell in members:
        selector.select(cell, rng)
        selector.observe(cell)
    replaced = 0
    for _ in range(30):
        for _ in range(5):
            selector.observe(space.sample(rng))
        last = selector.previous
        before = list(selector.archive)
        after = selector.select(space.sample(rng), rng)
        assert all(a in (b, last) for a, b in zip(after, before))
        replaced += after != before
    assert replaced > 0 and list(selector.recent) == [selector.previous]


@pytest.mark.parametrize("strategy", ["nsas", "nsas-lg"])
def test_a_resumed_nsas_search_keeps_its_constraint_selection(strategy):
    """``state_dict`` / ``load_state_dict`` keep Alg. 3's archive, the recent cells C (at most
    ``recent``) and the previous cell: a selector restored from a checkpoint, before any step or
    mid-search, then selects exactly the constraints of the uninterrupted one; through the method
    too (NSAS' checkpoint holds its selector's state)."""
    space, rng = SPACES.get("nb201")(), random.Random(9)
    make = lambda: ConstraintSelector(space, strategy, m=3, recent=4, candidates=5)  # noqa: E731
    selector = make()
    fresh = make()
    fresh.load_state_dict(selector.state_dict())
    assert fresh.previous is None and fresh.archive == [] and list(fresh.recent) == []
    for _ in range(8):
        current = space.sample(rng)
        selector.select(current, rng)
        selector.observe(current)
    resumed = make()
    resumed.observe(space.sample(random.Random(0)))    # stale state the checkpoint replaces
    resumed.load_state_dict(selector.state_dict())
    assert resumed.previous == selector.previous is not None
    assert resumed.archive == selector.archive and len(resumed.archive) == selector.archive_size
    assert list(resumed.recent) == list(selector.recent) and len(resumed.recent) == 4
    for step in range(10):
        current, state = space.sample(rng), rng.getstate()
        want = selector.select(current, rng)
        rng_resumed = random.Random()
        rng_resumed.setstate(state)
        assert resumed.select(current, rng_resumed) == want and want, step
        selector.observe(current)
        resumed.observe(current)
        assert resumed.recent.maxlen == 4 and list(resumed.recent) == list(selector.recent)
    method, batch = planted_method("random-nas-nsas", seed=1, beta=0.5, constraints=1, recent=3)
    for _ in range(3):
        method.step(batch, batch)
    again, _ = planted_method("random-nas-nsas", seed=2, beta=0.5, constraints=1, recent=3)
    again.load_state_dict(method.state_dict())
    assert again.selector.state_dict() == method.selector.state_dict()
    assert again.selector.archive and again.selector.previous == method.trained_arch




def test_nsas_loss_sends_eq_3_6_gradient_into_weights_only_a_constraint_uses():
    beta, lam = 0.5, 0.01
    method, batch = planted_method("random-nas-nsas", beta=beta, w_weight_decay=lam, grad_clip=1e9)
    # cells without the (random) noise operation, so every term is deterministic
    current = ("none", "none", "identity")
    constraints = [("identity", "none", "none"), ("none", "identity", "none")]
    grads = method.nsas_gradients(batch, {"arch": current}, constraints)
    params = list(method.supernet.parameters())
    # reference: Eq. 3.6 term by term with plain autograd. A weight is "used" by a cell when its
    # loss reaches the parameter tensor; the planted space keeps all per-edge scales in one
    # tensor and the classifier is shared, so every tensor here is used by all three terms.
    ref = [torch.zeros_like(p) for p in params]
    for weight, arch in [(1 - beta, current)] + [(beta / 2, c) for c in constraints]:
        for r, g, p in zip(ref, torch.autograd.grad(method.loss(batch, arch=arch), params), params):
            r += weight * (g + lam * p.detach())
    for g, r in zip(grads, ref):
        assert torch.allclose(g, r, atol=1e-6)
    # edge 0 identity is trained only by constraint 1: its loss gradient is beta/M dL_c(alpha^1)/dw
    # (plus lambda w from the l2 terms of the three cells, whose weights sum to 1)
    index = params.index(method.supernet.scale)
    g1, = torch.autograd.grad(method.loss(batch, arch=constraints[0]), [method.supernet.scale])
    expected = beta / 2 * g1[0, 2] + lam * method.supernet.scale[0, 2].detach()
    assert float(g1[0, 2].abs()) > 1e-3
    assert float(grads[index][0, 2]) == pytest.approx(float(expected), rel=1e-5)
    plain, = torch.autograd.grad(method.loss(batch, arch=current), [method.supernet.scale])
    assert float(plain[0, 2]) == 0.0  # so a detached constraint term would leave only lam * w


def test_nsas_l2_term_of_each_cell_carries_its_loss_weight_on_unshared_weights():
    """Eq. 3.6: (1 - beta)(L_c + lambda R)(alpha^t) + beta/M sum_i (L_c + lambda R)(alpha^i). With
    one parameter tensor per (edge, op) the cells reach different tensors, so a tensor used only
    by constraint i gets beta/M (dL_c/dw + lambda w), one used only by the current cell
    (1 - beta)(dL_c/dw + lambda w). (On the shared planted supernet every tensor is reached by
    every cell and the l2 weights only appear through their sum, 1.)"""
    beta, lam = 0.4, 0.05
    method, batch = planted_method("random-nas-nsas", beta=beta, w_weight_decay=lam, grad_clip=1e9,
                                   net_cfg={"split": True})
    net = method.supernet
    with torch.no_grad():
        for i, p in enumerate(net.scales):
            p.fill_(0.5 + 0.1 * i)                  # distinct values: lambda w differs per tensor
    current = ("none", "none", "identity")
    constraints = [("identity", "none", "none"), ("none", "identity", "none")]
    grads = method.nsas_gradients(batch, {"arch": current}, constraints)
    params = list(net.parameters())
    ref: list = [None] * len(params)
    for weight, arch in [(1 - beta, current)] + [(beta / 2, c) for c in constraints]:
        for i, g in enumerate(torch.autograd.grad(method.loss(batch, arch=arch), params, allow_unused=True)):
            if g is not None:
                term = weight * (g + lam * params[i].detach())
                ref[i] = term if ref[i] is None else ref[i] + term
    for g, r in zip(grads, ref):
        assert (g is None) == (r is None)
        if g is not None:
            assert torch.allclose(g, r, atol=1e-7)
    identity = PLANTED_OPS.index("identity")
    only_c1 = params.index(net.weight(0, identity))
    only_current = params.index(net.weight(2, identity))
    g1, = torch.autograd.grad(method.loss(batch, arch=constraints[0]), [net.weight(0, identity)])
    w0 = float(net.weight(0, identity).detach())
    assert float(grads[only_c1]) == pytest.approx(beta / 2 * (float(g1) + lam * w0), rel=1e-5)
    gc, = torch.autograd.grad(method.loss(batch, arch=current), [net.weight(2, identity)])
    w2 = float(net.weight(2, identity).detach())
    assert float(grads[only_current]) == pytest.approx((1 - beta) * (float(gc) + lam * w2), rel=1e-5)
    assert grads[params.index(net.weight(1, 0))] is None      # a 'none' scale: no cell reaches it


def test_nsas_with_beta_zero_is_the_baseline_step():
    base, batch = planted_method("random-nas", seed=3)
    nsas, _ = planted_method("random-nas-nsas", seed=3, beta=0.0, constraints=1)
    for method in (base, nsas):  # the second step runs with a constraint (M = 1)
        torch.manual_seed(0)  # the planted noise operation draws from the global generator
        for _ in range(2):
            method.step(batch, batch)
    assert base.trained_arch == nsas.trained_arch and len(nsas.selector.archive) == 1
    for p, q in zip(base.supernet.parameters(), nsas.supernet.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_nsas_step_moves_weights_of_the_constraint_cells():
    method, batch = planted_method("random-nas-nsas", seed=1, beta=0.8, constraints=1)
    method.step(batch, batch)  # fills the archive with the first cell
    first = method.trained_arch
    before = method.supernet.scale.detach().clone()
    method.step(batch, batch)
    second = method.trained_arch
    moved = (method.supernet.scale.detach() - before).abs() > 0
    for e, op in enumerate(first):
        if op != "none" and op != second[e]:
            assert moved[e, ("none", "noise", "identity").index(op)], (first, second)


@pytest.mark.parametrize("population", [3, 6])
def test_evolution_keeps_the_better_half_and_mutates_each_child_at_least_once(population):
    """The (mu + lambda) scheme of parts/evolution.py: max(1, population // 2) parents, the rest
    children; with mutation probability 0 each child is still mutated once (max(1, flips))."""
    counter, mutations = iter(range(10**6)), []

    def mutate(arch):
        mutations.append(arch)
        return next(counter)

    best, value = evolve(lambda: next(counter), mutate, float, True, 6, random.Random(0),
                         population=population, generations=4, mutation_prob=0.0)
    assert len(mutations) == 4 * (population - max(1, population // 2))
    assert best == value == population + len(mutations) - 1   # each child is a new, larger cell
    # each generation's parents are the best cells so far: every mutated cell is one of them
    assert all(arch >= population - max(1, population // 2) for arch in mutations)


def test_evolution_finds_the_maximum_and_minimum_of_a_known_score():
    space, rng = SPACES.get("nb201")(), random.Random(7)
    score = lambda a: sum(op == "nor_conv_3x3" for op in a.ops)  # noqa: E731
    best, value = evolve(lambda: space.sample(rng), lambda a: space.mutate(a, rng), score, True,
                         6, rng, population=30, generations=40, mutation_prob=0.2)
    assert value == 6 and best.ops == ("nor_conv_3x3",) * 6
    worst, low = evolve(lambda: space.sample(rng), lambda a: space.mutate(a, rng), score, False,
                        6, rng, population=30, generations=40, mutation_prob=0.2)
    assert low == 0


@pytest.mark.parametrize("metric", ["l2", "edges"])
def test_en2as_fills_its_archive_then_moves_members_by_eq_2_6(metric):
    method = build_method("en2as", archive_size=3, k=2, perturbations=4, gamma=0.5,
                          novelty_distance=metric)
    space = method.space
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, 1, 8, 8, generator=gen)
    batch = (x, torch.randint(0, 10, (8,), generator=gen))
    for i in range(3):
        # Alg. 1 lines 3-5: member i is a fresh N(0, I) draw of the job's rng (its generator)
        rng = random.Random()
        rng.setstate(method.ctx.rng.getstate())
        g = torch.Generator().manual_seed(rng.getrandbits(63))
        drawn = {k: torch.randn(shape, generator=g) for k, shape in space.arch_shapes.items()}
        logs = method.step(batch, batch)
        assert sorted(logs) == ["train_loss"] and torch.isfinite(torch.as_tensor(logs["train_loss"]))
        for k, rows in method.archive.items():
            assert torch.equal(rows[i], drawn[k])
            assert not rows[i + 1:].any()                     # the members not drawn yet
        assert method.trained_arch == space.discretize(drawn)
    assert method.filled == 3
    for step in range(4):
        snapshot = {k: v.clone() for k, v in method.archive.items()}
        # the archive's cells as the thesis defines them (argmax of each stored representation),
        # recomputed here, not read from the method's own (possibly stale) table
        members = [{k: v[m] for k, v in snapshot.items()} for m in range(3)]
        cells = torch.stack([space.embed(space.discretize(a)) for a in members])
        assert torch.equal(method.cells, cells)
        state = method.ctx.rng.getstate()
        method.step(batch, batch)
        # replay: the same member, the same perturbations, Eq. 2.6 by es_novelty_step
        rng = random.Random()
        rng.setstate(state)
        g = torch.Generator().manual_seed(rng.getrandbits(63))
        m = rng.randrange(3)
        expected = es_novelty_step(space, members[m], cells, 2, 4, 1.0, 0.5, g, metric)
        for name in expected:
            assert torch.equal(method.archive[name][m], expected[name])
            others = [j for j in range(3) if j != m]      # only member m moves
            assert torch.equal(method.archive[name][others], snapshot[name][others])
        assert method.trained_arch == space.discretize(expected)
    # the distances the ES step sees are not all 1 (a stale, never-updated table gives all 1)
    assert method.space.distance_matrix(method.cells, method.cells).min() < 1


def test_en2as_uses_eq_2_4_euclidean_distance_by_default():
    """Eq. 2.4: N = mean over the k nearest of ||b - b_j||_2 with b the flattened one-hot cell."""
    method = build_method("en2as", archive_size=3, k=2, perturbations=4, gamma=0.5)
    assert method.cfg.novelty_distance == "l2"
    space = method.space
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))
    for _ in range(3):
        method.step(batch, batch)
    state = method.ctx.rng.getstate()
    member = {k: v.clone() for k, v in method.archive.items()}
    cells = method.cells.clone()
    method.step(batch, batch)
    rng = random.Random()
    rng.setstate(state)
    seed = rng.getrandbits(63)
    m = rng.randrange(3)
    alpha = {k: v[m] for k, v in member.items()}
    by_hand = {k: torch.zeros_like(v) for k, v in alpha.items()}
    g = torch.Generator().manual_seed(seed)
    for _ in range(4):
        eps = {k: torch.randn(v.shape, generator=g) for k, v in alpha.items()}
        b = space.embed(space.discretize({k: alpha[k] + eps[k] for k in alpha}))
        dist = sorted(float((b - row).norm()) for row in cells)
        for k in by_hand:
            by_hand[k] += sum(dist[:2]) / 2 * eps[k]
    for k in alpha:
        assert torch.allclose(method.archive[k][m], alpha[k] + 0.5 / 4 * by_hand[k], atol=1e-6)


@pytest.mark.parametrize("space_name", SPACE_NAMES)
def test_l2_novelty_has_the_edge_neighbours_but_another_mean(space_name):
    """||b - b_j||_2 = sqrt(2 E d_edges) for cells of E input edges: the same k nearest cells, but
    Eq. 2.4's mean is not a function of the edge-distance mean."""
    space, rng = SPACES.get(space_name)(), random.Random(2)
    archive = [space.sample(rng) for _ in range(20)]
    rows = torch.stack([space.embed(a) for a in archive])
    edges = float(rows[0].sum())
    ratios = []
    for probe in [space.sample(rng) for _ in range(8)] + [archive[0]]:
        b = space.embed(probe)
        l2 = torch.stack([(b - r).norm() for r in rows])
        d = space.distance_matrix([probe], rows)[0]
        assert torch.allclose(l2, (2 * edges * d).sqrt(), atol=1e-6)
        for k in (1, 3, 10):
            want = float(l2.sort().values[:k].mean())
            assert novelty(space, probe, rows, k, "l2") == pytest.approx(want, abs=1e-6)
        ratios.append(novelty(space, probe, rows, 5, "l2") / max(novelty(space, probe, rows, 5), 1e-9))
    assert novelty(space, archive[0], rows, 1, "l2") == 0.0
    assert max(ratios[:-1]) - min(ratios[:-1]) > 1e-3      # not one constant factor apart


def test_en2as_runs_the_full_ea_only_for_its_final_selection():
    method = build_method("en2as", ea_population=6, ea_generations=4, eval_batch_size=8)
    gen = torch.Generator().manual_seed(1)
    data = [(torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))]
    scored, sizes = [], set()
    score = method.inherited_score
    method.inherited_score = lambda arch, batches: (scored.append(arch), sizes.add(len(batches)),
                                                    score(arch, batches))[2]
    method.derive(lambda size: iter(data * 10), final=False)
    assert 1 <= len(scored) <= 6
    scored.clear()
    best = method.derive(lambda size: iter(data * 10), final=True)
    assert len(scored) > 6 and best in scored
    scored.clear()
    method.derive(lambda size: iter(data * 10))   # the default is the final selection
    assert len(scored) > 6
    assert sizes == {method.cfg.eval_batches}     # each candidate on the eval_batches batches


def test_the_nsas_methods_pass_recent_and_their_own_sampler_to_the_selection():
    """Alg. 2's |C| is the run's ``recent``; RG's random constraint cells are the method's own
    uniform cells (``sample_cell``: with ``depth_constraint``, NSAS-C's fixed-depth cells), not
    the space's unconstrained ``sample``."""
    method = build_method("random-nas-nsas", space_name="darts_cnn", strategy="rg", constraints=3,
                          recent=4, depth_constraint=True)
    assert method.selector.recent.maxlen == 4
    current = method.space.sample(random.Random(9))
    state = method.ctx.rng.getstate()
    constraints = method.constraints_for(current)
    method.ctx.rng.setstate(state)
    assert constraints == [method.sample_cell() for _ in range(3)]
    method.ctx.rng.setstate(state)
    assert constraints != [method.space.sample(method.ctx.rng) for _ in range(3)]
