"""Chapter 1 (introduction): Table 1.1, the summary of the search spaces (size, number of
operations, number of edges), computed from the spaces themselves (``analysis.space_summary``,
rule space_summary); no run fills it. Its rows name their space in the CSV column ``space``.
"""

from __future__ import annotations

from nasrepro.experiments.specs import Column, TableSpec, register

register(TableSpec(
    # ``space`` is nominal: every row names its own space (CSV column ``space``)
    "table_1_1", "Table 1.1: Summary of common search spaces in NAS.", "nb201",
    (Column("size", "Size", "", "size", source="space"),
     Column("operations", "Number of operations", "", "operations", source="space"),
     Column("edges", "Number of edges", "", "edges", source="space"))))
