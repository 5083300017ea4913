"""ImageNet16-120, NAS-Bench-201's third dataset (Chrabaszcz et al. 2017, "A Downsampled Variant
of ImageNet"): the 16x16 downsampled ImageNet restricted to its first 120 classes.

Files (the official release, not downloadable by script: request it from image-net.org's
downsampled-ImageNet page, the 16x16 version) under ``root``: ``train_data_batch_1`` ..
``train_data_batch_10`` and ``val_data``, python pickles with ``data`` (N x 3072 uint8, channel
first) and ``labels`` (1..1000). Kept: labels 1..120, mapped to 0..119. md5 digests as published
with NAS-Bench-201's reader (``verify: false`` skips them).

Splits as NAS-Bench-201: search_train = the training set; the official
``imagenet-16-120-test-split.txt`` halves the validation set into x-valid (search_valid) and x-test
(test). Training augmentation: random crop 16 with padding 2 and horizontal flip; the
architecture batches (``arch_train``) are x-valid with the same augmentation.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
from torch.utils.data import Subset

from nasrepro.data.base import DataBundle, DatasetLoader
from nasrepro.data.cifar import ImageArrayDataset, read_split_file
from nasrepro.registry import DATASETS
from nasrepro.utils.download import ChecksumError, MissingDataError

MD5 = {
    "train_data_batch_1": "27846dcaa50de8e21a7d1a35f30f0e91",
    "train_data_batch_2": "c7254a054e0e795c69120a5727050e3f",
    "train_data_batch_3": "4333d3df2e5ffb114b05d2ffc19b1e87",
    "train_data_batch_4": "1620cdf193304f4a92677b695d70d10f",
    "train_data_batch_5": "348b3c2fdbb3940c4e9e834affd3b18d",
    "train_data_batch_6": "6e765307c242a1b3d7d5ef9139b48945",
    "train_data_batch_7": "564926d8cbf8fc4818ba23d2faac7564",
    "train_data_batch_8": "f4755871f718ccb653440b9dd0ebac66",
    "train_data_batch_9": "bb6dd660c38c58552125b1a92f86b5d4",
    "train_data_batch_10": "8f03f34ac4b42271a294f91bf480f29b",
    "val_data": "3410e3017fdaefba8d5073aaa65e4bd6",
}
TRAIN_FILES = tuple(f"train_data_batch_{i}" for i in range(1, 11))
CLASSES = 120
MEAN = [x / 255 for x in (122.68, 116.66, 104.01)]
STD = [x / 255 for x in (63.22, 61.26, 65.09)]


def missing(spec: dict) -> list[str]:
    root = Path(spec["root"])
    absent = [name for name in MD5 if not (root / name).exists()]
    out = []
    if absent:
        out.append(f"ImageNet16-120: {', '.join(str(root / n) for n in absent)} missing. Put the "
                   "16x16 downsampled ImageNet pickles (train_data_batch_1..10, val_data; from "
                   f"image-net.org, 'downsampled ImageNet') in {root}/")
    split = spec.get("official_split")
    if split and not split.get("url") and not Path(split["path"]).exists():
        out.append(f"{split['path']} (NAS-Bench-201 split file) is missing and has no url")
    return out


def verify(spec: dict) -> None:
    problems = missing({**spec, "official_split": None})
    if problems:
        raise MissingDataError(problems[0])
    if spec.get("verify", True):
        for name, digest in MD5.items():
            actual = hashlib.md5((Path(spec["root"]) / name).read_bytes()).hexdigest()
            if actual != digest:
                raise ChecksumError(f"ImageNet16-120: {Path(spec['root']) / name} has md5 "
                                    f"{actual}, expected {digest}; fetch the file again")


def read_pickles(root: Path, names) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 16 x 16 x 3 uint8) and 0-based labels of the first 120 classes."""
    images, labels = [], []
    for name in names:
        with open(root / name, "rb") as handle:
            entry = pickle.load(handle, encoding="latin1")
        data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 16, 16)
        lab = np.asarray(entry["labels"], dtype=np.int64)
        keep = (lab >= 1) & (lab <= CLASSES)
        images.append(data[keep].transpose(0, 2, 3, 1))
        labels.append(lab[keep] - 1)
    return np.concatenate(images), np.concatenate(labels)


def _transform(augment: bool):
    from torchvision import transforms as T

    steps = [T.ToPILImage()]
    if augment:
        steps += [T.RandomCrop(16, padding=2), T.RandomHorizontalFlip()]
    return T.Compose(steps + [T.ToTensor(), T.Normalize(MEAN, STD)])


def load(spec: dict) -> DataBundle:
    verify({**spec, "verify": False})
    root = Path(spec["root"])
    splits = read_split_file(spec)
    train_x, train_y = read_pickles(root, TRAIN_FILES)
    val_x, val_y = read_pickles(root, ("val_data",))
    augment = spec.get("augment", True)
    val_plain = ImageArrayDataset(val_x, val_y, _transform(False))
    return DataBundle("ImageNet16-120", ImageArrayDataset(train_x, train_y, _transform(augment)),
                      Subset(val_plain, splits["xvalid"]), Subset(val_plain, splits["xtest"]),
                      num_classes=CLASSES, in_channels=3,
                      arch_train=Subset(ImageArrayDataset(val_x, val_y, _transform(augment)),
                                        splits["xvalid"]))


def prepare(spec: dict) -> dict:
    verify(spec)
    return load(spec).sizes()


DATASETS.register("imagenet16_120")(DatasetLoader(load, prepare, missing))
