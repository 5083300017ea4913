"""NAO-WS (methods/nao.py, parts/seq2seq.py):

- tokens: a cell's token sequence, turned back into one-hot rows, discretizes to the same cell
  (NB201 and DARTS); decoding any encoder state gives a valid cell;
- the encoder-decoder reconstructs the cells it was trained on (NAO's reconstruction term);
- the gradient-ascent step raises the predictor's output, and only an ascent does;
- the predictor learns the ranking of its training scores (NAO's prediction term);
- the method: the pool update keeps the top cells and adds only new ones; it finds the planted
  cell; derive returns the best-scored cell of the pool.
"""

import random

import pytest
import torch

from nasrepro.methods.base import SearchContext
from nasrepro.methods.nao import Nao, NaoConfig
from nasrepro.methods.parts.seq2seq import Seq2Seq, cell_tokens, rows_to_alphas
from nasrepro.params import build_config
from nasrepro.registry import SPACES
from nasrepro.train.search import run_search
from nasrepro.utils.seeding import make_deterministic, seed_everything
from tests.conftest import build_method
from tests.planted import PlantedSpace, best_fraction, planted_bundle


def _rows(space, tokens):
    rows = torch.zeros(len(tokens), len(space.ops) + 1)
    rows[torch.arange(len(tokens)), torch.tensor(tokens)] = 1.0
    return rows[:, :len(space.ops)]


@pytest.mark.parametrize("name", ["nb201", "darts_cnn"])
def test_tokens_round_trip_and_any_decoding_is_a_valid_cell(name):
    space, rng = SPACES.get(name)(), random.Random(0)
    torch.manual_seed(0)
    model = Seq2Seq(len(space.ops) + 1, 8, 16, 16)
    for _ in range(10):
        arch = space.sample(rng)
        tokens = cell_tokens(space, arch)
        assert len(tokens) == sum(e for e, _ in space.arch_shapes.values())
        assert space.discretize(rows_to_alphas(space, _rows(space, tokens))) == arch
        states = torch.randn(1, len(tokens), 16)
        decoded = space.discretize(rows_to_alphas(space, model.decode_rows(states, len(space.ops))[0]))
        assert space.from_string(space.to_string(decoded)) == decoded



def test_rows_split_into_each_cell_kinds_consecutive_rows():
    """``rows_to_alphas`` cuts the token rows in ``arch_shapes`` order, each kind its own block of
    consecutive rows and its own operation count, for kinds of different sizes too (those of the
    registered spaces have one size)."""
    from types import SimpleNamespace

    space = SimpleNamespace(arch_shapes={"a": (2, 3), "b": (3, 2), "c": (1, 3)})
    rows = torch.arange(6 * 4, dtype=torch.float32).view(6, 4)
    out = rows_to_alphas(space, rows)
    assert list(out) == ["a", "b", "c"]
    for name, want in (("a", rows[0:2, :3]), ("b", rows[2:5, :2]), ("c", rows[5:6, :3])):
        assert torch.equal(out[name], want), name



def test_tokens_mark_the_edges_a_cell_does_not_use_as_absent():
    """A DARTS cell uses 2 of each node's inputs: 8 of the 14 edges per cell kind, the other 6 rows
    are the absent token ``len(ops)`` (not ``none``, operation 0); NAS-Bench-201 uses every edge."""
    for name, absent in (("darts_cnn", 2 * 6), ("nb201", 0)):
        space = SPACES.get(name)()
        tokens = cell_tokens(space, space.sample(random.Random(3)))
        assert tokens.count(len(space.ops)) == absent, name
        assert all(0 <= t <= len(space.ops) for t in tokens)


