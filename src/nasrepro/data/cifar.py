"""CIFAR-10 / CIFAR-100 in the official python-pickle layout, read from ``root``.

``prepare`` extracts the official archive (``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``)
when the files are missing and it is in ``root`` (placed by hand: no network needed), after
downloading it through torchvision when it is not there and ``download`` is true; the archive is
md5-checked against torchvision's digest, and every batch file (``verify``) against the spec's
``checksums`` (``data.checksums``: keys are the batch files, default torchvision's official md5
list). The
NAS-Bench-201 splits come from the official split files (``official_split``):
- cifar10: ``cifar-split.txt`` halves the 50k training images into train/valid 25k/25k
  (search_train / search_valid); ``test`` is the 10k test set.
- cifar100: search_train is the 50k training set; ``cifar100-test-split.txt`` halves the test
  set into x-valid (search_valid) and x-test (test), as the benchmark reports them.
Architecture batches (``arch_train``) are the search_valid images with the training augmentation,
as NAS-Bench-201's search data applies it to both halves; scoring uses the plain images. The
whole sets (``train``: 50k augmented, ``official_test``: 10k plain) are DARTS' protocol's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from torch.utils.data import Subset

from nasrepro.data import checksums
from nasrepro.data.base import DataBundle, DatasetLoader, check_split_indices, split_file_lines
from nasrepro.data.images import ImageArrayDataset
from nasrepro.registry import DATASETS
from nasrepro.utils.atomic import atomic_path
from nasrepro.utils.download import ChecksumError, MissingDataError, fetch, file_digest
from nasrepro.utils.safeload import load_array_pickle

SPLIT_SOURCE = "AutoDL-Projects, configs/nas-benchmark/"
MEAN_STD = {"cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
            "cifar100": ([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762])}


def _tv_class(name: str):
    from torchvision.datasets import CIFAR10, CIFAR100

    return {"cifar10": CIFAR10, "cifar100": CIFAR100}[name]


def _files(name: str) -> tuple[Path, list[tuple[str, str]], list[tuple[str, str]]]:
    cls = _tv_class(name)
    return Path(cls.base_folder), list(cls.train_list), list(cls.test_list)


def official_digests(spec: dict) -> dict[str, str]:
    """{batch file: md5} of the official archive (torchvision's list)."""
    _, train, test = _files(spec["loader"])
    return dict(train + test)


def check_files(name: str, root: str | Path, verify: bool = True,
                expected: dict[str, str | None] | None = None) -> None:
    """Raise ``MissingDataError`` for an absent batch file and, with ``verify``, ``ChecksumError``
    for one whose digest differs from ``expected`` (default: the official md5s)."""
    folder, train, test = _files(name)
    base = Path(root) / folder
    missing = [str(base / f) for f, _ in train + test if not (base / f).exists()]
    if missing:
        raise MissingDataError(
            f"{name}: missing {', '.join(missing)}. Put the official python version "
            f"({_tv_class(name).filename}) extracted under {root}/ (so that {base}/ exists), or set "
            f"`download: true` for {name} in the config when online.")
    if verify:
        for fname, digest in (expected or dict(train + test)).items():
            try:
                checksums.check(base / fname, digest, name)
            except ChecksumError as error:
                raise ChecksumError(f"{name}: {error}") from None


def _archive(name: str, root: str | Path) -> Path:
    """Where the official archive (``cifar-10-python.tar.gz``) is placed: in ``root``."""
    return Path(root) / _tv_class(name).filename


def download_archive(name: str, root: Path) -> None:
    """Download the official archive into ``root`` (atomically: a failed download leaves none).
    Any failure of torchvision's downloader (its ``RuntimeError``, urllib's ``OSError``, ...) is
    one line saying what to do; the md5 is checked by ``extract_archive``."""
    from torchvision.datasets.utils import download_url

    cls = _tv_class(name)
    with atomic_path(_archive(name, root)) as tmp:
        tmp.unlink()  # download_url keeps an existing file
        try:
            download_url(cls.url, str(tmp.parent), filename=tmp.name)
        except Exception as error:  # noqa: BLE001 - torchvision's RuntimeError, urllib's, ...
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            raise MissingDataError(
                f"{name}: download of {cls.url} failed ({reason}). Offline? Put {cls.filename} "
                f"in {root}/ (it is extracted there).") from error


def extract_archive(name: str, root: Path, verify: bool = True) -> None:
    """Extract the official archive placed in ``root`` (copied by hand, e.g. from a login node
    with internet, or just downloaded), without network access, after checking its md5 against
    torchvision's (``verify``). A mismatch names the archive's digest and the expected one."""
    from torchvision.datasets.utils import extract_archive as untar

    cls, archive = _tv_class(name), _archive(name, root)
    if verify:
        digest = file_digest(archive, "md5")
        if digest != cls.tgz_md5:
            raise ChecksumError(
                f"{name}: {archive} has md5 {digest}, expected {cls.tgz_md5} (the official "
                f"{cls.filename}): a damaged or different file. Replace it with the official "
                "archive, or delete it and set `download: true`.")
    untar(str(archive), str(root))


def prepare(spec: dict) -> dict:
    name, root = spec["loader"], Path(spec["root"])
    expected = checksums.expected(spec, name, official_digests(spec))
    try:
        check_files(name, root, spec.get("verify", True), expected)
    except MissingDataError:
        if not _archive(name, root).exists():
            if not spec.get("download", False):
                raise
            download_archive(name, root)
        extract_archive(name, root, spec.get("verify", True))
        check_files(name, root, spec.get("verify", True), expected)
    return load_cifar_bundle(spec).sizes()  # also fetches and verifies the split file


def read_split_file(spec: dict) -> dict[str, list[int]]:
    """The official NAS-Bench-201 split file of ``spec['official_split']`` (fetched, checked)."""
    split = spec.get("official_split")
    if not split:
        raise ValueError(f"{spec['loader']}: `official_split` (path/url/sha256 of the "
                         "NAS-Bench-201 split file) must be set in the config")
    path = fetch(split["path"], split.get("url"), split.get("sha256"), "NAS-Bench-201 split file")
    raw = json.loads(Path(path).read_text())
    return {key: [int(i) for i in value[1]] for key, value in raw.items()}


def read_pickle_layout(name: str, root: str | Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 32 x 32 x 3 uint8) and labels from the official batch files."""
    folder, train_files, test_files = _files(name)
    images, labels = [], []
    for fname, _ in train_files if train else test_files:
        with open(Path(root) / folder / fname, "rb") as handle:
            entry = load_array_pickle(handle, f"{name}: {Path(root) / folder / fname}")
        images.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
    return np.concatenate(images).transpose(0, 2, 3, 1), np.asarray(labels, dtype=np.int64)


def load_cifar_bundle(spec: dict) -> DataBundle:
    name, root = spec["loader"], spec["root"]
    check_files(name, root, verify=False)
    splits = read_split_file(spec)
    train_x, train_y = read_pickle_layout(name, root, train=True)
    test_x, test_y = read_pickle_layout(name, root, train=False)
    split_path = spec["official_split"]["path"]
    if name == "cifar10":
        check_split_indices(name, split_path, splits, ("train", "valid"), len(train_y),
                            f"the training set under {root}")
    else:
        check_split_indices(name, split_path, splits, ("xvalid", "xtest"), len(test_y),
                            f"the test set under {root}")
    pad = 4 if spec.get("augment", True) else None  # RandomCrop(32, padding=4) + flip
    train_aug = ImageArrayDataset(train_x, train_y, *MEAN_STD[name], pad)
    train_plain = ImageArrayDataset(train_x, train_y, *MEAN_STD[name], None)
    test_plain = ImageArrayDataset(test_x, test_y, *MEAN_STD[name], None)
    if name == "cifar10":
        search_train = Subset(train_aug, splits["train"])
        search_valid = Subset(train_plain, splits["valid"])
        arch_train = Subset(train_aug, splits["valid"])
        test = test_plain
    else:
        search_train = train_aug
        search_valid = Subset(test_plain, splits["xvalid"])
        test_aug = ImageArrayDataset(test_x, test_y, *MEAN_STD[name], pad)
        arch_train = Subset(test_aug, splits["xvalid"])
        test = Subset(test_plain, splits["xtest"])
    classes = 10 if name == "cifar10" else 100
    return DataBundle(name, search_train, search_valid, test, num_classes=classes, in_channels=3,
                      arch_train=arch_train, train=train_aug, official_test=test_plain)


def missing(spec: dict) -> list[str]:
    """Raw files absent with no way to download them (checked before any job starts)."""
    out = []
    if not spec.get("download", False) and not _archive(spec["loader"], spec["root"]).exists():
        try:
            check_files(spec["loader"], spec["root"], verify=False)
        except MissingDataError as error:
            out.append(str(error))
    return out + split_file_lines(spec, SPLIT_SOURCE)[0]


def fetched(spec: dict) -> list[str]:
    """Raw files absent that ``prepare`` downloads (``download: true``; split files with a url)."""
    out = []
    if spec.get("download", False) and not _archive(spec["loader"], spec["root"]).exists():
        try:
            check_files(spec["loader"], spec["root"], verify=False)
        except MissingDataError:
            cls = _tv_class(spec["loader"])
            out.append(f"{spec['root']}/: {cls.filename} from {cls.url}")
    return out + split_file_lines(spec, SPLIT_SOURCE)[1]


for _name in ("cifar10", "cifar100"):
    DATASETS.register(_name)(DatasetLoader(load_cifar_bundle, prepare, missing, fetched,
                                           digests=official_digests))
