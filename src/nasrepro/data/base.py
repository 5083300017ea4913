"""What every dataset loader returns, and the data loaders built from it.

A ``DataBundle`` has the splits the pipeline uses: ``search_train`` (supernet weights, and the
training set when a found cell is retrained, with the training augmentation), ``search_valid``
(plain images: scoring the derived cell during search, and the "Valid" column), ``test`` (plain:
the "Test" column), and ``arch_train``: the search_valid examples with the training augmentation,
the architecture-step batches (NAS-Bench-201's search data augments both halves of the CIFAR-10
split). Where a dataset has no augmentation (digits) ``arch_train`` is ``search_valid`` itself.
``train`` and ``official_test`` are the dataset's own whole training and test sets (CIFAR: the
50,000 and 10,000 images; ImageNet: the train and val folders; a corpus: its train and test
files), which DARTS' evaluation protocol uses; ``data/protocols.py`` says which protocol reads
which part. A search job sees ``DataBundle.for_search()``: its test parts sealed, so that no
search-time decision can read a test split (NAS-Bench-201's rule; issue #29 item 3).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from nasrepro.data.images import device_batches
from nasrepro.data.protocols import SealedSplitRead


@dataclass(frozen=True)
class DatasetLoader:
    """What ``DATASETS`` holds: ``prepare(spec)`` fetches and verifies the raw files (returning a
    record of split sizes), ``load(spec)`` returns the ``DataBundle``, ``missing(spec)`` lists
    (one line each, with where to put them) the raw files that are absent and will not be
    downloaded, ``fetched(spec)`` (one line each: what, from where, to where) those absent that
    ``prepare`` will download. Both are reported before any job starts. ``standin``: the loader
    plays a dataset it is not (the default profile's offline substitutes); tables name it beside
    the numbers it gives. ``digests(spec)``: the official digest of each raw file or split the
    loader verifies, the keys its spec's ``checksums`` may pin (``data.checksums``); None: it
    verifies nothing and refuses ``checksums``."""

    load: Callable[[dict], "DataBundle"]
    prepare: Callable[[dict], dict]
    missing: Callable[[dict], list[str]] = lambda spec: []  # raw files absent and not downloadable
    fetched: Callable[[dict], list[str]] = lambda spec: []  # raw files absent, to be downloaded
    standin: bool = False
    digests: Callable[[dict], dict[str, str | None]] | None = None


def split_file_lines(spec: dict, source: str) -> tuple[list[str], list[str]]:
    """(missing, fetched) lines of a dataset's NAS-Bench-201 split file (``official_split``): absent
    with no url (put it there: it comes from ``source``), or absent and downloaded from its url."""
    split = spec.get("official_split")
    if not split or Path(split["path"]).exists():
        return [], []
    if not split.get("url"):
        return [f"{split['path']} (NAS-Bench-201 split file) is missing and has no url: put it "
                f"there ({source})"], []
    return [], [f"{split['path']}: NAS-Bench-201 split file from {split['url']}"]


def check_split_indices(name: str, split_path, splits: dict[str, list[int]], keys, size: int,
                        what: str) -> None:
    """Refuse (one line: the split file, the largest index, the set's size) a split file whose
    parts ``keys`` are absent or index outside the ``size`` examples of ``what`` they index, when
    the data is prepared, not at the first batch of a search."""
    absent = [key for key in keys if key not in splits]
    if absent:
        raise ValueError(f"{name}: split file {split_path} has no `{'`, `'.join(absent)}` part "
                         f"(it has {', '.join(sorted(splits)) or 'none'}); is it the right file?")
    indices = [i for key in keys for i in splits[key]]
    if indices and (max(indices) >= size or min(indices) < 0):
        raise ValueError(
            f"{name}: split file {split_path} indexes up to {max(indices):,} but {what} has "
            f"{size:,} images: the data is incomplete (a partial download, a wrong folder?) or "
            "the split file belongs to another dataset")


@dataclass
class DataBundle:
    name: str
    search_train: Dataset
    search_valid: Dataset
    test: Dataset
    num_classes: int
    in_channels: int
    arch_train: Dataset | None = None  # architecture batches; None: search_valid itself
    train: Dataset | None = None          # the whole official training set (augmented)
    official_test: Dataset | None = None  # the whole official test set (plain)

    def __post_init__(self):
        if self.arch_train is None:
            self.arch_train = self.search_valid

    @property
    def shape(self):
        """``DataShape`` of one example (classes, channels, height, width) for building networks."""
        from nasrepro.spaces.base import DataShape

        x = self.search_train[0][0]
        height = int(x.shape[-2]) if x.dim() > 1 else 1  # 1: token sequences (height 1, width T)
        return DataShape(self.num_classes, self.in_channels, height, int(x.shape[-1]))

    def sizes(self) -> dict[str, int]:
        return {"search_train": len(self.search_train), "search_valid": len(self.search_valid),
                "test": len(self.test)}

    def for_search(self) -> "DataBundle":
        """This bundle with ``test`` and ``official_test`` sealed (``SealedSplit``): what a search
        job's loop and method get. Searches train on ``search_train``/``arch_train`` and score on
        ``search_valid``; ``train``, the union of the search halves, stays open."""
        return dataclasses.replace(self, test=SealedSplit(self.name, "test"),
                                   official_test=None if self.official_test is None
                                   else SealedSplit(self.name, "official_test"))


class SealedSplit(Dataset):
    """A test split as a search job sees it: any read raises ``SealedSplitRead``."""

    def __init__(self, dataset: str, part: str):
        self.dataset, self.part = dataset, part

    def _refuse(self):
        raise SealedSplitRead(f"{self.dataset}: a search read the `{self.part}` split; search-time "
                              "decisions read the validation split (search_valid) only")

    def __len__(self):
        self._refuse()

    def __getitem__(self, index):
        self._refuse()


def tensor_dataset(images: torch.Tensor, labels: torch.Tensor) -> TensorDataset:
    return TensorDataset(images.float().contiguous(), labels.long().contiguous())


class StreamBatches:
    """Batches of a sequential dataset in corpus order (DARTS' ``batchify``): its n items are cut
    into ``batch_size`` streams of L = n // batch_size consecutive items (the remainder is
    dropped) and batch i holds item i of every stream, so row j of batch i + 1 continues row j of
    batch i. Fewer items than ``batch_size``: one stream per item, one batch."""

    def __init__(self, n: int, batch_size: int):
        self.rows = max(1, min(int(batch_size), n))
        self.length = n // self.rows

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        for i in range(self.length):
            yield [j * self.length + i for j in range(self.rows)]


class Capped:
    """At most ``limit`` batches of ``loader`` per pass (each ``iter`` starts a fresh pass, so
    ``endless`` restarts it): the profile's budget knob ``max_batches_per_epoch``."""

    def __init__(self, loader, limit: int):
        self.loader, self.limit = loader, limit

    def __iter__(self):
        return itertools.islice(iter(self.loader), self.limit)


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int,
                workers: int = 0, drop_last: bool = False, device: torch.device | None = None,
                phase: str | None = None, limit: int | None = None):
    """``_loader`` below, cut to its first ``limit`` batches per pass when ``limit`` is set (the
    rehearsal's ``max_batches_per_epoch``: it limits work, never changes a batch)."""
    loader = _loader(dataset, batch_size, shuffle, seed, workers, drop_last, device, phase)
    return loader if limit is None else Capped(loader, limit)


def _loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int, workers: int,
            drop_last: bool, device: torch.device | None, phase: str | None):
    """A loader whose shuffling order depends only on ``seed`` (re-seeded per epoch by callers).
    A dataset with ``sequential = True`` (text segments: the model carries its hidden state from
    one batch to the next) is never shuffled: it is batched in corpus order (``StreamBatches``),
    whatever ``shuffle`` says, so the loops need not know which kind of data they run on.
    With ``device`` (the ``data_on_device`` setting), image and tensor datasets are served as
    batches built on that device (``data.images.DeviceImageBatches``); other datasets (text,
    Cutout) keep the ``DataLoader``. ``phase`` ("search" | "retrain") marks a training pass: a
    sequential dataset with ``variable`` lengths then yields its ``random_length_batches``
    (DARTS' random BPTT lengths, ``data.text``; the step's lr factor is ``lr_scale``)."""
    if getattr(dataset, "sequential", False):
        if phase is not None and getattr(dataset, "variable", False):
            return dataset.random_length_batches(batch_size, seed, phase)
        return DataLoader(dataset, batch_sampler=StreamBatches(len(dataset), batch_size),
                          num_workers=workers, pin_memory=torch.cuda.is_available())
    if device is not None:
        batches = device_batches(dataset, batch_size, shuffle, seed, device, drop_last)
        if batches is not None:
            return batches
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=workers, drop_last=drop_last,
                      persistent_workers=False, pin_memory=torch.cuda.is_available())


def lr_scale(dataset: Dataset, batch) -> float:
    """The learning-rate factor of a training batch of ``dataset`` (1 but for random-length text:
    its length / bptt, DARTS)."""
    scale = getattr(dataset, "lr_scale", None)
    return 1.0 if scale is None else scale(batch)


def endless(loader: DataLoader):
    """Iterate a loader forever, restarting it (and its shuffling) when it is exhausted."""
    while True:
        yield from loader