def test_encoder_predictor_and_loss_by_hand():
    """e_x: each position's LSTM output L2-normalised, each cell's independent of the others in
    the batch; f: an MLP (one hidden ReLU layer, its own size) on the mean of e_x in (0, 1); the
    loss lambda MSE + (1 - lambda) CE of NAO's Eq. 1, term by term; the decoder started from
    (mean e_x, 0)."""
    space, rng = SPACES.get("nb201")(), random.Random(5)
    torch.manual_seed(0)
    model = Seq2Seq(len(space.ops) + 1, 8, 16, 12).requires_grad_(False)
    tokens = torch.tensor([cell_tokens(space, space.sample(rng)) for _ in range(3)])
    states = model.encode(tokens)
    assert torch.allclose(states.norm(dim=-1), torch.ones(3, tokens.shape[1]))
    assert torch.allclose(model.encode(tokens[1:2]), states[1:2], atol=1e-6)
    pred = model.predict(states)
    assert pred.shape == (3,) and bool(((pred > 0) & (pred < 1)).all())
    # one hidden ReLU layer: logit f is not affine in the mean state (f(midpoint) is off the chord)
    a, b = torch.randn(2, 1, 1, 16, generator=torch.Generator().manual_seed(1))
    logit = lambda e: torch.logit(model.predict(e))  # noqa: E731
    assert float((logit(a) + logit(b) - 2 * logit((a + b) / 2)).abs()) > 1e-3
    targets = torch.tensor([0.2, 0.9, 0.5])
    mse = torch.nn.functional.mse_loss(pred, targets)
    logits = model.decode_logits(states, tokens)
    rec = torch.nn.functional.cross_entropy(logits.reshape(-1, model.vocab), tokens.reshape(-1))
    for trade_off in (0.0, 0.3, 1.0):
        want = trade_off * mse + (1 - trade_off) * rec
        assert float(model.loss(tokens, targets, trade_off)) == pytest.approx(float(want), rel=1e-6)
    # the decoder LSTM starts from (mean of e_x, zero cell state)
    starts = []
    forward = model.decoder.forward
    model.decoder.forward = lambda x, hc: starts.append(hc) or forward(x, hc)
    model.decode_logits(states)
    assert torch.equal(starts[0][0][0], states.mean(dim=1)) and not starts[0][1].any()


def _trained(space, archs, targets, trade_off, steps=300):
    torch.manual_seed(0)
    model = Seq2Seq(len(space.ops) + 1, 16, 32, 32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    tokens = torch.tensor([cell_tokens(space, a) for a in archs])
    for _ in range(steps):
        opt.zero_grad()
        model.loss(tokens, targets, trade_off).backward()
        opt.step()
    return model, tokens


def test_encoder_decoder_reconstructs_its_training_cells():
    space, rng = SPACES.get("nb201")(), random.Random(1)
    archs = [space.sample(rng) for _ in range(6)]
    model, tokens = _trained(space, archs, torch.linspace(0, 1, 6), trade_off=0.2)
    rows = model.decode_rows(model.encode(tokens), len(space.ops))
    assert [space.discretize(rows_to_alphas(space, r)) for r in rows] == archs
    untrained = Seq2Seq(len(space.ops) + 1, 16, 32, 32)
    rows = untrained.decode_rows(untrained.encode(tokens), len(space.ops))
    assert [space.discretize(rows_to_alphas(space, r)) for r in rows] != archs


def test_predictor_learns_the_training_ranking_and_ascent_raises_it():
    space, rng = SPACES.get("nb201")(), random.Random(2)
    archs = [space.sample(rng) for _ in range(8)]
    targets = torch.linspace(0, 1, 8)
    model, tokens = _trained(space, archs, targets, trade_off=0.8)
    with torch.no_grad():
        pred = model.predict(model.encode(tokens))
    assert torch.corrcoef(torch.stack([pred, targets]))[0, 1] > 0.9
    before = model.predict(model.encode(tokens))
    after = model.predict(model.ascend(tokens, 0.5))
    assert (after > before).all()
    # the ascent step is e + eta * grad f(e) exactly
    states = model.encode(tokens).detach().requires_grad_(True)
    grad, = torch.autograd.grad(model.predict(states).sum(), states)
    torch.testing.assert_close(model.ascend(tokens, 0.5), states.detach() + 0.5 * grad)


def test_pool_update_keeps_the_top_cells_and_adds_only_new_ones():
    method = build_method("nao", "nb201", seed_archs=12, top_k=4, new_archs=5, cycles=1,
                          ctrl_epochs=5, ctrl_batch=4, eval_batch_size=8, epochs=2)
    old = list(method.pool)
    method.epoch = 0                                       # the one boundary: after epoch 1
    assert method.boundaries == {1}
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))
    method.score_pool(lambda size: iter([batch] * 100))
    best4 = method.ranked()[:4]
    assert method.ranked()[0] == old[max(range(12), key=lambda i: method.scores[i])]
    derived = method.derive(lambda size: iter([batch] * 100), final=False)
    assert derived == best4[0] and method.pool[:4] == best4
    keys = [method.space.to_string(a) for a in method.pool]
    assert len(set(keys)) == len(keys) and 4 < len(keys) <= 9
    assert not set(keys[4:]) & {method.space.to_string(a) for a in old}


