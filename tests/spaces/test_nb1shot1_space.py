"""NAS-Bench-1Shot1 on NAS-Bench-101 cells: the official hash and parameter counts on published
cells, pruning, isomorphism invariance, the paper's space sizes, derivation, and the stand-alone
network against the one-shot model's single path."""

import random

import pytest
import torch

from nasrepro.registry import SPACES
from nasrepro.spaces.base import DataShape, InvalidArchError
from nasrepro.spaces.nb1shot1.nb101 import ModelSpec
from nasrepro.spaces.nb1shot1.network import Nb101Network, vertex_channels
from nasrepro.spaces.nb1shot1.space import (OPS, Nb1Shot1Arch, Nb1Shot1Space, count_architectures,
                                            distinct_cells, enumerate_cells, num_choices, num_nodes,
                                            used_nodes)

I, O = "input", "output"
C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"

# Published in NNI v1.7's NAS-Bench-101 example (microsoft/nni docs/en_US/NAS/BenchmarksExample,
# quoted in its v1.7 release notes): inputs of vertices 1..6 = [0], [1], [2], [0], [0, 3, 4], [2, 5];
# ops conv3x3, maxpool, conv3x3, conv3x3, conv1x1; hash 00005c142e6f48ac74fdcf73e3439874, 8.55553M
# parameters (8,555,530 as `trainable_parameters` of the record).
NNI_CELL = ModelSpec(((0, 1, 0, 0, 1, 1, 0), (0, 0, 1, 0, 0, 0, 0), (0, 0, 0, 1, 0, 0, 1),
                      (0, 0, 0, 0, 0, 1, 0), (0, 0, 0, 0, 0, 1, 0), (0, 0, 0, 0, 0, 0, 1),
                      (0, 0, 0, 0, 0, 0, 0)), (I, C3, MP, C3, C3, C1, O))
NNI_HASH = "00005c142e6f48ac74fdcf73e3439874"
# The Inception-like cell of the nasbench README / example.py, and the form in which the dataset
# stores it (`module_adjacency`/`module_operations` of its query output, with
# trainable_parameters 2,694,282; printed e.g. in github.com/gary9987/tensorflow-get-started,
# gcn/NAS_BENCH_101.md).
README_CELL = ModelSpec(((0, 1, 1, 1, 0, 1, 0), (0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, 0, 0, 1),
                         (0, 0, 0, 0, 1, 0, 0), (0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, 0, 0, 1),
                         (0, 0, 0, 0, 0, 0, 0)), (I, C1, C3, C3, C3, MP, O))
README_STORED = ModelSpec(((0, 1, 1, 1, 1, 0, 0), (0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, 0, 0, 1),
                           (0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, 0, 1, 0), (0, 0, 0, 0, 0, 0, 1),
                           (0, 0, 0, 0, 0, 0, 0)), (I, C3, C1, MP, C3, C3, O))
