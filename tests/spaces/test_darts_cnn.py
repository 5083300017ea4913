"""The DARTS CNN space: genotype notation, derivation, forwards, networks and their size."""

import random

import pytest
import torch

from nasrepro.analysis.complexity import count_multiply_adds, count_parameters
from nasrepro.spaces.base import DataShape, InvalidArchError
from nasrepro.spaces.darts_cnn.genotypes import PUBLISHED, published
from nasrepro.spaces.darts_cnn.ops import OPS, make_op
from nasrepro.spaces.darts_cnn.space import EDGE_INDEX, DartsCnnSpace, Genotype

SPACE = DartsCnnSpace()
SMALL = {"C": 4, "layers": 3}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_genotypes_round_trip(name):
    arch = published(name)
    assert SPACE.from_string(SPACE.to_string(arch)) == arch
    assert Genotype.from_string(arch.to_json()) == arch
    assert SPACE.discretize(SPACE.one_hot(arch)) == arch


def test_gene_order_within_a_node_does_not_matter():
    text = PUBLISHED["DARTS_V2"]
    swapped = text.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                           "('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0)", 1)
    assert swapped != text and Genotype.from_string(swapped) == Genotype.from_string(text)


@pytest.mark.parametrize("text,message", [
    ("Genotype(normal=[('conv_9x9', 0)], reduce=[('sep_conv_3x3', 0)])", "8 \\(operation, input\\) genes"),
    (PUBLISHED["DARTS_V2"].replace("('dil_conv_3x3', 2)", "('none', 2)"), "'none' is not allowed"),
    (PUBLISHED["DARTS_V2"].replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), "input 5 out of range"),
    (PUBLISHED["DARTS_V2"].replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 0)"), "both genes take input 0"),
    ("Genotype(normal=[", "no `normal=\\[...\\]` list|cannot read"),
])
def test_invalid_genotypes_say_what_is_wrong(text, message):
    with pytest.raises(InvalidArchError, match=message):
        Genotype.from_string(text)


def test_derivation_keeps_top2_edges_by_strongest_non_none_op():
    alphas = {cell: torch.zeros(14, 8) for cell in ("normal", "reduce")}
    a = alphas["normal"]
    # node 2: edge from 0 has a huge 'none' (must be ignored), edge from 1 a strong sep_conv_5x5
    a[EDGE_INDEX[(2, 0)], OPS.index("none")] = 10.0
    a[EDGE_INDEX[(2, 0)], OPS.index("max_pool_3x3")] = 1.0
    a[EDGE_INDEX[(2, 1)], OPS.index("sep_conv_5x5")] = 3.0
    # node 5: inputs 3 and 4 strong, 0..2 weak
    a[EDGE_INDEX[(5, 3)], OPS.index("dil_conv_3x3")] = 2.0
    a[EDGE_INDEX[(5, 4)], OPS.index("skip_connect")] = 2.5
    a[EDGE_INDEX[(5, 0)], OPS.index("avg_pool_3x3")] = 0.5
    arch = SPACE.discretize(alphas)
    assert arch.normal[0:2] == (("max_pool_3x3", 0), ("sep_conv_5x5", 1))
    assert arch.normal[6:8] == (("dil_conv_3x3", 3), ("skip_connect", 4))
    assert all(op != "none" for op, _ in arch.normal + arch.reduce)


def test_distance_is_the_per_node_edge_distance():
    v1, v2 = published("DARTS_V1"), published("DARTS_V2")
    # normal: node 2 equal; node 3 shares (sep_conv_3x3, 1); node 4 shares (sep_conv_3x3, 1) and
    # (skip_connect, 0); node 5 shares (skip_connect, 2)? no: V1 (sep_conv_3x3,0),(skip,2) vs
    # V2 (skip,0),(dil_conv_3x3,2) -> 0 shared. Shared normal genes: 2 + 1 + 2 + 0 = 5 of 8.
    # reduce: node 2 equal (2); node 3 shares (skip,2) (1); node 4 equal (2); node 5 (skip,2) (1).
    assert SPACE.distance(v1, v2) == pytest.approx((16 - 5 - 6) / 16)
    assert SPACE.distance(v1, v2) == SPACE.distance(v2, v1) and SPACE.distance(v1, v1) == 0


def _eval(module):
    module.eval()
    return module


