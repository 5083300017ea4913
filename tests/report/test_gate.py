"""The numeric regression gate (issue #29 item 5, ``report.gate``, ``diff-results``): on a small
made-up build, a planted one-value change is reported as exactly that cell; a missing or added
row, column, table or figure is reported; a flipped claim verdict is named; wall-clock columns are
never compared; ``--update`` rewrites the snapshot and the next comparison is clean."""

import csv
import json

import pytest

from nasrepro import cli, plugins
from nasrepro.layout import Layout
from nasrepro.report import gate

plugins.load("experiments")

# Table 2.3's real header (our column of CIFAR-10 test accuracy, tau, s-tau) and Table 4.5's
# (wall-clock seconds and the ratio to GDAS: never compared)
T23 = ["Method", "run", "CIFAR-10 Test Acc (%) [thesis]", "CIFAR-10 Test Acc (%) [ours]",
       "tau metric [thesis]", "tau metric [ours]", "Seeds [ours]", "reproduced_with"]
T23_ROWS = [["GDAS", "gdas", "93.51", "41.20 ± 1.05", "0.12", "0.300", "2", "note"],
            ["EN²AS", "en2as", "93.89", "43.00 ± 0.50", "0.37", "0.450", "2", "note"]]
T45 = ["Method", "run", "Searching time (s) [thesis]", "Searching time (s) [ours]",
       "Ratio to GDAS [thesis]", "Ratio to GDAS [ours]", "Seeds [ours]", "reproduced_with"]
T45_ROWS = [["GDAS", "gdas", "8,850", "12.3", "1", "1.00", "1", "note"]]
CLAIMS_HEAD = ["id", "verdict", "thesis_verdict", "released_verdict", "ours"]
CLAIMS_ROWS = [["c2-tau-positive", "inconclusive", "holds", "same code", "0.3"],
               ["c4-cost-e2nas", "inconclusive", "holds", "same code", "1.2"]]


def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


@pytest.fixture
def build(tmp_path):
    """A repository root with results/default: Tables 2.3 and 4.5, one figure, the claims."""
    results = tmp_path / Layout("default").results
    write_csv(results / "tables/table_2_3.csv", T23, T23_ROWS)
    write_csv(results / "tables/table_4_5.csv", T45, T45_ROWS)
    (results / "figures").mkdir(parents=True)
    (results / "figures/fig_3_5.png").write_bytes(b"png bytes")
    write_csv(results / "report/claims.csv", CLAIMS_HEAD, CLAIMS_ROWS)
    return tmp_path


def snapshot_of(root):
    return gate.take(root / Layout("default").results, None, "claims")


def diff_after(build, edit):
    """The comparison of the build before (the snapshot) and after ``edit(results)``."""
    old = snapshot_of(build)
    edit(build / Layout("default").results)
    return gate.compare(old, snapshot_of(build))


def test_a_planted_one_value_change_is_reported_as_exactly_that_cell(build):
    def plant(results):
        rows = [row[:] for row in T23_ROWS]
        rows[1][3] = "43.01 ± 0.50"  # EN²AS, our CIFAR-10 test accuracy: mean +0.01
        write_csv(results / "tables/table_2_3.csv", T23, rows)

    diff = diff_after(build, plant)
    assert diff.changes == [gate.Change("table_2_3", "EN²AS (en2as)",
                                        "CIFAR-10 Test Acc (%) [ours]", "43.00 ± 0.50",
                                        "43.01 ± 0.50", "+0.01 / +0.00")]
    assert diff.failed and not diff.flips
    assert diff.compared == {"tables": 2, "cells": 2 * len(T23) + len(T45), "figures": 1,
                             "claims": 2}


def test_no_change_passes_and_a_tolerance_absorbs_a_last_digit(build):
    assert not gate.compare(snapshot_of(build), snapshot_of(build)).failed
    assert gate.cell_delta("41.20 ± 1.05", "41.21 ± 1.05", tolerance=0.01) is None
    assert gate.cell_delta("41.20 ± 1.05", "41.22 ± 1.05", tolerance=0.01) == "+0.02 / +0.00"
    assert gate.cell_delta("0.300", "0.3", tolerance=0) is None  # the same number printed
    assert gate.cell_delta("single path", "whole supernet") == "text"
    assert gate.cell_delta("", "41.20") == "text"  # a cell of ours that appeared