def test_nao_finds_the_planted_cell(tmp_path):
    found = []
    for seed in range(3):
        make_deterministic(1)
        seed_everything(seed)
        space, bundle = PlantedSpace(), planted_bundle()
        cfg = build_config(NaoConfig, dict(epochs=6, batch_size=64, w_lr=0.1, seed_archs=6, top_k=3,
                                           new_archs=6, cycles=2, ctrl_epochs=60, ctrl_batch=8,
                                           eval_batch_size=128, eval_batches=2, eta=0.5,
                                           max_eta=20.0), "nao")
        method = Nao(SearchContext(space, space.build_supernet(bundle.shape, {}), cfg,
                                   torch.device("cpu"), random.Random(seed)))
        # the optimum is not in the seed pool: NAO must propose it
        method.pool = [a for a in method.pool if best_fraction(a) < 1]
        result = run_search(method, bundle, seed, tmp_path / f"s{seed}", "planted", eval_batches=2)
        found.append(best_fraction(result.arch))
    assert sum(found) / len(found) >= 2 / 3, found


def test_nao_runs_where_each_row_is_one_edges_operations():
    """NAO's token sequence is one operation per architecture row: defined on NAS-Bench-201 and
    the DARTS spaces, not on NAS-Bench-1Shot1 (its input rows choose parents)."""
    assert Nao.supports(SPACES.get("nb201")()) and Nao.supports(SPACES.get("darts_cnn")())
    assert not Nao.supports(SPACES.get("nb1shot1-s1")())


@pytest.mark.parametrize("epochs,cycles,boundaries", [(8, 3, {2, 4, 6}), (2, 3, {1}), (1, 3, set())])
def test_nao_cycles_after_epochs_round_k_epochs_over_cycles_plus_1(epochs, cycles, boundaries):
    """Module docstring, step 3: the controller cycles after epochs round(k E / (cycles + 1)),
    k = 1..cycles, never before the first epoch nor after the last (the final selection)."""
    method = build_method("nao", "nb201", seed_archs=4, epochs=epochs, cycles=cycles)
    assert method.boundaries == boundaries


def test_nao_step_trains_a_pool_cell_and_the_epoch_logs_the_pool_size():
    method = build_method("nao", "nb201", seed_archs=5, ctrl_lr=0.004)
    assert method.c_opt.param_groups[0]["lr"] == 0.004        # the controller's Adam at ctrl_lr
    header = method.begin_epoch(0)
    assert header == {"w_lr": method.w_lr, "pool": 5}
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(4, 1, 8, 8, generator=gen), torch.randint(0, 10, (4,), generator=gen))
    stats = method.step(batch, batch)
    assert set(stats) == {"train_loss"} and torch.isfinite(stats["train_loss"])
    assert method.trained_arch in method.pool


def test_nao_targets_rise_toward_better_cells_for_a_lower_is_better_metric(monkeypatch):
    """NAO's predictor f is trained to rise toward better cells (the ascent of Eq. 2 climbs it):
    with a perplexity (lower is better) the scores are negated before the min-max scaling."""
    method = build_method("nao", "nb201", seed_archs=3, ctrl_epochs=1, ctrl_batch=3)
    targets = []
    loss = method.controller.loss
    monkeypatch.setattr(method.controller, "loss",
                        lambda tokens, y, trade_off: (targets.append(y.clone()), loss(tokens, y, trade_off))[1])
    method.scores = [0.90, 0.94, 0.92]        # accuracies: a range below 1, scaled up to [0, 1]
    method.train_controller()
    assert len(targets) == 1
    method2 = build_method("nao", "nb201", seed_archs=3, ctrl_epochs=1, ctrl_batch=3)
    seen = []
    loss2 = method2.controller.loss
    monkeypatch.setattr(method2.controller, "loss",
                        lambda tokens, y, trade_off: (seen.append(y.clone()), loss2(tokens, y, trade_off))[1])
    monkeypatch.setattr(type(method2.ctx.task), "higher_is_better", False)
    method2.scores = [0.90, 0.94, 0.92]
    method2.train_controller()
    torch.testing.assert_close(sorted(targets[0].tolist()), [0.0, 0.5, 1.0], rtol=0, atol=1e-5)
    torch.testing.assert_close(sorted(seen[0].tolist()), [0.0, 0.5, 1.0], rtol=0, atol=1e-5)
    # the same batch order (same seed): the accuracy targets are 1 minus the perplexity ones
    torch.testing.assert_close(seen[0], 1.0 - targets[0])