@pytest.mark.parametrize("seed", range(3))
def test_mixed_with_one_hot_weights_equals_single_path(seed):
    torch.manual_seed(seed)
    arch = SPACE.sample(random.Random(seed))
    supernet = _eval(SPACE.build_supernet(DataShape(10, 1, 8, 8), SMALL))
    weights = {}
    for cell, rows in SPACE.one_hot(arch).items():
        weights[cell] = rows.clone()
        weights[cell][rows.sum(1) == 0, OPS.index("none")] = 1.0  # unselected edges: 'none'
    x = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(supernet(x, weights=weights), supernet(x, arch=arch), rtol=1e-5, atol=1e-5)


def test_hard_forward_runs_one_op_per_edge_and_straight_through_reaches_every_alpha():
    torch.manual_seed(0)
    supernet = _eval(SPACE.build_supernet(DataShape(10, 1, 8, 8), SMALL))
    alphas = SPACE.init_alphas(1.0)
    rng = random.Random(0)
    choice = {cell: [rng.randrange(1, 8) for _ in range(14)] for cell in alphas}
    weights = {}
    for cell, a in alphas.items():
        soft = a.softmax(-1)
        hard = torch.zeros_like(soft)
        hard[range(14), choice[cell]] = 1.0
        weights[cell] = hard - soft.detach() + soft
    calls = []
    for cell in supernet.cells:
        for edge in cell.edges:
            for op in edge:
                op.register_forward_hook(lambda m, i, o: calls.append(m))
    out = supernet(torch.randn(2, 1, 8, 8), weights=weights, choice=choice)
    assert len(calls) == 14 * len(supernet.cells)
    out.square().sum().backward()
    for cell, a in alphas.items():
        assert (a.grad.abs() > 0).all(), f"{cell}: every alpha, selected or not, gets gradient"


def test_reduction_cells_halve_the_resolution_and_network_outputs():
    arch = published("DARTS_V2")
    net = SPACE.build_network(arch, DataShape(10, 1, 8, 8), {"C": 4, "layers": 3, "auxiliary_weight": 0.4})
    net.train()
    outputs = net.train_outputs(torch.randn(2, 1, 8, 8))
    assert [w for w, _ in outputs] == [1.0, 0.4] and all(o.shape == (2, 10) for _, o in outputs)
    net.eval()
    assert len(net.train_outputs(torch.randn(2, 1, 8, 8))) == 1
    x = torch.randn(1, 4, 8, 8)
    assert make_op("skip_connect", 4, 2, True)(x).shape == (1, 4, 4, 4)
    assert make_op("none", 4, 2, True)(x).shape == (1, 4, 4, 4)
    assert make_op("avg_pool_3x3", 4, 1, True)(torch.ones(1, 4, 5, 5)).eq(1).all()  # pad excluded


def test_darts_v2_sizes_match_the_paper():
    arch = published("DARTS_V2")
    cifar = SPACE.build_network(arch, DataShape(10, 3, 32, 32), {})
    assert 3.25e6 < count_parameters(cifar) < 3.40e6  # DARTS: 3.3M (auxiliary head excluded)
    imagenet = SPACE.build_network(arch, DataShape(1000, 3, 224, 224), SPACE_IMAGENET)
    assert 4.6e6 < count_parameters(imagenet) < 4.8e6  # DARTS: 4.7M
    assert count_multiply_adds(imagenet, (1, 3, 224, 224)) < 600e6  # mobile setting


SPACE_IMAGENET = {"C": 48, "layers": 14, "imagenet": True}


def test_thesis_defaults():
    assert SPACE.search_net_config().C == 16 and SPACE.search_net_config().layers == 8
    cifar, imagenet = SPACE.eval_net_config("cifar10")(), SPACE.eval_net_config("imagenet")()
    assert (cifar.C, cifar.layers, cifar.auxiliary_weight) == (36, 20, 0.4)
    assert (imagenet.C, imagenet.layers, imagenet.imagenet) == (48, 14, True)
    train = SPACE.retrain_config("cifar10")()
    assert (train.epochs, train.batch_size, train.cutout, train.drop_path) == (600, 96, 16, 0.2)
    assert SPACE.retrain_config("imagenet")().label_smoothing == 0.1


