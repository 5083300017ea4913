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
    with pytest.raises(UnknownNameError, match="known dataset loaders: cifar10, cifar100, "
                       "digit_numbers, digits, imagenet, imagenet16_120, ptb, "
                       "text_standin, two_digits, wikitext2"):
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


class _Forged:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling calls os.system: here it would only create a marker file
        import os

        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_a_dataset_pickle_carrying_a_callable_is_refused_unread(tmp_path, protocol):
    """The raw CIFAR / ImageNet16-120 pickles are unpickled with numpy arrays and plain
    containers allowed only (checksums are checked first, but not in every job)."""
    from nasrepro.data.imagenet16 import read_pickles
    from nasrepro.utils.safeload import UnsafeFileError

    marker = tmp_path / "ran"
    _write_cifar10_layout(tmp_path, np.zeros((12, 32, 32, 3), np.uint8), np.arange(12) % 10)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    assert read_pickle_layout("cifar10", tmp_path, train=False)[0].shape == (6, 32, 32, 3)
    with open(batch, "wb") as handle:
        pickle.dump({"data": _Forged(marker), "labels": [0]}, handle, protocol=protocol)
    with pytest.raises(UnsafeFileError) as error:
        read_pickle_layout("cifar10", tmp_path, train=False)
    message = str(error.value)
    assert not marker.exists() and "\n" not in message
    assert f"cifar10: {batch} holds a pickled posix.system" in message and "delete it" in message
    _write_imagenet16(tmp_path / "in16")
    with open(tmp_path / "in16" / "val_data", "wb") as handle:
        pickle.dump({"data": _Forged(marker), "labels": [1]}, handle, protocol=protocol)
    with pytest.raises(UnsafeFileError, match="ImageNet16-120: .*val_data holds a pickled posix"):
        read_pickles(tmp_path / "in16", ["val_data"])
    assert not marker.exists()


def test_cifar_bundle_uses_the_official_split_file(tmp_path):
    npz = np.load(shared("cifar10/cifar10-test-1000.npz"))
    split = shared("nb201/splits/cifar-split.txt")
    # the official layout with 50,000 training images (the split indexes all of them: the real
    # 1,000 repeated) and the 1,000 real test images
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    flat = npz["x"].transpose(0, 3, 1, 2).reshape(1000, -1)
    batches = {f"data_batch_{i}": (np.tile(flat, (10, 1)), np.tile(npz["y"], 10))
               for i in range(1, 6)}
    for name, (data, lab) in {**batches, "test_batch": (flat, npz["y"])}.items():
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": data, "labels": lab.tolist()}, handle)
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


IN16_FILES = [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]
IN16_LABELS = [1, 120, 121, 500, 7, 1000]  # 1-based ImageNet labels; 121.. are not ImageNet16-120


def _in16_pattern(file_no: int, count: int) -> np.ndarray:
    """Official flat layout: 256 red values (16x16, row-major), then 256 green, then 256 blue;
    pixel value (channel*256 + row*16 + col + 7*image + 31*file) % 256 identifies its position."""
    return ((np.arange(3 * 16 * 16)[None, :] + 7 * np.arange(count)[:, None] + 31 * file_no)
            % 256).astype(np.uint8)


def _write_imagenet16(root, per_file=6, val_labels=None):
    root.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(IN16_FILES):
        labels = list(val_labels) if name == "val_data" and val_labels is not None else \
            IN16_LABELS[:per_file]
        with open(root / name, "wb") as handle:
            pickle.dump({"data": _in16_pattern(n, len(labels)), "labels": labels}, handle)


