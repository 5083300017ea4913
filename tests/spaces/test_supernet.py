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
