import json
import pickle

import numpy as np
import pytest
import torch

from nasrepro.data.cifar import check_files, read_pickle_layout
from nasrepro.registry import DATASETS, UnknownNameError
from nasrepro.utils.download import ChecksumError, MissingDataError, fetch
from tests.conftest import shared


def test_digits_splits_are_disjoint_deterministic_and_complete():
    a = DATASETS.get("digits").load({"split_seed": 0})
    b = DATASETS.get("digits").load({"split_seed": 0})
    sizes = a.sizes()
    assert sum(sizes.values()) == 1797 and a.num_classes == 10 and a.in_channels == 1
    for name in ("search_train", "search_valid", "test"):
        torch.testing.assert_close(getattr(a, name).tensors[0], getattr(b, name).tensors[0])
    flat = {name: {tuple(x.flatten().tolist()) for x in getattr(a, name).tensors[0]}
            for name in ("search_train", "test")}
    # a few digits images are exact duplicates in the source data; overlap must stay tiny
    assert len(flat["search_train"] & flat["test"]) < 5


def test_two_digit_set_labels_match_the_two_halves():
    digits = DATASETS.get("digits").load({"split_seed": 0})
    pairs = DATASETS.get("two_digits").load({"split_seed": 0, "pairs_per_split": 200})
    assert pairs.num_classes == 100
    x, y = pairs.test.tensors
    assert x.shape[1:] == (1, 8, 16) and int(y.max()) < 100
    lookup = {tuple(img.flatten().tolist()): int(label) for img, label in zip(*digits.test.tensors)}
    for img, label in zip(x[:50], y[:50]):
        left = lookup.get(tuple(img[:, :, :8].flatten().tolist()))
        right = lookup.get(tuple(img[:, :, 8:].flatten().tolist()))
        assert left is not None and right is not None and int(label) == 10 * left + right


def test_unknown_loader_lists_known_ones():
    with pytest.raises(UnknownNameError, match="known dataset loaders: cifar10, cifar100, digits, imagenet, imagenet16_120, two_digits"):
        DATASETS.get("mnist")


def _write_cifar10_layout(root, images, labels):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    flat = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    # even positions -> test batch, odd positions -> five training batches (official layout)
    batches = {"test_batch": (flat[0::2], labels[0::2])}
    for i in range(1, 6):
        batches[f"data_batch_{i}"] = (flat[1::2][i - 1::5], labels[1::2][i - 1::5])
    for name, (data, lab) in batches.items():
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": lab.tolist()}, handle)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, handle)


def test_cifar_loader_reads_real_images_in_official_layout(tmp_path):
    npz = np.load(shared("cifar10/cifar10-test-1000.npz"))
    images, labels = npz["x"], npz["y"].astype(np.int64)
    _write_cifar10_layout(tmp_path, images, labels)
    test_x, test_y = read_pickle_layout("cifar10", tmp_path, train=False)
    assert np.array_equal(test_x, images[0::2]) and np.array_equal(test_y, labels[0::2])
    train_x, train_y = read_pickle_layout("cifar10", tmp_path, train=True)
    assert len(train_x) == 500 and sorted(np.unique(train_y)) == list(range(10))
    assert sorted(map(int, train_y)) == sorted(map(int, labels[1::2]))
    # our hand-written files are not the official bytes: md5 verification must say so
    with pytest.raises(ChecksumError, match="md5"):
        check_files("cifar10", tmp_path, verify=True)
    check_files("cifar10", tmp_path, verify=False)


def test_cifar_bundle_uses_the_official_split_file(tmp_path):
    npz = np.load(shared("cifar10/cifar10-test-1000.npz"))
    split = shared("nb201/splits/cifar-split.txt")
    _write_cifar10_layout(tmp_path, npz["x"], npz["y"].astype(np.int64))
    spec = {"loader": "cifar10", "root": str(tmp_path), "official_split": {"path": str(split)}}
    bundle = DATASETS.get("cifar10").load(spec)
    # the official split indexes the 50k training set: 25k/25k, disjoint
    assert len(bundle.search_train) == 25000 and len(bundle.search_valid) == 25000
    assert not set(bundle.search_train.indices) & set(bundle.search_valid.indices)
    x, y = bundle.test[0]
    assert x.shape == (3, 32, 32) and y == int(npz["y"][0])


def test_missing_cifar_offline_names_files_and_fix(tmp_path):
    spec = {"loader": "cifar10", "root": str(tmp_path / "nothing"), "download": False,
            "official_split": None}
    with pytest.raises(MissingDataError, match=r"data_batch_1.*Put the official python version"):
        DATASETS.get("cifar10").prepare(spec)