def test_imagenet16_120_label_filter_and_channel_first_layout(tmp_path):
    from nasrepro.data.imagenet16 import MEAN, STD, read_pickles

    _write_imagenet16(tmp_path / "in16")
    x, y = read_pickles(tmp_path / "in16", ["val_data"])
    kept = [i for i, label in enumerate(IN16_LABELS) if label <= 120]  # images 0, 1, 4
    assert list(y) == [0, 119, 6]  # labels > 120 dropped, 1..120 -> 0..119
    assert x.shape == (3, 16, 16, 3) and x.dtype == np.uint8
    for k, image in enumerate(kept):
        for ch, row, col in [(0, 0, 0), (1, 1, 2), (2, 15, 3), (0, 9, 14), (2, 15, 15)]:
            expected = (ch * 256 + row * 16 + col + 7 * image + 31 * 10) % 256
            assert x[k, row, col, ch] == expected, (k, ch, row, col)
    x_train, y_train = read_pickles(tmp_path / "in16", IN16_FILES[:10])
    assert len(y_train) == 30 and x_train[3, 0, 0, 0] == 31  # file 2's first image comes 4th
    # the plain (scoring) tensors are channel-first and normalised with NAS-Bench-201's mean/std
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "in16"), "verify": False,
            "official_split": _split(tmp_path / "s.txt", xvalid=[0, 2], xtest=[1])}
    bundle = DATASETS.get("imagenet16_120").load(spec)
    tensor, label = bundle.search_valid[1]  # val image kept[2] = 4, label 7 -> 6
    assert label == 6 and tensor.shape == (3, 16, 16)
    pixels = (tensor * torch.tensor(STD)[:, None, None] + torch.tensor(MEAN)[:, None, None]) * 255
    torch.testing.assert_close(pixels, torch.from_numpy(x[2]).permute(2, 0, 1).float(),
                               atol=1e-3, rtol=0)


def test_imagenet16_120_splits_and_checksums(tmp_path, caplog):
    import hashlib
    import logging

    _write_imagenet16(tmp_path / "in16")
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "in16"), "verify": False,
            "official_split": _split(tmp_path / "s.txt", xvalid=[0, 2], xtest=[1])}
    bundle = DATASETS.get("imagenet16_120").load(spec)
    assert bundle.sizes() == {"search_train": 30, "search_valid": 2, "test": 1}
    assert bundle.num_classes == 120 and bundle.in_channels == 3 and bundle.shape.height == 16
    assert list(bundle.arch_train.indices) == [0, 2]
    loader = DATASETS.get("imagenet16_120")
    checked = {**spec, "verify": True}
    # default: the official md5s, which hand-written files cannot match
    with pytest.raises(ChecksumError, match="md5.*val_data|val_data.*md5|train_data_batch_1"):
        loader.prepare(checked)
    digests = {name: hashlib.sha256((tmp_path / "in16" / name).read_bytes()).hexdigest()
               for name in IN16_FILES}
    assert loader.prepare({**checked, "checksums": digests}) == bundle.sizes()
    md5 = hashlib.md5((tmp_path / "in16" / "val_data").read_bytes()).hexdigest()
    assert loader.prepare({**checked, "checksums": {**digests, "val_data": md5}}) == bundle.sizes()
    # a partial mapping pins the files it lists; the others keep their official md5
    with pytest.raises(ChecksumError, match="train_data_batch_1: md5 .*expected 27846dca"):
        loader.prepare({**checked, "checksums": {"val_data": md5}})
    with pytest.raises(ChecksumError, match=r"val_data.*sha256"):
        loader.prepare({**checked, "checksums": {**digests, "val_data": "0" * 64}})
    with caplog.at_level(logging.WARNING):
        assert loader.prepare({**checked, "checksums": None}) == bundle.sizes()
    assert digests["val_data"] in caplog.text  # null: every digest is logged, nothing checked
    with pytest.raises(ValueError, match="'val_batch' is not a file this loader reads; its keys "
                       "are train_data_batch_1, .*val_data$"):
        loader.prepare({**checked, "checksums": {"val_batch": md5}})


def test_imagenet16_120_official_test_split_halves_the_validation_set(tmp_path):
    split = shared("nb201/splits/imagenet-16-120-test-split.txt")
    rng = np.random.default_rng(0)
    # 6,000 val images of classes 1..120 (as the official val_data has), interleaved with others
    labels = np.where(np.arange(9000) % 3 == 2, rng.integers(121, 1001, 9000),
                      rng.integers(1, 121, 9000))
    _write_imagenet16(tmp_path / "in16", per_file=2, val_labels=labels.tolist())
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "in16"), "verify": False,
            "official_split": {"path": str(split)}}
    bundle = DATASETS.get("imagenet16_120").load(spec)
    assert bundle.sizes() == {"search_train": 20, "search_valid": 3000, "test": 3000}
    valid, test = set(bundle.search_valid.indices), set(bundle.test.indices)
    assert not valid & test and valid | test == set(range(6000))
    with pytest.raises(ValueError, match="6,000"):  # the same split on a smaller val set
        _write_imagenet16(tmp_path / "small", val_labels=[5] * 100)
        DATASETS.get("imagenet16_120").load({**spec, "root": str(tmp_path / "small")})


