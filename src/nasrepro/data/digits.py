"""Offline default-profile data (DESIGN.md "Data"): scikit-learn's bundled handwritten digits
(1,797 real 8x8 images, 10 classes) and the deterministic "two-digit" 100-class set built by
placing two digits side by side (8x16 images, label = 10 * left + right).

``digit_numbers`` generalises the construction for the ImageNet roles: ``digits_per_image``
digits side by side, the label the number they spell, only its first ``classes`` labels kept
(drawn uniformly), upscaled ``scale`` times (nearest). The default profile plays ImageNet16-120
(ImageNet at 16x16, its first 120 classes, Table 3.7) with three digits at their own 8x24 size
and the first 120 numbers, and ImageNet (mobile setting, Table 3.2) with two digits at 4x
(32x64, 100 classes): DARTS' ImageNet stem divides the side by 8 before the cells.

Splits are fixed by ``split_seed``: 22% of the digits are the test set; the rest is halved into
``search_train`` / ``search_valid`` (the analogue of NAS-Bench-201's 25k/25k CIFAR-10 split).
Two-digit images are composed only from digits of the same split, so no digit image appears
in two splits. The analogue of CIFAR's whole training set (``train``, DARTS' retraining
protocol, ``data/protocols.py``) is both search halves together; ``official_test`` is ``test``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nasrepro.data.base import DataBundle, DatasetLoader, tensor_dataset
from nasrepro.registry import DATASETS
from nasrepro.utils.download import MissingDataError

TEST_FRACTION = 0.22


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``load_digits()`` images and targets, read from the data file it ships
    without importing scikit-learn (a second of start-up per job; same values, tested)."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataError("the digits stand-in needs scikit-learn (pip install -e .)")
    data = np.loadtxt(Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz",
                      delimiter=",")
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.int64)


def _digit_splits(split_seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    raw_images, labels = _digits()
    images = (raw_images / 16.0).astype(np.float32)  # pixel values 0..16 -> [0, 1]
    order = np.random.default_rng(split_seed).permutation(len(labels))
    n_test = int(round(TEST_FRACTION * len(labels)))
    test, rest = order[:n_test], order[n_test:]
    half = len(rest) // 2
    parts = {"search_train": rest[:half], "search_valid": rest[half:], "test": test}
    return {name: (images[idx], labels[idx]) for name, idx in parts.items()}


def _normalise(images: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(images).unsqueeze(1)  # N x 1 x H x W
    return (tensor - 0.5) / 0.5


def _pairs(images: np.ndarray, labels: np.ndarray, count: int, seed: int):
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, len(labels), size=(2, count))
    return (np.concatenate([images[left], images[right]], axis=2),
            labels[left] * 10 + labels[right])


def _bundle(name: str, parts: dict[str, tuple[np.ndarray, np.ndarray]], classes: int) -> DataBundle:
    """The bundle of the three splits; ``train`` (the whole training set) is both search halves."""
    datasets = {key: tensor_dataset(_normalise(x), torch.from_numpy(y))
                for key, (x, y) in parts.items()}
    (tx, ty), (vx, vy) = parts["search_train"], parts["search_valid"]
    train = tensor_dataset(_normalise(np.concatenate([tx, vx])),
                           torch.from_numpy(np.concatenate([ty, vy])))
    return DataBundle(name, num_classes=classes, in_channels=1, train=train,
                      official_test=datasets["test"], **datasets)


def load_digits_bundle(spec: dict) -> DataBundle:
    return _bundle("digits", _digit_splits(int(spec.get("split_seed", 0))), 10)


def load_two_digits_bundle(spec: dict) -> DataBundle:
    split_seed = int(spec.get("split_seed", 0))
    per_split = int(spec.get("pairs_per_split", 3000))
    parts = {name: _pairs(x, y, per_split, seed=split_seed * 100 + offset)
             for offset, (name, (x, y)) in enumerate(_digit_splits(split_seed).items(), start=1)}
    return _bundle("two_digits", parts, 100)


def _numbers(images: np.ndarray, labels: np.ndarray, length: int, classes: int, count: int,
             seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images of ``length`` digits side by side spelling numbers drawn uniformly from
    0..classes-1; each digit is a random image of that digit from ``images``."""
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, classes, size=count)
    parts = []
    for place in range(length - 1, -1, -1):
        digit = numbers // 10 ** place % 10
        chosen = np.empty(count, np.int64)
        for d in range(10):
            where = np.flatnonzero(labels == d)
            mask = digit == d
            chosen[mask] = where[rng.integers(0, len(where), size=int(mask.sum()))]
        parts.append(images[chosen])
    return np.concatenate(parts, axis=2), numbers


def load_digit_numbers_bundle(spec: dict) -> DataBundle:
    length = int(spec.get("digits_per_image", 3))
    classes = int(spec.get("classes", 10 ** length))
    if not 2 <= classes <= 10 ** length:
        raise ValueError(f"digit_numbers: `classes` {classes} must be 2..{10 ** length} (the "
                         f"numbers {length} digits spell)")
    scale, count = int(spec.get("scale", 1)), int(spec.get("images_per_split", 1500))
    split_seed = int(spec.get("split_seed", 0))
    parts = {}
    for offset, (name, (x, y)) in enumerate(_digit_splits(split_seed).items(), start=1):
        images, numbers = _numbers(x, y, length, classes, count,
                                   seed=split_seed * 100 + 10 + offset)
        parts[name] = (images.repeat(scale, axis=1).repeat(scale, axis=2), numbers)
    return _bundle("digit_numbers", parts, classes)


def _sizes_of(load):
    """Nothing to fetch for built-in data: preparing reports the split sizes."""
    return lambda spec: load(spec).sizes()


DATASETS.register("digits")(DatasetLoader(load_digits_bundle, _sizes_of(load_digits_bundle),
                                          standin=True))
DATASETS.register("two_digits")(DatasetLoader(load_two_digits_bundle,
                                              _sizes_of(load_two_digits_bundle), standin=True))
DATASETS.register("digit_numbers")(DatasetLoader(
    load_digit_numbers_bundle, _sizes_of(load_digit_numbers_bundle), standin=True))
