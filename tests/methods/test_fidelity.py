"""Issue #25: each released-code option (``params.released``) changes exactly what it claims, and
a thesis-fidelity run is what it was before the options existed (docs/methods.md, "The thesis'
equations against the author's released code")."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
import torch

from nasrepro import jobs
from nasrepro.methods.parts.latent_novelty import (LatentArchive, log_chi, log_novelty,
                                                   log_perp_at_zero, log_perp_factor, rotated,
                                                   tangent)
from nasrepro.params import ConfigError, released_fields
from nasrepro.registry import METHODS, RUNS
from tests.conftest import build_method
from tests.planted import planted_method

CURRENT = ("none", "none", "identity")                      # deterministic planted cells (no noise op)
CONSTRAINTS = [("identity", "none", "none"), ("none", "identity", "none")]


def _grads(method, batch, arch, params):
    return torch.autograd.grad(method.loss(batch, arch=arch), params, allow_unused=True)


def test_constraint_losses_as_floats_give_the_current_cells_gradient_and_log_the_whole_loss():
    """GDAS-NSAS' NB201 notebook: value (1 - beta) L_c + beta/M sum L_i, gradient grad L_c at
    weight 1 (``current_grad_weight``); the constraint terms reach no weight."""
    beta, lam = 0.2, 0.01
    method, batch = planted_method("random-nas-nsas", beta=beta, w_weight_decay=lam, grad_clip=1e9,
                                   net_cfg={"split": True}, constraint_loss_as_value=True,
                                   current_grad_weight=1.0)
    params = list(method.supernet.parameters())
    constraints = [("identity", "identity", "none"), ("identity", "none", "none")]  # other losses
    grads = method.nsas_gradients(batch, {"arch": CURRENT}, constraints)
    baseline = _grads(method, batch, CURRENT, params)
    for g, b, p in zip(grads, baseline, params):
        assert (g is None) == (b is None)          # a weight only a constraint uses: no gradient
        if g is not None:
            assert torch.allclose(g, b + lam * p.detach(), atol=1e-7)
    losses = [float(method.loss(batch, arch=a).detach()) for a in [CURRENT] + constraints]
    logged = (1 - beta) * losses[0] + beta / 2 * (losses[1] + losses[2])
    assert float(method.last_loss) == pytest.approx(logged, rel=1e-6)
    assert abs(logged - losses[0]) > 1e-3         # the logged loss includes the constraint terms


def test_constraint_losses_as_floats_scale_the_current_gradient_by_one_minus_beta_by_default():
    """RandomNAS-NSAS' DARTS-space script: 0.5 loss1 + 0.5 loss_archive (a float)."""
    beta = 0.5
    method, batch = planted_method("random-nas-nsas", beta=beta, w_weight_decay=0.0,
                                   grad_clip=1e9, constraint_loss_as_value=True)
    params = list(method.supernet.parameters())
    grads = method.nsas_gradients(batch, {"arch": CURRENT}, CONSTRAINTS)
    for g, b in zip(grads, _grads(method, batch, CURRENT, params)):
        assert torch.allclose(g, (1 - beta) * b, atol=1e-7)


