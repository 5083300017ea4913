"""The D-VAE of E²NAS (thesis §4.3.1.1, Eq. 4.6): graph decoding of the spaces, the model's API,
training on a handful of cells, checkpoints, and the report metrics."""

from __future__ import annotations

import dataclasses
import random

import pytest
import torch
import torch.nn.functional as F

from nasrepro.methods.parts.dvae import KL_WEIGHT, GraphVAE
from nasrepro.spaces.base import CellGraph, InvalidArchError
from nasrepro.spaces.darts_cnn.space import DartsCnnSpace
from nasrepro.spaces.nb201.space import Nb201Space

SPACES = {"nb201": Nb201Space, "darts_cnn": DartsCnnSpace}


def _hard(graph: CellGraph) -> tuple[torch.Tensor, torch.Tensor]:
    types = F.one_hot(torch.tensor(graph.type_indices()), len(graph.types)).float()
    return types, graph.adjacency().T  # [i, j] = edge j -> i


@pytest.mark.parametrize("name", SPACES)
def test_decode_inverts_encode_and_graph_weights_equal_one_hot(name):
    space, rng = SPACES[name](), random.Random(0)
    for _ in range(50):
        arch = space.sample(rng)
        graph = space.encode(arch)
        assert space.decode(graph) == arch
        weights, one_hot = space.graph_weights(*_hard(graph)), space.one_hot(arch)
        assert set(weights) == set(one_hot)
        for key in one_hot:
            assert torch.equal(weights[key], one_hot[key]), key


def test_graph_weights_of_a_relaxed_graph():
    """NB201: rows are the op nodes' type probabilities; DARTS: type prob x edge prob, summed
    over a node's two op nodes."""
    space = Nb201Space()
    graph = space.encode(space.sample(random.Random(1)))
    types, edges = _hard(graph)
    types[1] = torch.tensor([0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.0])  # op node of edge 1 <- 0
    assert torch.allclose(space.graph_weights(types, edges)["cell"][0], torch.tensor([0.1, 0.2, 0.3, 0.4, 0.0]))

    space = DartsCnnSpace()
    arch = space.sample(random.Random(2))
    types, edges = _hard(space.encode(arch))
    # normal cell, node 2's first op node (graph position 2): half its edge from input 0, half from 1
    edges[2, :2] = torch.tensor([0.5, 0.5])
    w = space.graph_weights(types, edges)["normal"]
    op = space.ops.index(arch.normal[0][0])
    row0, row1 = space.edges.index((2, 0)), space.edges.index((2, 1))
    other = space.ops.index(arch.normal[1][0])
    assert w[row0, op] == pytest.approx(0.5)
    assert w[row1, op] == pytest.approx(0.5 + (1.0 if other == op else 0.0))
    assert w[:, space.ops.index("none")].abs().sum() == 0


@pytest.mark.parametrize("name", SPACES)
def test_decode_rejects_invalid_graphs(name):
    space = SPACES[name]()
    graph = space.encode(space.sample(random.Random(3)))
    wrong_type = dataclasses.replace(graph, node_types=("sum",) + graph.node_types[1:])
    with pytest.raises(InvalidArchError, match="node 0"):
        space.decode(wrong_type)
    extra = dataclasses.replace(graph, edges=graph.edges + ((0, len(graph.node_types) - 1),))
    with pytest.raises(InvalidArchError, match=r"unexpected edges|input"):
        space.decode(extra)
    with pytest.raises(InvalidArchError, match="node"):
        space.decode(dataclasses.replace(graph, node_types=graph.node_types[:-1]))
    if name == "darts_cnn":  # an op node of node 2 fed by node 2's own sum: no valid gene
        bad = tuple(e for e in graph.edges if e[1] != 2) + ((4, 5),)
        with pytest.raises(InvalidArchError):
            space.decode(dataclasses.replace(graph, edges=bad))


def _model(space, hidden=16, latent=6, bidirectional=True, seed=0):
    graph = space.encode(space.sample(random.Random(0)))
    torch.manual_seed(seed)
    return GraphVAE(graph.types, len(graph.node_types), hidden, latent, bidirectional)


