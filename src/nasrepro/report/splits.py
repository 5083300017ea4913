"""Which data each column of a table comes from (issue #29 item 3; NAS-Bench-201 / NATS-Bench and
Lindauer and Hutter 2020: a reader must see that search decisions read validation data only and
which split a reported number is). Generated, never typed per table: from the column's definition
(``experiments.specs.Column``: source, field, target) and the data protocols
(``data.protocols.PROTOCOLS``: the bundle part a retraining trains on, scores as "Valid" and
reports as "Test"), given, per target, the protocol the table's space retrains it with
(``SearchSpace.retrain_protocol``, sent by the driver: ``--protocols``) or the benchmark its cells
are looked up in (``--scored-by``).

- a ``[thesis]`` column: ``literature`` (the thesis' printed value); an author's-log column: the
  author's retraining log;
- an evaluated column: ``<part> (protocol <name>)`` for the field's role (``valid_*``: the
  protocol's valid part, ``test_*``: its test part), e.g. "test (protocol nb201)",
  "official_test (protocol darts)"; looked up: "benchmark <name>: its valid / test split"; in a
  selecting table (``TableSpec.selects``) also the split the cell was selected on (protocol
  ``heldout``'s valid part); a network's size (params, multiply-adds): no data;
- a ranking column: the supernet's scores on ``data.protocols.SEARCH_VALID`` against the probe
  cells' ground truth (Kendall tau; s-tau: the scores alone);
- a wall-clock or memory column, a column computed from the space or a genotype: no data.

The CSV carries them as its last row (``ROW_LABEL`` in column ``Method``: each column's split in
its own cell; a reader of the numbers drops the row whose ``Method`` is ``ROW_LABEL``), the
Markdown and LaTeX as a note under the table (``note``; an RI column reads its column's cells,
so it is not repeated there), with what each named split is (``data.protocols.SPLITS``).
"""

from __future__ import annotations

from nasrepro.data.protocols import HELDOUT, PROTOCOLS, SEARCH_VALID, SPLITS
from nasrepro.experiments.specs import ACROSS_SUFFIX, Column, TableSpec

LITERATURE = "literature"
LOG = "the author's retraining log"
NO_DATA = "no data split"
ROW_LABEL = "Data split (issue #29)"
ROLES = {"valid_": "valid", "test_": "test"}  # an evaluated field's prefix -> protocol role


def protocol_part(protocol: str, role: str) -> str:
    """"<part> (protocol <name>)": what ``protocol`` reads for ``role``."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"no retraining protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    return f"{PROTOCOLS[protocol].split(role)} (protocol {protocol})"


def _role(field: str) -> str | None:
    return next((role for prefix, role in ROLES.items() if field.startswith(prefix)), None)


def evaluated(column: Column, protocols: dict[str, str], lookup: str) -> str:
    """The split an evaluated field of ``column`` reads (no data for a network's size)."""
    role = _role(column.field)
    if role is None:
        return f"{NO_DATA} (the network's size)"
    if lookup:
        return f"benchmark {lookup}: its {role} split"
    if column.target not in protocols:  # a table built without the driver's --protocols
        return f"{role} part of an unnamed protocol (the table command got no --protocols)"
    return protocol_part(protocols[column.target], role)


def ours(spec: TableSpec, column: Column, protocols: dict[str, str], lookup: str = "",
         selected: bool = True) -> str:
    """The split our cells of ``column`` come from (module docstring); ``selected``: the selected
    cell's (a selecting table), not each search's cell (the across-searches cell)."""
    if column.source == "eval":
        text = evaluated(column, protocols, lookup)
        if selected and spec.selects and _role(column.field):
            text += f"; the cell selected on {protocol_part(HELDOUT, 'valid')}"
        return text
    if column.source in ("tau", "s_tau"):
        scores = f"supernet scores on {SEARCH_VALID} (the search)"
        if column.source == "s_tau":
            return scores
        truth = evaluated(Column(column.key, column.label, column.target, "valid_acc"),
                          protocols, lookup)
        return f"{scores} against the probe cells' {truth}"
    if column.source == "space":
        return f"{NO_DATA} (computed from the space)"
    return f"{NO_DATA} (the search's {'memory' if column.source == 'memory' else 'wall clock'})"


def thesis(column: Column) -> str:
    return LOG if column.source == "log" else LITERATURE


def by_key(spec: TableSpec, protocols: dict[str, str], lookup: str = "") -> dict[str, str]:
    """{row key of ``report.table.headers``: its split} for every column of ``spec`` (the
    random-sampling row's RI and the across-searches cell read what ours reads)."""
    out = {}
    for column in spec.columns:
        out[f"{column.key}_thesis"] = thesis(column)
        if column.reproduced:
            split = ours(spec, column, protocols, lookup)
            out.update({f"{column.key}_reproduced": split, f"{column.key}_ri": split,
                        column.key + ACROSS_SUFFIX: ours(spec, column, protocols, lookup,
                                                         selected=False)})
        out[f"{column.key}_genotype"] = f"{NO_DATA} (computed from the published genotype)"
    if spec.selects:
        out["selected"] = f"selected on {protocol_part(HELDOUT, 'valid')}"
    return out


def note(spec: TableSpec, columns: list[tuple[str, str, str]], protocols: dict[str, str],
         lookup: str = "") -> str:
    """The Markdown/LaTeX note: each of ``columns`` (``report.table.headers``) with its split, the
    thesis' columns together, then what each named part is."""
    splits = by_key(spec, protocols, lookup)
    parts = [f"{label} [{tag}]: {splits[key]}" for key, label, tag in columns
             if key in splits and splits[key] not in (LITERATURE, LOG)
             and not key.endswith("_ri")]  # an RI column reads its column's cells
    quoted = sorted({splits[key] for key, _, _ in columns if splits.get(key) in (LITERATURE, LOG)})
    shown = [splits[key] for key, _, _ in columns if key in splits]
    named = [name for name in SPLITS if any(name in text.split(" ") for text in shown)]
    glossary = "; ".join(f"{name}: {SPLITS[name]}" for name in named)
    return (f"Data splits: the [thesis] columns: {' / '.join(quoted) or LITERATURE}; "
            + "; ".join(parts) + "." + (f" ({glossary}.)" if glossary else ""))
