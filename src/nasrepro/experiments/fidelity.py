"""The thesis' equations against the author's released code (issue #25): the released-code runs
and Table R.1, NAS-Bench-201 method x dataset, each method's thesis run beside its released run.

A released run (``<run>-released``, ``runs.released_run``) is its thesis run with ``fidelity:
released``: the method's released-code options and settings on the space (``SearchMethod.released``,
each citing the code; docs/methods.md lists every difference). The thesis column of both rows is
the number the thesis prints for the method (Tables 3.3, 4.1, 6.1): the thesis does not say which
code produced it.
"""

from __future__ import annotations

import dataclasses

from nasrepro.experiments.common import NB201_COLUMNS
from nasrepro.experiments.runs import released_run
from nasrepro.experiments.specs import TableSpec, register
from nasrepro.jobs import RELEASED
from nasrepro.registry import RUNS

# The thesis runs whose methods' released code differs from the equations on NAS-Bench-201, in
# Table R.1's order (its CSV names each and its released run)
RELEASED_BASES = ("random-nas-nsas", "gdas-nsas", "e2nas", "idarts")

register(*(dataclasses.replace(RUNS.get(base), name=released_run(base), fidelity=RELEASED)
           for base in RELEASED_BASES))

register(
    TableSpec("table_R_1", "Table R.1: The thesis' equations against the author's released code "
              "on NAS-Bench-201 (the thesis column of both rows: the number the thesis prints for "
              "the method).", "nb201", NB201_COLUMNS, budget_run="random-nas-nsas"),
)
