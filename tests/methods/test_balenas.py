"""BaLeNAS (ch. 5): VAdam against a hand computation of Eq. (5.16)-(5.17), its sampling variance
(Eq. 5.12), the method's MCMC estimate and mean-based derivation, and the depth-aware L0 term
(Eq. 5.19-5.21) against the hard-concrete distribution."""

import math

import pytest
import torch

from nasrepro.methods.parts.depth_l0 import connection_logits, depth_penalty, open_probability
from nasrepro.methods.parts.vadam import VAdam
from tests.conftest import build_method


def _by_hand(mu, prev_mu, s, g, beta, gamma, delta_t):
    """Eq. (5.17) then (5.16), element by element, in plain Python floats."""
    out_mu, out_s = [], []
    for m, pm, si, gi in zip(mu, prev_mu, s, g):
        s_new = (1 - beta) * si + beta * gi * gi
        m_new = m - beta * (gi + delta_t * m) / (s_new + delta_t) \
            + gamma * (si + delta_t) / (s_new + delta_t) * (m - pm)
        out_mu.append(m_new)
        out_s.append(s_new)
    return out_mu, out_s


def test_vadam_steps_equal_eq_5_16_and_5_17_by_hand():
    beta, gamma, prior, n = 0.1, 0.5, 2.0, 40            # delta~ = prior / n = 0.05
    p = torch.nn.Parameter(torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64))
    opt = VAdam([p], lr=beta, momentum=gamma, prior_precision=prior, dataset_size=n, s_init=0.2)
    mu, prev, s = [0.3, -1.2, 2.0], [0.3, -1.2, 2.0], [0.2, 0.2, 0.2]
    for g in ([0.5, -0.25, 1.5], [-0.1, 0.4, 0.3]):    # two steps: the second has momentum
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        new_mu, s = _by_hand(mu, prev, s, g, beta, gamma, prior / n)
        prev, mu = mu, new_mu
        assert p.detach().tolist() == pytest.approx(mu, rel=1e-12)
        assert opt.state[p]["s"].tolist() == pytest.approx(s, rel=1e-12)
    assert mu != prev


def test_vadam_samples_have_the_stated_variance():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    opt = VAdam([p], lr=0.1, momentum=0.0, prior_precision=4.0, dataset_size=100, s_init=0.0)
    opt.state[p]["s"] = torch.tensor([0.0, 0.01, 0.09])
    opt.state[p]["prev_mu"] = p.detach().clone()
    sigma = [1 / math.sqrt(100 * (s + 0.04)) for s in (0.0, 0.01, 0.09)]   # 1/sqrt(N(s + delta~))
    gen = torch.Generator().manual_seed(0)
    draws = torch.stack([opt.sample(gen)[0] for _ in range(20000)])
    assert draws.mean(0).tolist() == pytest.approx([1.0, -2.0, 0.5], abs=4 * max(sigma) / math.sqrt(20000))
    # the sample standard deviation of 20000 normal draws is within 3% of sigma with p > 0.9999
    assert draws.std(0).tolist() == pytest.approx(sigma, rel=0.03)


def test_vadam_rejects_a_closure_and_bad_settings():
    p = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="prior_precision"):
        VAdam([p], lr=0.1, momentum=0.5, prior_precision=0.0, dataset_size=10)
    with pytest.raises(ValueError, match="closure"):
        VAdam([p], lr=0.1, momentum=0.5, prior_precision=1.0, dataset_size=10).step(lambda: 0.0)
    good = dict(lr=0.1, momentum=0.5, prior_precision=1.0, dataset_size=10)
    for bad in ({"lr": 0.0}, {"momentum": 1.0}, {"momentum": -0.1}, {"dataset_size": 0},
                {"s_init": -0.1}):  # each bound alone, its boundary value refused
        with pytest.raises(ValueError, match="VAdam needs lr > 0, 0 <= momentum < 1"):
            VAdam([p], **{**good, **bad})
    assert VAdam([p], **good).defaults["s_init"] == 0.0  # s_0 of Eq. 5.17, as BaLeNAS' s_init