def test_a_missing_and_an_added_row_are_reported(build):
    def edit(results):
        rows = [T23_ROWS[0], ["RandomNAS", "random-nas", "92.8", "40.00", "0.1", "0.2", "1", "n"]]
        write_csv(results / "tables/table_2_3.csv", T23, rows)

    diff = diff_after(build, edit)
    assert {(c.row, c.column, c.old, c.new) for c in diff.changes} == {
        ("EN²AS (en2as)", "(row)", "", gate.ABSENT),
        ("RandomNAS (random-nas)", "(row)", gate.ABSENT, "")}


def test_a_missing_table_an_added_column_and_a_changed_figure_are_reported(build):
    def edit(results):
        (results / "tables/table_4_5.csv").unlink()
        write_csv(results / "tables/table_2_3.csv", T23 + ["RI [ours]"],
                  [row + ["1.0"] for row in T23_ROWS])
        (results / "figures/fig_3_5.png").write_bytes(b"other png bytes")

    changes = {(c.table, c.row, c.column) for c in diff_after(build, edit).changes}
    assert changes == {("table_4_5", "(table)", "(table)"),
                       ("table_2_3", "(column)", "RI [ours]"),
                       ("fig_3_5", "(figure)", "PNG sha256")}


def test_wall_clock_columns_are_never_compared(build):
    def edit(results):
        write_csv(results / "tables/table_4_5.csv", T45,
                  [["GDAS", "gdas", "8,850", "99.9", "1", "1.07", "1", "note"]])

    assert not diff_after(build, edit).changes
    stored = snapshot_of(build)["tables"]["table_4_5"]["rows"][0]
    assert stored[3] == stored[5] == gate.WALL_CLOCK and stored[2] == "8,850"  # thesis' kept


def test_a_flipped_verdict_is_named_and_a_wall_clock_claim_does_not_fail(build):
    def edit(results):
        write_csv(results / "report/claims.csv", CLAIMS_HEAD,
                  [["c2-tau-positive", "holds", "holds", "same code", "0.5"],
                   ["c4-cost-e2nas", "fails", "holds", "same code", "0.9"]])

    diff = diff_after(build, edit)
    assert not diff.changes
    assert diff.flips == [gate.Flip("c2-tau-positive", "verdict", "inconclusive", "holds", False),
                          gate.Flip("c4-cost-e2nas", "verdict", "inconclusive", "fails", True)]
    assert diff.failed
    assert not gate.Diff([], diff.flips[1:], diff.compared).failed  # wall clock alone: passes


def test_a_flipped_released_code_verdict_is_named(build):
    """Issue #29 item 5 with #25: the verdict under the released code is gated like ours."""
    def edit(results):
        write_csv(results / "report/claims.csv", CLAIMS_HEAD,
                  [["c2-tau-positive", "inconclusive", "holds", "holds", "0.3"], CLAIMS_ROWS[1]])

    diff = diff_after(build, edit)
    assert diff.flips == [gate.Flip("c2-tau-positive", "released_verdict", "same code", "holds", False)]
    assert not diff.changes and diff.failed


def test_the_command_updates_then_passes_then_fails_on_a_planted_change(build, capsys):
    args = ["diff-results", "--root", str(build)]
    assert cli.main(args) == 2  # no snapshot yet: one line saying how to make one
    assert "--update" in capsys.readouterr().err
    assert cli.main(args + ["--update"]) == 0
    snapshot = build / Layout("default").snapshot()
    assert json.loads(snapshot.read_text())["tables"]["table_2_3"]["columns"] == T23
    assert cli.main(args) == 0 and "matches" in capsys.readouterr().out
    rows = [row[:] for row in T23_ROWS]
    rows[0][5] = "0.310"
    write_csv(build / Layout("default").results / "tables/table_2_3.csv", T23, rows)
    assert cli.main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "\t".join(gate.HEADER)
    assert out[1] == "\t".join(("table_2_3", "GDAS (gdas)", "tau metric [ours]", "0.300", "0.310",
                                "+0.010"))
    assert out[2].startswith("diff-results: results/default differs") and len(out) == 3


def test_a_select_build_has_its_own_snapshot_and_reads_only_its_items(build, capsys):
    args = ["diff-results", "--root", str(build), "--select", "table_2_3"]
    assert cli.main(args + ["--update"]) == 0
    snapshot = json.loads((build / Layout("default").snapshot("default-table_2_3")).read_text())
    assert list(snapshot["tables"]) == ["table_2_3"] and not snapshot["figures"]
    assert not snapshot["claims"]  # a select build's claims are report/claims-<ids>.csv
    capsys.readouterr()
    assert cli.main(["diff-results", "--root", str(build / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
