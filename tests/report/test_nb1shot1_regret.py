"""Figs. 5.2, 6.1, 6.4: the per-epoch lookup of the derived cell (validation error, test regret
against the best cell of the space) on a hand-made NAS-Bench-101 table, the figure built from
hand-made search records, and the default profile's stand-in table."""

import json
import math

import pandas as pd
import pytest

from nasrepro.profile.select import figure_spaces
from nasrepro.params import ConfigError
from nasrepro.registry import FIGURES
from nasrepro.report import regret
from nasrepro.spaces.nb1shot1.benchmark import Nb101Benchmark
from nasrepro.spaces.nb1shot1.nb101 import ModelSpec
from nasrepro.spaces.nb1shot1.space import Nb1Shot1Arch
from nasrepro.spaces.nb1shot1.standin import build_standin, derived_cells

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
A = Nb1Shot1Arch(1, (C3, C3, C3, C3), ((0,), (0, 1), (1, 2), (2, 3), (3, 4)))
B = Nb1Shot1Arch(1, (MP, C1, C3, C3), ((0,), (0, 1), (1, 2), (2, 3), (3, 4)))
C = Nb1Shot1Arch(1, (C1, C1, C1, C1), ((0,), (0, 1), (0, 1), (0, 2), (1, 4)))
# a 5-operation chain: not a cell of space 1 (at most 4 operation vertices), the best of the table
CHAIN = ModelSpec(tuple(tuple(int(j == i + 1) for j in range(7)) for i in range(7)),
                  ("input",) + (C3,) * 5 + ("output",))
# hash -> {epochs: [(valid, test) per repeat]}
ACCURACIES = {A.nb101_hash(): {108: [(0.90, 0.89), (0.91, 0.90), (0.92, 0.91)], 4: [(0.5, 0.5)]},
              B.nb101_hash(): {108: [(0.80, 0.92), (0.80, 0.93), (0.83, 0.94)], 4: [(0.6, 0.6)]},
              C.nb101_hash(): {108: [(0.85, 0.88)] * 3, 4: [(0.99, 0.99)]},
              CHAIN.hash(): {108: [(0.99, 0.99)] * 3, 4: [(0.99, 0.99)]}}