def test_fetch_missing_without_url_and_bad_checksum(tmp_path):
    with pytest.raises(MissingDataError, match="no download URL"):
        fetch(tmp_path / "split.txt", None, None, "split file")
    src = tmp_path / "src.txt"
    src.write_text("hello")
    with pytest.raises(ChecksumError, match="expected"):
        fetch(tmp_path / "dst.txt", src.as_uri(), "f" * 64, "split file")
    assert not (tmp_path / "dst.txt").exists()
    good = fetch(tmp_path / "dst.txt", src.as_uri(), None, "split file")
    assert good.read_text() == "hello"


def _split(path, **parts):
    path.write_text(json.dumps({k: ["int", [str(i) for i in v]] for k, v in parts.items()}))
    return {"path": str(path)}


def test_architecture_batches_are_augmented_scoring_batches_are_not(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(120, 32, 32, 3), dtype=np.uint8)
    _write_cifar10_layout(tmp_path, images, np.arange(120) % 10)
    spec = {"loader": "cifar10", "root": str(tmp_path),
            "official_split": _split(tmp_path / "split.txt", train=range(0, 30), valid=range(30, 60))}
    bundle = DATASETS.get("cifar10").load(spec)
    assert list(bundle.arch_train.indices) == list(bundle.search_valid.indices)
    torch.manual_seed(0)
    draws = [bundle.arch_train[3][0] for _ in range(6)]
    assert any(not torch.equal(draws[0], d) for d in draws[1:]), "architecture batches augmented"
    assert torch.equal(bundle.search_valid[3][0], bundle.search_valid[3][0])
    assert bundle.arch_train[3][1] == bundle.search_valid[3][1]


def _write_imagenet16(root, per_file=6):
    root.mkdir(parents=True, exist_ok=True)
    names = [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]
    for n, name in enumerate(names):
        data = np.zeros((per_file, 3 * 16 * 16), dtype=np.uint8)
        data[:, 0] = n  # channel 0, row 0, col 0 identifies the file
        data[:, 256 + 16 + 2] = 200  # channel 1, row 1, col 2
        labels = [1, 120, 121, 500, 7, 1000][:per_file]
        with open(root / name, "wb") as handle:
            pickle.dump({"data": data, "labels": labels}, handle)


def test_imagenet16_120_reads_the_official_format(tmp_path):
    from nasrepro.data.imagenet16 import read_pickles

    _write_imagenet16(tmp_path / "in16")
    x, y = read_pickles(tmp_path / "in16", ["val_data"])
    assert x.shape == (3, 16, 16, 3) and list(y) == [0, 119, 6]  # labels > 120 dropped, 0-based
    assert x[0, 0, 0, 0] == 10 and x[0, 1, 2, 1] == 200  # channel-first layout decoded
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "in16"), "verify": False,
            "official_split": _split(tmp_path / "s.txt", xvalid=[0, 2], xtest=[1])}
    bundle = DATASETS.get("imagenet16_120").load(spec)
    assert bundle.sizes() == {"search_train": 30, "search_valid": 2, "test": 1}
    assert bundle.num_classes == 120 and bundle.shape.height == 16
    with pytest.raises(ChecksumError, match="md5"):
        DATASETS.get("imagenet16_120").prepare({**spec, "verify": True})


def test_imagenet16_missing_files_are_named(tmp_path):
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "none"), "official_split": None}
    problems = DATASETS.get("imagenet16_120").missing(spec)
    assert len(problems) == 1 and "train_data_batch_1" in problems[0] and "val_data" in problems[0]
    with pytest.raises(MissingDataError, match="downsampled ImageNet"):
        DATASETS.get("imagenet16_120").prepare(spec)


def test_imagenet_image_folder_layout(tmp_path):
    from PIL import Image

    for split in ("train", "val"):
        for cls in ("n01", "n02"):
            folder = tmp_path / "in" / split / cls
            folder.mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (260, 300), color=(i * 50, 10, 200)).save(folder / f"{i}.png")
    bundle = DATASETS.get("imagenet").load({"loader": "imagenet", "root": str(tmp_path / "in")})
    assert bundle.num_classes == 2 and bundle.sizes()["search_train"] == 4
    assert bundle.test[0][0].shape == (3, 224, 224) and bundle.search_train[0][0].shape == (3, 224, 224)
    with pytest.raises(MissingDataError, match="ImageFolder layout"):
        DATASETS.get("imagenet").load({"loader": "imagenet", "root": str(tmp_path / "nope")})


def test_cutout_zeroes_one_clipped_square():
    from torch.utils.data import TensorDataset

    from nasrepro.data.base import CutoutDataset

    data = CutoutDataset(TensorDataset(torch.ones(50, 1, 16, 16), torch.zeros(50)), length=4)
    torch.manual_seed(0)
    zeros = [int((data[i][0] == 0).sum()) for i in range(50)]
    assert max(zeros) == 16 and min(zeros) >= 4  # 4x4 inside, clipped at borders (>= 2x2)
    torch.manual_seed(0)
    assert zeros == [int((data[i][0] == 0).sum()) for i in range(50)]