def test_imagenet16_missing_files_are_named(tmp_path):
    spec = {"loader": "imagenet16_120", "root": str(tmp_path / "none"), "official_split": None}
    problems = DATASETS.get("imagenet16_120").missing(spec)
    assert len(problems) == 1
    for part in (str(tmp_path / "none"), "train_data_batch_1", "train_data_batch_10", "val_data",
                 "image-net.org", "Imagenet16_train.zip"):
        assert part in problems[0], part
    with pytest.raises(MissingDataError, match="Downsampled ImageNet"):
        DATASETS.get("imagenet16_120").prepare(spec)
    _write_imagenet16(tmp_path / "partial")
    (tmp_path / "partial" / "train_data_batch_3").unlink()
    problem = DATASETS.get("imagenet16_120").missing({**spec, "root": str(tmp_path / "partial")})[0]
    assert "lacks train_data_batch_3." in problem


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


def test_imagenet_transforms_are_the_darts_ones(tmp_path):
    from PIL import Image
    from torchvision import transforms as T

    for split in ("train", "val"):
        folder = tmp_path / "in" / split / "n01"
        folder.mkdir(parents=True)
        Image.new("RGB", (300, 260), color=(10, 20, 30)).save(folder / "0.png")
    bundle = DATASETS.get("imagenet").load({"loader": "imagenet", "root": str(tmp_path / "in")})
    train = {type(t).__name__: t for t in bundle.search_train.transform.transforms}
    assert list(train) == ["RandomResizedCrop", "RandomHorizontalFlip", "ColorJitter", "ToTensor",
                           "Normalize"]
    assert train["RandomResizedCrop"].size == (224, 224)
    jitter = train["ColorJitter"]
    assert (jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue) == (
        (0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.2, 0.2))
    val = bundle.test.transform.transforms
    assert isinstance(val[0], T.Resize) and val[0].size == 256
    assert isinstance(val[1], T.CenterCrop) and val[1].size == (224, 224)
    assert bundle.search_valid is bundle.test  # no public test labels: both are the val set


def test_cutout_zeroes_the_expected_square():
    from nasrepro.data.images import cutout_at

    ones = torch.ones(3, 32, 32)
    for (cy, cx), side in {(16, 16): (16, 16), (0, 0): (8, 8), (31, 31): (9, 9),
                           (5, 20): (13, 16)}.items():
        out = cutout_at(ones, 16, cy, cx)  # DARTS' length 16 on CIFAR
        assert int((out == 0).sum()) == 3 * side[0] * side[1], (cy, cx)
        rows = (out[0] == 0).any(1).nonzero().flatten()
        assert int(rows.min()) == max(0, cy - 8) and int(rows.max()) == min(31, cy + 7)
    assert int((cutout_at(torch.ones(1, 16, 16), 4, 8, 8) == 0).sum()) == 16
    assert torch.equal(ones, torch.ones(3, 32, 32))  # the input is not modified


def test_cutout_zeroes_one_clipped_square():
    from torch.utils.data import TensorDataset

    from nasrepro.data.images import CutoutDataset

    data = CutoutDataset(TensorDataset(torch.ones(50, 1, 16, 16), torch.zeros(50)), length=4)
    torch.manual_seed(0)
    zeros = [int((data[i][0] == 0).sum()) for i in range(50)]
    assert max(zeros) == 16 and min(zeros) >= 4  # 4x4 inside, clipped at borders (>= 2x2)
    torch.manual_seed(0)
    assert zeros == [int((data[i][0] == 0).sum()) for i in range(50)]
    from nasrepro.data.images import Cutout

    torch.manual_seed(3)
    a = Cutout(16)(torch.ones(3, 32, 32))
    torch.manual_seed(3)
    b = Cutout(16)(torch.ones(3, 32, 32))
    assert torch.equal(a, b) and 3 * 8 * 8 <= int((a == 0).sum()) <= 3 * 16 * 16
    assert torch.equal(a[0] == 0, a[2] == 0)  # the same square in every channel


def test_digits_architecture_batches_are_the_validation_set():
    bundle = DATASETS.get("digits").load({"split_seed": 0})
    assert bundle.arch_train is bundle.search_valid  # no augmentation exists for the digits
    pairs = DATASETS.get("two_digits").load({"split_seed": 0, "pairs_per_split": 20})
    assert pairs.arch_train is pairs.search_valid


def test_digits_read_without_sklearn_import_equal_load_digits():
    import numpy as np
    from sklearn.datasets import load_digits

    from nasrepro.data.digits import _digits

    images, labels = _digits()
    reference = load_digits()
    assert np.array_equal(images, reference.images) and np.array_equal(labels, reference.target)
