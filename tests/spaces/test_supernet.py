import random

import pytest
import torch

from nasrepro.spaces.base import DataShape
from nasrepro.spaces.nb201.space import OPS, Nb201Space

SPACE = Nb201Space()
SHAPE = DataShape(10, 3, 16, 16)

CFG = {"C": 4, "N": 2, "affine": True, "track_running_stats": True}


def _pair(arch, seed=0):
    torch.manual_seed(seed)
    supernet = SPACE.build_supernet(SHAPE, CFG)
    # give every BN non-trivial affine parameters and running statistics
    for module in supernet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    net = SPACE.build_network(arch, SHAPE, CFG)
    net.load_state_dict(supernet.subnet_state_dict(arch), strict=True)
    return supernet, net


@pytest.mark.parametrize("seed", range(6))
def test_standalone_equals_supernet_single_path(seed):
    rng = random.Random(seed)
    arch = SPACE.sample(rng)
    supernet, net = _pair(arch, seed)
    x = torch.randn(5, 3, 16, 16)
    supernet.eval(), net.eval()
    torch.testing.assert_close(net(x), supernet(x, arch=arch), rtol=0, atol=1e-6)
    supernet.train(), net.train()
    torch.testing.assert_close(net(x), supernet(x, arch=arch), rtol=0, atol=1e-5)


def test_standalone_has_fewer_parameters_and_drops_none_edges():
    arch = SPACE.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    supernet, net = _pair(arch)
    assert sum(p.numel() for p in net.parameters()) < sum(p.numel() for p in supernet.parameters())
    net.eval()
    out = net(torch.randn(2, 3, 8, 8))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_mixed_forward_with_one_hot_weights_is_the_single_path():
    arch = SPACE.sample(random.Random(3))
    supernet, _ = _pair(arch)
    supernet.eval()
    weights = torch.zeros(6, 5)
    for e, op in enumerate(arch.ops):
        weights[e, OPS.index(op)] = 1.0
    x = torch.randn(3, 3, 8, 8)
    torch.testing.assert_close(supernet(x, weights={"cell": weights}), supernet(x, arch=arch), rtol=0, atol=1e-6)


def test_forward_needs_a_mode():
    supernet = SPACE.build_supernet(SHAPE, CFG)
    with pytest.raises(ValueError, match="mixing weights or an arch"):
        supernet(torch.randn(1, 3, 8, 8))


def test_operations_as_the_benchmark_defines_them():
    from nasrepro.spaces.nb201.ops import make_op

    assert OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    ones = torch.ones(1, 4, 5, 5)
    assert make_op("avg_pool_3x3", 4, True, True)(ones).eq(1).all()  # padding not averaged in
    assert make_op("none", 4, True, True)(ones).eq(0).all()
    conv = make_op("nor_conv_3x3", 4, True, True).eval()
    assert isinstance(conv[0], torch.nn.ReLU) and conv[1].kernel_size == (3, 3)  # ReLU-Conv-BN
    assert conv(-ones).abs().max() <= conv[2].bias.abs().max() + 1e-6  # ReLU comes first


def test_darts_search_network_has_darts_model_search_layout():
    """DARTS' search network (model_search.py, Liu et al. 2019): stem conv3x3 (no bias) + BN to
    stem_multiplier x C channels; reduction cells at layers // 3 and 2 layers // 3, where the node
    width doubles; 4 nodes concatenated; every BatchNorm inside the cells without affine
    parameters (the architecture weights scale the operations); defaults C = 16, 8 layers,
    stem multiplier 3."""
    from torch import nn

    from nasrepro.spaces.base import DataShape
    from nasrepro.spaces.darts_cnn.supernet import DartsSupernet

    net = DartsSupernet(DataShape(10, 3, 8, 8), C=2, layers=6)
    conv, bn = net.stem
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.bias) == (3, 6, (3, 3), None)
    assert isinstance(bn, nn.BatchNorm2d) and bn.num_features == 6 and bn.affine
    assert [c.kind for c in net.cells] == ["normal", "normal", "reduce", "normal", "reduce", "normal"]
    assert net.classifier.in_features == 4 * 2 * 4          # 4 nodes x (C doubled twice)
    cell_bns = [m for m in net.cells.modules() if isinstance(m, nn.BatchNorm2d)]
    assert cell_bns and not any(m.affine for m in cell_bns)
    default = DartsSupernet(DataShape(10, 3, 8, 8))
    assert len(default.cells) == 8 and default.stem[0].out_channels == 48
    assert [c.kind for c in default.cells].count("reduce") == 2
    assert default.classifier.in_features == 4 * 16 * 4


