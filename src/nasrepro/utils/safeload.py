"""Loading torch files that someone else may have written: resume checkpoints (``_state/``), and
``dvae.pt`` / ``supernet.pt`` / ``model.pt``, which travel through a shared DVC remote.

``torch.load(weights_only=True)`` only: it rebuilds tensors and plain containers (dict, list,
tuple, str, numbers, bool, None) and refuses any other pickled global, so a forged file cannot run
code when it is read (``weights_only=False`` would call whatever its pickle names, e.g.
``os.system``). The sha256 digest beside a checkpoint proves the bytes were not damaged, not who
wrote them, so it does not replace this. Everything the project saves is made of those plain
types; a refusal therefore means a file from elsewhere (or from code that saved other types).
"""

from __future__ import annotations

import pickle
import re
from typing import IO, Any

import torch


class UnsafeFileError(ValueError):
    """A torch file whose pickle names a global other than tensors and plain containers; it was
    refused before anything in it ran."""


def load_plain(source: str | IO[bytes], name: str) -> Any:
    """``torch.load`` of ``source`` (a path or a binary stream) onto the CPU with
    ``weights_only=True``. A pickled callable or class raises ``UnsafeFileError``: one line naming
    ``name`` (the file, for the message) and the refused global. Damaged content raises what
    ``torch.load`` raises."""
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL (\S+)", str(error))
        if found is None:
            raise
        raise UnsafeFileError(
            f"{name} holds a pickled {found.group(1)}, not only tensors and plain containers: "
            "refused unread (loading it could run code)") from None


# What a dataset pickle of numpy arrays, lists and numbers names (CIFAR's python batches,
# ImageNet16-120's pickles; numpy 1.x and 2.x spellings, pickle protocols 2 to 5): constructors
# of arrays, dtypes and scalars, and ``_codecs.encode`` (how protocol 2 spells bytes).
ARRAY_GLOBALS = frozenset({
    *((module, name) for module in ("numpy.core.multiarray", "numpy._core.multiarray")
      for name in ("_reconstruct", "scalar")),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
})


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ARRAY_GLOBALS:
            raise UnsafeFileError(f"GLOBAL {module}.{name}")
        return super().find_class(module, name)


def load_array_pickle(handle: IO[bytes], name: str) -> Any:
    """``pickle.load`` (``latin1`` strings, as the official Python 2 files need) that rebuilds
    only numpy arrays, dtypes, scalars and plain containers: any other global (a forged file's
    ``os.system``) raises ``UnsafeFileError``, one line naming ``name``, before it is called.
    The dataset loaders verify the files' checksums first (when ``verify``); this holds even
    where a check was skipped or the file changed after it."""
    try:
        return _ArrayUnpickler(handle, encoding="latin1").load()
    except UnsafeFileError as error:
        raise UnsafeFileError(
            f"{name} holds a pickled {str(error).removeprefix('GLOBAL ')}, not only arrays and "
            "plain containers: refused unread (loading it could run code); delete it and put the "
            "official file there") from None
