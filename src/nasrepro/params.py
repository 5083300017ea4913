"""Typed, range-checked hyperparameters.

Every config dataclass (methods, retraining, networks) declares its fields with ``hp(default,
...)``: the default is the thesis value, the metadata holds the allowed range. ``build_config``
turns a dict of overrides into an instance and rejects, with one line naming key, value and the
allowed range, an unknown key, a value of the wrong type or a value out of range.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class Range:
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple | None = None

    def describe(self) -> str:
        if self.choices is not None:
            return f"one of {list(self.choices)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        return " and ".join(parts) or "any value"

    def contains(self, value) -> bool:
        if self.choices is not None:
            return value in self.choices
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high


def hp(default, low: float | None = None, high: float | None = None, *, low_open: bool = False,
       choices: tuple | None = None, doc: str = ""):
    """A dataclass field with its allowed range (``low_open``: strictly greater than ``low``)."""
    return field(default=default, metadata={"range": Range(low, high, low_open, choices), "doc": doc})


def released(source: str, doc: str, default: Any = False, low: float | None = None,
             high: float | None = None):
    """A released-code option (issue #25, docs/methods.md "The thesis' equations against the
    author's released code"): ``default`` is the thesis' equations; the other value reproduces
    what the author's released code computes, cited by ``source`` (repository@commit file:line).
    A run with ``fidelity: released`` sets it (``SearchMethod.released``); at its default it is
    left out of the job message (``released_fields``), so a thesis run sends what it sent before
    the option existed."""
    return field(default=default, metadata={"range": Range(low, high), "doc": doc,
                                            "released": source})


def released_fields(cls: type) -> dict[str, Any]:
    """{name: thesis default} of the released-code options of config class ``cls``."""
    return {f.name: f.default for f in dataclasses.fields(cls) if "released" in f.metadata}


def _type_ok(kind, value) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typing.get_origin(kind) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_type_ok(k, value) for k in typing.get_args(kind))
    if kind is type(None):
        return value is None
    return isinstance(value, kind) if isinstance(kind, type) else True


def _type_name(kind) -> str:
    if typing.get_origin(kind) is not None:
        return " or ".join(_type_name(k) for k in typing.get_args(kind))
    return "null" if kind is type(None) else getattr(kind, "__name__", str(kind))


def check_value(where: str, kind, rng: Range | None, value) -> None:
    """Raise ``ConfigError`` (one line: ``where``, value, what is allowed) unless ``value`` has
    the type ``kind`` and lies in ``rng``."""
    if not _type_ok(kind, value):
        raise ConfigError(f"{where} = {value!r}: expected {_type_name(kind)}"
                          + (f" {rng.describe()}" if rng else ""))
    if rng is not None and value is not None and not rng.contains(value):
        raise ConfigError(f"{where} = {value!r}: out of range, allowed {rng.describe()}")


def check_field(cls: type, name: str, value, where: str) -> None:
    """Check one value of field ``name`` of the config dataclass ``cls`` (an int is a float where
    the field is a float), as ``build_config`` does; ``where`` is the key's path in messages."""
    kind = typing.get_type_hints(cls)[name]
    if isinstance(value, int) and not isinstance(value, bool) and kind is float:
        value = float(value)
    spec = next(f for f in dataclasses.fields(cls) if f.name == name)
    check_value(where, kind, spec.metadata.get("range"), value)


def build_config(cls: type, overrides: dict | None, where: str) -> Any:
    """``cls(**overrides)`` after checking every key, type and range; ``where`` prefixes messages
    (e.g. ``runs.gdas.params``)."""
    overrides = dict(overrides or {})
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in overrides:
        if key not in known:
            raise ConfigError(f"{where}.{key}: unknown key; valid keys: {', '.join(sorted(known))}")
    for name, spec in known.items():
        value = overrides.get(name, spec.default)
        if isinstance(value, int) and not isinstance(value, bool) and hints[name] is float:
            value = float(value)
            if name in overrides:
                overrides[name] = value
        check_value(f"{where}.{name}", hints[name], spec.metadata.get("range"), value)
    try:
        return cls(**overrides)
    except ConfigError as error:  # a check across fields (``__post_init__``): name where
        raise ConfigError(f"{where}: {error}") from None