def test_nb201_network_is_nas_bench_201s_skeleton_and_forwards_name_their_inputs():
    """NAS-Bench-201's network (Dong & Yang 2020): stem conv3x3 + BN, 3 stages of N = 5 cells at
    C = 16, 32, 64 with residual reductions, BN-ReLU before the pooling; its stand-alone network
    has affine BN with running statistics. A forward without weights or an arch says so, on every
    space's supernet."""
    import random

    import pytest
    import torch
    from torch import nn

    from nasrepro.registry import SPACES
    from nasrepro.spaces.base import DataShape
    from nasrepro.spaces.nb201.supernet import Cell, Nb201Network

    arch = SPACES.get("nb201")().sample(random.Random(0))
    net = Nb201Network(arch, 10)
    conv, bn = net.stem
    assert (conv.in_channels, conv.out_channels) == (3, 16) and isinstance(bn, nn.BatchNorm2d)
    assert sum(isinstance(layer, Cell) for layer in net.layers) == 15 and len(net.layers) == 17
    assert conv.bias is None and conv.kernel_size == (3, 3) and conv.padding == (1, 1)
    assert net.classifier.in_features == 64 and isinstance(net.lastact[0], nn.BatchNorm2d)
    assert len(net.lastact) == 2 and isinstance(net.lastact[1], nn.ReLU)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.affine and m.track_running_stats for m in bns)
    assert net.arch == arch
    for name, message in (("nb201", "Nb201Supernet.forward needs mixing weights or an arch"),
                          ("nb1shot1-s1", "Nb1Shot1Supernet.forward needs mixing weights or an arch"),
                          ("darts_cnn", "DartsSupernet.forward needs mixing weights or an arch")):
        space = SPACES.get(name)()
        supernet = space.build_supernet(DataShape(10, 1, 8, 8), None)
        with pytest.raises(ValueError) as error:
            supernet(torch.zeros(1, 1, 8, 8))
        assert str(error.value) == message
    s2 = SPACES.get("nb1shot1-s2")()
    supernet = SPACES.get("nb1shot1-s1")().build_supernet(DataShape(10, 1, 8, 8), None)
    with pytest.raises(ValueError) as error:
        supernet(torch.zeros(1, 1, 8, 8), arch=s2.sample(random.Random(0)))
    assert str(error.value) == "cell of search space 2 on a space-1 supernet"


def test_gdas_hard_forward_keeps_a_sampled_none_edges_constant_terms():
    """GDAS' edge rule (module docstring; AutoDL-Projects' GDAS): an edge whose sampled operation
    is ``none`` still adds w[none] * 0 + sum_{k != none} w[k], so every other weight of that edge
    gets the gradient of an added constant (equal for all of them, not zero); only the single-path
    forward (no weights) skips a ``none`` edge."""
    torch.manual_seed(0)
    supernet = SPACE.build_supernet(SHAPE, CFG).double()
    weights = torch.randn(6, 5, dtype=torch.float64).softmax(dim=-1).requires_grad_(True)
    none = OPS.index("none")
    choice = [none] + [1 + (e % 4) for e in range(1, 6)]   # edge 0 (node 1 <- 0) samples none
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    out = supernet(x, weights={"cell": weights}, choice={"cell": choice})
    grad, = torch.autograd.grad(out.square().sum(), [weights])
    others = grad[0, [k for k in range(5) if k != none]]
    assert float(grad[0, none]) == 0.0
    assert float(others.abs().min()) > 1e-9
    torch.testing.assert_close(others, others[0].expand(4), rtol=1e-9, atol=0)
