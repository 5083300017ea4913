"""Chapter 4 outputs: Table 4.5's search seconds and ratio to GDAS, Table 4.2's "Best" (the best
cell over a search's epochs, pseudo-run ``<run>-best``), the run names behind Tables 4.2-4.4,
Fig. 4.3's schedule and Fig. 4.4 (a)'s sweep, and the thesis settings of E²NAS on the DARTS space
(§4.4.2)."""

import csv
import json
import subprocess
import sys

import pytest
import yaml

from nasrepro import jobs
from nasrepro.profile import resolve
from nasrepro.analysis.best_cell import best_epoch
from nasrepro.registry import FIGURES, TABLES
from nasrepro.report.table import build
from nasrepro.report.trajectories import gamma_curves, plot_trajectories
from nasrepro.experiments.runs import e2nas_run, replay_run
from tests.conftest import ROOT


def _search(root, run, seed, wall_s, method="gdas", space="nb201"):
    base = root / run / f"seed{seed}" / "search"
    base.mkdir(parents=True)
    (base / "run.json").write_text(json.dumps({"wall_time_s": wall_s, "config": {
        "space": space, "run": run, "method": method}}))
    return str(base / "run.json")


def _rows(table: list[dict]) -> dict[str, dict]:
    return {row["run"]: row for row in table if row["run"]}


def test_table_4_5_seconds_and_ratio_to_gdas_on_a_hand_case(tmp_path):
    spec = TABLES.get("table_4_5")
    files = [_search(tmp_path, "gdas", 0, 100.0), _search(tmp_path, "gdas", 1, 300.0),
             _search(tmp_path, "nao", 0, 500.0, "nao"), _search(tmp_path, "darts-1st", 0, 50.0, "darts-1st")]
    table = _rows(build(spec, spec.thesis_csv(ROOT), files, "note"))
    assert table["gdas"]["search_s_reproduced"] == "200 ± 100"       # 3 significant figures
    assert table["gdas"]["ratio_gdas_reproduced"] == "1.00 ± 0.50"   # 100/200, 300/200
    assert table["nao"]["ratio_gdas_reproduced"] == "2.50"           # one seed: no ±
    assert table["darts-1st"]["ratio_gdas_reproduced"] == "0.25"
    assert (table["gdas"]["seeds"], table["nao"]["seeds"]) == (2, 1)
    assert table["e2nas"]["ratio_gdas_reproduced"] == ""            # not searched here
    # without the reference run there is no ratio
    alone = _rows(build(spec, spec.thesis_csv(ROOT), files[2:3], "note"))
    assert alone["nao"]["search_s_reproduced"] == "500"
    assert alone["nao"]["ratio_gdas_reproduced"] == ""


def test_thesis_ratio_column_is_the_thesis_seconds_over_gdas():
    with open(TABLES.get("table_4_5").thesis_csv(ROOT), newline="") as handle:
        rows = list(csv.DictReader(handle))
    gdas = float(next(r for r in rows if r["run"] == "gdas")["search_s"])
    for row in rows:
        assert float(row["ratio_gdas"]) == pytest.approx(float(row["search_s"]) / gdas, abs=0.005)


def test_best_epoch_picks_the_best_inherited_score_later_epoch_on_ties():
    records = [{"epoch": 0, "derived_valid": 50.0, "arch": "a"},
               {"epoch": 1, "derived_valid": 70.0, "arch": "b"},
               {"epoch": 2, "derived_valid": 70.0, "arch": "c"},
               {"epoch": 3, "derived_valid": 60.0, "arch": "d"}]
    assert best_epoch(records)["arch"] == "c"
    assert best_epoch(records, higher_is_better=False)["arch"] == "a"   # e.g. perplexity
    with pytest.raises(ValueError, match="^no per-epoch search records: the search has not "
                                         "finished an epoch$"):
        best_epoch([])


@pytest.mark.slow
def test_best_cell_command_writes_the_best_epoch_cell_with_its_own_index(tmp_path):
    from nasrepro.spaces.nb201.space import Nb201Space

    space = Nb201Space()
    cells = [space.from_index(i) for i in (3, 11, 42)]
    final = {"space": "nb201", "dataset": "cifar10", "run": "gdas", "method": "gdas", "seed": 0,
             "arch": space.to_string(cells[2]), "index": 42}
    (tmp_path / "genotype.json").write_text(json.dumps(final))
    (tmp_path / "metrics.jsonl").write_text("".join(
        json.dumps({"epoch": e, "derived_valid": v, "arch": space.to_string(c)}) + "\n"
        for e, (v, c) in enumerate(zip((40.0, 80.0, 60.0), cells))))
    out = tmp_path / "best" / "genotype.json"
    subprocess.run([sys.executable, "-m", "nasrepro", "best-cell", "--genotype",
                    str(tmp_path / "genotype.json"), "--metrics", str(tmp_path / "metrics.jsonl"),
                    "--out", str(out)], check=True, cwd=ROOT)
    best = json.loads(out.read_text())
    assert best["run"] == "gdas-best" and best["index"] == 11
    assert best["arch"] == space.to_string(cells[1]) and best["derived_valid"] == 80.0