def test_encoder_shapes_and_permutation_behaviour():
    """mu/logvar are [B, latent]; renumbering the nodes in another topological order (an
    isomorphic graph) leaves the encoding unchanged (message passing sees only the DAG, the gated
    sum is order-invariant), changing a type does not; the reverse pass enters mu."""
    space = Nb201Space()
    arch = space.sample(random.Random(4))
    graph = space.encode(arch)
    for bidirectional in (False, True):
        model = _model(space, bidirectional=bidirectional).eval()
        mu, logvar = model.encode([graph, graph])
        assert mu.shape == logvar.shape == (2, 6)
        # op nodes 3 and 4 (edges 2<-0 and 2<-1) are unordered: swap their numbers
        perm = list(range(11))
        perm[3], perm[4] = 4, 3
        types = tuple(graph.node_types[perm[i]] for i in range(11))
        edges = tuple((perm[s], perm[d]) for s, d in graph.edges)
        swapped = CellGraph(types, edges, graph.types)
        assert swapped != graph
        assert torch.allclose(mu[0], model.encode([swapped])[0][0], atol=1e-6)
        other = space.mutate(arch, random.Random(5))
        assert not torch.allclose(mu[0], model.encode([space.encode(other)])[0][0])
    model = _model(space, bidirectional=True).eval()
    before = model.encode([graph])[0]
    with torch.no_grad():
        model.reverse_pass.gru.bias_hh.add_(0.5)
    assert not torch.allclose(before, model.encode([graph])[0])


def test_encoder_is_eq_4_6_on_a_hand_graph():
    """h_v = GRU_e(x_v, sum_{u->v} sigmoid(W_g [h_u; x_u] + b_g) * W_m [h_u; x_u]) forward, the
    same on the reversed DAG (own parameters), mu = fc_mu([h_last; h_first^reverse])."""
    types = ("a", "b", "c")
    graph = CellGraph(("a", "b", "c", "a"), ((0, 1), (0, 2), (1, 3), (2, 3)), types)
    torch.manual_seed(0)
    model = GraphVAE(types, 4, 5, 3, True).eval()
    x = F.one_hot(torch.tensor(graph.type_indices()), 3).float()

    def message(prop, h, xu):
        hx = torch.cat([h, xu])
        gate = torch.sigmoid(prop.gate[0].weight @ hx + prop.gate[0].bias)
        return gate * (prop.map.weight @ hx)

    def gru(prop, xv, h_in):
        return prop.gru(xv[None], h_in[None])[0]

    with torch.no_grad():
        f, r, zero = model.forward_pass, model.reverse_pass, torch.zeros(5)
        h0 = gru(f, x[0], zero)
        h1, h2 = gru(f, x[1], message(f, h0, x[0])), gru(f, x[2], message(f, h0, x[0]))
        h3 = gru(f, x[3], message(f, h1, x[1]) + message(f, h2, x[2]))
        b3 = gru(r, x[3], zero)
        b1, b2 = gru(r, x[1], message(r, b3, x[3])), gru(r, x[2], message(r, b3, x[3]))
        b0 = gru(r, x[0], message(r, b1, x[1]) + message(r, b2, x[2]))
        state = torch.cat([h3, b0])
        mu, logvar = model.encode([graph])
    assert torch.allclose(mu[0], model.fc_mu(state), atol=1e-6)
    assert torch.allclose(logvar[0], model.fc_logvar(state), atol=1e-6)


def test_sibling_swap_is_invariant():
    """Two nodes with the same predecessors and successors (a hand-made DAG) can be renumbered
    without changing the encoding."""
    types = ("a", "b", "c")
    g1 = CellGraph(("a", "b", "c", "a"), ((0, 1), (0, 2), (1, 3), (2, 3)), types)
    g2 = CellGraph(("a", "c", "b", "a"), ((0, 1), (0, 2), (1, 3), (2, 3)), types)
    torch.manual_seed(0)
    model = GraphVAE(types, 4, 8, 3, True).eval()
    mu, _ = model.encode([g1, g2])
    assert torch.allclose(mu[0], mu[1], atol=1e-6)
    g3 = CellGraph(("a", "c", "c", "a"), g1.edges, types)
    assert not torch.allclose(mu[0], model.encode([g3])[0][0])


