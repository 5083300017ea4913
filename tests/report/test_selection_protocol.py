"""The thesis' protocol for a DARTS-space row (issue 30 item 1; §3.4.2, §4.4.2, Table 3.1's note):
search with several seeds, retrain each found cell, select the cell whose retraining scores best
on the retraining's validation split (never the test set), retrain it with 3 seeds in all; the
mean over the searches stays as an additional column, and the cell figures draw the selected
cell. Covered here: the selection rule, the table's cells, the profile's pools and seeds."""

from __future__ import annotations

import copy
import csv
import io

import pytest
import yaml

from nasrepro.analysis.selection import select, selection_record
from nasrepro import jobs
from nasrepro.jobs import selected_retrain_seeds
from nasrepro.params import ConfigError
from nasrepro.profile import resolve, select as profile_select, validate
from nasrepro.registry import FIGURES, TABLES
from nasrepro.report.latex import to_latex
from nasrepro.report.table import build, to_csv, to_markdown
from tests.conftest import ROOT
from tests.table_results import DEFAULT_STANDINS, NOTE, fake_results


def _profile(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


# ------------------------------------------------------------------------------ the selection
def test_select_takes_the_best_held_out_score_ties_to_the_smallest_seed():
    assert select({0: 90.0, 1: 93.0, 100: 92.0}) == 1
    assert select({0: 93.0, 1: 93.0, 100: 92.0}) == 0
    assert select({0: 60.0, 1: 58.0}, higher_is_better=False) == 1  # a perplexity
    with pytest.raises(ValueError, match="^no retraining scores to select a cell by$"):
        select({})


def _genotype(seed):
    return {"space": "darts_cnn", "dataset": "cifar10", "run": "darts-2nd", "method": "darts-2nd",
            "seed": seed, "arch": f"cell-{seed}"}


def test_selection_reads_the_validation_split_never_the_test_set():
    # seed 0 has the best test accuracy, seed 1 the best validation accuracy
    finals = [{"seed": 0, "target": "cifar10", "run": "darts-2nd-heldout", "valid_acc": 90.0,
               "test_acc": 99.0},
              {"seed": 1, "target": "cifar10", "run": "darts-2nd-heldout", "valid_acc": 95.0,
               "test_acc": 80.0}]
    record = selection_record([_genotype(0), _genotype(1)], finals, "valid_acc", True)
    assert (record["seed"], record["arch"], record["run"]) == (1, "cell-1", "darts-2nd")
    assert record["selection"] == {"searches": [0, 1], "scores": {"0": 90.0, "1": 95.0},
                                   "field": "valid_acc", "target": "cifar10",
                                   "protocol": "heldout", "higher_is_better": True}
    # a retraining under the DARTS protocol (its "Valid" is the test set) is refused
    darts = [{**final, "run": "darts-2nd"} for final in finals]
    with pytest.raises(ValueError, match=r"^the selection reads held-out retrainings only "
                                         r"\(darts-2nd-heldout\), not darts-2nd, darts-2nd-x: a "
                                         r"retraining under the DARTS protocol scores the test set$"):
        selection_record([_genotype(0), _genotype(1)], darts + [{**finals[0], "run": "darts-2nd-x"}],
                         "valid_acc", True)
    # a lower-is-better field (a perplexity) selects the smallest score
    lowest = selection_record([_genotype(0), _genotype(1)], finals, "valid_acc", False)
    assert lowest["seed"] == 0 and lowest["selection"]["higher_is_better"] is False
    with pytest.raises(ValueError, match="^two genotypes of one search seed among the selection's "
                                         "inputs$"):
        selection_record([_genotype(0), _genotype(0)], finals, "valid_acc", True)


def test_one_search_needs_no_retraining_and_every_search_of_several_does():
    alone = selection_record([_genotype(7)], [], "valid_acc", True)
    assert alone["seed"] == 7 and alone["selection"] == {
        "searches": [7], "scores": {}, "field": "valid_acc", "target": None, "protocol": None,
        "higher_is_better": True}
    with pytest.raises(ValueError, match="every search's cell must be retrained"):
        selection_record([_genotype(0), _genotype(1)],
                         [{"seed": 0, "target": "cifar10", "run": "darts-2nd-heldout",
                           "valid_acc": 1.0}], "valid_acc", True)


# ------------------------------------------------------------------------------ the tables
@pytest.mark.parametrize("table", ["table_2_1", "table_3_1", "table_4_6", "table_5_1", "table_6_2"])
def test_a_row_is_the_selected_cell_retrained_with_the_across_searches_column_beside(table, tmp_path):
    spec = TABLES.get(table)
    assert spec.selects
    files = fake_results(spec, tmp_path, seeds=(0, 1))  # seed 1 has the better valid_acc
    rows = build(spec, spec.thesis_csv(ROOT), files, NOTE)
    run = next(r for r in rows if r["run"])["run"]
    row = next(r for r in rows if r["run"] == run)
    # selected: seed 1's retraining (test 93 -> error 7) and the further one (96 -> 4)
    assert row["cifar10_test_error_reproduced"] == "5.50 ± 1.50"
    # across searches: each search's cell, retrained once (errors 9 and 7)
    assert row["cifar10_test_error_searches"] == "8.00 ± 1.00"
    assert row["selected"] == ("seed 1 of [0, 1]: best valid_acc 91.00 on cifar10 "
                               "(held-out retraining: train half, scored on the validation half)")
    assert row["seeds"] == 2  # the selected cell's retrainings
    three = build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path / "3", seeds=(0, 1, 2)),
                  NOTE)
    assert next(r for r in three if r["run"] == run)["seeds"] == 2  # not the 3 searches
    header = next(csv.reader(io.StringIO(to_csv(spec, rows, DEFAULT_STANDINS))))
    assert "CIFAR-10 test error (%) [ours; stand-in: digits; selected cell]" in header
    assert "CIFAR-10 test error (%) [ours; stand-in: digits; across searches]" in header
    assert "Selected cell [ours]" in header
    md = to_markdown(spec, rows, NOTE, DEFAULT_STANDINS)
    assert "never the test set" in md and "Selected cell [ours]" in md
    tex = to_latex(spec, rows, NOTE, DEFAULT_STANDINS)
    assert "across searches" in tex and "never the test set" in tex
    if any(c.field == "params_m" for c in spec.columns):  # one value: the selected cell's
        assert row["params_m_reproduced"] == "0.0258" and "params_m_searches" not in row


