"""Name -> object registries: search spaces, methods, datasets, benchmarks, tables, figures,
runs and claims.

A leaf module: it imports no plugin. A new method or space is one module plus one
``@METHODS.register("name")`` line; ``nasrepro.plugins.load_all`` imports every family (and a
profile's own plugin files), so that registration happens on import.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """Raised for a name that is not registered; the message lists the known names."""

    def __str__(self) -> str:  # KeyError quotes its message; print it plainly
        return str(self.args[0])


class Registry(Generic[T]):
    """A named collection that fails loudly on unknown or duplicate names."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"duplicate {self.kind} name {name!r}: already registered by "
                                 f"{self._items[name]!r}")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        if name not in self._items:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {', '.join(self.names())}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items


SPACES: Registry = Registry("search space")
METHODS: Registry = Registry("method")
DATASETS: Registry = Registry("dataset loader")
BENCHMARKS: Registry = Registry("benchmark")
TABLES: Registry = Registry("table")
FIGURES: Registry = Registry("figure")
RUNS: Registry = Registry("run")
CLAIMS: Registry = Registry("claim")  # the thesis' claims (experiments.claims, issue 24)


def benchmark_of(space: str) -> str:
    """The benchmark a space's cells are looked up in: the space's ``benchmark`` attribute (the
    three NAS-Bench-1Shot1 spaces share NAS-Bench-101, ``nb1shot1``), else its own name."""
    return getattr(SPACES.get(space), "benchmark", space) if space in SPACES else space