def test_darts_v2_notation_is_exact_and_gdas_matches_its_release():
    assert published("DARTS_V2").to_string() == (
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
        "('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), "
        "('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
        "('max_pool_3x3', 1), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), "
        "('skip_connect', 2), ('max_pool_3x3', 1), ('skip_connect', 2)], "
        "reduce_concat=range(2, 6))")
    assert published("GDAS_V1").reduce[6:] == (("sep_conv_5x5", 0), ("sep_conv_5x5", 1))
    rng = random.Random(0)
    for _ in range(10):
        arch = SPACE.sample(rng)
        assert Genotype.from_string(arch.to_json()) == arch
        assert SPACE.from_string(SPACE.to_string(arch)) == arch


@pytest.mark.parametrize("bad", ["2.7", "True", "'2'"])
def test_non_integer_inputs_are_rejected(bad):
    with pytest.raises(InvalidArchError, match="not an \\(operation, input node\\) pair"):
        Genotype.from_string(PUBLISHED["DARTS_V2"].replace("('dil_conv_3x3', 2)",
                                                           f"('dil_conv_3x3', {bad})"))


def test_derivation_ranks_edges_by_softmax_weight_not_raw_alpha():
    alphas = {cell: torch.zeros(14, 8) for cell in ("normal", "reduce")}
    a = alphas["normal"]
    a[EDGE_INDEX[(3, 0)], OPS.index("none")] = 10.0  # ranks first if 'none' counted
    a[EDGE_INDEX[(3, 0)], OPS.index("sep_conv_3x3")] = 4.0  # softmax weight ~0.002
    a[EDGE_INDEX[(3, 1)], OPS.index("max_pool_3x3")] = 3.0  # softmax weight ~0.74
    a[EDGE_INDEX[(3, 2)], 5:] = torch.tensor([5.0, 4.9, 4.9])  # largest raw alpha, weight ~0.35
    assert SPACE.discretize(alphas).normal[2:4] == (("max_pool_3x3", 1), ("sep_conv_5x5", 2))


def _supernet(layers=5, seed=0):
    torch.manual_seed(seed)
    return _eval(SPACE.build_supernet(DataShape(10, 1, 8, 8), {"C": 4, "layers": layers}))


def test_hard_forward_with_one_hot_weights_equals_single_path():
    supernet, rng = _supernet(), random.Random(1)
    x = torch.randn(2, 1, 8, 8)
    for _ in range(2):
        arch = SPACE.sample(rng)
        weights = SPACE.one_hot(arch)
        choice = {cell: rows.argmax(1).tolist() for cell, rows in weights.items()}
        torch.testing.assert_close(supernet(x, weights=weights, choice=choice),
                                   supernet(x, arch=arch), rtol=1e-5, atol=1e-5)


def _reference_gdas_cell(cell, s0, s1, weights, choice):
    """AutoDL-Projects' DARTS-space GDAS cell, re-implemented: each edge is
    ``MixedOp.forward_gdas`` = ``ops[k](x) * weights[k]``; nodes sum their edges."""
    from nasrepro.spaces.darts_cnn.space import EDGES

    states = [cell.pre0(s0), cell.pre1(s1)]
    for i in range(2, 6):
        states.append(sum(cell.edges[e][choice[e]](states[j]) * weights[e, choice[e]]
                          for e, (t, j) in enumerate(EDGES) if t == i))
    return torch.cat(states[2:], dim=1)


def test_hard_forward_matches_the_reference_gdas_cell():
    supernet, rng = _supernet(layers=3), random.Random(2)
    cell = supernet.cells[0]
    weights = torch.rand(14, 8, requires_grad=True)
    choice = [rng.randrange(1, 8) for _ in range(14)]
    s = torch.randn(2, 12, 8, 8)
    ours = cell(s, s, weights=weights, choice=choice)
    (g_ours,) = torch.autograd.grad(ours.square().sum(), [weights])
    ref = _reference_gdas_cell(cell, s, s, weights, choice)
    (g_ref,) = torch.autograd.grad(ref.square().sum(), [weights])
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(g_ours, g_ref)
    selected = torch.zeros_like(weights, dtype=torch.bool)
    selected[range(14), choice] = True
    assert (g_ours[~selected] == 0).all() and (g_ours[selected] != 0).all()


