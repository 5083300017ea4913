"""DARTS recurrent space (thesis §1.2.4, §2.4.2): language-model task, carried hidden state,
the cell against the supernet, DARTS_V2's parameter count, the corpora and their loaders."""

import gzip
import hashlib
import math
import random

import pytest
import torch

from nasrepro.data.base import make_loader
from nasrepro.data.text import TextSegments
from nasrepro.registry import DATASETS, SPACES
from nasrepro.spaces.base import DataShape, InvalidArchError
from nasrepro.spaces.darts_rnn.space import DARTS_V2
from nasrepro.spaces.darts_rnn.task import LMInput
from nasrepro.utils.download import MissingDataError
from tests.conftest import shared

torch.set_num_threads(1)
SPACE = SPACES.get("darts_rnn")()
NO_DROP = {"dropout": 0.0, "dropouth": 0.0, "dropoutx": 0.0, "dropouti": 0.0, "dropoute": 0.0}
TINY = {"emsize": 6, "nhid": 6}


def _inp(tokens, pos, mode="score", stream=0):
    return LMInput(tokens, torch.tensor([[stream, pos]] * tokens.shape[0]), mode)


def test_perplexity_is_exp_of_mean_token_loss_on_a_hand_example():
    # vocabulary 2; the model gives every token probability 1/2 in batch 1 (2 x 1 tokens) and
    # p(target) = 0.8 in batch 2 (1 x 2 tokens): mean loss over the 4 tokens, not over batches
    def model(inp):
        if inp.tokens.shape[0] == 2:
            return torch.zeros(2, 1, 2)
        return torch.log(torch.tensor([[[0.8, 0.2], [0.2, 0.8]]]))
    batches = [(torch.zeros(2, 1, dtype=torch.long), torch.zeros(2, 1, dtype=torch.long),
                torch.zeros(2, 2, dtype=torch.long)),
               (torch.zeros(1, 2, dtype=torch.long), torch.tensor([[0, 1]]),
                torch.zeros(1, 2, dtype=torch.long))]
    expected = math.exp((2 * math.log(2) + 2 * -math.log(0.8)) / 4)
    score = SPACE.task.score(model, batches, torch.device("cpu"))
    assert score == pytest.approx(expected, rel=1e-6)
    assert SPACE.task.metric == "perplexity" and not SPACE.task.higher_is_better


def test_hidden_state_is_carried_across_segments_and_detached_between_them():
    torch.manual_seed(0)
    net = SPACE.build_network(DARTS_V2, DataShape(20, 1, 1, 4), {**TINY, **NO_DROP}).eval()
    first_a, first_b = torch.randint(20, (3, 4)), torch.randint(20, (3, 4))
    second = torch.randint(20, (3, 4))
    net(_inp(first_a, 0))
    out_a = net(_inp(second, 1))
    net(_inp(first_b, 0))
    out_b = net(_inp(second, 1))
    assert not torch.allclose(out_a, out_b)  # the second segment sees the first one's input
    net.state.clear()
    assert torch.equal(net(_inp(second, 1)), net(_inp(second, 1)))  # no predecessor: zeros
    # gradient of the second segment's loss equals the one of a run started from the first
    # segment's final state as a constant: nothing flows back into the first segment
    net.state.clear()
    net(_inp(first_a, 0, "train"))
    carried = net.state.slots[(0, "train")][2]
    assert not carried.requires_grad
    net.zero_grad()
    net(_inp(second, 1, "train")).sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    net.state.slots[(0, "train")] = (0, torch.zeros_like(carried), carried.clone())
    net.zero_grad()
    net(_inp(second, 1, "train")).sum().backward()
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, net.parameters()))
    # a repeated call on the same segment (second-order DARTS) starts from the same state
    assert torch.equal(net(_inp(second, 1, "train")), net(_inp(second, 1, "train")))