@pytest.mark.parametrize("table", ["table_3_1", "table_4_6"])
def test_a_searched_run_without_its_selected_cell_keeps_only_the_across_searches_cells(table,
                                                                                      tmp_path):
    """No ``selection.json`` of a run among the inputs: its selected-cell cells stay empty (never
    the searches' mean), its across-searches cells are as before (each search's retraining); the
    other rows keep every cell."""
    from nasrepro.layout import is_selection_file

    spec = TABLES.get(table)
    files = fake_results(spec, tmp_path, seeds=(0, 1))
    full = build(spec, spec.thesis_csv(ROOT), files, NOTE)
    run = next(r for r in full if r["selected"])["run"]
    kept = [f for f in files if not (is_selection_file(f) and f"/{run}-selected/" in f)]
    assert len(kept) == len(files) - 1
    rows = build(spec, spec.thesis_csv(ROOT), kept, NOTE)
    for before, after in zip(full, rows):
        if before["run"] != run:
            assert after == before
            continue
        assert after["selected"] == ""
        for column in spec.columns:
            if column.source == "eval":
                assert after[f"{column.key}_reproduced"] == "", column.key
            if spec.across(column):
                assert after[column.key + "_searches"] == before[column.key + "_searches"]
                assert after[column.key + "_searches"], column.key


def test_the_selected_cell_alone_and_a_column_after_one_without_results(tmp_path):
    """Results on CIFAR-100 only (the CIFAR-10 columns come first and stay empty) and no
    further retraining of the selected cell: each CIFAR-100 cell of ours is the selected
    search's own retraining alone."""
    from nasrepro.layout import is_selection_file

    spec = TABLES.get("table_3_1")
    files = fake_results(spec, tmp_path, seeds=(0, 1), targets=["cifar100"])
    kept = [f for f in files if is_selection_file(f) or "-selected/" not in f]
    assert len(kept) < len(files)
    rows = [r for r in build(spec, spec.thesis_csv(ROOT), kept, NOTE) if r["selected"]]
    assert rows
    for row in rows:
        assert row["cifar10_test_error_reproduced"] == ""
        assert row["cifar100_test_error_reproduced"] and "±" not in row["cifar100_test_error_reproduced"]
        assert row["seeds"] == 1