def test_best_pseudo_runs_fill_the_best_column_and_resolve_to_their_run():
    spec = TABLES.get("table_4_2")
    with open(spec.thesis_csv(ROOT), newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert row["cifar10_best_run"] == (f"{row['run']}-best" if row["run"] else "")
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert resolve.method_params(profile, "gdas-best", "nb201") == \
        resolve.method_params(profile, "gdas", "nb201")
    assert jobs.base_run("gdas-a-best") == "gdas-a" and jobs.base_run("gdas") == "gdas"
    assert {e2nas_run(0.0, g) for g in (0.0, 0.2, 0.5, 0.8, "sig1", "sig2", "sig5", "sig10")} <= \
        set(spec.runs(ROOT))


def test_tables_4_3_and_4_4_name_the_grid_runs():
    with open(TABLES.get("table_4_3").thesis_csv(ROOT), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row, (base, eps) in zip(rows, [(b, e) for b in ("random-nas", "gdas", "e2nas")
                                       for e in (0.0, 0.2, 0.5, 0.8)]):
        for strategy in ("ac", "rp", "op"):
            assert row[f"{strategy}_run"] == replay_run(base, strategy, eps)
    with open(TABLES.get("table_4_4").thesis_csv(ROOT), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["sig10_run"] for row in rows] == [e2nas_run(e, "sig10") for e in (0.0, 0.2, 0.5, 0.8)]
    assert rows[2]["sig10_run"] == "e2nas"   # eps = 0.5, Sig(10): the default E²NAS


def test_gamma_schedule_is_eq_4_16_and_the_figures_draw(tmp_path):
    curves = gamma_curves((1.0, 10.0), epochs=100)
    for b, curve in curves.items():
        assert curve[50] == pytest.approx(0.5)                           # t = T/2
        assert curve[0] == pytest.approx(1 - 1 / (1 + 2.718281828459045 ** b))
        assert all(a > c for a, c in zip(curve, curve[1:]))              # decreasing
    assert curves[10.0][10] > curves[1.0][10] and curves[10.0][90] < curves[1.0][90]
    plot_trajectories(FIGURES.get("fig_4_3"), [], str(tmp_path / "fig_4_3"), "note")
    assert (tmp_path / "fig_4_3.png").stat().st_size > 0
    spec = FIGURES.get("fig_4_4a")
    files = []
    for run in ("random-nas", "random-nas-ac-e05", "gdas"):
        base = tmp_path / "runs" / run / "seed0" / "eval" / "cifar10"
        base.mkdir(parents=True)
        (base / "final.json").write_text(json.dumps({"valid_acc": 80.0, "test_acc": 85.0, "run": run}))
        files.append(str(base / "final.json"))
    plot_trajectories(spec, files, str(tmp_path / "fig_4_4a"), "note")
    assert (tmp_path / "fig_4_4a.png").stat().st_size > 0
    # one panel; each method's points sit at their eps (GDAS has only eps = 0 here)
    from nasrepro.report.trajectories import _sweep

    bars = _sweep(spec, files).axes[0].containers
    xs = {bar.get_label(): list(bar.lines[0].get_xdata()) for bar in bars}
    assert xs["RandomNAS test"] == [0.0, 0.5] and xs["GDAS valid"] == [0.0]


def test_thesis_profile_runs_e2nas_with_the_darts_space_settings_of_4_4_2():
    thesis = yaml.safe_load((ROOT / "config/thesis.yaml").read_text())
    for run in ("e2nas", "e2nas-r"):
        params = resolve.method_params(thesis, run, "darts_cnn")
        assert params["epochs"] == 100 and params["batch_size"] == 32
        assert params["epsilon"] == 0.5 and params["gamma"] is None and params["gamma_sigmoid_b"] == 10
    assert resolve.method_params(thesis, "e2nas-r", "darts_cnn")["depth_weight"] == 0.05
    assert resolve.search_net(thesis, "darts_cnn")["layers"] == 8
    assert resolve.search_net(thesis, "darts_cnn")["C"] == 16