@pytest.mark.parametrize("drop", [NO_DROP, {}], ids=["no-dropout", "darts-dropouts"])
def test_stand_alone_cell_equals_supernet_single_path(drop):
    torch.manual_seed(1)
    shape, cfg = DataShape(30, 1, 1, 5), {**TINY, "dropoute": 0.1, **drop}
    supernet = SPACE.build_supernet(shape, cfg).train()
    arch = SPACE.sample(random.Random(3))
    net = SPACE.build_network(arch, shape, cfg).train()
    net.load_state_dict(supernet.state_dict())
    x = torch.randint(30, (4, 5))
    for pos in (0, 1):
        torch.manual_seed(7)
        a = supernet(_inp(x, pos, "train"), arch=arch)
        torch.manual_seed(7)
        b = net(_inp(x, pos, "train"))
        assert torch.allclose(a, b, atol=1e-6)
    torch.manual_seed(7)
    mixed = supernet(_inp(x, 2, "train"), weights=SPACE.one_hot(arch))
    torch.manual_seed(7)
    assert torch.allclose(mixed, net(_inp(x, 2, "train")), atol=1e-6)


def test_darts_v2_at_850_has_the_published_23m_parameters():
    """DARTS (Liu et al. 2019, Table 2) reports 23M for its PTB cell at embedding = hidden = 850
    with the 10k-word PTB vocabulary. Counted as DARTS' train.py does: every parameter once, so
    the embedding matrix shared with the decoder (tied) counts once; the decoder bias counts."""
    net = SPACE.build_network(DARTS_V2, DataShape(10000, 1, 1, 35), {})
    count = sum(p.numel() for p in net.parameters())
    assert count == 10000 * 850 + 1700 * 1700 + 8 * 850 * 1700 + 10000
    assert round(count / 1e6) == 23


def test_space_derivation_and_notation():
    alphas = torch.zeros(36, 5)
    alphas[:, 0] = 10.0  # none strongest everywhere: ignored
    alphas[0, 3] = 1.0   # node 1: sigmoid from node 0
    alphas[2, 2] = 2.0   # node 2: relu from node 1
    arch = SPACE.discretize({"recurrent": alphas})
    assert arch.genes[:2] == (("sigmoid", 0), ("relu", 1))
    assert SPACE.to_string(DARTS_V2) == \
        "sigmoid~0|relu~1|relu~1|identity~1|tanh~2|sigmoid~5|tanh~3|relu~5"
    assert SPACE.discretize(SPACE.one_hot(DARTS_V2)) == DARTS_V2
    with pytest.raises(InvalidArchError):
        SPACE.from_string("relu~1|relu~1|relu~1|relu~1|relu~1|relu~1|relu~1|relu~1")  # node 1 <- 1
    other = SPACE.sample(random.Random(0))
    comp = SPACE.complement(DARTS_V2, [other], random.Random(0))
    assert SPACE.distance(comp, other) == 1.0


def test_sequential_loader_continues_each_row_in_the_next_batch():
    data = TextSegments(torch.arange(61), bptt=3, stream=0)  # 20 segments, 4 streams of 5
    loader = make_loader(data, 4, True, 0)
    batches = list(loader)
    assert len(batches) == 5
    for prev, nxt in zip(batches, batches[1:]):
        assert torch.equal(prev[0][:, -1] + 1, nxt[0][:, 0])  # token stream continues per row
        assert torch.equal(prev[2][:, 1] + 1, nxt[2][:, 1])


def test_standin_corpus_is_offline_and_deterministic():
    a = DATASETS.get("text_standin").load({"vocab": 100, "bptt": 7})
    b = DATASETS.get("text_standin").load({"vocab": 100, "bptt": 7})
    assert a.num_classes <= 100 and len(a.search_train) > 1000 and len(a.test) > 10
    assert torch.equal(a.search_train.tokens, b.search_train.tokens)


def test_real_ptb_files():
    root = shared("ptb/ptb.train.txt.gz").parent
    bundle = DATASETS.get("ptb").load({"root": str(root), "bptt": 35})
    assert bundle.num_classes == 10000
    assert [len(s.tokens) for s in (bundle.search_train, bundle.search_valid, bundle.test)] == \
        [929589, 73760, 82430]


