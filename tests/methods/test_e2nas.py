"""E²NAS through its class (Alg. 4, Eq. 4.7, 4.12-4.15) with a real (tiny) graph VAE: the
validation term reaches z straight-through with the discrete cell's loss as its value, the step
applies exactly (1 - gamma) grad L_val + gamma grad L_N on the validation batch (so detaching
either term, swapping gamma and 1 - gamma or the wrong batch fail), both terms are non-zero and
finite, E²NAS-R's depth term and its gradient, derive = decode(z), and a planted search."""

import copy
import random

import pytest
import torch

from nasrepro.methods.base import SearchContext
from nasrepro.methods.e2nas import relaxed_depth
from nasrepro.methods.parts.dvae import GraphVAE
from nasrepro.methods.parts.latent_novelty import log_novelty, rotated, tangent, tangent_of
from nasrepro.params import ConfigError, build_config
from nasrepro.registry import METHODS, SPACES
from nasrepro.spaces.base import DataShape
from tests.conftest import SMALL_NETS


def _vae_file(space, path, seed=0, latent=4):
    torch.manual_seed(seed)
    graph = space.encode(space.sample(random.Random(seed)))
    vae = GraphVAE(graph.types, len(graph.node_types), 8, latent, False)
    vae.save(path)
    return path


def _e2nas(tmp_path, space_name="nb201", seed=0, **overrides):
    space = SPACES.get(space_name)()
    torch.manual_seed(seed)
    supernet = space.build_supernet(DataShape(10, 1, 8, 8), SMALL_NETS[space_name])
    cls = METHODS.get("e2nas")
    method = cls(SearchContext(space, supernet, build_config(cls.Config, overrides, "e2nas"),
                               torch.device("cpu"), random.Random(seed),
                               inputs={"dvae": _vae_file(space, tmp_path / "vae.pt", seed)}))
    method.setup()
    return method


def _batches(seed=0, n=8):
    gen = torch.Generator().manual_seed(seed)
    make = lambda: (torch.randn(n, 1, 8, 8, generator=gen),  # noqa: E731
                    torch.randint(0, 10, (n,), generator=gen))
    return make(), make()


def _terms(method, cell, graph, batch):
    """grad_z of L_val (straight-through) and of L_N at the method's z and archive (the archive
    already holds the current cell, as in the step)."""
    z = method.z
    val = method.loss(batch, **method.hard_forward(cell, method.soft_weights(z)))
    g_val, = torch.autograd.grad(val, [z])
    tan = tangent(method.decoder, z)
    perp = rotated(tan, method.graph_vector(graph))[1]
    g_nov, = torch.autograd.grad(log_novelty(tan, z, perp, method.archive).loss, [z])
    return g_val, g_nov


def test_step_applies_eq_4_7_on_the_validation_batch(tmp_path):
    gamma = 0.3
    method = _e2nas(tmp_path, gamma=gamma, epsilon=0.0)
    train, valid = _batches()
    for _ in range(2):  # fill the archive
        method.step(train, valid)
    cell, graph, _ = method.decode_cell()
    state = copy.deepcopy(method.state_dict())
    # reference: the supernet after this step's weight step, the archive with this cell added
    method.train_cell(train, cell)
    method.archive.add(method.z, float(rotated(tangent(method.decoder, method.z),
                                               method.graph_vector(graph))[1]))
    g_val, g_nov = _terms(method, cell, graph, valid)
    assert torch.isfinite(g_val).all() and torch.isfinite(g_nov).all()
    assert float(g_val.norm()) > 1e-6 and float(g_nov.norm()) > 1e-6
    g_train, _ = _terms(method, cell, graph, train)
    assert not torch.allclose(g_train, g_val)
    # the step itself, from the state before the weight step
    method.load_state_dict(state)
    method.step(train, valid)
    expected = (1 - gamma) * g_val + gamma * g_nov
    assert torch.allclose(method.z.grad, expected, rtol=1e-4, atol=1e-7), (method.z.grad, expected)


