"""Which data a retraining protocol trains on, scores as "Valid" and reports as "Test": one place
per protocol (``PROTOCOLS``); a space names its protocol (``SearchSpace.retrain_protocol``).

- ``nb201``, NAS-Bench-201's own splits (its retrain mode, and the default profile's stand-in
  NAS-Bench-101 table): ``search_train`` / ``search_valid`` / ``test`` of the bundle, i.e.
  CIFAR-10 trains on the 25,000-image train half of ``cifar-split.txt``, scores the other half and
  reports the 10,000 test images; CIFAR-100 and ImageNet16-120 train on their whole training set
  and score / report the x-valid / x-test halves of their test (validation) set. (The searches
  and the benchmark lookups read the same splits: ``train/search.py``, ``THESIS_COLUMNS``.)
- ``darts``, the DARTS-space evaluation "following [86, 95, 140]" (§2.4.1, §4.4.2): the network
  trains on the dataset's whole training set (``train``: CIFAR-10/100 50,000 images; ImageNet,
  mobile setting, its train folder) and reports its whole test set (``official_test``: CIFAR
  10,000 images; ImageNet the val folder, which has the public labels). DARTS' ``train.py`` and
  ``train_imagenet.py`` have no held-out split: they score that same test set every epoch, so
  "Valid" is the test set here too (the DARTS-space tables read "Test" only; the selection of a
  cell never reads it: ``heldout`` below).
- ``heldout`` (``HELDOUT``), the selection's retraining of each search's cell (pseudo-run
  ``<run>-heldout``, ``analysis.selection``): it trains on the search's training half
  (``search_train``, CIFAR-10: 25,000 images of ``cifar-split.txt``) and scores the other half
  (``search_valid``), the data the search itself validated on, so the score that picks a row's
  cell never comes from the test set (``test``, the bundle's, is reported and read by nothing). (The thesis selects "based on retraining validation
  performance", §3.4.2, and names no split; DARTS' selection scores its test set.)
- ``darts_rnn``, DARTS' language-model protocol (§2.4.2): train on the corpus' train file, the
  valid file drives NT-ASGD's switch and the model selection (``report: best_valid``), the test
  file is reported.

The tables say which split each column reads (``report.splits``, issue #29 item 3) from
``PROTOCOLS`` and ``SPLITS`` below, so this module imports no torch (a table job never does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nasrepro.jobs import HELDOUT_PROTOCOL as HELDOUT

if TYPE_CHECKING:
    from torch.utils.data import Dataset

# The parts of a ``DataBundle`` (``data.base``) a retraining or a search reads, as the tables name
# them (``report.splits``): what each one is.
SPLITS = {
    "search_train": "the search's training split",
    "search_valid": "the search's validation split (a search scores its cells on it; its test "
                    "splits are sealed: DataBundle.for_search)",
    "test": "the dataset's test split of NAS-Bench-201's protocol (CIFAR-10: the 10,000 test "
            "images; CIFAR-100, ImageNet16-120: the x-test half; a stand-in: its test split)",
    "train": "the whole training set (both search splits)",
    "official_test": "the dataset's whole official test set (ImageNet: the val folder)",
}
class SealedSplitRead(RuntimeError):
    """A search read a test split (``data.base.SealedSplit``; a search by lookup, a benchmark's
    reported values: ``analysis.random_search``)."""


# The split a search scores its cells on (``train.search``): the supernet scores of the ranking
# columns (Kendall tau, s-tau) and the derived cells' validation curves
SEARCH_VALID = "search_valid"


@dataclass(frozen=True)
class RetrainData:
    """The three datasets one retraining reads."""

    train: Dataset
    valid: Dataset
    test: Dataset

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


@dataclass(frozen=True)
class Protocol:
    """A retraining protocol's parts: the ``DataBundle`` attribute each role reads."""

    name: str
    train: str
    valid: str
    test: str

    def split(self, role: str) -> str:
        """The bundle part ``role`` ("train", "valid" or "test") reads, a key of ``SPLITS``."""
        return getattr(self, role)

    def data(self, bundle) -> RetrainData:
        parts = {}
        for role in ("train", "valid", "test"):
            part = getattr(bundle, self.split(role))
            if part is None:
                raise ValueError(f"retraining protocol {self.name!r} reads its {role} data from "
                                 f"the `{self.split(role)}` set, which dataset {bundle.name!r} "
                                 "does not provide (its loader sets it on the DataBundle)")
            parts[role] = part
        return RetrainData(**parts)


PROTOCOLS = {p.name: p for p in (
    Protocol("nb201", train="search_train", valid="search_valid", test="test"),
    Protocol("darts", train="train", valid="official_test", test="official_test"),
    Protocol("darts_rnn", train="train", valid="search_valid", test="official_test"),
    Protocol(HELDOUT, train="search_train", valid="search_valid", test="test"),
)}


def retrain_data(space, target: str, bundle, heldout: bool = False) -> RetrainData:
    """What a retrain job of ``space`` for ``target`` trains on, scores and reports (``heldout``:
    a selection's held-out retraining, protocol ``HELDOUT``)."""
    name = HELDOUT if heldout else space.retrain_protocol(target)
    if name not in PROTOCOLS:
        raise ValueError(f"space {space.name!r} names retraining protocol {name!r}; known: "
                         f"{', '.join(PROTOCOLS)}")
    return PROTOCOLS[name].data(bundle)