def test_a_released_nsas_step_with_float_constraints_is_the_baseline_step():
    """With ``current_grad_weight`` 1 the SGD step is RandomNAS' own (the floats only log)."""
    base, batch = planted_method("random-nas", seed=3)
    nsas, _ = planted_method("random-nas-nsas", seed=3, beta=0.5, constraints=1,
                             constraint_loss_as_value=True, current_grad_weight=1.0,
                             optimizer_weight_decay=True)
    thesis, _ = planted_method("random-nas-nsas", seed=3, beta=0.5, constraints=1)
    for method in (base, nsas, thesis):
        torch.manual_seed(0)
        method.step(batch, batch)                  # the first step fills the archive
        torch.manual_seed(1)
        method.step(batch, batch)                  # the second has a constraint
    assert len(nsas.selector.archive) == 1 and base.trained_arch == nsas.trained_arch
    for p, q in zip(base.supernet.parameters(), nsas.supernet.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    assert any(not torch.allclose(p, q, atol=1e-6)   # the thesis' Eq. 3.6 moves them elsewhere
               for p, q in zip(base.supernet.parameters(), thesis.supernet.parameters()))


def test_optimizer_weight_decay_puts_lambda_on_every_reached_weight_once():
    """SGD's weight decay (released code): coefficient 1 on each weight with a gradient, where
    Eq. 3.6 weights the l2 term of a weight only constraint i reaches by beta/M."""
    beta, lam = 0.4, 0.05
    kwargs = dict(beta=beta, w_weight_decay=lam, grad_clip=1e9, net_cfg={"split": True})
    thesis, batch = planted_method("random-nas-nsas", **kwargs)
    sgd, _ = planted_method("random-nas-nsas", optimizer_weight_decay=True, **kwargs)
    for method in (thesis, sgd):
        with torch.no_grad():
            for i, p in enumerate(method.supernet.scales):
                p.fill_(0.5 + 0.1 * i)            # distinct values: lambda w differs per tensor
    net = sgd.supernet
    only_c1 = [id(p) for p in net.parameters()].index(id(net.weight(0, 2)))  # edge 0 identity
    w = float(net.weight(0, 2).detach())
    g_thesis = float(thesis.nsas_gradients(batch, {"arch": CURRENT}, CONSTRAINTS)[only_c1])
    g_sgd = float(sgd.nsas_gradients(batch, {"arch": CURRENT}, CONSTRAINTS)[only_c1])
    assert g_sgd - g_thesis == pytest.approx(lam * w * (1 - beta / 2), rel=1e-5)
    assert abs(w) > 0.1


def _released_cfg(run: str, space: str) -> dict:
    from nasrepro.profile.resolve import method_params

    config = {"method_overrides": {}, "spaces": {}, "runs": {}}
    cfg = method_params(config, run, space)
    return {k: v for k, v in cfg.items() if k in released_fields(METHODS.get(RUNS.get(run).method).Config)
            or k in ("beta", "constraints")}


def test_random_nas_nsas_released_mixes_a_random_and_its_diverse_cell_without_the_archive():
    """random_NAS_NSAS_0.2_seed0.ipynb: 0.2 L(current) + 0.4 L(random) + 0.4 L(diverse), all with
    gradient; the diverse cell differs from the random one on every edge; no archive."""
    cfg = _released_cfg("random-nas-nsas-released", "nb201")
    assert cfg == {"random_diverse_constraints": True, "constraints": 2, "beta": 0.8,
                   "optimizer_weight_decay": True}
    method = build_method("random-nas-nsas", "nb201", **cfg)
    current = method.sample_cell()
    draws = [method.constraints_for(current) for _ in range(4)]
    for other, diverse in draws:
        assert all(a != b for a, b in zip(other.ops, diverse.ops))
    assert len({str(other.ops) for other, _ in draws}) > 1          # drawn afresh every step
    terms = method.nsas_terms({"arch": current}, draws[0])
    assert [t[0] for t in terms] == pytest.approx([0.2, 0.4, 0.4])
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))
    for _ in range(3):
        method.step(batch, batch)
    assert method.selector.archive == []                              # Alg. 3 never ran


def test_released_settings_of_each_method_resolve_as_registered():
    assert _released_cfg("gdas-nsas-released", "nb201") == {
        "random_diverse_constraints": True, "constraints": 2, "beta": 0.2,
        "constraint_loss_as_value": True, "current_grad_weight": 1.0, "optimizer_weight_decay": True}
    assert _released_cfg("gdas-nsas-released", "darts_cnn") == {"constraints": 2, "beta": 0.0}
    assert _released_cfg("e2nas-released", "nb201") == {
        "replay_loss_as_value": True, "novelty_as_value": True, "novelty_distance_zero": True}
    from nasrepro.profile.resolve import method_params

    idarts = method_params({"method_overrides": {}, "spaces": {}, "runs": {}}, "idarts-released",
                           "nb201")
    assert (idarts["w_lr"], idarts["epochs"]) == (0.01, 30)