def test_validation_gradient_taken_in_two_parts_equals_one_backward_bit_for_bit(tmp_path):
    """``validation_loss`` takes L_val's gradient to the soft weights first (the supernet on all
    threads) and z's through the decoder after; z's gradient is exactly that of the objective
    differentiated whole ((1 - gamma) L_val(hard_forward(soft)) + gamma L_N), value included."""
    for gamma in (0.3, 0.99995):
        method = _e2nas(tmp_path, gamma=gamma)
        train, valid = _batches()
        method.step(train, valid)
        cell, graph, _ = method.decode_cell()
        supernet, archive = (copy.deepcopy(method.supernet.state_dict()),
                             copy.deepcopy(method.archive.state_dict()))
        objective, _ = method.arch_objective(valid, cell, graph)
        grad, = torch.autograd.grad(objective, [method.z])
        method.supernet.load_state_dict(supernet)
        method.archive.load_state_dict(archive)
        z = method.z
        decoded, soft = method.relaxed(z)
        whole = (1 - gamma) * method.loss(valid, **method.hard_forward(cell, soft))
        tan = tangent_of(decoded, z)
        perp = rotated(tan, method.graph_vector(graph))[1]
        method.archive.add(z, float(perp.detach()))
        whole = whole + gamma * log_novelty(tan, z, perp, method.archive).loss
        expected, = torch.autograd.grad(whole, [z])
        assert float(objective) == float(whole), (float(objective), float(whole))
        assert torch.equal(grad, expected), (grad - expected).abs().max()


def test_the_decoder_runs_on_one_thread_and_the_supernet_on_all(tmp_path, monkeypatch):
    """Issue #23: the batch-1 graph decoder (its decodes, Eq. 4.8's Jacobian, z's gradient
    through it) runs on one intra-op thread, the supernet's forwards on the process' threads,
    which are restored after the step."""
    method = _e2nas(tmp_path, gamma=0.5)
    train, valid = _batches()
    method.step(train, valid)                     # the archive holds a cell: L_N is computed
    seen = {"decoder": set(), "supernet": set()}
    decode, forward = method.vae.decode_probs, method.supernet.forward
    monkeypatch.setattr(method.vae, "decode_probs",
                        lambda *a, **k: seen["decoder"].add(torch.get_num_threads()) or decode(*a, **k))
    monkeypatch.setattr(method.supernet, "forward",
                        lambda *a, **k: seen["supernet"].add(torch.get_num_threads()) or forward(*a, **k))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        logs = method.step(train, valid)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert "novelty_loss" in logs and seen == {"decoder": {1}, "supernet": {2}}


def test_validation_value_is_the_discrete_cells_loss(tmp_path):
    method = _e2nas(tmp_path)
    _, valid = _batches(1)
    cell, _, _ = method.decode_cell()
    soft = method.soft_weights(method.z)
    straight = method.loss(valid, **method.hard_forward(cell, soft))
    single = method.loss(valid, arch=cell)
    assert float(straight) == pytest.approx(float(single), rel=1e-5)
    g, = torch.autograd.grad(straight, [method.z])
    assert float(g.norm()) > 0


def test_gamma_follows_sig_gamma_or_the_static_value(tmp_path):
    method = _e2nas(tmp_path, epochs=10, gamma_sigmoid_b=2.0)
    assert method.begin_epoch(5)["gamma"] == pytest.approx(0.5)
    assert method.begin_epoch(0)["gamma"] == pytest.approx(1 - 1 / (1 + 2.718281828 ** 2), rel=1e-6)
    static = _e2nas(tmp_path, epochs=10, gamma=0.2)
    assert static.begin_epoch(7)["gamma"] == 0.2


def test_gamma_zero_skips_the_novelty_and_the_archive(tmp_path):
    method = _e2nas(tmp_path, gamma=0.0, epsilon=0.0)
    train, valid = _batches()
    out = method.step(train, valid)
    assert "novelty_loss" not in out and len(method.archive) == 0
    cell, _, _ = method.decode_cell()
    forward = method.hard_forward(cell, method.soft_weights(method.z))
    g_val, = torch.autograd.grad(method.loss(valid, **forward), [method.z])
    assert float(g_val.norm()) > 0


def test_derive_decodes_z_and_the_step_trains_that_cell(tmp_path):
    method = _e2nas(tmp_path)
    train, valid = _batches()
    expected = method.derive()
    method.step(train, valid)
    assert method.trained_arch == expected and method.previous == expected
    assert method.derive() == method.decode_cell()[0]


def test_missing_dvae_input_is_a_clear_error(tmp_path):
    space = SPACES.get("nb201")()
    cls = METHODS.get("e2nas")
    method = cls(SearchContext(space, space.build_supernet(DataShape(10, 1, 8, 8), SMALL_NETS["nb201"]),
                               build_config(cls.Config, {}, "e2nas"), torch.device("cpu")))
    with pytest.raises(ConfigError, match="dvae"):
        method.setup()
    with pytest.raises(RuntimeError) as error:
        method.step(*_batches())
    assert str(error.value) == "E2nas.setup() loads the graph VAE; call it before the search"


