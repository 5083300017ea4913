"""The thesis' experiments (``nasrepro.experiments``): torch-free, their rows name registered runs
through the chapters' grids, the strategies the chapters compare are the methods', and the thesis'
search costs come from the tables' search-cost columns."""

import csv
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from nasrepro import jobs, plugins
from nasrepro.experiments import ch3, ch4
from nasrepro.registry import FIGURES, RUNS, SPACES, TABLES

ROOT = Path(__file__).resolve().parents[2]
CSVS = sorted((ROOT / "config/thesis_values").glob("table_*.csv"))


def _rows(table: str) -> list[dict]:
    with open(TABLES.get(table).thesis_csv(ROOT), newline="") as handle:
        return list(csv.DictReader(handle))


def _run_cells(table: str) -> list[str]:
    """Every run a cell of the table's CSV names: the rows' ``run`` and the ``<key>_run`` cells."""
    keys = ["run"] + [f"{c.key}_run" for c in TABLES.get(table).columns]
    return [row[k] for row in _rows(table) for k in keys if row.get(k)]


def _grid_cells(table: str) -> list[str]:
    """The cells a grid fills, row by row: the ``<key>_run`` cells where the table has them
    (Tables 3.5-3.7, 4.3, 4.4: one run per cell), else the rows' ``run``."""
    keys = [f"{c.key}_run" for c in TABLES.get(table).columns]
    rows = _rows(table)
    keys = [k for k in keys if k in rows[0]] or ["run"]
    return [row[k] for row in rows for k in keys if row[k]]


def test_experiments_import_no_torch_and_no_space_or_method():
    code = ("import nasrepro.experiments, sys; "
            "assert 'torch' not in sys.modules, 'torch'; "
            "assert not [m for m in sys.modules if m.startswith(('nasrepro.spaces', "
            "'nasrepro.methods'))], 'spaces or methods'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]


def test_the_chapters_compare_the_methods_strategies():
    from nasrepro.methods.parts import constraints, replay

    assert tuple(key for key, _ in ch3.CONSTRAINT_STRATEGIES) == constraints.STRATEGIES
    assert set(ch4.REPLAY_STRATEGIES) | {"na"} == set(replay.STRATEGIES)  # na: eps = 0


@pytest.mark.parametrize("path", CSVS, ids=[p.stem for p in CSVS])
def test_every_run_cell_of_a_thesis_table_resolves(path):
    plugins.load("spaces")
    assert path.stem in TABLES, f"{path.name} belongs to no registered table"
    published = SPACES.get(TABLES.get(path.stem).space)().published
    for run in _run_cells(path.stem):
        if jobs.is_published_run(run):
            assert jobs.published_name(run) in published, f"{path.name}: {run}"
        else:
            assert jobs.base_run(run) in RUNS, f"{path.name}: unknown run {run}"


def test_each_table_grid_has_its_cells_in_its_chapters_table():
    exact = set()
    chapters = [m for m in plugins.FAMILIES["experiments"] if m.rsplit(".", 1)[1].startswith("ch")]
    for chapter in map(importlib.import_module, chapters):
        number = chapter.__name__.rsplit(".ch", 1)[1]
        for table, grid in getattr(chapter, "TABLE_GRIDS", {}).items():
            assert table.startswith(f"table_{number}_"), f"{chapter.__name__} holds {table}"
            assert set(grid) <= set(_run_cells(table)), \
                f"{table}: no cell for {sorted(set(grid) - set(_run_cells(table)))}"
            cells = _grid_cells(table)
            if set(cells) <= set(grid):  # a table made of its grid lists it exactly, in order
                assert cells == list(grid), table
                exact.add(table)
    assert {"table_3_4", "table_3_5", "table_3_6", "table_3_7", "table_4_3", "table_4_4"} <= exact


def test_every_registered_run_fills_a_table_or_a_figure():
    named = {jobs.base_run(run) for table in TABLES.names() for run in _run_cells(table)}
    named |= {run for figure in FIGURES.names() for run in FIGURES.get(figure).runs}
    assert set(RUNS.names()) - named == set()


def test_thesis_search_costs_come_from_the_first_table_that_states_them():
    from nasrepro.report.cost import thesis_cost_csvs, thesis_costs

    costs = thesis_costs(thesis_cost_csvs(ROOT))
    assert [Path(p).stem for p in thesis_cost_csvs(ROOT)] == \
        ["table_2_1", "table_2_2", "table_3_1", "table_4_6", "table_5_1"]
    expected = {"darts_cnn/darts-1st": ("1.5", "Table 4.6"), "darts_cnn/darts-2nd": ("4", "Table 4.6"),
                "darts_cnn/gdas": ("0.21", "Table 4.6"), "darts_cnn/random-nas": ("2.7", "Table 4.6"),
                "darts_cnn/balenas-2nd-depth": ("1.3", "Table 5.1"),
                "darts_cnn/balenas-2nd": ("1.3", "Table 5.1"), "darts_cnn/en2as": ("0.3", "Table 2.1"),
                "darts_cnn/random-nas-nsas": ("0.7", "Table 3.1"),  # not 4.6's and 5.1's 2.7
                "darts_rnn/darts-2nd": ("1", "Table 2.2")}
    for run, (days, table) in expected.items():
        assert costs[run] == {"gpu_days": days, "source": f"{table} (Search Cost column)"}, run
    assert not [run for run in costs if jobs.is_published_run(run)]
