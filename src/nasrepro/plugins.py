"""The one place that imports the plugin families, so that their registrations run.

``registry`` and ``params`` are leaves; every family module registers itself on import. Jobs load
only what they need: a report job (table, figure, cost) loads ``experiments`` alone and so never
imports torch; a search or evaluation job loads every family plus the profile's own ``plugins:``
(files or module names outside the package, e.g. ``examples/rsws.py``: a researcher's method).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Iterable

from nasrepro.params import ConfigError

# family -> the modules whose import registers it (the families' packages import none of their
# modules, so no import circle passes through a package; experiments is torch-free). A new
# method, space, dataset loader or chapter is one module plus one line here.
FAMILIES: dict[str, tuple[str, ...]] = {
    "experiments": tuple(f"nasrepro.experiments.{m}" for m in
                         ("common", "ch1", "ch2", "ch3", "ch4", "ch5", "ch6", "fidelity", "claims_ch2",
                          "claims_ch3", "claims_ch4", "claims_ch5", "claims_ch6")),
    "data": tuple(f"nasrepro.data.{m}" for m in
                  ("cifar", "digits", "imagenet", "imagenet16", "text")),
    "spaces": tuple(f"nasrepro.spaces.{m}" for m in
                    ("darts_cnn.space", "darts_rnn.space", "nb1shot1.space", "nb1shot1.benchmark",
                     "nb201.space", "nb201.benchmark")),
    "methods": tuple(f"nasrepro.methods.{m}" for m in
                     ("balenas", "darts", "e2nas", "en2as", "gdas", "idarts", "nao", "nsas",
                      "random_nas", "replay_baselines")),
}


def load(*families: str) -> None:
    """Import ``families`` (names of ``FAMILIES``)."""
    for family in families:
        for module in FAMILIES[family]:
            importlib.import_module(module)


def load_user(plugins: Iterable[str]) -> None:
    """Import a profile's ``plugins:``: each a ``.py`` file (path relative to the working
    directory) or an importable module name. Loading one twice is a no-op."""
    for plugin in plugins:
        if plugin.endswith(".py") or "/" in plugin:
            path = Path(plugin).resolve()
            if not path.is_file():
                raise ConfigError(f"plugins: {plugin} is not a file; give a .py file (relative "
                                  "to the project root) or an importable module name")
            name = "nasrepro_plugin_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
            if name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as error:
                del sys.modules[name]
                frame = traceback.extract_tb(error.__traceback__)[-1]
                raise ConfigError(f"plugins: {plugin} failed to load: {type(error).__name__}: "
                                  f"{error} ({frame.filename}:{frame.lineno}); fix the file or "
                                  "remove it from `plugins:`") from error
        else:
            try:
                importlib.import_module(plugin)
            except ModuleNotFoundError as error:
                raise ConfigError(f"plugins: cannot import module {plugin!r} ({error}); give a "
                                  ".py file or a module on PYTHONPATH") from None


def load_all(user: Iterable[str] = ()) -> None:
    """Import every family, then the profile's own plugins ``user``."""
    load(*FAMILIES)
    load_user(user)
