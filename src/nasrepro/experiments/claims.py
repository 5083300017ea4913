"""The thesis' quantitative claims as data (issue 24): what each claim compares, how, and where
its numbers come from; ``experiments.claims_ch2`` ... ``claims_ch6`` write them down beside their
chapters, ``report.claims`` gives each a verdict on the reproduced numbers and on the thesis' own.

A claim is a list of comparisons ``(A, B)`` that must all stand in its ``relation``
(``analysis.verdict.RELATIONS``: "greater", "less", "not_less", "not_greater" with a ``margin``;
or "equal" for a text value such as a memory class). An ordering of several methods is the chain
of its neighbours; "on all three datasets" one comparison per dataset. A side is:

- :class:`Cell`: column ``key`` of thesis table ``table`` for run ``run``: our values are the
  table's own (``report.table.collect``: one per seed; s-tau and memory one per run), the thesis'
  the number printed in the CSV row that names the run (or the row ``row``), or one the text
  states (``thesis``). ``via`` names the table or figure whose inputs hold the run's files when
  the table itself does not read that run (e.g. the tau of the NSAS runs, Fig. 3.5);
- :class:`Epochs`: a per-epoch search statistic of a run whose search a figure or table
  (``item``) reads (``search/metrics.jsonl``:
  ``depth``, ``skip_ratio``, ``hessian_eig``, ``probe_valid``), reduced per seed to its
  ``last`` or ``mean`` or ``max`` value or its ``change`` (last - first); the thesis prints none;
- :class:`Const`: a threshold (tau = 0, a ratio of 1, "single path").

``flagged`` states why the thesis' own printed numbers do not support the claim (the encoding
is checked against it: ``tests/report/test_claims.py``); empty where they do, or print none.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasrepro.registry import CLAIMS

REDUCTIONS = ("last", "mean", "max", "change")
# The seeds behind the thesis' "mean ± std" cells, where the text states them; elsewhere (the
# DARTS-space tables: best cells, seeds not stated) printed numbers are compared as points.
THESIS_SEEDS = {
    "table_2_3": 3,  # §2.4.4: "three independent times"
    **{f"table_3_{n}": 4 for n in range(3, 8)},  # Table 3.3 note: seeds {0, 1, 100, 101}
    # §4.4.1.1 "independent searches with different random seeds": the same four seeds (an
    # assumption, the ch. 3 protocol the ch. 4-6 tables reprint their baselines from)
    **{f"table_4_{n}": 4 for n in range(1, 5)},
    "table_5_2": 4,  # §5.4.1.1: "4 independent search experiments with four different seeds"
    "table_6_1": 4, "table_6_3": 4,  # §6.4.2: "different random seeds" (as ch. 5: four)
}


@dataclass(frozen=True)
class Cell:
    table: str
    key: str
    run: str
    row: str = ""
    via: str = ""
    thesis: str = ""

    @property
    def item(self) -> str:
        """The table or figure whose inputs hold this cell's run files."""
        return self.via or self.table

    def describe(self) -> str:
        where = f" (files of {self.via})" if self.via else ""
        return f"{self.table}[{self.run}, {self.key}]{where}"


@dataclass(frozen=True)
class Epochs:
    item: str
    run: str
    key: str
    reduce: str = "last"

    def __post_init__(self):
        if self.reduce not in REDUCTIONS:
            raise ValueError(f"Epochs {self.item}/{self.run}: reduce {self.reduce!r}; use one "
                             f"of {REDUCTIONS}")

    def describe(self) -> str:
        return f"{self.item}[{self.run}, {self.reduce} of per-epoch {self.key}]"


@dataclass(frozen=True)
class Const:
    value: float | str

    item = ""

    def describe(self) -> str:
        return repr(self.value) if isinstance(self.value, str) else f"{self.value:g}"


Quantity = Cell | Epochs | Const
RELATION_WORDS = {"greater": ">", "less": "<", "not_less": ">=", "not_greater": "<=", "equal": "=="}


@dataclass(frozen=True)
class Claim:
    """One claim of the thesis (``section``: where the text makes it; ``text``: a paraphrase)."""

    id: str
    chapter: int
    section: str
    text: str
    pairs: tuple[tuple[Quantity, Quantity], ...]
    relation: str = "greater"
    margin: float = 0.0
    flagged: str = ""

    def __post_init__(self):
        if self.relation not in RELATION_WORDS:
            raise ValueError(f"claim {self.id}: relation {self.relation!r}; use one of "
                             f"{sorted(RELATION_WORDS)}")
        if not self.pairs:
            raise ValueError(f"claim {self.id}: no comparison")

    @property
    def items(self) -> list[str]:
        """The tables and figures whose inputs the claim reads, in order."""
        return list(dict.fromkeys(q.item for pair in self.pairs for q in pair if q.item))

    def quantity(self) -> str:
        """The comparisons, e.g. ``table_3_3[random-nas-nsas, cifar10_test] > ...``."""
        word = RELATION_WORDS[self.relation]
        margin = f" - {self.margin:g}" if self.margin and word == ">=" else (
            f" + {self.margin:g}" if self.margin else "")
        return "; ".join(f"{a.describe()} {word} {b.describe()}{margin}" for a, b in self.pairs)


def register_claims(*claims: Claim) -> None:
    for claim in claims:
        CLAIMS.register(claim.id)(claim)


def versus(a: Quantity, *others: Quantity) -> tuple[tuple[Quantity, Quantity], ...]:
    """``a`` against each of ``others``."""
    return tuple((a, b) for b in others)


def chain(*quantities: Quantity) -> tuple[tuple[Quantity, Quantity], ...]:
    """An ordering: each quantity against the next."""
    return tuple(zip(quantities, quantities[1:]))