def _batch(seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen)


@pytest.mark.parametrize("name", ["balenas-1st", "balenas-2nd"])
def test_balenas_gradient_is_the_mean_over_samples_and_the_step_starts_from_mu(name):
    method = build_method(name, samples=3, a_lr=0.05, arch_examples=50)
    mu = {k: a.detach().clone() for k, a in method.alphas.items()}
    seen, hyper = [], method.hypergradient

    def spy(train_batch, valid_batch):
        seen.append({k: a.detach().clone() for k, a in method.alphas.items()})
        grads, loss = hyper(train_batch, valid_batch)
        seen[-1]["grads"] = [g.detach().clone() for g in grads]
        return grads, loss

    method.hypergradient = spy
    state = method.a_opt.state
    method.arch_step(_batch(0), _batch(1))
    assert len(seen) == 3
    for sample in seen:  # gradients are taken at samples of q, not at mu, and samples differ
        assert not torch.allclose(sample["cell"], mu["cell"])
    assert not torch.allclose(seen[0]["cell"], seen[1]["cell"])
    mean_grad = sum(s["grads"][0] for s in seen) / 3
    alpha = method.alphas["cell"]
    assert torch.allclose(alpha.grad, mean_grad)
    # Eq. (5.16) from mu (no momentum on the first step), not from the last sample
    s_new = state[alpha]["s"]
    delta = method.a_opt.param_groups[0]["prior_precision"] / 50
    expected = mu["cell"] - 0.05 * (mean_grad + delta * mu["cell"]) / (s_new + delta)
    assert torch.allclose(alpha.detach(), expected, atol=1e-7)


def test_balenas_derives_the_cell_of_the_mean_not_of_a_sample():
    method = build_method("balenas-2nd", arch_examples=1, a_weight_decay=1e-3)  # sigma ~ 30
    target = method.space.discretize({"cell": torch.eye(6, 5)})
    with torch.no_grad():
        method.alphas["cell"].copy_(torch.eye(6, 5) * 0.5)
    assert max(float(s.max()) for s in method.a_opt.std()) > 10
    for _ in range(5):
        assert method.derive() == target


def test_balenas_needs_the_architecture_split_size():
    with pytest.raises(ValueError) as error:
        build_method("balenas-1st", arch_examples=0)
    assert str(error.value) == ("BaLeNAS needs N, the size of the architecture split (Eq. 5.12): "
                                "the search context has none; set the run's dataset_size")


def test_balenas_passes_s_init_to_vadam_and_refuses_a_stretch_gamma_of_zero():
    """s_0 of Eq. 5.17 reaches VAdam (its first step's s and sigma); the hard-concrete stretch
    needs gamma < 0 strictly (Louizos et al.): 0 is refused in one line, -0.1 accepted."""
    method = build_method("balenas-1st", s_init=0.25)
    assert method.a_opt.defaults["s_init"] == 0.25
    assert all(group["s_init"] == 0.25 for group in method.a_opt.param_groups)
    from nasrepro.params import ConfigError

    for gamma in (0.0,):  # (above 0 the range check answers first)
        with pytest.raises(ConfigError) as error:
            build_method("balenas-1st", l0_gamma=gamma)
        assert str(error.value).endswith(f"l0_gamma = {gamma}: the hard-concrete stretch needs "
                                         "gamma < 0 (Louizos et al. use -0.1)")
    assert build_method("balenas-1st", l0_gamma=-0.1).cfg.l0_gamma == -0.1


