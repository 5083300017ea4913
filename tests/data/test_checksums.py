"""The ``checksums`` key of a dataset spec (``nasrepro.data.checksums``): honoured by every
loader that verifies files (issue #28 item 3), and what is read is what is hashed, ``.gz``
copies included (issue #28 item 4)."""

import copy
import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from nasrepro.params import ConfigError
from nasrepro.registry import DATASETS
from nasrepro.utils.download import ChecksumError
from tests.conftest import ROOT, shared
from tests.data.test_data import _split, _write_cifar10_layout

CIFAR10_FILES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                 "test_batch"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cifar_loader_checks_the_configured_digests_not_only_torchvisions(tmp_path):
    """A re-encoded mirror (here: hand-written batches) passes with its own digests pinned, and
    only then; verification is never switched off to get it through."""
    rng = np.random.default_rng(0)
    _write_cifar10_layout(tmp_path, rng.integers(0, 256, (120, 32, 32, 3), dtype=np.uint8),
                          np.arange(120) % 10)
    folder = tmp_path / "cifar-10-batches-py"
    pinned = {name: _sha256(folder / name) for name in CIFAR10_FILES}
    spec = {"loader": "cifar10", "root": str(tmp_path), "verify": True,
            "official_split": _split(tmp_path / "split.txt", train=range(30), valid=range(30, 60))}
    loader = DATASETS.get("cifar10")
    with pytest.raises(ChecksumError, match="data_batch_1: md5 .*expected c99cafc1"):
        loader.prepare(spec)  # no checksums: torchvision's official md5 list
    assert loader.prepare({**spec, "checksums": pinned})["test"] == 60
    md5 = hashlib.md5((folder / "test_batch").read_bytes()).hexdigest()
    assert loader.prepare({**spec, "checksums": {**pinned, "test_batch": md5}})["test"] == 60
    data = bytearray((folder / "data_batch_3").read_bytes())
    data[-20] ^= 1  # one bit of one image
    (folder / "data_batch_3").write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=r"^cifar10: .*data_batch_3: sha256 is [0-9a-f]{64}, "
                       f"expected {pinned['data_batch_3']}"):
        loader.prepare({**spec, "checksums": pinned})


@pytest.mark.parametrize("loader, key, files", [
    ("cifar10", "batches.meta", "data_batch_1, .*, test_batch$"),
    ("cifar100", "data_batch_1", "train, test$"),
    ("ptb", "ptb.train.txt", "train, valid, test$"),
])
def test_a_checksum_key_the_loader_does_not_read_is_refused_in_one_line(tmp_path, loader, key,
                                                                         files):
    spec = {"loader": loader, "root": str(tmp_path), "checksums": {key: "0" * 64}}
    with pytest.raises(ConfigError, match=f"{key!r} is not a file this loader reads; its keys "
                       f"are {files}") as error:
        DATASETS.get(loader).prepare(spec)
    assert "\n" not in str(error.value)


def test_the_profile_check_refuses_bad_checksums_before_any_job():
    from nasrepro.profile import validate

    config = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())
    good = copy.deepcopy(config)
    good["datasets"]["cifar10"]["checksums"] = {"test_batch": "a" * 64}
    validate.check_profile(good)
    bad = copy.deepcopy(config)
    bad["datasets"]["cifar10"]["checksums"] = {"batches.meta": "a" * 64, "test_batch": "12"}
    bad["datasets"]["imagenet"]["checksums"] = {"train": "a" * 64}
    with pytest.raises(ConfigError) as error:
        validate.check_profile(bad)
    message = str(error.value)
    assert "datasets.cifar10.checksums: 'batches.meta' is not a file this loader reads" in message
    assert "datasets.cifar10.checksums.test_batch: '12' is neither an md5" in message
    assert ("datasets.imagenet.checksums: loader 'imagenet' verifies no checksums; remove the key"
            in message)


def test_a_tampered_gz_copy_is_refused_like_a_tampered_plain_file(tmp_path):
    """Real PTB (``../shared/data``, gzipped): the decompressed content is hashed against the
    official digest of the plain file, whichever form is on disk."""
    source = shared("ptb")
    root = tmp_path / "ptb"
    shutil.copytree(source, root)
    spec = {"loader": "ptb", "root": str(root)}
    assert DATASETS.get("ptb").prepare(spec)["test"] == 82430  # official digests, from the .gz
    text = gzip.open(root / "ptb.test.txt.gz", "rt").read().replace(" the ", " thee ", 1)
    with gzip.open(root / "ptb.test.txt.gz", "wt") as handle:
        handle.write(text)
    with pytest.raises(ChecksumError, match=r"ptb.test.txt.gz \(decompressed\): sha256 is "
                       "[0-9a-f]{64}, expected dd65dff3"):
        DATASETS.get("ptb").load(spec)
    (root / "ptb.test.txt.gz").unlink()
    (root / "ptb.test.txt").write_text(text)
    with pytest.raises(ChecksumError, match=r"ptb.test.txt: sha256 is [0-9a-f]{64}, expected "
                       "dd65dff3"):
        DATASETS.get("ptb").load(spec)
    # pinning the tampered content's digest is the one way to read it (e.g. a corrected copy)
    (root / "ptb.test.txt").unlink()
    with gzip.open(root / "ptb.test.txt.gz", "wt") as handle:
        handle.write(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    bundle = DATASETS.get("ptb").load({**spec, "checksums": {"test": digest}})
    assert bundle.num_classes == 10001  # "thee" is a new word