def test_reduction_cells_halve_the_spatial_size():
    arch, x = published("PC_DARTS"), torch.randn(1, 1, 8, 8)
    supernet = _supernet()
    network = _eval(SPACE.build_network(arch, DataShape(10, 1, 8, 8), {"C": 4, "layers": 5}))
    for net, run in ((supernet, lambda: supernet(x, arch=arch)), (network, lambda: network(x))):
        sizes = []
        for cell in net.cells:
            cell.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
        run()
        assert sizes == [8, 4, 4, 2, 2]  # reductions at cells 5 // 3 = 1 and 2 * 5 // 3 = 3


def test_auxiliary_heads_are_darts_at_darts_map_sizes():
    arch = published("DARTS_V2")
    cifar = SPACE.build_network(arch, DataShape(10, 3, 32, 32), {"C": 4, "layers": 8})
    pool = cifar.auxiliary.features[1]
    assert isinstance(pool, torch.nn.AvgPool2d) and (pool.kernel_size, pool.stride) == (5, 3)
    assert isinstance(cifar.auxiliary.features[6], torch.nn.BatchNorm2d)
    imagenet = SPACE.build_network(arch, DataShape(1000, 3, 224, 224), SPACE_IMAGENET)
    pool = imagenet.auxiliary.features[1]
    assert isinstance(pool, torch.nn.AvgPool2d) and (pool.kernel_size, pool.stride) == (5, 2)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.num_features == 768
                   for m in imagenet.auxiliary.modules())  # DARTS trained it without this BN


def test_multiply_adds_of_a_small_network_by_hand():
    """Per sample (any batch size in ``input_shape``): a convolution's outputs times its
    in_channels / groups x kernel height x width, a linear layer's in x out features."""
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1),
                              torch.nn.Conv2d(8, 8, (3, 1), padding=(1, 0), groups=2),
                              torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 5, 10))
    by_hand = 8 * 4 * 5 * (3 * 3 * 3) + 8 * 4 * 5 * (4 * 3 * 1) + 160 * 10
    counted = count_multiply_adds(net, (5, 3, 4, 5))
    assert counted == by_hand == 7840 and isinstance(counted, int)  # an exact count
    assert count_multiply_adds(net, (1, 3, 4, 5)) == counted
    assert not any(m._forward_hooks for m in net.modules())  # every counting hook removed


CELL_A = (("sep_conv_3x3", 0), ("skip_connect", 1), ("max_pool_3x3", 0), ("dil_conv_5x5", 2),
          ("sep_conv_5x5", 1), ("avg_pool_3x3", 3), ("dil_conv_3x3", 2), ("sep_conv_3x3", 4))