# ----------------------------------------------------------------------------- depth L0
def _hard_concrete_gates(log_alpha, temperature, gamma, zeta, n, gen):
    """z = min(1, max(0, gamma + (zeta - gamma) sigmoid((log u - log(1 - u) + log_alpha) / tau)))."""
    u = torch.rand(n, *log_alpha.shape, generator=gen, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    s = torch.sigmoid((u.log() - (1 - u).log() + log_alpha) / temperature)
    return (gamma + (zeta - gamma) * s).clamp(0, 1)


def test_expected_l0_equals_the_hard_concrete_closed_form():
    log_alpha = torch.tensor([-2.0, -0.3, 0.0, 0.7, 2.5], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    for temperature, gamma, zeta in ((2 / 3, -0.1, 1.1), (0.5, -0.2, 1.3)):
        z = _hard_concrete_gates(log_alpha, temperature, gamma, zeta, 200000, gen)
        empirical = (z > 0).double().mean(0)
        closed = open_probability(log_alpha, temperature, gamma, zeta)
        assert torch.allclose(empirical, closed, atol=0.005), (empirical, closed)


def test_hard_concrete_stretch_must_straddle_zero():
    """gamma < 0 < zeta (Louizos et al.): the bounds themselves are refused, one clear line."""
    x = torch.zeros(2, dtype=torch.float64)
    for gamma, zeta in ((0.0, 1.1), (-0.1, 0.0), (0.2, 1.1)):
        with pytest.raises(ValueError, match="gamma < 0 < zeta"):
            open_probability(x, 2 / 3, gamma, zeta)
    # a stretch with zeta below 1 is valid: sigmoid(log_a - tau log(-gamma / zeta))
    assert float(open_probability(x, 0.5, -0.1, 0.9)[0]) == pytest.approx(
        1 / (1 + math.exp(0.5 * math.log(0.1 / 0.9))))


def test_depth_penalty_passes_its_stretch_on():
    alphas = {"normal": torch.randn(3, 4, generator=torch.Generator().manual_seed(0))}
    for temperature, gamma, zeta in ((0.5, -0.2, 1.3), (2 / 3, -0.1, 1.1)):
        by_hand = -open_probability(connection_logits(alphas["normal"][[0, 2]], 1), temperature,
                                    gamma, zeta).sum()
        assert torch.equal(depth_penalty(alphas, {"normal": [0, 2]}, 1, temperature, gamma, zeta),
                           by_hand)


def test_depth_penalty_rewards_only_the_consecutive_node_edges():
    method = build_method("balenas-2nd", space_name="darts_cnn", depth_weight=0.05)
    space = method.space
    alphas = {k: a.detach().clone().requires_grad_(True) for k, a in method.alphas.items()}
    none = space.ops.index("none")
    penalty = depth_penalty(alphas, space.depth_edges(), none)
    # the value: minus the expected number of open connections, 4 per cell
    by_hand = -sum(float(open_probability(connection_logits(alphas[c][e].detach(), none)).sum())
                   for c, e in space.depth_edges().items())
    assert float(penalty.detach()) == pytest.approx(by_hand)
    grads = torch.autograd.grad(penalty, list(alphas.values()))
    for (cell, edges), grad in zip(space.depth_edges().items(), grads):
        rows = grad.abs().sum(1).nonzero().flatten().tolist()
        assert rows == sorted(edges), f"{cell}: gradient on rows {rows}"
        assert (grad[edges, none] > 0).all()          # descent lowers the 'none' weight ...
        others = [o for o in range(len(space.ops)) if o != none]
        assert (grad[edges][:, others] < 0).all()     # ... and raises every real operation


def test_balenas_with_depth_weight_adds_the_depth_gradient():
    """Eq. 5.21: the architecture gradient is L_val's plus eta_1 times the gradient of Eq. 5.20's
    L_0^depth with the run's stretch (temperature, gamma, zeta), only on the depth edges."""
    grads = []
    stretch = dict(l0_temperature=0.5, l0_gamma=-0.2, l0_zeta=1.3)
    for weight in (0.0, 0.05):
        torch.manual_seed(0)
        method = build_method("balenas-1st", space_name="darts_cnn", depth_weight=weight, **stretch)
        grads.append(method.arch_loss_gradient(*[(torch.randn(4, 1, 8, 8), torch.randint(0, 10, (4,)))
                                                 for _ in range(2)])[0])
    edges = method.space.depth_edges()["normal"]
    diff = grads[1][0] - grads[0][0]
    assert diff[edges].abs().sum() > 0
    assert diff.abs().sum() == pytest.approx(float(diff[edges].abs().sum()))
    alphas = {k: a.detach().clone().requires_grad_(True) for k, a in method.alphas.items()}
    penalty = depth_penalty(alphas, method.space.depth_edges(), method.space.ops.index("none"),
                            0.5, -0.2, 1.3)
    want = torch.autograd.grad(0.05 * penalty, list(alphas.values()))
    for a, b, w in zip(grads[1], grads[0], want):
        assert torch.allclose(a - b, w, rtol=1e-4, atol=1e-7)


def test_nb201_has_no_depth_regularisation():
    with pytest.raises(ValueError, match="fixed topology"):
        build_method("balenas-2nd", depth_weight=0.05)


# ----------------------------------------------------------------------------- Alg. 5 step order
@pytest.mark.parametrize("name, arch_first", [("balenas-1st", True), ("balenas-2nd", True),
                                              ("darts-1st", False), ("darts-2nd", True)])
def test_the_mu_sigma_step_comes_before_the_weight_step_as_alg_5_prints_it(name, arch_first):
    """Alg. 5, lines 2-3: VAdam's step of mu and sigma, then the SGD step of w, in both orders
    (DARTS 1st order, the baseline, keeps NAS-Bench-201's w-then-alpha order). The architecture
    gradient must be taken at the weights the step started from."""
    method = build_method(name, a_lr=0.05, arch_examples=50)
    before = [p.detach().clone() for p in method.supernet.parameters()]
    calls, gradient = [], method.hypergradient
    weight_step = method.weight_step_mixed

    def spy_gradient(train_batch, valid_batch):
        now = [p.detach() for p in method.supernet.parameters()]
        calls.append(("arch", all(torch.equal(a, b) for a, b in zip(before, now))))
        return gradient(train_batch, valid_batch)

    def spy_weights(batch):
        calls.append(("w", None))
        return weight_step(batch)

    method.hypergradient, method.weight_step_mixed = spy_gradient, spy_weights
    method.step(_batch(0), _batch(1))
    order = [kind for kind, _ in calls]
    assert order == (["arch", "w"] if arch_first else ["w", "arch"])
    assert calls[order.index("arch")][1] is arch_first     # the arch step saw the step's start w
    after = [p.detach() for p in method.supernet.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(before, after))   # and w did move


@pytest.mark.parametrize("name", ["balenas-1st", "balenas-2nd"])
def test_balenas_draws_independent_samples_of_q_from_the_jobs_rng_and_logs_their_mean_loss(name):
    """Eq. 5.16-5.17: each of the M samples is theta_i ~ N(mu, sigma^2) (mu + sigma eps_i, not a
    random walk mu + sigma (eps_1 + ... + eps_i) from the previous sample), drawn from a generator
    seeded by the job's rng (``ctx.rng``: a run is reproducible from its seed whatever torch's
    global generator holds); the step's ``arch_loss`` is the mean of the M samples' L_val."""
    import copy

    method = build_method(name, samples=3, a_lr=0.05, arch_examples=50)
    mu = [a.detach().clone() for a in method.alpha_list()]
    sigma = method.a_opt.std()
    gen = torch.Generator().manual_seed(copy.deepcopy(method.ctx.rng).getrandbits(63))
    eps = [[torch.randn(m.shape, generator=gen, dtype=m.dtype) for m in mu] for _ in range(3)]
    seen, losses, hyper = [], [], method.hypergradient

    def spy(train_batch, valid_batch):
        seen.append([a.detach().clone() for a in method.alpha_list()])
        grads, loss = hyper(train_batch, valid_batch)
        losses.append(float(loss))
        return grads, loss

    method.hypergradient = spy
    torch.manual_seed(12345)  # the global generator must not matter
    logged = method.arch_step(_batch(0), _batch(1))
    assert len(seen) == 3
    for sample, e in zip(seen, eps):
        for got, m, s, n in zip(sample, mu, sigma, e):
            assert torch.allclose(got, m + s * n, rtol=1e-6, atol=1e-6)
    assert float(logged) == pytest.approx(sum(losses) / 3, rel=1e-6)