def test_download_from_a_url_with_checksum_and_clear_error_offline(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    texts = {"train": "a b c\nb c\n", "valid": "a c\n", "test": "c b\n"}
    urls, sums = {}, {}
    for split, text in texts.items():
        (src / f"{split}.txt").write_text(text)
        urls[split] = (src / f"{split}.txt").as_uri()
        sums[split] = hashlib.sha256(text.encode()).hexdigest()
    spec = {"root": str(tmp_path / "raw"), "download": True, "urls": urls, "checksums": sums,
            "bptt": 2}
    bundle = DATASETS.get("ptb").load(spec)
    assert (tmp_path / "raw" / "ptb.train.txt").exists() and bundle.num_classes == 4  # a b c <eos>
    with pytest.raises(MissingDataError, match="download: true.*empty/ptb.train.txt"):
        DATASETS.get("ptb").load({"root": str(tmp_path / "empty")})
    missing = DATASETS.get("wikitext2").missing({"root": str(tmp_path / "empty")})
    assert len(missing) == 3 and "wiki.train.tokens" in missing[0]
    gz = tmp_path / "gz"  # gzipped copies (as in ../shared/data) are read too
    gz.mkdir()
    for split, text in texts.items():
        with gzip.open(gz / f"ptb.{split}.txt.gz", "wt") as f:
            f.write(text)
    again = DATASETS.get("ptb").load({"root": str(gz), "bptt": 2, "checksums": sums})
    assert torch.equal(again.search_train.tokens, bundle.search_train.tokens)


@pytest.mark.parametrize("run", ["darts-1st", "darts-2nd", "gdas", "random-nas", "en2as"])
def test_runs_on_the_recurrent_space_follow_darts_rnn_search_protocol(run):
    from nasrepro.profile.resolve import method_params

    params = method_params({}, run, "darts_rnn")
    batch = 64 if run in ("random-nas", "en2as") else 256  # [86]'s batch (RANDOM_SEARCH_86)
    assert (params["w_lr"], params["w_lr_min"], params["w_weight_decay"], params["batch_size"],
            params["grad_clip"], params["w_momentum"]) == (20.0, 20.0, 5e-7, batch, 0.25, 0.0)
    if "a_lr" in params:
        assert (params["a_lr"], params["a_beta1"], params["a_weight_decay"]) == (3e-3, 0.9, 1e-3)


def test_network_settings_are_darts_and_thesis_values():
    from nasrepro.spaces.darts_rnn.space import RNNSearchNet

    search = RNNSearchNet()
    ptb, wt2 = SPACE.eval_net_config("ptb")(), SPACE.eval_net_config("wikitext2")()
    assert (search.emsize, search.nhid, search.dropout, search.dropouth, search.dropoutx,
            search.dropouti, search.dropoute) == (300, 300, 0.75, 0.25, 0.75, 0.2, 0.0)
    assert (ptb.emsize, ptb.nhid, ptb.dropoute) == (850, 850, 0.1)
    assert (wt2.emsize, wt2.nhid, wt2.dropouth) == (700, 700, 0.15)  # thesis §2.4.2.2


def test_fixed_depth_bias_gives_the_chain():
    bias = SPACE.fixed_depth_bias()["recurrent"]
    arch = SPACE.discretize({"recurrent": bias + torch.randn(bias.shape)})
    assert [j for _, j in arch.genes] == list(range(8))
    assert SPACE.cell_stats(arch)["depth"] == 8.0


def _outputs(net, inp):
    """(logits, the cell outputs h of every step: the decoder's input)."""
    seen = []
    handle = net.decoder.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    logits = net(inp)
    handle.remove()
    return logits, seen[0]


@pytest.mark.parametrize("alpha, beta", [(0.0, 1e-3), (0.5, 0.0), (0.5, 2.0)])
def test_activation_penalty_is_darts_ar_plus_tar(alpha, beta):
    """AR: alpha * mean(h^2) of the dropped outputs; TAR: beta * mean((h_{t+1} - h_t)^2) (DARTS
    rnn/train_search.py; no dropout here, so dropped = raw); only in "train" mode."""
    torch.manual_seed(0)
    net = SPACE.build_network(DARTS_V2, DataShape(30, 1, 1, 5),
                              {**TINY, **NO_DROP, "ar_alpha": alpha, "tar_beta": beta}).train()
    x = torch.randint(30, (4, 5))
    _, h = _outputs(net, _inp(x, 0, "train"))
    expected = alpha * h.pow(2).mean() + beta * (h[:, 1:] - h[:, :-1]).pow(2).mean()
    torch.testing.assert_close(SPACE.task.weight_penalty(net), expected)
    net(_inp(x, 0, "score"))
    assert SPACE.task.weight_penalty(net) == 0.0  # scoring forwards carry no penalty


def _weight_step_update(method_name, tar_beta):
    from tests.conftest import build_method

    torch.manual_seed(0)
    method = build_method(method_name, "darts_rnn", shape=DataShape(30, 1, 1, 5),
                          net_cfg={**TINY, **NO_DROP, "tar_beta": tar_beta}, w_lr=1.0,
                          w_momentum=0.0, w_nesterov=False, grad_clip=1e9, w_weight_decay=0.0)
    before = [p.detach().clone() for p in method.supernet.parameters()]
    x = torch.randint(30, (4, 6))
    batch = (x[:, :5], x[:, 1:], torch.tensor([[0, 0]] * 4))
    loss = method.step(batch, batch)["train_loss"]
    return [p.detach() - b for p, b in zip(method.supernet.parameters(), before)], loss


@pytest.mark.parametrize("method_name", ["random-nas", "darts-1st"])
def test_weight_steps_add_the_penalty_and_report_the_plain_loss(method_name):
    """Switching TAR off changes the weight update (it is in the loop), not the reported loss."""
    with_tar, loss_tar = _weight_step_update(method_name, 10.0)
    without, loss_plain = _weight_step_update(method_name, 0.0)
    assert any(not torch.allclose(a, b) for a, b in zip(with_tar, without))
    if method_name == "random-nas":  # the same cell and weights before the step: the same loss
        torch.testing.assert_close(loss_tar, loss_plain)


def test_retraining_loss_adds_the_penalty():
    from nasrepro.train.retrain import _loss

    torch.manual_seed(0)
    net = SPACE.build_network(DARTS_V2, DataShape(30, 1, 1, 5),
                              {**TINY, **NO_DROP, "tar_beta": 0.7}).train()
    x = torch.randint(30, (4, 6))
    batch = (x[:, :5], x[:, 1:], torch.tensor([[0, 0]] * 4))
    total = _loss(SPACE.task, net, batch, None)
    _, h = _outputs(net, _inp(x[:, :5], 0, "train"))
    plain = SPACE.task.loss(net, batch)  # recomputed from the same start state (segment 0)
    torch.testing.assert_close(total, plain + 0.7 * (h[:, 1:] - h[:, :-1]).pow(2).mean())


def test_random_length_search_pass_is_darts_batchify_with_35_or_17():
    """rnn/train_search.py: the length is bptt, or bptt / 2 (int) with probability 0.05; batch i is
    the next columns of ``batch_size`` rows of consecutive tokens, targets shifted by one."""
    tokens = torch.arange(40000)
    data = TextSegments(tokens, 35, 0, variable=True)
    batches = list(make_loader(data, 4, True, seed=3, phase="search"))
    lengths = [x.shape[1] for x, _, _ in batches]
    assert set(lengths[:-1]) == {35, 17} and 0.02 < lengths.count(17) / len(lengths) < 0.1
    rows = tokens[:4 * 10000].view(4, 10000)
    pos = 0
    for i, (x, y, tag) in enumerate(batches):
        assert torch.equal(x, rows[:, pos:pos + x.shape[1]]) and torch.equal(y, x + 1)
        assert tag.tolist() == [[0, i]] * 4
        pos += x.shape[1]
    assert pos == 10000 - 1  # every token with a target, once
    assert data.lr_scale(batches[0]) == lengths[0] / 35
    fixed = TextSegments(tokens, 35, 0)  # without ``variable`` (and for scoring): fixed segments
    assert {x.shape[1] for x, _, _ in make_loader(fixed, 4, True, 3, phase="search")} == {35}
    assert fixed.lr_scale(batches[0]) == 1.0


def test_search_loop_scales_the_weight_lr_by_the_batch_length(tmp_path):
    from nasrepro.data.base import DataBundle
    from nasrepro.train.search import run_search
    from tests.conftest import build_method

    stream = torch.randint(30, (3000,), generator=torch.Generator().manual_seed(0))
    bundle = DataBundle("tiny", TextSegments(stream, 10, 0, variable=True),
                        TextSegments(stream[:400], 10, 1), TextSegments(stream[400:800], 10, 2),
                        30, 1)
    method = build_method("random-nas", "darts_rnn", shape=bundle.shape, epochs=1, batch_size=2,
                          w_lr=20.0, w_lr_min=20.0, num_candidates=2, eval_batch_size=4)
    seen, step = [], method.step
    method.step = lambda tb, vb: (seen.append((tb[0].shape[1], method.w_lr)), step(tb, vb))[1]
    run_search(method, bundle, 0, tmp_path / "s", "f")
    assert len(seen) > 100 and {n for n, _ in seen[:-1]} == {10, 5}
    assert all(lr == pytest.approx(20.0 * n / 10) for n, lr in seen)
    assert method.w_lr == 20.0  # restored after each step


def test_chain_edges_node_inputs_and_the_fixed_depth_bias_of_the_recurrent_cell():
    """Node i = 1..8 takes one input j < i (rows edge_offset(i) + j, edge_offset(i) = i (i - 1) / 2);
    Eq. 5.19-5.21's depth edges and NSAS-C's chain (§3.4.1.2) are (i - 1 -> i): bias 0 on their
    non-none operations, -inf everywhere else (`none` included)."""
    from nasrepro.spaces.darts_rnn.model import OPS
    chain = [0, 2, 5, 9, 14, 20, 27, 35]
    assert SPACE.depth_edges() == {"recurrent": chain}
    bias = SPACE.fixed_depth_bias()
    assert list(bias) == ["recurrent"]
    expected = torch.full((36, len(OPS)), float("-inf"))
    expected[chain, 1:] = 0.0
    assert OPS[0] == "none" and torch.equal(bias["recurrent"], expected)
    inputs = SPACE.node_inputs(DARTS_V2)
    assert inputs == {"recurrent/1": [(0, "sigmoid")], "recurrent/2": [(1, "relu")],
                      "recurrent/3": [(1, "relu")], "recurrent/4": [(1, "identity")],
                      "recurrent/5": [(2, "tanh")], "recurrent/6": [(5, "sigmoid")],
                      "recurrent/7": [(3, "tanh")], "recurrent/8": [(5, "relu")]}


def test_encode_mutate_and_the_retraining_protocol_of_the_recurrent_space():
    """E²NAS' graph (Eq. 4.6): x_t and h_{t-1} into the highway node 0, node i typed by its
    operation and fed by its input, the output averaging nodes 1..8; a mutation changes one node's
    operation or (nodes 2..8) its input; DARTS' PTB / WT2 retraining (§2.4.2, §2.4.2.2)."""
    from nasrepro.spaces.darts_rnn.space import RNNGenotype, RNNTraining, RNNTrainingWT2
    graph = SPACE.encode(DARTS_V2)
    assert graph.types == ("input", "highway", "tanh", "relu", "sigmoid", "identity", "output")
    assert graph.node_types == ("input", "input", "highway", "sigmoid", "relu", "relu", "identity",
                                "tanh", "sigmoid", "tanh", "relu", "output")
    assert set(graph.edges) == {(0, 2), (1, 2), (2, 3), (3, 4), (3, 5), (3, 6), (4, 7), (7, 8),
                                (5, 9), (7, 10), *((i, 11) for i in range(3, 11))}
    assert len(graph.edges) == 18
    kinds, nodes = set(), set()
    for seed in range(200):
        child = SPACE.mutate(DARTS_V2, random.Random(seed))
        assert isinstance(child, RNNGenotype)
        diff = [i for i, (a, b) in enumerate(zip(DARTS_V2.genes, child.genes)) if a != b]
        assert len(diff) == 1
        (op, j), (op2, j2) = DARTS_V2.genes[diff[0]], child.genes[diff[0]]
        assert (op == op2) != (j == j2) and 0 <= j2 <= diff[0]
        kinds.add(("op" if j == j2 else "input", diff[0]))
        nodes.add(diff[0])
        if diff[0] == 0:
            assert j2 == 0
    assert 0 in nodes and 7 in nodes
    assert {("op", 0), ("op", 1), ("input", 1), ("op", 7), ("input", 7)} <= kinds   # node 1: op only
    assert SPACE.retrain_config("ptb") is RNNTraining
    assert SPACE.retrain_config("wikitext2") is RNNTrainingWT2
    assert RNNTrainingWT2().weight_decay == 5e-7 and RNNTraining().weight_decay == 8e-7
    assert SPACE.retrain_protocol("ptb") == SPACE.retrain_protocol("wikitext2") == "darts_rnn"
    with pytest.raises(Exception, match=r"spaces\.darts_rnn\.evaluate\.bogus: unknown key"):
        SPACE.build_network(DARTS_V2, DataShape(10, 1, 1, 1), {"bogus": 1})


def test_cell_stats_and_diagram_of_the_recurrent_cell():
    """Fig. 5.4 a's skip ratio on the recurrent cell: identity nodes / 8 (DARTS_V2 has one);
    Fig. 2.1 (c): x_t and h_{t-1} into the highway node 0, nodes 1..8 with their labelled input
    edge, the output h_t averaging nodes 1..8."""
    assert SPACE.cell_stats(DARTS_V2) == {"skip_ratio": 0.125, "depth": 4.0}
    (name, diagram), = SPACE.cell_diagrams(DARTS_V2).items()
    assert name == "recurrent" and diagram.title == "recurrent cell"
    assert diagram.nodes == ("x_{t}", "h_{t-1}", "0", "1", "2", "3", "4", "5", "6", "7", "8", "h_{t}")
    assert diagram.inputs == ("x_{t}", "h_{t-1}") and diagram.output == "h_{t}"
    assert diagram.concat == ("1", "2", "3", "4", "5", "6", "7", "8")
    assert diagram.edges[:3] == (("x_{t}", "0", ""), ("h_{t-1}", "0", ""), ("0", "1", "sigmoid"))
    assert diagram.edges[-1] == ("5", "8", "relu") and len(diagram.edges) == 10


def test_bad_recurrent_cells_and_configs_are_refused_with_their_reason():
    """A recurrent cell is 8 (op, input) genes, node i on an earlier node 0..i-1 (§1.2.4)."""
    from nasrepro.spaces.darts_rnn.space import CELL_OPS, RNNGenotype
    with pytest.raises(InvalidArchError) as error:
        RNNGenotype(DARTS_V2.genes[:7])
    assert str(error.value) == "a DARTS recurrent cell has 8 nodes, got 7"
    with pytest.raises(InvalidArchError) as error:
        RNNGenotype(DARTS_V2.genes[:3] + (("relu", 4),) + DARTS_V2.genes[4:])
    assert str(error.value) == f"node 4: ('relu', 4) is not an op of {CELL_OPS} on an earlier node 0..3"
    with pytest.raises(InvalidArchError) as error:
        SPACE.from_string("relu~0|tanh")
    assert str(error.value) == "not a DARTS recurrent genotype 'op~input|...': 'relu~0|tanh'"
    with pytest.raises(Exception, match=r"spaces\.darts_rnn\.search\.bogus: unknown key"):
        SPACE.build_supernet(DataShape(10, 1, 1, 1), {"bogus": 1})