def _table() -> pd.DataFrame:
    rows = [{"index": i, "hash": h, "epochs": e, "repeat": r, "final_training_time": 1.0,
             "final_train_accuracy": 1.0, "final_validation_accuracy": v, "final_test_accuracy": t}
            for i, (h, budgets) in enumerate(ACCURACIES.items())
            for e, repeats in budgets.items() for r, (v, t) in enumerate(repeats)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bench():
    return Nb101Benchmark(_table())


def test_hand_made_cells_are_distinct_and_the_chain_is_outside_space_1():
    assert len({A.nb101_hash(), B.nb101_hash(), C.nb101_hash(), CHAIN.hash()}) == 4
    assert CHAIN.pruned().num_vertices == 7


def test_validation_error_and_test_regret_per_epoch(bench):
    """Means over the three repeats at the largest budget (108); regret = best test accuracy of
    the space's cells (B: 93, not the chain's 99) - the cell's; validation error = 100 - valid."""
    records = [{"arch": a.to_string()} for a in (A, B, C, A)]
    out = regret.epoch_errors(records, bench)
    assert out["valid_error"] == pytest.approx([9.0, 19.0, 15.0, 9.0])
    assert out["test_regret"] == pytest.approx([3.0, 0.0, 5.0, 3.0])
    assert bench.budget == 108
    # another budget is another table: at 4 epochs C is the best cell of the space
    assert regret.epoch_errors(records, bench, epochs=4)["test_regret"] == pytest.approx(
        [49.0, 39.0, 0.0, 49.0])


def test_regret_rejects_mixed_spaces_and_unknown_cells(bench):
    other = Nb1Shot1Arch(2, (C3,) * 4, ((0,), (1,), (0, 2), (1, 3), (1, 2, 4)))
    with pytest.raises(ValueError, match="one search space"):
        regret.epoch_errors([{"arch": A.to_string()}, {"arch": other.to_string()}], bench)
    unknown = Nb1Shot1Arch(1, (MP,) * 4, ((0,), (0, 1), (1, 2), (2, 3), (3, 4)))
    with pytest.raises(KeyError, match="no record"):
        regret.epoch_errors([{"arch": unknown.to_string()}], bench)


def test_space_reference_is_the_mean_over_the_spaces_cells_of_the_table(bench):
    """Random sampling (issue #29): the mean over the table's cells of space 1 (A, B, C; not the
    chain, outside it) of each panel's quantity; the std and the count beside it."""
    reference = regret.space_reference(bench, 1)
    valid = [100 - 91.0, 100 - 81.0, 100 - 85.0]   # A, B, C: mean over their repeats
    regrets = [93.0 - 90.0, 0.0, 93.0 - 88.0]      # against the best of the space, B's 93
    assert reference["valid_error"]["mean"] == pytest.approx(sum(valid) / 3)
    assert reference["test_regret"]["mean"] == pytest.approx(sum(regrets) / 3)
    assert reference["test_regret"]["std"] == pytest.approx(pd.Series(regrets).std(ddof=0))
    assert reference["valid_error"]["n"] == reference["test_regret"]["n"] == 3
    assert regret.space_reference(bench, 1, epochs=4)["valid_error"]["mean"] == pytest.approx(
        100 - (50 + 60 + 99) / 3)
    with pytest.raises(KeyError, match="no cell of search space 2"):
        regret.space_reference(bench, 2)


def _write_search(root, space, run, seed, archs):
    path = root / "runs" / space / "cifar10" / run / f"seed{seed}" / "search" / "metrics.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps({"arch": a.to_string()}) + "\n" for a in archs))
    return str(path)


def test_figure_from_hand_made_records(tmp_path, monkeypatch):
    """Fig. 6.4's layout (two groups x (validation error, test regret)); the curves are the
    mean over seeds of the per-epoch lookups."""
    table = tmp_path / "nb101.parquet"
    _table().to_parquet(table, index=False)
    files = [_write_search(tmp_path, "nb1shot1-s1", "idarts-t1-k1", 0, (A, B)),
             _write_search(tmp_path, "nb1shot1-s1", "idarts-t1-k1", 1, (C, B)),
             _write_search(tmp_path, "nb1shot1-s1", "idarts-t5-k2", 0, (B, B)), str(table)]
    shown = {}
    monkeypatch.setattr(regret, "save", lambda fig, prefix, note: shown.update(fig=fig, note=note))
    regret.plot_regret(FIGURES.get("fig_6_4"), files, str(tmp_path / "fig"), "STAND-IN note")
    axes = shown["fig"].axes
    assert len(axes) == 4 and shown["note"] == "STAND-IN note"
    assert [ax.get_ylabel() for ax in axes] == ["validation error (%)", "test regret (%)"] * 2
    assert list(axes[0].lines[0].get_ydata()) == pytest.approx([12.0, 19.0])   # (9 + 15) / 2
    assert list(axes[1].lines[0].get_ydata()) == pytest.approx([4.0, 0.0])     # (3 + 5) / 2
    assert list(axes[3].lines[0].get_ydata()) == pytest.approx([0.0, 0.0])
    for ax, level in zip(axes, [100 - (91 + 81 + 85) / 3, (3 + 0 + 5) / 3] * 2):  # issue #29
        line = ax.lines[-1]
        assert line.get_label() == "random sampling (space mean, 3 cells)"
        assert list(line.get_ydata()) == pytest.approx([level, level])
    assert "T = 5" in axes[2].get_title()
    regret.plot_regret(FIGURES.get("fig_6_4"), files, str(tmp_path / "fig"), "")  # real save
    with pytest.raises(ValueError, match="no search"):
        regret.plot_regret(FIGURES.get("fig_5_2"), files[2:], str(tmp_path / "x"), "")


def test_real_figure_files(tmp_path):
    table = tmp_path / "nb101.parquet"
    _table().to_parquet(table, index=False)
    files = [_write_search(tmp_path, "nb1shot1-s1", "darts-2nd", 0, (A, C)), str(table)]
    regret.plot_regret(FIGURES.get("fig_5_2"), files, str(tmp_path / "fig"), "note")
    assert (tmp_path / "fig.png").stat().st_size > 0 and (tmp_path / "fig.pdf").stat().st_size > 0
    with pytest.raises(ValueError, match="exactly one"):
        regret.plot_regret(FIGURES.get("fig_5_2"), files[:1], str(tmp_path / "y"), "")


def test_figure_spaces_of_a_profile():
    assert figure_spaces({"figures": {"fig_6_1": {}}}, "fig_6_1") == [
        "nb1shot1-s1", "nb1shot1-s2", "nb1shot1-s3"]
    assert figure_spaces({"figures": {"fig_6_1": {"spaces": ["nb1shot1-s1"]}}}, "fig_6_1") == [
        "nb1shot1-s1"]
    assert figure_spaces({"figures": {"fig_6_2": {}}}, "fig_6_2") == ["nb201"]
    with pytest.raises(ConfigError, match="nb201.*not shown by fig_6_1"):
        figure_spaces({"figures": {"fig_6_1": {"spaces": ["nb201"]}}}, "fig_6_1")


def test_standin_table_dedupes_by_hash_resumes_and_reads_as_the_benchmark(tmp_path):
    """One training per NAS-Bench-101 hash (D1, D2 differ only in the operation of node 4, which
    feeds nothing: the same pruned cell), results kept in the state folder, the table in the
    converted layout."""
    d1, d2 = (Nb1Shot1Arch(1, (C3, C3, C1, op), ((0,), (0, 1), (1, 2), (2, 3), (2, 3)))
              for op in (C3, MP))
    assert d1.nb101_hash() == d2.nb101_hash()
    path = _write_search(tmp_path, "nb1shot1-s1", "darts-2nd", 0, (A, B, d1, d2, A))
    cells = derived_cells([path])
    assert cells == [A, B, d1]
    trained = []

    def train_cell(arch):
        trained.append(arch)
        acc = {A: (90.0, 80.0), B: (70.0, 60.0), d1: (50.0, 40.0)}[arch]
        return [{"valid_acc": 1.0, "test_acc": 1.0}, {"valid_acc": acc[0], "test_acc": acc[1]}], 123, 2

    table = build_standin(cells, train_cell, tmp_path / "state")
    assert trained == [A, B, d1]
    again = build_standin(cells, lambda arch: pytest.fail("retrained a finished cell"), tmp_path / "state")
    pd.testing.assert_frame_equal(table, again, check_exact=False, rtol=1e-9)
    bench = Nb101Benchmark(table)
    assert bench.budget == 2 and bench.hash_accuracy(A.nb101_hash(), "valid", 2) == pytest.approx(90.0)
    assert bench.hash_accuracy(B.nb101_hash(), "test", 2) == pytest.approx(60.0)
    assert bench.best_accuracy(1, "test", 2) == pytest.approx(80.0)
    assert math.isnan(table["final_train_accuracy"][0]) and set(table["repeat"]) == {0}
    with pytest.raises(ValueError, match="at least one search"):
        build_standin([], train_cell, tmp_path / "empty")


def test_evaluate_looks_up_a_found_cell_in_the_shared_nb101_benchmark(tmp_path):
    """The three spaces share the ``nb1shot1`` benchmark (``registry.benchmark_of``): a found
    cell of space 1 evaluates by lookup (mean of the repeats at 108 epochs)."""
    from nasrepro.cli import main
    from nasrepro.profile.resolve import uses_benchmark
    from nasrepro.registry import benchmark_of

    assert [benchmark_of(f"nb1shot1-s{v}") for v in (1, 2, 3)] == ["nb1shot1"] * 3
    assert benchmark_of("nb201") == "nb201"
    assert uses_benchmark({"evaluation": {"mode": "benchmark"}}, "nb1shot1-s3")
    assert not uses_benchmark({"evaluation": {"mode": "retrain"}}, "nb1shot1-s3")
    table = tmp_path / "nb101.parquet"
    _table().to_parquet(table, index=False)
    genotype = tmp_path / "genotype.json"
    genotype.write_text(json.dumps({"space": "nb1shot1-s1", "arch": B.to_string()}))
    spec = {"mode": "benchmark", "target": "cifar10", "space": "nb1shot1-s1", "seed": 0,
            "run": "darts-2nd", "method": "darts-2nd", "search_dataset": "cifar10",
            "benchmark_table": str(table),
            "settings": {"device": "cpu", "threads": 1, "workers": 0, "profile": "test"}}
    assert main(["evaluate", "--spec", json.dumps(spec), "--genotype", str(genotype),
                 "--out-dir", str(tmp_path / "eval")]) == 0
    final = json.loads((tmp_path / "eval" / "final.json").read_text())
    assert (final["valid_acc"], final["test_acc"]) == pytest.approx((81.0, 93.0))


def _figure_title(tmp_path, monkeypatch, files) -> str:
    """The suptitle of Fig. 5.2 as the `figure` command builds it (in this process)."""
    from nasrepro.cli import main

    shown = {}
    monkeypatch.setattr(regret, "save", lambda fig, prefix, note: shown.update(fig=fig))
    assert main(["figure", "--figure", "fig_5_2", "--note", "n", "--out-prefix",
                 str(tmp_path / "fig"), *files]) == 0
    return shown["fig"]._suptitle.get_text().replace("\n", " ")


def test_fig_5_2_title_names_the_runs_it_draws(tmp_path, monkeypatch):
    """Issue 22, item 7: with the default profile's runs (second order only) the caption said
    "DARTS (first and second order)" over two curves. The title now names the runs drawn and
    those the profile did not build; with all four runs it is the thesis caption alone."""
    table = tmp_path / "nb101.parquet"
    _table().to_parquet(table, index=False)
    second = [_write_search(tmp_path, "nb1shot1-s1", run, 0, (A, C)) for run in ("darts-2nd", "balenas-2nd")]
    title = _figure_title(tmp_path, monkeypatch, [*second, str(table)])
    assert "(first and second order)" in title  # the thesis caption stays
    assert "Drawn here: darts-2nd, balenas-2nd (2 of its 4 runs; darts-1st, balenas-1st not built" in title
    first = [_write_search(tmp_path, "nb1shot1-s1", run, 0, (B, C)) for run in ("darts-1st", "balenas-1st")]
    title = _figure_title(tmp_path, monkeypatch, [*second, *first, str(table)])
    assert title.startswith("Figure 5.2") and "Drawn here" not in title
    shown = {}
    monkeypatch.setattr(regret, "save", lambda fig, prefix, note: shown.update(fig=fig))
    regret.plot_regret(FIGURES.get("fig_5_2"), [*second, *first, str(table)], str(tmp_path / "f"), "n")
    assert {line.get_label().split(" ")[0] for ax in shown["fig"].axes for line in ax.lines
            if not line.get_label().startswith("random sampling")} == {
        "darts-1st", "darts-2nd", "balenas-1st", "balenas-2nd"}  # both orders drawn when built


def test_drawn_title_counts_and_names_left_out_runs():
    from nasrepro.report.figure import drawn_title

    runs = tuple(f"r{i}" for i in range(6))
    files = ["results/default/runs/nb201/cifar10/r1/seed0/search/metrics.jsonl",
             "results/default/runs/nb201/cifar10/probe-3/seed0/eval/cifar10/final.json",
             "data/prepared/default/benchmarks/nb1shot1-standin.parquet"]
    assert drawn_title("T", runs, files) == (
        "T\nDrawn here: r1 (1 of its 6 runs; the other 5 not built by this profile)")
    assert drawn_title("T", runs[:2], files) == (
        "T\nDrawn here: r1 (1 of its 2 runs; r0 not built by this profile)")
    assert drawn_title("T", ("r1",), files) == "T" and drawn_title("T", (), files) == "T"