CIFAR = DataShape(10, 3, 32, 32)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks: one thread avoids contention on a shared 2-core machine (100x here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_official_hash_and_parameter_counts_of_published_cells():
    assert NNI_CELL.hash() == NNI_HASH
    assert README_CELL.hash() == README_STORED.hash()
    assert README_CELL.hash() != NNI_HASH
    for cell, params in ((NNI_CELL, 8_555_530), (README_CELL, 2_694_282)):
        net = Nb101Network(cell.pruned(), CIFAR)
        assert sum(p.numel() for p in net.parameters()) == params


def test_isomorphic_cells_share_the_hash_and_labels_matter():
    space, rng, renumbered = Nb1Shot1Space(3), random.Random(0), 0
    for _ in range(30):
        spec = space.sample(rng).nb101()
        n, order, left = spec.num_vertices, [], set(range(spec.num_vertices))
        while left:  # a random topological order: another valid numbering of the same graph
            ready = [v for v in left if not any(spec.matrix[u][v] for u in left)]
            order.append(rng.choice(ready))
            left.remove(order[-1])
        matrix = tuple(tuple(spec.matrix[a][b] for b in order) for a in order)
        permuted = ModelSpec(matrix, tuple(spec.ops[v] for v in order))
        assert permuted.hash() == spec.hash()
        renumbered += order != list(range(n))
    assert renumbered >= 5
    other = list(NNI_CELL.ops)
    other[1] = C1
    assert ModelSpec(NNI_CELL.matrix, tuple(other)).hash() != NNI_HASH


def test_pruning_is_the_identity_on_pruned_cells_and_drops_dead_vertices():
    for variant in (1, 2, 3):
        space, rng = Nb1Shot1Space(variant), random.Random(variant)
        for _ in range(40):
            pruned = space.sample(rng).nb101()
            assert pruned.pruned() == pruned and pruned.is_valid()
    assert NNI_CELL.pruned() == NNI_CELL
    # vertex 2 feeds nothing, vertex 3 has no input: both go
    spec = ModelSpec(((0, 1, 1, 0, 0), (0, 0, 0, 0, 1), (0, 0, 0, 0, 0), (0, 0, 0, 0, 1),
                      (0, 0, 0, 0, 0)), (I, C3, C1, MP, O))
    assert spec.pruned() == ModelSpec(((0, 1, 0), (0, 0, 1), (0, 0, 0)), (I, C3, O))
    with pytest.raises(InvalidArchError, match="does not reach"):
        ModelSpec(((0, 0), (0, 0)), (I, O)).pruned()
    dense = ModelSpec(tuple(tuple(int(j > i) for j in range(5)) for i in range(5)), (I, C3, C3, C3, O))
    assert dense.num_edges == 10 and not dense.is_valid()       # NAS-Bench-101: at most 9 edges
    assert NNI_CELL.num_edges == 9 and NNI_CELL.is_valid()


def test_space_1_cell_in_nasbench_form():
    arch = Nb1Shot1Arch(1, (C3, C1, MP, C3), ((0,), (0, 1), (1, 2), (0, 2), (0, 3)))
    spec = arch.to_spec()
    assert spec.ops == (I, C3, C1, MP, C3, C1, O)         # unused conv1x1 vertex 5
    assert spec.matrix[5] == (0,) * 7 and all(row[5] == 0 for row in spec.matrix)
    pruned = arch.nb101()                                   # node 4 and the dummy vertex go
    assert pruned.ops == (I, C3, C1, MP, O)
    assert pruned.matrix == ((0, 1, 1, 0, 1), (0, 0, 1, 1, 0), (0, 0, 0, 1, 0), (0, 0, 0, 0, 1),
                             (0, 0, 0, 0, 0))
    assert arch.nb101_hash() == pruned.hash()


def test_space_sizes_of_the_paper():
    """6,240 / 363,648 (spaces 1, 3) by the benchmark's rule; 29,160 (space 2) = raw choices."""
    assert count_architectures(1) == 6240
    assert count_architectures(3) == 363648
    assert num_choices(2) == 29160
    assert count_architectures(2) == 16632  # the same rule in space 2 (docs/methods.md)
    assert sum(1 for _ in enumerate_cells(1)) == num_choices(1) == 14580


def test_distinct_cells_give_one_cell_per_pruned_form_of_the_space():
    """``distinct_cells`` (the NAS-Bench-101 fixture's and the benchmark's cells of a space): one
    cell per connectivity of the nodes that reach the output and their operations, 3,702 in space
    1; a node that does not reach the output holds the first operation; each is a cell of the space."""
    cells = list(distinct_cells(1))
    assert len(cells) == 3702
    assert len({c.to_string() for c in cells}) == 3702
    space = Nb1Shot1Space(1)
    for cell in cells[::97]:
        used = used_nodes(cell.parents)
        assert all(op == OPS[0] for i, op in enumerate(cell.ops, start=1) if i not in used)
        assert space.from_string(cell.to_string()) == cell
    keys = {(tuple((i, c.parents[i - 1]) for i in used_nodes(c.parents)), c.parents[-1],
             tuple(c.ops[i - 1] for i in used_nodes(c.parents))) for c in cells}
    assert len(keys) == 3702


def test_discretize_takes_argmax_ops_and_top_k_inputs():
    space = Nb1Shot1Space(3)
    alphas = {name: torch.zeros(shape) for name, shape in space.arch_shapes.items()}
    alphas["ops"][:, 1] = 1.0
    alphas["ops"][2] = torch.tensor([3.0, 0.0, 0.0])
    alphas["in2"][0] = torch.tensor([0.1, 0.2])
    alphas["in3"][0] = torch.tensor([0.5, 0.1, 0.2])
    alphas["in4"][0] = torch.tensor([0.1, 0.9, 0.8, 0.0])
    alphas["in5"][0] = torch.tensor([0.3, 0.0, 0.0, 0.3, 0.1])   # tie: lower node first
    alphas["out"][0] = torch.tensor([0.0, 0.0, 0.0, 0.0, 2.0, 1.0])
    arch = space.discretize(alphas)
    assert arch == Nb1Shot1Arch(3, (C3, C3, MP, C3, C3), ((0,), (1,), (0,), (1, 2), (0, 3), (4, 5)))
    assert space.discretize(space.one_hot(arch)) == arch


def test_strings_round_trip_and_reject_bad_cells():
    space = Nb1Shot1Space()
    text = "s2|maxpool3x3~0|conv1x1-bn-relu~1|conv3x3-bn-relu~0+2|conv3x3-bn-relu~1+3|output~1+2+4"
    assert space.to_string(space.from_string(text)) == text
    for bad in ("s3|maxpool3x3~0", "x2|maxpool3x3~0", text.replace("~0+2", "~0+3"),
                text.replace("output~1+2+4", "output~1+2"), text.replace("maxpool3x3", "skip")):
        with pytest.raises(InvalidArchError):
            space.from_string(bad)


def test_registered_spaces_fix_the_variant_of_cells_and_supernet():
    space = SPACES.get("nb1shot1-s1")()
    supernet = space.build_supernet(DataShape(10, 1, 8, 8), {"C": 2, "cells_per_stack": 1})
    assert supernet.variant == 1 and space.name == "nb1shot1-s1"
    assert space.arch_shapes == {"ops": (4, 3), "in3": (1, 3), "in4": (1, 4), "out": (1, 5)}
    assert space.sample(random.Random(0)).variant == 1
    assert [SPACES.get(f"nb1shot1-s{v}")().variant for v in (2, 3)] == [2, 3]
    assert vertex_channels(NNI_CELL.matrix, 128, 128) == [128, 64, 64, 64, 64, 64, 128]


def _pair(arch, seed):
    space = Nb1Shot1Space(arch.variant)
    torch.manual_seed(seed)
    shape = DataShape(10, 3, 8, 8)
    supernet = space.build_supernet(shape, {"C": 2, "cells_per_stack": 2})
    for module in supernet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    net = space.build_network(arch, shape, {"stem_channels": 2, "cells_per_stack": 2,
                                            "channel_rule": "per_node"})
    net.load_state_dict(supernet.subnet_state_dict(arch), strict=True)
    return supernet, net


@pytest.mark.parametrize("variant,seed", [(1, 0), (2, 1), (3, 2), (3, 3)])
def test_standalone_network_equals_the_single_path(variant, seed):
    rng = random.Random(seed)
    for _ in range(3):
        arch = Nb1Shot1Space(variant).sample(rng)
        supernet, net = _pair(arch, seed)
        x = torch.randn(3, 3, 8, 8)
        supernet.eval(), net.eval()
        torch.testing.assert_close(net(x), supernet(x, arch=arch), rtol=0, atol=1e-5)
        supernet.train(), net.train()
        torch.testing.assert_close(net(x), supernet(x, arch=arch), rtol=0, atol=1e-4)


def test_mixed_and_hard_forwards_with_one_hot_weights_are_the_single_path():
    space = Nb1Shot1Space(3)
    for seed in range(3):
        arch = space.sample(random.Random(seed))
        supernet, _ = _pair(arch, seed)
        supernet.eval()
        x = torch.randn(2, 3, 8, 8)
        one_hot = space.one_hot(arch)
        single = supernet(x, arch=arch)
        torch.testing.assert_close(supernet(x, weights=one_hot), single, rtol=0, atol=1e-6)
        choice = {"ops": [OPS.index(op) for op in arch.ops]}
        torch.testing.assert_close(supernet(x, weights=one_hot, choice=choice), single, rtol=0, atol=1e-6)


def test_cell_stats_and_errors_of_operations_on_nodes():
    space = Nb1Shot1Space(3)
    chain = Nb1Shot1Arch(3, (C3, MP, C1, C3, C3), ((0,), (1,), (2,), (0, 3), (1, 4), (4, 5)))
    fan = Nb1Shot1Arch(3, (C1,) * 5, ((0,), (0,), (0,), (0, 3), (0, 4), (0, 5)))
    assert space.cell_stats(chain) == {"skip_ratio": 0.0, "depth": 5.0}
    assert space.cell_stats(fan) == {"skip_ratio": 0.0, "depth": 3.0}
    # shared decisions: node 3's op, node 4's inputs 0 and 3, node 5's input 4, output's input 5
    assert space.distance(chain, fan) == pytest.approx(1 - 5 / 13)
    for call in (lambda: space.complement(chain, [fan], random.Random(0)), space.depth_edges,
                 space.fixed_depth_bias):
        with pytest.raises(ValueError, match="nb1shot1"):
            call()


def test_gdas_hard_forward_runs_the_chosen_operation_and_gives_the_others_a_constant_gradient():
    """GDAS' edge rule on the one-shot cell (supernet docstring; AutoDL-Projects): node i's output
    is w[k] o_k(x) + sum_{k' != k} w[k'], so each unchosen operation's weight gets the gradient of
    an added constant, sum of dL/d(node output), all equal, and only the chosen operation runs."""
    from nasrepro.methods.gdas import gumbel_hard_sample

    torch.manual_seed(0)
    space = SPACES.get("nb1shot1-s1")()
    net = space.build_supernet(DataShape(10, 1, 8, 8), {"C": 2, "cells_per_stack": 1}).double()
    alphas = {k: 0.5 * torch.randn(shape, dtype=torch.float64) for k, shape in space.arch_shapes.items()}
    weights, choice = {}, {}
    for name, alpha in alphas.items():
        weights[name], choice[name], _ = gumbel_hard_sample(alpha, 1.0)
    leaf = weights["ops"].detach().clone().requires_grad_(True)
    cells = [layer for layer in net.layers if hasattr(layer, "ops")]   # they share the alphas
    ran, node_grads = [], {}
    for cell in cells:
        for i, ops in enumerate(cell.ops):
            for k, op in enumerate(ops):
                def hook(module, inputs, output, i=i, k=k):
                    ran.append((i, k))
                    output.register_hook(
                        lambda g, i=i: node_grads.__setitem__(i, node_grads.get(i, 0.0) + g.sum()))
                op.register_forward_hook(hook)
    x = torch.randn(4, 1, 8, 8, dtype=torch.float64)
    out = net(x, weights={**weights, "ops": leaf}, choice=choice)
    assert sorted(ran) == sorted([(i, k) for i, k in enumerate(choice["ops"])] * len(cells))
    grad = torch.autograd.grad(out.square().sum(), [leaf, *net.parameters()],
                               allow_unused=True)[0]   # the parameters: the op outputs' grads too
    for i, k in enumerate(choice["ops"]):
        upstream = node_grads[i] / leaf[i, k]          # dL/d(op output) = w[k] dL/d(node output)
        others = [grad[i, j] for j in range(len(OPS)) if j != k]
        assert all(torch.allclose(g, upstream, rtol=1e-9, atol=1e-12) for g in others)
    assert any(abs(float(node_grads[i])) > 1e-9 for i in node_grads)


def test_single_path_forward_runs_only_the_nodes_and_projection_that_reach_the_output():
    """The single-path forward (supernet docstring: "only nodes that reach the output") is the
    discrete NAS-Bench-101 cell: a node that does not reach the output and the input -> output
    projection of a cell whose output does not read the input are not run, so their BatchNorm
    running statistics stay at their initial values while those of the path move (a single-path
    step trains the path only; running them anyway left the value alone but moved their
    statistics)."""
    space = SPACES.get("nb1shot1-s1")()
    rng = random.Random(0)
    for _ in range(2000):
        arch = space.sample(rng)
        unused = set(range(1, num_nodes(space.variant) + 1)) - set(used_nodes(arch.parents))
        if unused and 0 not in arch.parents[-1]:
            break
    else:
        raise AssertionError("no cell with an unused node and no input -> output edge")
    torch.manual_seed(0)
    net = space.build_supernet(DataShape(10, 1, 8, 8), {"C": 2, "cells_per_stack": 1})
    net.train()
    cell = next(layer for layer in net.layers if hasattr(layer, "ops"))

    def bn_means(module):
        return [m.running_mean.clone() for m in module.modules()
                if isinstance(m, torch.nn.BatchNorm2d)]

    before_out = bn_means(cell.proj_out)
    before_unused = {i: bn_means(cell.ops[i - 1]) + bn_means(cell.proj[i - 1]) for i in unused}
    used = used_nodes(arch.parents)
    before_used = {i: bn_means(cell.ops[i - 1][OPS.index(arch.ops[i - 1])]) for i in used}
    net(torch.randn(4, 1, 8, 8), arch=arch)
    assert all(torch.equal(a, b) for a, b in zip(before_out, bn_means(cell.proj_out)))
    for i in unused:
        after = bn_means(cell.ops[i - 1]) + bn_means(cell.proj[i - 1])
        assert all(torch.equal(a, b) for a, b in zip(before_unused[i], after)), f"node {i} ran"
    moved = [i for i in used if before_used[i] and not all(
        torch.equal(a, b) for a, b in zip(before_used[i],
                                          bn_means(cell.ops[i - 1][OPS.index(arch.ops[i - 1])])))]
    assert moved, "the path's own operations run in training mode"



def test_node_inputs_are_each_nodes_operation_and_chosen_inputs():
    """§3.3.2's decisions on NAS-Bench-1Shot1 (``node_inputs`` docstring): per node its operation
    as (-1, op) and, where its inputs are a choice (space 1: nodes 3, 4 and the output), each
    chosen input as (j, 'input'): 10 decisions in space 1."""
    space = Nb1Shot1Space(1)
    arch = space.from_string("s1|maxpool3x3~0|conv1x1-bn-relu~0+1|conv1x1-bn-relu~1+2|"
                             "maxpool3x3~1+3|output~0+2")
    assert space.node_inputs(arch) == {
        "cell/1": [(-1, MP)], "cell/2": [(-1, C1)], "cell/3": [(-1, C1), (1, "input"), (2, "input")],
        "cell/4": [(-1, MP), (1, "input"), (3, "input")], "cell/5": [(0, "input"), (2, "input")]}


def test_edge_methods_and_bad_strings_or_parameters_are_refused_with_their_fix():
    space = Nb1Shot1Space(1)
    arch = space.sample(random.Random(0))
    with pytest.raises(ValueError) as error:
        space.complement(arch, [], random.Random(0))
    assert str(error.value) == ("nb1shot1: the complement cell (NSAS-G, E²NAS Fig. 4.2) needs "
                                "operations on edges; NAS-Bench-1Shot1 has them on nodes. Use "
                                "strategy 'nsas' here")
    with pytest.raises(ValueError) as error:
        space.fixed_depth_bias()
    assert str(error.value) == ("nb1shot1: NSAS-C's fixed depth (§3.4.1.2) forbids edges through "
                                "their 'none' operation, which NAS-Bench-1Shot1 does not have; use "
                                "depth_constraint: false")
    with pytest.raises(ValueError) as error:
        space.depth_edges()
    assert str(error.value) == ("nb1shot1: depth-aware regularisation (Eq. 5.19-5.21) gates edges "
                                "through a 'none' operation, which NAS-Bench-1Shot1 does not have; "
                                "use depth_weight 0")
    alphas = {name: torch.zeros(shape) for name, shape in space.arch_shapes.items()}
    alphas["ops"] = torch.zeros(4, 4)                     # the right names, a wrong shape
    with pytest.raises(InvalidArchError) as error:
        space.discretize(alphas)
    assert str(error.value) == "architecture parameters ['in3', 'in4', 'ops', 'out'] match no search space"
    example = ("s3|conv3x3-bn-relu~0|maxpool3x3~1|conv1x1-bn-relu~2|conv3x3-bn-relu~0+3|"
               "conv3x3-bn-relu~1+4|output~4+5")
    good = "s1|maxpool3x3~0|conv1x1-bn-relu~0+1|conv1x1-bn-relu~1+2|maxpool3x3~1+3|output~0+2"
    for bad in ("s1", "x1" + good[2:], good.replace("|output~0+2", ""), good.replace("~0+1", "")):
        with pytest.raises(InvalidArchError) as error:
            space.from_string(bad)
        assert str(error.value) == f"invalid NAS-Bench-1Shot1 cell {bad!r}; expected e.g. {example}"
    with pytest.raises(Exception, match=r"spaces\.nb1shot1-s1\.evaluate\.bogus: unknown key"):
        SPACES.get("nb1shot1-s1")().build_network(arch, DataShape(10, 1, 8, 8), {"bogus": 1})
    with pytest.raises(Exception, match=r"spaces\.nb1shot1-s1\.search\.bogus: unknown key"):
        SPACES.get("nb1shot1-s1")().build_supernet(DataShape(10, 1, 8, 8), {"bogus": 1})


def test_cells_are_normalised_and_bad_cells_refused_with_what_the_space_expects():
    """§3.5.1 / NAS-Bench-1Shot1: space v has n operation nodes with ops from OPS, node i takes
    PARENTS[v][i - 1] distinct inputs among 0..i-1 and the output takes the last count. A cell given
    with lists and unsorted or string inputs is stored as the canonical hashable form; every
    refusal names the space, the node and what it expects."""
    arch = Nb1Shot1Arch(2, [MP, C1, C3, C3], [["0"], [1], [2, 0], [3, 1], [4, "2", 1]])
    assert arch.ops == (MP, C1, C3, C3) and type(arch.ops) is tuple
    assert arch.parents == ((0,), (1,), (0, 2), (1, 3), (1, 2, 4))
    assert all(type(p) is tuple for p in arch.parents) and type(arch.parents) is tuple
    assert {arch} == {Nb1Shot1Arch(2, (MP, C1, C3, C3), ((0,), (1,), (0, 2), (1, 3), (1, 2, 4)))}
    ops, parents = (C3, MP, C1, C3, C3), ((0,), (1,), (2,), (0, 3), (1, 4), (4, 5))
    cases = [
        ((4, ops, parents), "NAS-Bench-1Shot1 has search spaces 1, 2, 3; got 4"),
        ((3, ops[:4], parents), f"space 3 has 5 operation nodes with ops from {OPS}; got {ops[:4]!r}"),
        ((3, ("skip",) + ops[1:], parents),
         f"space 3 has 5 operation nodes with ops from {OPS}; got {('skip',) + ops[1:]!r}"),
        ((3, ops, parents[:5]), "space 3: 6 parent sets (nodes 1..5 and the output); got 5"),
        ((3, ops, ((0,), (2,)) + parents[2:]),
         "space 3: node 2 takes 1 distinct inputs among 0..1; got (2,)"),
        ((3, ops, parents[:3] + ((3, 3),) + parents[4:]),
         "space 3: node 4 takes 2 distinct inputs among 0..3; got (3, 3)"),
        ((3, ops, parents[:3] + ((0, 1, 2),) + parents[4:]),
         "space 3: node 4 takes 2 distinct inputs among 0..3; got (0, 1, 2)"),
        ((3, ops, parents[:5] + ((-1, 5),)),
         "space 3: the output takes 2 distinct inputs among 0..5; got (-1, 5)"),
    ]
    for args, message in cases:
        with pytest.raises(InvalidArchError) as error:
            Nb1Shot1Arch(*args)
        assert str(error.value) == message
    space = Nb1Shot1Space(1)
    with pytest.raises(InvalidArchError) as error:
        space.set_variant(0)
    assert str(error.value) == "NAS-Bench-1Shot1 has search spaces 1, 2, 3; got 0"
    assert space.variant == 1


def test_choice_nodes_are_the_nodes_whose_inputs_are_a_choice():
    """NAS-Bench-1Shot1's spaces 1-3: node i (the output is n + 1) picks PARENTS[v][i - 1] of its i
    predecessors, a choice (architecture weights in_i / out) where C(i, k) > 1."""
    from nasrepro.spaces.nb1shot1.space import arch_shapes_of, choice_nodes
    assert choice_nodes(1) == (3, 4, 5)
    assert choice_nodes(2) == (2, 3, 4, 5)
    assert choice_nodes(3) == (2, 3, 4, 5, 6)
    assert arch_shapes_of(2) == {"ops": (4, 3), "in2": (1, 2), "in3": (1, 3), "in4": (1, 4),
                                 "out": (1, 5)}


def test_mutate_changes_one_decision_and_encode_is_the_cell_itself():
    """EN²AS' evolution (Alg. 2) on NAS-Bench-1Shot1: a mutation changes one node's operation or
    the inputs of one node (or the output) whose inputs are a choice, never to the same cell;
    E²NAS' graph (Eq. 4.6) is the cell: input, the n operation nodes, output."""
    from nasrepro.spaces.nb1shot1.space import variant_of
    space = Nb1Shot1Space(2)
    arch = Nb1Shot1Arch(2, (MP, C1, C3, C3), ((0,), (1,), (0, 2), (1, 3), (1, 2, 4)))
    kinds, where = set(), set()
    for seed in range(80):
        child = space.mutate(arch, random.Random(seed))
        assert child.variant == 2 and child != arch
        ops = [i for i in range(4) if arch.ops[i] != child.ops[i]]
        parents = [i for i in range(5) if arch.parents[i] != child.parents[i]]
        assert len(ops) + len(parents) == 1
        kinds.add("op" if ops else "in")
        where.update(ops if ops else [10 + parents[0]])
        assert 10 not in where                      # node 1 has input 0 only: no choice
    assert kinds == {"op", "in"} and where >= {0, 3, 11, 12, 13, 14}
    graph = space.encode(arch)
    assert graph.node_types == ("input", MP, C1, C3, C3, "output")
    assert graph.types == ("input", "output", MP, C3, C1)
    assert set(graph.edges) == {(0, 1), (1, 2), (0, 3), (2, 3), (1, 4), (3, 4), (1, 5), (2, 5), (4, 5)}
    assert len(graph.edges) == 9
    assert [variant_of(f"nb1shot1-s{v}") for v in (1, 2, 3)] == [1, 2, 3]
    with pytest.raises(InvalidArchError) as error:
        variant_of("nb1shot1-s4")
    assert str(error.value) == ("'nb1shot1-s4' is not a NAS-Bench-1Shot1 space; use one of "
                                "['nb1shot1-s1', 'nb1shot1-s2', 'nb1shot1-s3']")