def test_a_row_of_a_run_without_a_search_keeps_its_own_cells(tmp_path):
    """A published cell's pseudo-run (``published-<cell>``, no search to select over) in a
    selecting table: its cells are its own retrainings, not moved to the across-searches cell."""
    from nasrepro.spaces.darts_cnn.genotypes import ALL

    spec = TABLES.get("table_3_1")
    run = f"published-{sorted(ALL)[0]}"
    files = fake_results(spec, tmp_path, seeds=(0, 1), runs=[run])
    row = build(spec, spec.thesis_csv(ROOT), files, NOTE, extra_runs=[run])[-1]
    assert row["run"] == run and row["cifar10_test_error_reproduced"]
    assert row["cifar10_test_error_searches"] == "" and row["seeds"] == 2


def test_tables_of_other_spaces_keep_the_mean_over_the_searches(tmp_path):
    spec = TABLES.get("table_3_3")  # NAS-Bench-201: "4 independent times" (Table 3.3's note)
    assert not spec.selects
    rows = build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path, seeds=(0, 1)), NOTE)
    row = next(r for r in rows if r["run"] == "gdas")
    assert row["cifar10_test_reproduced"] == "92.00 ± 1.00" and "selected" not in row


# ------------------------------------------------------------------------------ the profiles
def test_the_thesis_profile_selects_over_its_four_searches_and_retrains_three_times():
    thesis = _profile("thesis.yaml")
    assert resolve.selection_protocol(thesis).retrainings == 3
    assert resolve.selection_pool(thesis, "darts_cnn", "random-nas-nsas") == [0, 1, 100, 101]
    assert resolve.selected_retrain_seeds(thesis, "darts_cnn", "random-nas-nsas") == [2, 3]
    default = _profile("config.yaml")
    assert resolve.selection_pool(default, "darts_cnn", "darts-2nd") == [0]
    assert resolve.selected_retrain_seeds(default, "darts_cnn", "darts-2nd") == [1]
    assert selected_retrain_seeds([1, 2], 4) == [0, 3, 4]


def test_held_out_retrainings_run_the_selections_epochs_on_the_cell_of_their_search():
    thesis, default = _profile("thesis.yaml"), _profile("config.yaml")

    def job(config, run):
        return resolve.eval_job(config, "darts_cnn", "cifar10", run, 1, "cifar10", {}, None)

    # thesis: DARTS' 100-epoch selection training beside the 600-epoch retraining, same network
    assert (job(thesis, "en2as-heldout").retrain["epochs"], job(thesis, "en2as").retrain["epochs"]) \
        == (100, 600)
    assert job(thesis, "en2as-heldout").net_cfg == job(thesis, "en2as").net_cfg
    assert job(thesis, "en2as-selected").retrain["epochs"] == 600
    assert job(thesis, "en2as-heldout").method == "en2as"
    # default: null, the profile's own retraining epochs
    assert resolve.selection_protocol(default).epochs is None
    assert job(default, "en2as-heldout").retrain == job(default, "en2as").retrain
    assert jobs.base_run("en2as-heldout") == "en2as" and not jobs.has_search("en2as-heldout")
    bad = copy.deepcopy(default)
    bad["selected_cell"] = {"epochs": 0}
    with pytest.raises(ConfigError, match=r"selected_cell.epochs"):
        validate.check_profile(bad)


def test_cell_figures_draw_the_selected_cell_over_all_their_seeds():
    thesis = _profile("thesis.yaml")
    assert FIGURES.get("fig_2_1").selects and not FIGURES.get("fig_2_1c").selects
    assert profile_select.figure_seeds(thesis, "fig_2_1") == [0, 1, 100, 101]
    assert profile_select.figure_seeds(thesis, "fig_2_1c") == [0]  # recurrent: the first seed
    assert resolve.selection_pool(thesis, "darts_cnn", "en2as") == [0, 1, 100, 101]


def test_a_run_selected_over_different_seeds_is_one_clear_error():
    profile = _profile("config.yaml")
    profile["tables"]["table_5_1"] = {**profile["tables"]["table_5_1"], "seeds": [0, 1]}
    with pytest.raises(ConfigError, match=r"run 'darts-2nd' on darts_cnn: its cell is selected "
                                          r"over different search seeds .*table_5_1: seeds \[0, 1\]"):
        validate.check_profile(profile)
    bad = copy.deepcopy(_profile("config.yaml"))
    bad["selected_cell"] = {"retrainings": 0}
    with pytest.raises(ConfigError, match=r"selected_cell.retrainings"):
        validate.check_profile(bad)