def test_relaxed_depth_counts_i_minus_1_to_i_edges():
    space, rng = SPACES.get("darts_cnn")(), random.Random(0)
    for _ in range(20):
        arch = space.sample(rng)
        count = sum(1 for key, edges in space.node_inputs(arch).items()
                    for j, _ in edges if j == int(key.split("/")[1]) - 1)
        assert float(relaxed_depth(space, space.one_hot(arch))) == count
    # relaxed: the non-none weight of the i-1 -> i rows (uniform rows: 1 - 1/K each)
    uniform = {k: torch.full(shape, 1.0 / shape[1]) for k, shape in space.arch_shapes.items()}
    rows = sum(len(r) for r in space.depth_edges().values())
    k = len(space.ops)
    assert abs(float(relaxed_depth(space, uniform)) - rows * (1 - 1 / k)) < 1e-5


def test_depth_term_gradient_matches_finite_differences(tmp_path):
    method = _e2nas(tmp_path, "darts_cnn", depth_weight=0.05, depth_samples=3)
    # a latent at which the (untrained) decoder adds edges: a node's state reaches z only
    # through the edges it adds (parts.dvae), so without any the relaxed count is constant
    z0 = torch.tensor([-0.7448, 0.3952, -0.6292, -1.0474], dtype=torch.float64)
    method.vae.double()

    def value(z):
        method.ctx.rng.seed(5)  # the same noise draws for every evaluation
        return method.depth_loss(z)

    z = z0.clone().requires_grad_(True)
    loss = value(z)
    # Eq. 4.14: minus the mean relaxed count, so descending it deepens the cell
    soft = method.soft_weights(z0 + 0.0)
    assert float(loss) < 0 and float(relaxed_depth(method.space, soft)) > 0
    # its value: minus the mean relaxed count of the M decodes of z + 0.1 N(0, I) (Eq. 4.14)
    method.ctx.rng.seed(5)
    gen = torch.Generator().manual_seed(method.ctx.rng.getrandbits(63))
    counts = [relaxed_depth(method.space, method.soft_weights(
        z0 + 0.1 * torch.randn(z0.shape, generator=gen, dtype=z0.dtype))) for _ in range(3)]
    torch.testing.assert_close(loss.detach(), -sum(counts) / 3, rtol=1e-12, atol=0)
    grad, = torch.autograd.grad(loss, [z])
    steps = torch.eye(len(z0), dtype=z0.dtype) * 1e-6
    fd = torch.stack([(value(z0 + e) - value(z0 - e)) / 2e-6 for e in steps])
    assert torch.isfinite(grad).all() and float(grad.norm()) > 0
    assert torch.allclose(grad, fd, rtol=1e-4, atol=1e-8)


def test_planted_search_through_the_class(tmp_path):
    """E²NAS through the search loop on the planted task with a tiny GraphVAE trained to
    reconstruct all 27 cells: every decode is a valid cell, gamma follows Sig_gamma(10), the
    novelty term is finite, the archive fills, the supernet learns and derive = decode(z)."""
    from nasrepro.train.search import run_search
    from nasrepro.utils.seeding import make_deterministic, seed_everything
    from tests.conftest import method_inputs
    from tests.planted import PlantedSpace, planted_bundle

    make_deterministic(1)
    seed_everything(0)
    space, bundle = PlantedSpace(), planted_bundle(n=256)
    cls = METHODS.get("e2nas")
    cfg = build_config(cls.Config, {"epochs": 3, "batch_size": 64, "w_lr": 0.1, "a_lr": 0.05}, "e2nas")
    method = cls(SearchContext(space, space.build_supernet(bundle.shape, {}), cfg, torch.device("cpu"),
                               random.Random(0), inputs=method_inputs(cls, space),
                               arch_examples=len(bundle.arch_train)))
    method.setup()
    result = run_search(method, bundle, 0, tmp_path / "state", "planted", eval_batches=2)
    records = result.records
    assert [r["invalid_decode"] for r in records] == [0.0, 0.0, 0.0]
    assert [r["gamma"] for r in records] == pytest.approx([1 - 1 / (1 + 2.718281828 ** (10 * (1 - 2 * t / 3)))
                                                          for t in range(3)], rel=1e-6)
    assert all(abs(r["novelty_loss"]) < 1e6 for r in records)
    assert len(method.archive) == 3 * 4 and records[-1]["train_loss"] < records[0]["train_loss"]
    assert result.arch == method.derive() == space.decode(method.vae.decode(method.z.detach()[None])[0])