CELL_B = (("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 0), ("sep_conv_3x3", 2),
          ("dil_conv_3x3", 2), ("sep_conv_5x5", 3), ("avg_pool_3x3", 1), ("skip_connect", 3))


def test_nsas_c_fixed_depth_bias_and_the_depth_edges_are_the_chain_of_fig_3_3():
    """§3.4.1.2 (Fig. 3.3 c-d): node 2 takes the cell inputs 0 and 1, node i > 2 takes node 1
    (the previous cell) and node i - 1; every other edge may only hold `none` (-inf elsewhere).
    Eq. 5.19-5.21's depth edges are (i, i - 1), both cells."""
    bias = SPACE.fixed_depth_bias()
    chain = {(2, 0), (2, 1), (3, 1), (3, 2), (4, 1), (4, 3), (5, 1), (5, 4)}
    none = OPS.index("none")
    assert set(bias) == {"normal", "reduce"}
    for cell, rows in bias.items():
        assert rows.shape == (14, len(OPS))
        for edge, e in EDGE_INDEX.items():
            if edge in chain:
                assert torch.equal(rows[e], torch.zeros(len(OPS))), (cell, edge)
            else:
                expected = torch.full((len(OPS),), float("-inf"))
                expected[none] = 0.0
                assert torch.equal(rows[e], expected), (cell, edge)
    bias["normal"][0, 0] = 5.0                         # each cell has its own tensor
    assert bias["reduce"][0, 0] == 0.0
    assert SPACE.discretize(SPACE.fixed_depth_bias()) == Genotype(
        *[tuple((op, j) for (i, j) in sorted(chain) for op in ["max_pool_3x3"])] * 2)
    assert SPACE.depth_edges() == {"normal": [1, 4, 8, 13], "reduce": [1, 4, 8, 13]}
    assert [EDGE_INDEX[(i, i - 1)] for i in range(2, 6)] == [1, 4, 8, 13]
    assert SPACE.retrain_protocol("cifar10") == SPACE.retrain_protocol("imagenet") == "darts"


def test_node_inputs_are_each_genes_input_and_operation_per_cell_node():
    """§3.3.2's distance compares, per node of each cell, its (input, operation) pairs."""
    arch = Genotype(CELL_A, CELL_B)
    inputs = SPACE.node_inputs(arch)
    assert list(inputs) == [f"{c}/{n}" for c in ("normal", "reduce") for n in range(2, 6)]
    assert inputs["normal/2"] == [(0, "sep_conv_3x3"), (1, "skip_connect")]
    assert inputs["normal/5"] == [(2, "dil_conv_3x3"), (4, "sep_conv_3x3")]
    assert inputs["reduce/3"] == [(0, "skip_connect"), (2, "sep_conv_3x3")]
    assert inputs["reduce/4"] == [(2, "dil_conv_3x3"), (3, "sep_conv_5x5")]


def test_encode_is_the_operation_on_node_graph_of_the_docstring_and_decode_inverts_it():
    """E²NAS' graph (Eq. 4.6): per cell two inputs, per intermediate node its two op nodes (each
    fed by its gene's input) and a sum, an output fed by the four sums; 30 nodes, normal first."""
    arch = Genotype(CELL_A, CELL_B)
    graph = SPACE.encode(arch)
    assert graph.types == ("input", "output", "sum") + tuple(op for op in OPS if op != "none")
    assert len(graph.node_types) == 30
    assert graph.node_types[:15] == ("input", "input", "sep_conv_3x3", "skip_connect", "sum",
                                     "max_pool_3x3", "dil_conv_5x5", "sum", "sep_conv_5x5",
                                     "avg_pool_3x3", "sum", "dil_conv_3x3", "sep_conv_3x3", "sum",
                                     "output")
    assert graph.node_types[15:17] == ("input", "input") and graph.node_types[29] == "output"
    normal = {(0, 2), (1, 3), (2, 4), (3, 4), (0, 5), (4, 6), (5, 7), (6, 7), (1, 8), (7, 9),
              (8, 10), (9, 10), (4, 11), (10, 12), (11, 13), (12, 13),
              (4, 14), (7, 14), (10, 14), (13, 14)}
    reduce = {(15, 17), (16, 18), (17, 19), (18, 19), (15, 20), (19, 21), (20, 22), (21, 22),
              (19, 23), (22, 24), (23, 25), (24, 25), (16, 26), (22, 27), (26, 28), (27, 28),
              (19, 29), (22, 29), (25, 29), (28, 29)}
    assert set(graph.edges) == normal | reduce and len(graph.edges) == 40
    assert SPACE.decode(graph) == arch
    for other in (Genotype(CELL_B, CELL_A), SPACE.sample(random.Random(3))):
        assert SPACE.decode(SPACE.encode(other)) == other


def test_decode_refuses_graphs_that_are_not_a_darts_cell_pair_with_the_reason():
    from nasrepro.spaces.base import CellGraph
    graph = SPACE.encode(Genotype(CELL_A, CELL_B))
    types, edges = list(graph.node_types), list(graph.edges)
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(CellGraph(types[:15], [e for e in edges if e[1] < 15], graph.types))
    assert str(error.value) == "darts_cnn: a cell graph has 30 nodes, got 15"
    bad = types.copy()
    bad[5] = "sum"
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(CellGraph(bad, edges, graph.types))
    non_none = tuple(op for op in OPS if op != "none")
    assert str(error.value) == f"darts_cnn: node 5 (normal gene 2) must be one of {non_none}, got 'sum'"
    for changed, got in (([e for e in edges if e != (0, 5)] + [(3, 5)], "[3]"),   # an op node's input
                         ([e for e in edges if e != (19, 21)] + [(20, 21)], "[20]"),  # another op node
                         (edges + [(1, 5)], "[0, 1]")):
        with pytest.raises(InvalidArchError) as error:
            SPACE.decode(CellGraph(types, changed, graph.types))
        gene = "normal gene 2" if got != "[20]" else "reduce gene 3"
        node = 5 if got != "[20]" else 21
        assert str(error.value) == (f"darts_cnn: op node {node} ({gene}) needs exactly one input from "
                                    f"a cell input or an earlier node, got {got}")
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(CellGraph(types, [e for e in edges if e != (4, 14)], graph.types))
    assert str(error.value) == "darts_cnn: the graph is not a DARTS cell pair: missing edges [(4, 14)]"


def test_graph_weights_of_a_hard_graph_are_the_one_hot_alphas_and_sum_the_two_op_nodes():
    """E²NAS' soft alpha (module docstring of methods/e2nas.py): weight of (edge j -> i, op) =
    sum over node i's two op nodes p of P(type p = op) * P(edge j -> p); `none` gets 0."""
    arch = Genotype(CELL_A, CELL_B)
    graph = SPACE.encode(arch)
    types = torch.nn.functional.one_hot(torch.tensor(graph.type_indices()), len(graph.types)).double()
    edge_probs = graph.adjacency().double().T          # [dst, src]
    weights = SPACE.graph_weights(types, edge_probs)
    expected = SPACE.one_hot(arch)
    assert set(weights) == {"normal", "reduce"}
    for cell in ("normal", "reduce"):
        assert weights[cell].dtype == torch.float64
        assert torch.equal(weights[cell], expected[cell].double()), cell
    soft_types = torch.full_like(types, 0.1)           # every op node: 0.1 on every type
    soft_edges = torch.full_like(edge_probs, 0.5)
    soft = SPACE.graph_weights(soft_types, soft_edges)
    none = OPS.index("none")
    for cell in ("normal", "reduce"):
        assert torch.all(soft[cell][:, none] == 0)
        others = [k for k in range(len(OPS)) if k != none]
        # two op nodes per intermediate node, each 0.5 * 0.1
        assert torch.allclose(soft[cell][:, others], torch.full((14, len(others)), 0.1, dtype=torch.float64))
    soft_types[3, graph.types.index("skip_connect")] = 0.7   # normal gene 1 (node 2) only
    soft_edges[3, 1] = 1.0
    w = SPACE.graph_weights(soft_types, soft_edges)["normal"]
    assert w[EDGE_INDEX[(2, 1)], OPS.index("skip_connect")].item() == pytest.approx(0.05 + 0.7)
    assert w[EDGE_INDEX[(2, 0)], OPS.index("skip_connect")].item() == pytest.approx(0.05 + 0.35)
    assert w[EDGE_INDEX[(2, 1)], OPS.index("sep_conv_3x3")].item() == pytest.approx(0.05 + 0.1)


def test_mutate_changes_one_gene_of_one_cell_to_a_valid_different_cell():
    """EN²AS' / E²NAS' evolution (Alg. 2): a mutation changes the operation or the input of one
    gene; both kinds occur, an input never to the node's other input, in both cells."""
    arch = Genotype(CELL_A, CELL_B)
    kinds, cells = set(), set()
    for seed in range(60):
        child = SPACE.mutate(arch, random.Random(seed))
        assert child != arch
        changed = [(c, n) for c in ("normal", "reduce") for n in range(4)
                   if set(arch.cell(c)[2 * n: 2 * n + 2]) != set(child.cell(c)[2 * n: 2 * n + 2])]
        assert len(changed) == 1
        cell, n = changed[0]
        cells.add(cell)
        old, new = set(arch.cell(cell)[2 * n: 2 * n + 2]), set(child.cell(cell)[2 * n: 2 * n + 2])
        assert len(old - new) == 1 and len(new - old) == 1
        (op, j), = old - new
        (op2, j2), = new - old
        kinds.add("op" if j == j2 else "input")
        assert (op == op2) != (j == j2)
        assert j == j2 or j2 not in {k for _, k in old}
    assert kinds == {"op", "input"} and cells == {"normal", "reduce"}


def test_derivation_breaks_ties_toward_the_lower_input_as_darts_stable_sort_does():
    """quark0/darts' genotype(): `sorted(range(i + 2), key=lambda x: -max(W[x][k] ...))[:2]`, a
    stable sort, so equal strengths keep the lower input; zero alphas give inputs (0, 1) per node
    and the first non-none operation of OPS on each edge."""
    arch = SPACE.discretize({cell: torch.zeros(14, len(OPS)) for cell in ("normal", "reduce")})
    first = next(op for op in OPS if op != "none")
    assert arch.normal == arch.reduce == tuple((first, j) for _ in range(4) for j in (0, 1))


def test_build_network_picks_the_imagenet_defaults_and_names_its_config_section():
    """§6.4.3's ImageNet mobile setting (14 cells, C = 48) when the evaluation config asks for
    `imagenet`, DARTS' CIFAR network (20 cells, C = 36) otherwise."""
    arch = Genotype(CELL_A, CELL_B)
    shape = DataShape(10, 3, 32, 32)
    imagenet = SPACE.build_network(arch, shape, {"imagenet": True, "auxiliary_weight": 0.0})
    assert len(imagenet.cells) == 14 and imagenet.stem1 is not None
    assert imagenet.stem0[0].out_channels == 24 and imagenet.classifier.in_features == 4 * 4 * 48
    cifar = SPACE.build_network(arch, shape, {"auxiliary_weight": 0.0, "layers": 3})
    assert len(cifar.cells) == 3 and cifar.stem1 is None and cifar.stem0[0].out_channels == 3 * 36
    with pytest.raises(Exception, match=r"spaces\.darts_cnn\.evaluate\.bogus: unknown key"):
        SPACE.build_network(arch, shape, {"bogus": 1})


def test_build_supernet_names_its_config_section():
    with pytest.raises(Exception, match=r"spaces\.darts_cnn\.search\.bogus: unknown key"):
        SPACE.build_supernet(DataShape(10, 3, 32, 32), {"bogus": 1})


def test_an_unreadable_genotype_names_the_error_and_the_expected_notation():
    text = '{"normal": [["sep_conv_3x3", 0]]}'
    with pytest.raises(InvalidArchError) as error:
        Genotype.from_string(text)
    assert str(error.value) == (
        f"cannot read a DARTS genotype from {text!r} ('reduce'); expected e.g. "
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], "
        "normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))")