def test_replay_losses_as_floats_keep_the_current_gradient_at_weight_one():
    """E²NAS' NB201 notebook: value (1 - eps) L_i + eps/2 (L_prev + L_c), gradient grad L_i and
    the l2 term lambda w_i of the current cell's weights once (lambda > 0)."""
    eps, lam = 0.5, 0.01
    method = build_method("random-nas-replay", "nb201", epsilon=eps, w_weight_decay=lam,
                          grad_clip=1e9, replay_loss_as_value=True)
    thesis = build_method("random-nas-replay", "nb201", epsilon=eps, w_weight_decay=lam,
                          grad_clip=1e9)
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))
    previous, current = method.sample_cell(), method.sample_cell()
    for m in (method, thesis):
        m.previous = previous
        m.supernet.eval()                     # BatchNorm by running statistics: one value a cell
    terms = method.replay_terms({"arch": current}, current)
    replayed = [t[2]["arch"] for t in terms[1:]]
    assert len(replayed) == 2 and replayed[0] == previous
    params = list(method.supernet.parameters())
    grads = method.multi_cell_gradients(batch, terms)
    for g, b, p in zip(grads, _grads(method, batch, current, params), params):
        assert (g is None) == (b is None)
        if g is not None:
            assert torch.allclose(g, b + lam * p.detach(), atol=1e-6)
    losses = [float(method.loss(batch, arch=a).detach()) for a in [current] + replayed]
    assert float(method.last_loss) == pytest.approx(
        (1 - eps) * losses[0] + eps / 2 * (losses[1] + losses[2]), rel=1e-5)
    thesis_grads = thesis.multi_cell_gradients(batch, thesis.replay_terms({"arch": current},
                                                                          current))
    assert any(t is not None and g is not None and not torch.allclose(t, g, atol=1e-6)
               for t, g in zip(thesis_grads, grads))   # Eq. 4.12 trains the replay cells too


def test_e2nas_novelty_as_a_float_leaves_the_validation_gradient_alone(tmp_path):
    from tests.methods.test_e2nas import _batches, _e2nas

    gamma = 0.4
    method = _e2nas(tmp_path, gamma=gamma, epsilon=0.0, novelty_as_value=True)
    thesis = _e2nas(tmp_path, gamma=gamma, epsilon=0.0)
    _, valid = _batches()
    cell, graph, _ = method.decode_cell()
    val = method.loss(valid, **method.hard_forward(cell, method.soft_weights(method.z)))
    g_val, = torch.autograd.grad((1 - gamma) * val, [method.z])
    objective, logs = method.arch_objective(valid, cell, graph)
    grad, = torch.autograd.grad(objective, [method.z])
    assert torch.allclose(grad, g_val, atol=1e-7)
    assert float(objective) == pytest.approx(float((1 - gamma) * val) + gamma * logs["novelty_loss"],
                                             rel=1e-6)
    t_objective, t_logs = thesis.arch_objective(valid, cell, graph)
    t_grad, = torch.autograd.grad(t_objective, [thesis.z])
    assert t_logs["novelty_loss"] == pytest.approx(logs["novelty_loss"], rel=1e-6)
    assert float((t_grad - grad).norm()) > 1e-6       # the thesis' L_N moves z


def test_zero_novelty_distance_is_the_gaussian_at_the_origin_and_constant_in_z():
    """EENAS' cal_arch_dis compares a list with itself: the distance is 0 for every pair, so the
    W_perp factor is its value at ||w_perp|| = 0, -k/2 log(2 pi sigma^2), whatever z is."""
    gen = torch.Generator().manual_seed(4)
    w1, w2 = torch.randn(5, 2, generator=gen), torch.randn(6, 5, generator=gen)
    decoder = lambda z: torch.sigmoid(w2 @ torch.tanh(w1 @ z))  # noqa: E731
    archive = LatentArchive(10)
    for i in range(4):
        archive.add(torch.randn(2, generator=gen), 0.5 + 0.2 * i)
    cell = torch.tensor([1.0, 0, 1, 0, 0, 1])
    z = torch.randn(2, generator=gen).requires_grad_(True)
    tan = tangent(decoder, z)
    perp = rotated(tan, cell)[1]
    zero, full = (log_novelty(tan, z, perp, archive, zero_distance=flag) for flag in (True, False))
    k, sigma2 = 6 - 2, archive.sigma2(4)
    assert zero.parts["log_perp"] == pytest.approx(-k / 2 * math.log(2 * math.pi * sigma2))
    assert log_perp_at_zero(k, sigma2) == pytest.approx(
        full.parts["log_perp"] + float(perp) ** 2 / (2 * sigma2), rel=1e-5)   # r -> 0 limit
    assert zero.parts["log_det"] == full.parts["log_det"]
    assert zero.parts["log_latent"] == full.parts["log_latent"]
    perp_part = log_perp_factor(perp, k) + log_chi(perp, k, sigma2)    # the thesis' W_perp factor
    g_zero, = torch.autograd.grad(zero.loss, [z], retain_graph=True)
    g_full, = torch.autograd.grad(full.loss, [z], retain_graph=True)
    g_perp, = torch.autograd.grad(perp_part, [z], retain_graph=True)
    assert float(g_perp.norm()) > 1e-4                   # the thesis' factor moves with z ...
    assert torch.allclose(g_zero, g_full - g_perp, atol=1e-6)   # ... the zero distance does not


