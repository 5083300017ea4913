"""The data each retraining protocol reads (``data/protocols.py``, issue 28 item 1), on inputs in
the datasets' official on-disk formats loaded with ``config/thesis.yaml``'s specs, and split files
checked against the set they index (item 2)."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml

from nasrepro.data.cifar import _files
from nasrepro.data.protocols import PROTOCOLS, retrain_data
from nasrepro.registry import DATASETS, SPACES
from tests.conftest import ROOT, shared

THESIS = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
SPLIT_FILES = {"cifar10": "cifar-split.txt", "cifar100": "cifar100-test-split.txt",
               "ImageNet16-120": "imagenet-16-120-test-split.txt"}


def write_cifar(root: Path, name: str, n_train: int, n_test: int) -> Path:
    """The official python layout (torchvision's file list, pickled dicts of N x 3072 uint8 rows and
    labels), black images: what the loader reads is the layout and the counts."""
    folder, train, test = _files(name)
    key = "labels" if name == "cifar10" else "fine_labels"
    (root / folder).mkdir(parents=True)
    for files, total in ((train, n_train), (test, n_test)):
        for fname, _ in files:
            count = total // len(files)
            with open(root / folder / fname, "wb") as handle:
                pickle.dump({"data": np.zeros((count, 3072), np.uint8),
                             key: [i % 10 for i in range(count)]}, handle, protocol=2)
    return root


def thesis_spec(role: str, root: Path) -> dict:
    """``config/thesis.yaml``'s spec of ``role`` as the workflow passes it, reading ``root`` and the
    official split file from ../shared (its sha256 pinned in the profile is checked)."""
    spec = {"name": role, **THESIS["datasets"][role], "root": str(root)}
    if spec.get("official_split"):
        spec["official_split"] = {**spec["official_split"], "url": None,
                                  "path": str(shared(f"nb201/splits/{SPLIT_FILES[role]}"))}
    return spec


@pytest.fixture(scope="module")
def cifar_roots(tmp_path_factory):
    shared("nb201/splits/cifar-split.txt")
    base = tmp_path_factory.mktemp("cifar")
    return {name: write_cifar(base / name, name, 50_000, 10_000)
            for name in ("cifar10", "cifar100")}


def _sizes(space: str, target: str, spec: dict) -> tuple[int, int, int]:
    bundle = DATASETS.get(spec["loader"]).load(spec)
    data = retrain_data(SPACES.get(space)(), target, bundle)
    return len(data.train), len(data.valid), len(data.test)


# (space, target): (training, "Valid", reported "Test") examples a thesis-profile retrain job sees
THESIS_SIZES = {
    ("darts_cnn", "cifar10"): (50_000, 10_000, 10_000),   # DARTS: all training images, the test set
    ("darts_cnn", "cifar100"): (50_000, 10_000, 10_000),  # the CIFAR-100 transfer: the same
    ("nb201", "cifar10"): (25_000, 25_000, 10_000),       # NAS-Bench-201: cifar-split.txt halves
    ("nb201", "cifar100"): (50_000, 5_000, 5_000),        # x-valid / x-test halves of the test set
}


@pytest.mark.parametrize("space, target", list(THESIS_SIZES))
def test_thesis_retrain_jobs_train_and_report_on_the_protocols_sets(cifar_roots, space, target):
    assert _sizes(space, target, thesis_spec(target, cifar_roots[target])) == \
        THESIS_SIZES[(space, target)]


def test_the_selections_held_out_retraining_never_sees_the_test_set(cifar_roots):
    """Issue 30 item 1: a <run>-heldout retraining trains on the search's training half and is
    scored on its validation half; the DARTS protocol's "Valid" is the test set itself."""
    bundle = DATASETS.get("cifar10").load(thesis_spec("cifar10", cifar_roots["cifar10"]))
    data = retrain_data(SPACES.get("darts_cnn")(), "cifar10", bundle, heldout=True)
    assert (len(data.train), len(data.valid), len(data.test)) == (25_000, 25_000, 10_000)
    assert data.train is bundle.search_train and data.valid is bundle.search_valid
    assert data.valid is not bundle.official_test and data.valid is not bundle.test
    assert retrain_data(SPACES.get("darts_cnn")(), "cifar10", bundle).valid is bundle.official_test


