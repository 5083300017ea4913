"""ImageNet16-120, NAS-Bench-201's third dataset (Chrabaszcz et al. 2017, "A Downsampled Variant
of ImageNet"): the 16x16 downsampled ImageNet restricted to its first 120 classes.

Files (the official release of the pickle version; not downloadable by script, since image-net.org
requires a login: download ``Imagenet16_train.zip`` and ``Imagenet16_val.zip`` from
https://image-net.org/download-images (section "Downsampled ImageNet", 16x16, not the ``_npz``
variant) and unzip them) under ``root``: ``train_data_batch_1`` .. ``train_data_batch_10`` and
``val_data``, python pickles with ``data`` (N x 3072 uint8, channel first: 256 red, 256 green,
256 blue values, each row-major) and ``labels`` (1..1000). Kept: labels 1..120, mapped to 0..119,
as NAS-Bench-201's reader (``use_num_of_class_only=120``) does.

Checksums (dataset spec key ``checksums``, ``data.checksums``): keys are the file names; absent
means the md5 digests published with NAS-Bench-201's reader (``MD5``); a mapping ``{filename:
digest}`` pins each listed file (md5 if 32 hex digits, sha256 if 64; files not listed keep their
official md5); ``null`` checks nothing and logs every file's sha256 so it can be pinned.
``verify: false`` skips hashing.

Splits as NAS-Bench-201: search_train = the training set; the official
``imagenet-16-120-test-split.txt`` halves the validation set into x-valid (search_valid) and x-test
(test). Training augmentation: random crop 16 with padding 2 and horizontal flip; the
architecture batches (``arch_train``) are x-valid with the same augmentation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torch.utils.data import Subset

from nasrepro.data import checksums
from nasrepro.data.base import DataBundle, DatasetLoader, split_file_lines
from nasrepro.data.cifar import read_split_file
from nasrepro.data.images import ImageArrayDataset
from nasrepro.registry import DATASETS
from nasrepro.utils.download import ChecksumError, MissingDataError
from nasrepro.utils.safeload import load_array_pickle

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
        where = "does not exist" if not root.is_dir() else f"lacks {', '.join(absent)}"
        out.append(f"ImageNet16-120: {root} {where}. Put the 16x16 downsampled ImageNet pickles "
                   f"({', '.join(MD5)}) in {root}/. They are not downloadable by script: log in at "
                   "https://image-net.org/download-images, download 'Downsampled ImageNet' 16x16 "
                   "Imagenet16_train.zip and Imagenet16_val.zip (pickle version, not _npz) and "
                   "unzip both there")
    return out + split_file_lines(spec, "imagenet-16-120-test-split.txt of AutoDL-Projects, "
                                       "configs/nas-benchmark/")[0]


def official_digests(spec: dict) -> dict[str, str]:
    """{file: md5} published with NAS-Bench-201's reader."""
    return dict(MD5)


def verify(spec: dict) -> dict[str, str]:
    """Raise ``MissingDataError`` for absent files and ``ChecksumError`` for a digest mismatch;
    return {filename: digest} of what was hashed (empty when ``verify: false``)."""
    problems = missing({**spec, "official_split": None})
    if problems:
        raise MissingDataError(problems[0])
    expected = checksums.expected(spec, "ImageNet16-120", MD5)
    if not spec.get("verify", True):
        return {}
    root = Path(spec["root"])
    digests = {}
    for name, digest in expected.items():
        try:
            digests[name] = checksums.check(root / name, digest, "ImageNet16-120")
        except ChecksumError as error:
            raise ChecksumError(f"ImageNet16-120: {error}") from error
    return digests


def read_pickles(root: Path, names) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 16 x 16 x 3 uint8) and 0-based labels of the first 120 classes."""
    images, labels = [], []
    for name in names:
        with open(root / name, "rb") as handle:
            entry = load_array_pickle(handle, f"ImageNet16-120: {root / name}")
        data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 16, 16)
        lab = np.asarray(entry["labels"], dtype=np.int64)
        keep = (lab >= 1) & (lab <= CLASSES)
        images.append(data[keep].transpose(0, 2, 3, 1))
        labels.append(lab[keep] - 1)
    return np.concatenate(images), np.concatenate(labels)


def load(spec: dict) -> DataBundle:
    verify({**spec, "verify": False})
    root = Path(spec["root"])
    splits = read_split_file(spec)
    train_x, train_y = read_pickles(root, TRAIN_FILES)
    val_x, val_y = read_pickles(root, ("val_data",))
    for key in ("xvalid", "xtest"):
        if key not in splits or (splits[key] and max(splits[key]) >= len(val_y)):
            raise ValueError(
                f"ImageNet16-120: split file {spec['official_split']['path']} needs `{key}` "
                f"indices into the {len(val_y)} validation images of classes 1..120 (6,000 in the official "
                "val_data); is it imagenet-16-120-test-split.txt, and val_data the official file?")
    pad = 2 if spec.get("augment", True) else None  # RandomCrop(16, padding=2) + flip
    val_plain = ImageArrayDataset(val_x, val_y, MEAN, STD, None)
    train = ImageArrayDataset(train_x, train_y, MEAN, STD, pad)
    return DataBundle("ImageNet16-120", train,
                      Subset(val_plain, splits["xvalid"]), Subset(val_plain, splits["xtest"]),
                      num_classes=CLASSES, in_channels=3,
                      arch_train=Subset(ImageArrayDataset(val_x, val_y, MEAN, STD, pad),
                                        splits["xvalid"]),
                      train=train, official_test=val_plain)


def prepare(spec: dict) -> dict:
    verify(spec)
    return load(spec).sizes()


DATASETS.register("imagenet16_120")(DatasetLoader(
    load, prepare, missing, lambda spec: split_file_lines(spec, "")[1], digests=official_digests))