def test_nao_state_round_trips_its_controller_scores_and_pool():
    method = build_method("nao", "nb201", seed_archs=6, ctrl_epochs=2, ctrl_batch=3)
    method.scores = [float(i) for i in range(6)]
    last = method.train_controller()                  # the last batch's NAO loss
    assert isinstance(last, float) and last > 0
    state = method.state_dict()
    other = build_method("nao", "nb201", seed=1, seed_archs=6)
    assert [other.space.to_string(a) for a in other.pool] != state["pool"]
    other.load_state_dict(state)
    assert other.pool == method.pool and other.scores == method.scores
    for a, b in zip(other.controller.parameters(), method.controller.parameters()):
        assert torch.equal(a, b)
    assert other.c_opt.state_dict()["state"].keys() == method.c_opt.state_dict()["state"].keys()
    assert other.c_opt.state_dict()["state"]


def test_nao_controller_batches_come_from_the_jobs_rng_and_steps_are_clipped_at_5(monkeypatch):
    """The controller's batch order is drawn from the job's rng (a rerun of the seed trains the
    same controller whatever torch's global generator holds); every controller step clips the
    gradient norm at 5 (NAO-WS' grad_bound)."""
    clips = []
    clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_",
                        lambda params, max_norm, *a, **k: (clips.append(max_norm), clip(params, max_norm, *a, **k))[1])
    trained = []
    for global_seed in (0, 1):
        method = build_method("nao", "nb201", seed_archs=6, ctrl_epochs=2, ctrl_batch=2)
        method.scores = [0.1, 0.5, 0.3, 0.2, 0.6, 0.4]
        torch.manual_seed(global_seed)
        method.train_controller()
        trained.append([p.detach().clone() for p in method.controller.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*trained))
    assert clips == [5.0] * (2 * 2 * 3)


def test_nao_ascent_starts_at_eta_and_grows_by_eta(monkeypatch):
    """Module docstring, step 3: the step sizes are eta * 1, 2, 3, ... up to max_eta (included)."""
    method = build_method("nao", "nb201", seed_archs=4, new_archs=10 ** 4, eta=2.0, max_eta=6.0)
    etas = []
    ascend = method.controller.ascend

    def spy(tokens, eta):
        etas.append(eta)
        assert len(etas) <= 3, etas     # a step size that never passes max_eta loops for ever
        return ascend(tokens, eta)

    monkeypatch.setattr(method.controller, "ascend", spy)
    method.propose(method.pool[:2])
    assert etas == [2.0, 4.0, 6.0]


def test_nao_proposes_exactly_new_archs_cells_when_the_ascent_finds_more():
    method = build_method("nao", "nb201", seed_archs=8, new_archs=3, eta=50.0, max_eta=10 ** 4)
    found = method.propose(method.pool)
    keys = {method.space.to_string(a) for a in found}
    assert len(found) == len(keys) == 3
    assert not keys & {method.space.to_string(a) for a in method.pool}


def test_nao_derive_scores_the_pool_by_default_and_reports_the_best_or_the_first_unscored():
    """The final selection (the default) scores the pool and returns its best cell; before any
    scoring, the per-epoch curve reports the first cell of the seed pool without scoring."""
    method = build_method("nao", "nb201", seed_archs=6, eval_batch_size=8, epochs=10, cycles=1)
    method.begin_epoch(0)
    gen = torch.Generator().manual_seed(0)
    batch = (torch.randn(8, 1, 8, 8, generator=gen), torch.randint(0, 10, (8,), generator=gen))
    assert method.derive(lambda size: iter([batch] * 100), final=False) == method.pool[0]
    assert method.scores is None
    best = method.derive(lambda size: iter([batch] * 100))
    assert method.scores is not None and len(set(method.scores)) > 1
    assert best == method.pool[max(range(6), key=lambda i: method.scores[i])]
