"""Benchmark columns against independently known values.

The expected numbers below were read straight from the fixture's raw result files (bz2 pickles
of the official NATS-Bench topology benchmark, ``['200']['all_results'][(dataset, seed)]
['eval_acc1es']['<split>@199']``, mean over the benchmark's seeds 777/888/999), not through the
official reader; cell 11's CIFAR-10 test value 91.583 is also printed in ../shared/data/README.md.
Swapping CIFAR-100 valid/test, using the 12-epoch schedule or a wrong split name fails here.
"""

import pytest

from nasrepro.spaces.nb201.benchmark import Nb201Benchmark, convert
from nasrepro.spaces.nb201.space import Nb201Space
from tests.conftest import NATS_FIXTURE, shared

EXPECTED = {  # index -> {(target, column): mean accuracy, 200 epochs}
    0: {("cifar10", "valid"): 81.9827, ("cifar10", "test"): 85.8633, ("cifar100", "valid"): 52.7,
        ("cifar100", "test"): 52.9133, ("ImageNet16-120", "valid"): 28.2111,
        ("ImageNet16-120", "test"): 26.6333},
    11: {("cifar10", "valid"): 87.94, ("cifar10", "test"): 91.5833, ("cifar100", "valid"): 67.4533,
         ("cifar100", "test"): 67.6067, ("ImageNet16-120", "valid"): 30.4111,
         ("ImageNet16-120", "test"): 30.1667},
    284: {("cifar10", "valid"): 86.0467, ("cifar10", "test"): 88.79, ("cifar100", "valid"): 61.68,
          ("cifar100", "test"): 62.14, ("ImageNet16-120", "valid"): 33.4,
          ("ImageNet16-120", "test"): 32.4667},
}


@pytest.fixture(scope="module")
def bench():
    shared("nats-tss-v1_0-3ffb9-simple-fixture/000284.pickle.pbz2")
    return Nb201Benchmark(convert(NATS_FIXTURE))


@pytest.mark.parametrize("index", sorted(EXPECTED))
def test_thesis_columns_equal_the_raw_result_files(bench, index):
    arch = Nb201Space().from_index(index)
    for target in ("cifar10", "cifar100", "ImageNet16-120"):
        got = bench.thesis_metrics(arch, target)
        assert got["valid_acc"] == pytest.approx(EXPECTED[index][(target, "valid")], abs=1e-3)
        assert got["test_acc"] == pytest.approx(EXPECTED[index][(target, "test")], abs=1e-3)