@pytest.mark.parametrize("name", SPACES)
def test_decode_probs_is_greedy_differentiable_and_matches_teacher_forcing(name):
    space = SPACES[name]()
    model = _model(space).eval()
    z = torch.randn(3, 6, requires_grad=True)
    types, edges = model.decode_probs(z)
    n, T = model.num_nodes, len(model.types)
    assert types.shape == (3, n, T) and edges.shape == (3, n, n)
    assert torch.allclose(types.sum(-1), torch.ones(3, n))
    assert torch.all(edges.triu() == 0)
    (types[:, :, 3:].sum() + edges.sum()).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    graphs = model.decode(z.detach())
    for b, g in enumerate(graphs):
        assert g.type_indices() == types[b].argmax(-1).tolist()
        assert set(g.edges) == {(j, i) for i, j in (edges[b] > 0.5).nonzero().tolist()}
    # the greedy path's probabilities are the teacher-forced ones of the graph it decoded
    x, adj = model._tensors(graphs)
    type_logits, edge_logits = model._teacher_forced(z.detach(), x, adj)
    assert torch.allclose(type_logits.softmax(-1), types, atol=1e-6)
    lower = torch.ones(n, n).tril(-1)
    assert torch.allclose(torch.sigmoid(edge_logits) * lower, edges, atol=1e-6)


def test_loss_terms():
    space = Nb201Space()
    model = _model(space).eval()
    graphs = [space.encode(space.sample(random.Random(i))) for i in range(3)]
    with torch.no_grad():
        recon, kl = model.loss(graphs)
        mu, logvar = model.encode(graphs)
        x, adj = model._tensors(graphs)
        tl, el = model._teacher_forced(mu, x, adj)
    assert kl.item() == pytest.approx(float(-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()), rel=1e-5)
    expected = sum(-tl[b].log_softmax(-1)[i, x[b, i].argmax()] for b in range(3) for i in range(11))
    for b in range(3):
        for i in range(11):
            for j in range(i):
                p = torch.sigmoid(el[b, i, j])
                expected = expected - (torch.log(p) if adj[b, j, i] else torch.log(1 - p))
    assert recon.item() == pytest.approx(expected.item(), rel=1e-4)
    assert KL_WEIGHT == 0.005


def test_reparameterize_is_d_vaes():
    """Training: z = mu + 0.01 * eps * exp(logvar / 2) (D-VAE's eps_scale); evaluation: z = mu."""
    model = _model(Nb201Space())
    mu, logvar = torch.randn(4, 6), torch.randn(4, 6)
    model.eval()
    assert torch.equal(model.reparameterize(mu, logvar), mu)
    model.train()
    torch.manual_seed(3)
    z = model.reparameterize(mu, logvar)
    torch.manual_seed(3)
    assert torch.allclose(z, mu + 0.01 * torch.randn(4, 6) * (0.5 * logvar).exp())


def test_tiny_model_reconstructs_its_training_cells():
    """Trained for a few seconds on 6 NAS-Bench-201 cells, the decoder returns each cell from its
    encoding's mean, and the cell decodes to the architecture."""
    space = Nb201Space()
    archs = [space.sample(random.Random(10 + i)) for i in range(6)]
    graphs = [space.encode(a) for a in archs]
    model = _model(space, hidden=32, latent=8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(400):
        model.train()
        recon, kl = model.loss(graphs)
        opt.zero_grad()
        (recon + KL_WEIGHT * kl).backward()
        opt.step()
        if step % 20 == 19:
            model.eval()
            if model.decode(model.encode(graphs)[0]) == graphs:
                break
    model.eval()
    decoded = model.decode(model.encode(graphs)[0])
    assert [space.decode(g) for g in decoded] == archs


def test_checkpoint_round_trip_and_errors(tmp_path):
    space = DartsCnnSpace()
    model = _model(space, bidirectional=False).eval()
    graphs = [space.encode(space.sample(random.Random(7)))]
    path = tmp_path / "dvae.pt"
    model.save(path)
    loaded = GraphVAE.load(path)
    assert loaded.config == model.config and not loaded.training
    assert torch.equal(loaded.encode(graphs)[0], model.encode(graphs)[0])
    assert [p.name for p in tmp_path.iterdir()] == ["dvae.pt"]  # no temporary left behind
    with pytest.raises(FileNotFoundError, match=r"missing\.pt.*train_dvae"):
        GraphVAE.load(tmp_path / "missing.pt")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"dvae\.pt is corrupted.*train_dvae"):
        GraphVAE.load(path)