# --- the setting itself -------------------------------------------------------------------------
def test_a_thesis_search_message_has_no_fidelity_key_and_a_released_one_says_so():
    settings = jobs.RunSettings("default", "cpu", 1, 0)
    job = jobs.SearchJob("nb201", {"name": "cifar10"}, "gdas-nsas", "gdas-nsas", {"beta": 0.2}, {},
                         0, None, settings)
    assert "fidelity" not in jobs.to_json(job)
    released = dataclasses.replace(job, run="gdas-nsas-released", fidelity=jobs.RELEASED)
    text = jobs.to_json(released)
    assert '"fidelity": "released"' in text
    assert jobs.SearchJob.from_json(text).fidelity == jobs.RELEASED
    assert jobs.SearchJob.from_json(jobs.to_json(job)).fidelity == jobs.THESIS


def test_thesis_runs_send_no_released_option_and_released_runs_send_theirs():
    from nasrepro.profile.resolve import method_params

    config = {"method_overrides": {}, "spaces": {}, "runs": {}}
    for run in ("random-nas-nsas", "gdas-nsas", "e2nas", "idarts", "gdas-ac-e05"):
        cfg = method_params(config, run, "nb201")
        options = released_fields(METHODS.get(RUNS.get(run).method).Config)
        assert not set(cfg) & set(options), run
    assert "replay_loss_as_value" in method_params(config, "e2nas-released", "nb201")


def test_a_bad_fidelity_or_a_released_run_without_a_difference_is_one_line():
    from nasrepro.profile.resolve import method_params, run_variant

    config = {"method_overrides": {}, "spaces": {},
              "runs": {"mine": {"method": "gdas", "fidelity": "relased"},
                       "plain": {"method": "gdas", "fidelity": "released"}}}
    with pytest.raises(ConfigError) as bad:
        run_variant(config, "mine")
    message = str(bad.value)
    assert "runs.mine.fidelity" in message and "thesis, released" in message and "\n" not in message
    with pytest.raises(ConfigError, match="no released-code difference on space 'nb201'"):
        method_params(config, "plain", "nb201")
    with pytest.raises(ConfigError, match="no released-code difference on space 'darts_cnn'"):
        method_params({**config, "runs": {}}, "e2nas-released", "darts_cnn")


def test_every_released_option_cites_the_authors_code_and_every_mapping_names_real_keys():
    for name in METHODS.names():
        cls = METHODS.get(name)
        for field in dataclasses.fields(cls.Config):
            source = field.metadata.get("released")
            if source is not None:
                assert source.startswith("miaozhang0525/") and "@" in source, (name, field.name)
                assert field.metadata["doc"], (name, field.name)
        keys = {f.name for f in dataclasses.fields(cls.Config)}
        for space, options in cls.released.items():
            assert set(options) <= keys, (name, space)
    released_runs = [r for r in RUNS.names() if RUNS.get(r).fidelity == jobs.RELEASED]
    assert sorted(released_runs) == sorted(f"{b}-released" for b in
                                           ("random-nas-nsas", "gdas-nsas", "e2nas", "idarts"))


def test_a_table_caption_names_its_released_rows_and_leaves_others_alone():
    from nasrepro.registry import TABLES
    from nasrepro.report.latex import to_latex
    from nasrepro.report.table import title, to_markdown

    spec = TABLES.get("table_R_1")
    rows = [{"Method": "GDAS-NSAS [released code]", "run": "gdas-nsas-released", "seeds": 1},
            {"Method": "GDAS-NSAS", "run": "gdas-nsas", "seeds": 1}]
    assert "gdas-nsas-released follow the author's released code" in title(spec, rows)
    two = rows + [{"Method": "E²NAS [released code]", "run": "e2nas-released", "seeds": 1}]
    assert "rows gdas-nsas-released, e2nas-released follow the author's" in title(spec, two)
    assert "released code (fidelity released" in to_markdown(spec, rows, "note")
    assert "fidelity released" in to_latex(spec, rows, "note")
    assert title(TABLES.get("table_3_3"), rows[1:]) == TABLES.get("table_3_3").title


