"""Chapters 5-6 outputs: the ``epoch_stats`` and ``sweep`` figures from run files, and the profile
settings behind them (figure run restrictions, which runs track the Hessian)."""

import json

import pytest
import yaml

from nasrepro.profile import resolve, select, validate
from nasrepro.params import ConfigError
from nasrepro.registry import FIGURES
from nasrepro.report.trajectories import plot_trajectories
from tests.conftest import ROOT


def _profile():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _write_run(root, run, seed, records, finals=None, curve=None):
    base = root / "runs" / run / f"seed{seed}"
    (base / "search").mkdir(parents=True)
    (base / "search/genotype.json").write_text(json.dumps({"run": run}))
    (base / "search/metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    files = [str(base / "search/metrics.jsonl")]
    for target, acc in (finals or {}).items():
        (base / "eval" / target).mkdir(parents=True, exist_ok=True)
        (base / "eval" / target / "final.json").write_text(json.dumps({"test_acc": acc, "run": run}))
        files.append(str(base / "eval" / target / "final.json"))
    if curve is not None:
        target, values = curve
        (base / "eval" / target).mkdir(parents=True, exist_ok=True)
        path = base / "eval" / target / "metrics.jsonl"
        path.write_text("".join(json.dumps({"epoch": i, "valid_acc": v}) + "\n" for i, v in enumerate(values)))
        files.append(str(path))
    return files


@pytest.mark.parametrize("figure,key", [("fig_5_5", "skip_ratio"), ("fig_5_6", "hessian_eig")])
def test_epoch_stats_figure_is_written_and_needs_its_key(figure, key, tmp_path):
    spec = FIGURES.get(figure)
    files = []
    for run in spec.runs:
        for seed in (0, 1):
            files += _write_run(tmp_path, run, seed, [{"epoch": e, key: 0.1 * e + seed} for e in range(3)])
    plot_trajectories(spec, files, str(tmp_path / figure), "note: stand-in data")
    assert (tmp_path / f"{figure}.png").stat().st_size > 0 and (tmp_path / f"{figure}.pdf").exists()
    bare = _write_run(tmp_path / "bare", spec.runs[0], 0, [{"epoch": 0}])
    with pytest.raises(ValueError, match=f"without \\['{key}'\\]"):
        plot_trajectories(spec, bare, str(tmp_path / "bare"), "")


def test_fig_5_4_has_a_retraining_curve_panel(tmp_path):
    spec = FIGURES.get("fig_5_4")
    files = []
    for run in spec.runs:
        files += _write_run(tmp_path, run, 0, [{"epoch": e, "depth": 2.0} for e in range(2)],
                            curve=("cifar10", [50.0, 60.0, 70.0]))
    plot_trajectories(spec, files, str(tmp_path / "fig"), "")
    assert (tmp_path / "fig.png").exists()


def test_sweep_figure_plots_the_evaluated_points_and_rejects_an_empty_panel(tmp_path):
    spec = FIGURES.get("fig_6_2")
    files = []
    for label, points in spec.sweeps:
        for value, run in points[:2]:
            if not any(f"/{run}/" in f for f in files):
                files += _write_run(tmp_path, run, 0, [{"epoch": 0}], finals={"cifar10": 90.0})
    plot_trajectories(spec, files, str(tmp_path / "sweep"), "")
    assert (tmp_path / "sweep.png").exists()
    only_t = [f for f in files if "/idarts-t" in f]
    with pytest.raises(ValueError, match="no evaluated run of the \\(b\\)"):
        plot_trajectories(spec, only_t, str(tmp_path / "partial"), "")


def test_figure_runs_restriction_must_name_plotted_runs():
    profile = _profile()
    assert select.figure_runs(profile, "fig_6_2") == profile["figures"]["fig_6_2"]["runs"]
    profile["figures"]["fig_6_2"] = {"runs": ["idarts", "gdas"]}
    with pytest.raises(ConfigError, match=r"figures.fig_6_2.runs: \['gdas'\] are not plotted"):
        validate.check_profile(profile)


def test_only_the_runs_of_hessian_figures_track_the_hessian():
    profile = _profile()
    assert select.hessian_runs(profile, "darts_cnn") == {"darts-2nd", "balenas-2nd"}
    assert select.hessian_runs(profile, "nb201") == set()
    dataset = {"name": "cifar10", **profile["datasets"]["cifar10"]}
    tracked = resolve.search_job(profile, "darts_cnn", dataset, "balenas-2nd", 0)
    plain = resolve.search_job(profile, "darts_cnn", dataset, "gdas", 0)
    assert (tracked.hessian_iters, tracked.hessian_batches) == (5, 1)
    assert plain.hessian_iters == 0


@pytest.mark.slow
def test_figure_inputs_follow_the_kind(tmp_path):
    """What the workflow's figure rule reads (figure_metrics in common.smk), from a dry run."""
    from tests.computed import clean_copy, snakemake

    work = clean_copy(tmp_path)
    out = snakemake("-n", "-p", "results/default/figures/fig_6_2.png",
                    "results/default/figures/fig_5_4.png", cwd=work, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    figure_lines = [line for line in out.stdout.splitlines() if "nasrepro" in line and " figure " in line]
    sweep = next(line for line in figure_lines if "fig_6_2" in line)
    runs = "results/default/runs/nb201/cifar10"
    for run in _profile()["figures"]["fig_6_2"]["runs"]:   # found cells' evaluation, seed 0 only
        assert f"{runs}/{run}/seed0/eval/cifar10/final.json" in sweep
    assert "seed1" not in sweep and "idarts-t5-k2" not in sweep
    depth = next(line for line in figure_lines if "fig_5_4" in line)
    spec = FIGURES.get("fig_5_4")
    first = spec.curve_targets[0]  # retraining curves on the first evaluated target (imagenet)
    for run in spec.runs:
        assert f"runs/darts_cnn/cifar10/{run}/seed0/eval/{first}/metrics.jsonl" in depth
        assert f"runs/darts_cnn/cifar10/{run}/seed0/search/metrics.jsonl" in depth


def test_search_curve_figure_has_its_title_inside_whole_epochs_and_units(tmp_path, monkeypatch):
    """Issue 22, item 7: Fig. 4.4 b's long title ran off both edges of the figure, its epoch axis
    read 1.25, 1.50, ... and its accuracy axis had no unit."""
    from nasrepro.report import figure

    files = [f for seed in (0, 1) for f in _write_run(
        tmp_path, "gdas", seed, [{"derived_valid": 10.0 + e + seed, "metric": "accuracy"} for e in range(3)])]
    shown = {}
    monkeypatch.setattr(figure, "save", lambda fig, prefix, note: shown.update(fig=fig))
    figure.plot_search_curves(files, str(tmp_path / "f"), FIGURES.get("fig_4_4b").title)
    fig = shown["fig"]
    fig.canvas.draw()
    title = fig._suptitle
    assert title.get_text().replace("\n", " ") == FIGURES.get("fig_4_4b").title
    box, frame = title.get_window_extent(), fig.bbox
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1, "the title fits the figure's width"
    ax, = fig.axes
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert "(%)" in ax.get_ylabel()


def test_a_one_epoch_curve_is_drawn_as_a_marker():
    """The rehearsal's searches run one epoch: a line of one point draws nothing, so that curve
    gets a marker and its axis the one whole epoch; curves of several epochs stay plain lines
    (the default profile's figures)."""
    import matplotlib.pyplot as plt

    from nasrepro.report.trajectories import _band

    fig, (left, right) = plt.subplots(1, 2)
    _band(left, [[3.0], [5.0]], "one")
    _band(right, [[1.0, 2.0]], "two")
    (one,), (two,) = left.lines, right.lines
    assert one.get_marker() == "o" and list(one.get_ydata()) == [4.0]
    assert list(left.get_xticks()) == [1]
    assert two.get_marker() in ("None", None, "") and list(two.get_ydata()) == [1.0, 2.0]
    plt.close(fig)