class _Forged:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling calls os.system: here it would only create a marker file
        import os

        return os.system, (f"touch {self.marker}",)


def test_a_dvae_file_carrying_a_pickled_callable_is_refused_unread(tmp_path):
    """dvae.pt travels through the DVC remote: loading a forged one runs nothing and fails in one
    line naming the file and the fix."""
    from nasrepro.utils.safeload import UnsafeFileError

    space = Nb201Space()
    path, marker = tmp_path / "dvae.pt", tmp_path / "ran"
    _model(space).save(path)
    payload = torch.load(path, weights_only=True)
    payload["config"]["extra"] = _Forged(marker)
    torch.save(payload, path)
    with pytest.raises(UnsafeFileError) as error:
        GraphVAE.load(path)
    assert not marker.exists(), "loading dvae.pt ran the pickled callable"
    message = str(error.value)
    assert "\n" not in message and f"D-VAE checkpoint {path} holds a pickled posix.system" in message
    assert "delete it and build it with `snakemake" in message


def test_bad_graphs_are_refused():
    space = Nb201Space()
    model = _model(space)
    other = DartsCnnSpace()
    with pytest.raises(ValueError, match="built for 11 nodes"):
        model.encode([other.encode(other.sample(random.Random(0)))])
    with pytest.raises(ValueError, match="empty"):
        model.encode([])


# ----------------------------------------------------------------------------- pipeline
def test_report_metrics_on_a_hand_case():
    from nasrepro.train.dvae import injectivity, reconstruction, validity

    space = Nb201Space()
    a, b = (space.encode(space.sample(random.Random(i))) for i in (20, 21))
    other_op = next(op for op in space.ops if op != b.node_types[1])
    b_bad = dataclasses.replace(b, node_types=b.node_types[:1] + (other_op,) + b.node_types[2:],
                                edges=tuple(e for e in b.edges if e != (9, 10)))
    # 22 nodes; b_bad differs at node 1 (type) and node 10 (lost its input 9)
    assert reconstruction([a, b], [a, b_bad]) == {"exact": 0.5, "per_node": 20 / 22}
    assert validity(space, [a, b_bad, b]) == pytest.approx(2 / 3)
    mu = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1e-3]])
    assert injectivity(mu) == 0.5
    assert injectivity(torch.tensor([[0.0], [2e-6]])) == 1.0


def test_dataset_split_and_subset():
    from nasrepro.train.dvae import DvaeConfig, dataset

    data, note = dataset(Nb201Space(), DvaeConfig(cells=50, eval_cells=30, seed=1))
    assert [len(data[k]) for k in ("train", "valid", "test")] == [50, 30, 30]
    assert "subset of 50 of the 12,500 training cells" in note
    full, _ = dataset(Nb201Space(), DvaeConfig(seed=1))
    assert [len(full[k]) for k in ("train", "valid", "test")] == [12500, 1562, 1563]
    cells = {g for part in full.values() for g in part}
    assert len(cells) == 15625  # a partition of the whole space
    darts, note = dataset(DartsCnnSpace(), DvaeConfig(cells=40, seed=0))
    assert [len(darts[k]) for k in ("train", "valid", "test")] == [32, 4, 4]
    assert len({g for part in darts.values() for g in part}) == 40
    with pytest.raises(ValueError, match="dvae.darts_cnn.cells must be set"):
        dataset(DartsCnnSpace(), DvaeConfig())