@pytest.mark.parametrize("terms", [0, 1])
def test_idarts_inner_steps_on_a_copied_optimiser_leave_w_and_move_it_by_the_fd_residue(terms):
    """iDARTS_V2.ipynb: the inner steps' optimiser is a deep copy (w does not move), there is no
    weight step, the hypergradient is Eq. 6.9 at the current w, and w <- w - R (total - v),
    R = 0.01 / ||v|| (the finite difference left unrestored): K = 0 leaves w exactly; K = 1 moves
    it by -R (v - gamma H v), a step down the validation loss."""
    import copy

    from nasrepro.methods.parts.hypergrad import implicit_hypergradient
    from tests.methods.test_idarts import NET, _applied_grads, _batches, _double

    batches = _batches(5)
    train_batch, valid_batch, extra = batches[0], batches[1], batches[2:3]
    method = _double(build_method("idarts", net_cfg=NET, inner_steps=2, neumann_terms=terms,
                                  w_lr=0.1, epochs=3, inner_steps_on_copy=True))
    reference = copy.deepcopy(method)
    method.ctx.train_stream = iter(extra)
    got = _applied_grads(method, train_batch, valid_batch)
    weights = [p for p in reference.supernet.parameters() if p.requires_grad]
    l1 = lambda: reference.relaxed_loss(extra[0])  # noqa: E731  (the last inner batch)
    l2 = lambda: reference.relaxed_loss(valid_batch)  # noqa: E731
    want, _ = implicit_hypergradient(l1, l2, weights, reference.alpha_list(), reference.w_lr, terms)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, rtol=1e-9, atol=1e-12)           # Eq. 6.9 at w_0, no inner step
    moved = [p.detach() for p in method.supernet.parameters() if p.requires_grad]
    if terms == 0:
        assert all(torch.equal(p, q.detach()) for p, q in zip(moved, weights))
        return
    v = torch.autograd.grad(l2(), weights, allow_unused=True)
    used = [i for i, g in enumerate(torch.autograd.grad(l1(), weights, allow_unused=True))
            if g is not None]
    v = [v[i] if v[i] is not None else torch.zeros_like(weights[i]) for i in used]
    g1 = torch.autograd.grad(l1(), [weights[i] for i in used], create_graph=True)
    hv = torch.autograd.grad(g1, [weights[i] for i in used], grad_outputs=v)
    radius = 0.01 / float(torch.sqrt(sum((x ** 2).sum() for x in v)))
    for i, vi, h in zip(used, v, hv):
        expected = weights[i].detach() - radius * (vi - reference.w_lr * h)
        assert torch.allclose(moved[i], expected, rtol=1e-9, atol=1e-12)
    assert any(not torch.equal(moved[i], weights[i].detach()) for i in used)


def test_the_cost_table_names_the_search_rows_of_released_runs():
    import pandas as pd

    from nasrepro.report.cost import COLUMNS, to_markdown

    def table(names):
        return pd.DataFrame([{"scope": "search", "name": n, **{c: 0 for c in COLUMNS[2:]}}
                             for n in names], columns=COLUMNS)

    released = to_markdown(table(["nb201/gdas-nsas", "nb201/gdas-nsas-released"]), "note")
    assert "Rows nb201/gdas-nsas-released: the author's released code" in released
    assert "released code" not in to_markdown(table(["nb201/gdas-nsas"]), "note")


def test_e2nas_with_gamma_one_and_a_float_novelty_has_no_z_gradient(tmp_path):
    """gamma = 1 leaves only the novelty, a float in the released code: z's gradient is zero."""
    from tests.methods.test_e2nas import _batches, _e2nas

    method = _e2nas(tmp_path, gamma=1.0, epsilon=0.0, novelty_as_value=True)
    train, valid = _batches()
    logs = method.step(train, valid)
    assert torch.equal(method.z.grad, torch.zeros_like(method.z)) and "novelty_loss" in logs