def test_darts_protocol_trains_augmented_and_reports_the_plain_test_set(cifar_roots):
    bundle = DATASETS.get("cifar10").load(thesis_spec("cifar10", cifar_roots["cifar10"]))
    data = retrain_data(SPACES.get("darts_cnn")(), "cifar10", bundle)
    assert data.train.pad == 4 and data.test.pad is None and data.valid is data.test


def test_imagenet_mobile_trains_on_the_train_folder_and_reports_the_val_folder(tmp_path):
    from PIL import Image

    counts = {"train": 3, "val": 2}
    for split, count in counts.items():
        for cls in ("n01", "n02"):
            folder = tmp_path / "imagenet" / split / cls
            folder.mkdir(parents=True)
            for i in range(count):
                Image.new("RGB", (40, 30), color=(i * 50, 10, 200)).save(folder / f"{i}.JPEG")
    spec = thesis_spec("imagenet", tmp_path / "imagenet")
    assert _sizes("darts_cnn", "imagenet", spec) == (6, 4, 4)


def test_imagenet16_120_retrain_mode_reads_the_official_halves(tmp_path):
    from tests.data.test_data import _write_imagenet16

    labels = np.arange(6000) % 120 + 1  # the 6,000 validation images of classes 1..120
    _write_imagenet16(tmp_path / "in16", per_file=2, val_labels=labels.tolist())
    spec = thesis_spec("ImageNet16-120", tmp_path / "in16")
    assert _sizes("nb201", "ImageNet16-120", spec) == (20, 3000, 3000)


def test_rnn_protocol_trains_on_train_selects_on_valid_reports_test():
    """PTB (Mikolov's files, ../shared): 929,589 / 73,760 / 82,430 tokens, BPTT 35 segments."""
    root = shared("ptb/ptb.train.txt.gz").parent
    spec = thesis_spec("ptb", root)
    expected = tuple((tokens - 1) // 35 for tokens in (929_589, 73_760, 82_430))
    assert _sizes("darts_rnn", "ptb", spec) == expected


# the default profile's stand-ins: the same protocols on the digits (1,797 = 701 + 701 + 395)
DEFAULT_SIZES = {
    ("darts_cnn", "cifar10"): (1402, 395, 395),   # both search halves, the test split
    ("darts_cnn", "cifar100"): (3000, 1500, 1500),
    ("nb201", "cifar10"): (701, 701, 395),
    ("nb201", "cifar100"): (1500, 1500, 1500),
}


@pytest.mark.parametrize("space, target", list(DEFAULT_SIZES))
def test_default_standins_follow_the_same_protocols(space, target):
    spec = {"name": target, **DEFAULT["datasets"][target]}
    assert _sizes(space, target, spec) == DEFAULT_SIZES[(space, target)]


def test_darts_training_set_is_both_search_halves_of_the_digits():
    bundle = DATASETS.get("digits").load({"split_seed": 0})
    train = PROTOCOLS["darts"].data(bundle).train.tensors[0]
    halves = [bundle.search_train.tensors[0], bundle.search_valid.tensors[0]]
    assert np.array_equal(train.numpy(), np.concatenate([h.numpy() for h in halves]))


def test_a_protocol_part_the_bundle_lacks_is_one_clear_error():
    import torch
    from torch.utils.data import TensorDataset

    from nasrepro.data.base import DataBundle

    empty = TensorDataset(torch.zeros(1, 1))
    bundle = DataBundle("bare", empty, empty, empty, 2, 1)
    with pytest.raises(ValueError, match="protocol 'darts' reads its train data from the `train` "
                                         "set, which dataset 'bare' does not provide"):
        PROTOCOLS["darts"].data(bundle)


# ----------------------------------------------------------------------------- item 2
@pytest.mark.parametrize("name, train, test, largest, size", [
    ("cifar10", 800, 200, "49,999", "800"),      # a partial download: 800 of 50,000 images
    ("cifar100", 50, 1000, "9,999", "1,000"),    # 1,000 of the 10,000 test images
])
def test_split_indices_beyond_the_data_are_refused_when_prepared(tmp_path, name, train, test,
                                                                  largest, size):
    root = write_cifar(tmp_path / name, name, train, test)
    spec = thesis_spec(name, root)
    with pytest.raises(ValueError) as error:
        DATASETS.get(name).load(spec)  # what `prepare` runs after the files' digests
    message = str(error.value)
    assert "\n" not in message and spec["official_split"]["path"] in message
    assert f"indexes up to {largest}" in message and f"has {size} images" in message