def test_run_job_writes_model_and_report(tmp_path):
    from nasrepro.jobs import DvaeJob, RunSettings
    from nasrepro.train.dvae import DvaeConfig, run_job

    cfg = dataclasses.asdict(DvaeConfig(hidden=8, latent=4, epochs=2, cells=24, eval_cells=8,
                                        prior_samples=10, lr=0.01))
    job = DvaeJob("nb201", cfg, RunSettings("default", "cpu", 1, 0))
    report = run_job(job, torch.device("cpu"), tmp_path, "fp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dvae.pt", "report.json", "report.md"]
    assert report["train_cells"] == 24 and report["held_out_cells"] == 8 and len(report["history"]) == 2
    assert "not the thesis' D-VAE" in report["note"] and "subset of 24" in report["data"]
    model = GraphVAE.load(tmp_path / "dvae.pt")
    assert model.config["hidden"] == 8 and model.config["bidirectional"] is True
    assert 0 <= report["validity"] <= 1 and 0 <= report["reconstruction"]["per_node"] <= 1


def test_config_key_and_method_inputs(monkeypatch, tmp_path):
    """``dvae.<space>`` is validated; a method declaring ``inputs = ("dvae",)`` gets the space's
    D-VAE as a search input and the CLI hands it to ``SearchContext.inputs``."""
    import yaml

    from nasrepro.profile import resolve, validate
    from nasrepro import registry
    from nasrepro.commands.jobs import named_inputs
    from nasrepro.params import ConfigError

    profile = yaml.safe_load(open("config/config.yaml"))
    job = resolve.dvae_job(profile, "darts_cnn")
    assert job.cfg["cells"] == profile["dvae"]["darts_cnn"]["cells"] and job.cfg["bidirectional"]
    thesis = yaml.safe_load(open("config/thesis.yaml"))
    cfg = resolve.dvae_config(thesis, "nb201")
    assert (cfg["hidden"], cfg["latent"], cfg["lr"], cfg["batch_size"], cfg["epochs"]) == (501, 30, 1e-4, 32, 100)
    bad = {**profile, "dvae": {"nb201": {"hidden": 0}}}
    with pytest.raises(ConfigError, match=r"dvae\.nb201\.hidden = 0"):
        validate.check_profile(bad)
    with pytest.raises(ConfigError, match=r"dvae\.nb201\.size: unknown key"):
        validate.check_profile({**profile, "dvae": {"nb201": {"size": 3}}})

    method = registry.METHODS.get("darts-1st")
    assert resolve.method_inputs(profile, "nb201", "darts-1st") == {}
    monkeypatch.setattr(method, "inputs", ("dvae",))
    assert resolve.method_inputs(profile, "nb201", "darts-1st") == {
        "dvae": "results/default/dvae/nb201/dvae.pt"}
    with pytest.raises(ConfigError, match="needs the inputs"):
        named_inputs([], method)
    with pytest.raises(FileNotFoundError, match="snakemake"):
        named_inputs([f"dvae={tmp_path / 'dvae.pt'}"], method)
    (tmp_path / "dvae.pt").write_bytes(b"x")
    assert named_inputs([f"dvae={tmp_path / 'dvae.pt'}"], method) == {"dvae": tmp_path / "dvae.pt"}
    monkeypatch.setattr(method, "inputs", ("nonsense",))
    with pytest.raises(ConfigError, match="unknown inputs"):
        resolve.method_inputs(profile, "nb201", "darts-1st")


def test_training_resumes_bit_identically(tmp_path):
    """A job stopped after epoch 1 and restarted continues from its checkpoint and ends with the
    weights of an uninterrupted run (per-epoch checkpoints of ``nasrepro.train.epochs``)."""
    from nasrepro.train.dvae import DvaeConfig, dataset, train

    space = Nb201Space()
    cfg = DvaeConfig(hidden=8, latent=4, epochs=2, cells=24, eval_cells=6, lr=0.01)
    data, _ = dataset(space, cfg)
    full, records = train(space, cfg, data, torch.device("cpu"), tmp_path / "a", "fp")
    train(space, dataclasses.replace(cfg, epochs=1), data, torch.device("cpu"), tmp_path / "b", "fp")
    assert sorted(p.name for p in (tmp_path / "b").glob("*.pt")) == ["epoch0001.pt"]
    resumed, again = train(space, cfg, data, torch.device("cpu"), tmp_path / "b", "fp")
    losses = lambda recs: [(r["epoch"], r["recon"], r["kl"], r["valid_recon"]) for r in recs]  # noqa: E731
    assert losses(again) == losses(records)
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