def test_a_profile_with_a_bad_fidelity_is_refused_in_one_line_before_any_job():
    from pathlib import Path

    import yaml

    from nasrepro.profile import validate

    config = yaml.safe_load((Path(__file__).parents[2] / "config" / "config.yaml").read_text())
    config["runs"] = {"mine": {"method": "gdas", "fidelity": "bogus"}}
    config["tables"]["table_3_3"] = {"extra_runs": ["mine"], "targets": ["cifar10"]}
    with pytest.raises(ConfigError) as error:
        validate.check_profile(config)
    lines = str(error.value).splitlines()[1:]
    assert lines == ["  runs.mine.fidelity: 'bogus' is not a fidelity; use one of: thesis, released "
                     "(docs/methods.md)"]


def test_idarts_released_step_takes_l1_on_the_last_of_t_inner_batches_and_logs_their_mean():
    """iDARTS_V2.ipynb with T = 3: L1 of Eq. 6.9 is on the last inner batch (the second stream
    batch, not the first), and the step logs the mean of the T inner losses at the unchanged w
    (``train_loss``) and L2's value (``arch_loss``)."""
    import copy

    from nasrepro.methods.parts.hypergrad import implicit_hypergradient
    from tests.methods.test_idarts import NET, _applied_grads, _batches, _double

    batches = _batches(6)
    train_batch, valid_batch, extra = batches[0], batches[1], batches[2:4]
    method = _double(build_method("idarts", net_cfg=NET, inner_steps=3, neumann_terms=1,
                                  w_lr=0.1, epochs=3, inner_steps_on_copy=True))
    reference = copy.deepcopy(method)
    method.ctx.train_stream = iter(extra)
    logs = {}
    step = method.step
    method.step = lambda t, v: logs.update(step(t, v)) or logs
    got = _applied_grads(method, train_batch, valid_batch)
    weights = [p for p in reference.supernet.parameters() if p.requires_grad]
    want, want_l2 = implicit_hypergradient(lambda: reference.relaxed_loss(extra[1]),
                                           lambda: reference.relaxed_loss(valid_batch), weights,
                                           reference.alpha_list(), reference.w_lr, 1)
    other, _ = implicit_hypergradient(lambda: reference.relaxed_loss(extra[0]),
                                      lambda: reference.relaxed_loss(valid_batch), weights,
                                      reference.alpha_list(), reference.w_lr, 1)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, rtol=1e-9, atol=1e-12)
    assert not all(torch.allclose(g, o, rtol=1e-6) for g, o in zip(got, other))
    with torch.no_grad():
        inner = [float(reference.relaxed_loss(b)) for b in [train_batch, *extra]]
    assert sorted(logs) == ["arch_loss", "train_loss"]
    assert logs["train_loss"] == pytest.approx(sum(inner) / 3, rel=1e-12)
    assert float(logs["arch_loss"]) == pytest.approx(float(want_l2), rel=1e-12)


@pytest.mark.parametrize("optimizer_weight_decay", [False, True])
def test_the_nsas_weight_step_is_the_sgd_step_of_its_own_eq_3_6_gradient(optimizer_weight_decay):
    """train_cell steps on the gradient ``nsas_gradients`` gives for the same cells, with the
    run's l2 form (Eq. 3.6's per-cell lambda R, or the released code's SGD weight decay): the first
    SGD step moves every weight by one common factor times that gradient."""
    kwargs = dict(beta=0.4, w_weight_decay=0.05, grad_clip=1e9, net_cfg={"split": True},
                  optimizer_weight_decay=optimizer_weight_decay)
    method, batch = planted_method("random-nas-nsas", **kwargs)
    with torch.no_grad():
        for i, p in enumerate(method.supernet.scales):
            p.fill_(0.5 + 0.1 * i)
    grads = method.nsas_gradients(batch, {"arch": CURRENT}, CONSTRAINTS)
    before = [p.detach().clone() for p in method.supernet.parameters()]
    method.constraints_for = lambda current: CONSTRAINTS
    method.train_cell(batch, CURRENT)
    ratios = [((b - p.detach()) / g).flatten() for b, p, g in
              zip(before, method.supernet.parameters(), grads) if g is not None and g.abs().min() > 1e-6]
    ratios = torch.cat(ratios)
    assert len(ratios) > 3 and float(ratios.min()) > 0
    assert torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-4)