def test_mutate_reaches_every_other_input_of_the_genes_node_and_both_kinds_on_every_node():
    """A mutated gene of node i takes any input 0..i-1 but its own and its sibling's, or another
    operation, each with probability 1/2 where an input is free (Alg. 2's one change)."""
    cell = tuple((op, j) for op in ("sep_conv_3x3",) * 4 for j in (0, 1))
    arch = Genotype(cell, cell)
    inputs = {n: set() for n in range(2, 6)}
    kinds = {n: set() for n in range(2, 6)}
    for seed in range(300):
        child = SPACE.mutate(arch, random.Random(seed))
        for c in ("normal", "reduce"):
            for n in range(4):
                old, new = set(arch.cell(c)[2 * n: 2 * n + 2]), set(child.cell(c)[2 * n: 2 * n + 2])
                if old != new:
                    (op, j), = new - old
                    kinds[n + 2].add("input" if j > 1 else "op")
                    if j > 1:
                        inputs[n + 2].add(j)
    assert inputs == {2: set(), 3: {2}, 4: {2, 3}, 5: {2, 3, 4}}
    assert kinds == {2: {"op"}, 3: {"op", "input"}, 4: {"op", "input"}, 5: {"op", "input"}}


def test_a_bad_gene_and_an_op_node_without_input_are_refused_with_their_reason():
    from nasrepro.spaces.base import CellGraph
    with pytest.raises(InvalidArchError) as error:
        Genotype((("sep_conv_3x3", "0"),) + CELL_A[1:], CELL_B)
    assert str(error.value) == ("gene ('sep_conv_3x3', '0') is not an (operation, input node) pair "
                                "such as ('sep_conv_3x3', 0)")
    graph = SPACE.encode(Genotype(CELL_A, CELL_B))
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(CellGraph(graph.node_types, [e for e in graph.edges if e != (0, 5)], graph.types))
    assert str(error.value) == ("darts_cnn: op node 5 (normal gene 2) needs exactly one input from a "
                                "cell input or an earlier node, got []")


def test_a_genes_input_out_of_range_or_repeated_is_refused_with_the_nodes_range():
    """Node i of a DARTS cell takes two distinct inputs among 0..i-1 (§1.2.4)."""
    with pytest.raises(InvalidArchError) as error:
        Genotype(CELL_A[:2] + (("max_pool_3x3", 3),) + CELL_A[3:], CELL_B)
    assert str(error.value) == "node 3: input 3 out of range [0, 2]"
    with pytest.raises(InvalidArchError) as error:
        Genotype(CELL_A, CELL_B[:6] + (("skip_connect", 4), ("avg_pool_3x3", 4)))
    assert str(error.value) == "node 5: both genes take input 4; a node has two distinct inputs"
