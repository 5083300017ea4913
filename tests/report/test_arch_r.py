"""Figs. 3.1 and 3.4 "Arch-R" (issue 30 item 7): where the probe cells are retrained the dashed
lines are their retraining curves; where they are looked up in a benchmark (the thesis profile,
NAS-Bench-201) there is one value per cell, and the figure draws it as a level line labelled a
benchmark value, with a note in each panel, never as a one-point "curve" that draws nothing."""

import json

import matplotlib.pyplot as plt
import pytest

from nasrepro.layout import Layout
from nasrepro.registry import FIGURES
from nasrepro.report.analysis import BENCHMARK_ARCH_R, forgetting, load

PROBES = 4


def _inputs(tmp_path, mode):
    layout, files = Layout("test"), []
    for run in ("gdas",):
        path = tmp_path / layout.search_file("nb201", "cifar10", run, 0, "metrics.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps({"epoch": e, "probe_valid": [50.0 + e + i for i in
                                                                          range(PROBES)]}) + "\n"
                                for e in range(6)))
        files.append(str(path))
    curve = [{"epoch": 0, "valid_acc": 40.0}] if mode == "benchmark" else \
        [{"epoch": e, "valid_acc": 40.0 + 10 * e} for e in range(3)]
    for i in range(PROBES):
        final = tmp_path / layout.eval_file("nb201", "cifar10", f"probe-{i}", 0, "cifar10", "final.json")
        final.parent.mkdir(parents=True, exist_ok=True)
        final.write_text(json.dumps({"valid_acc": 70.0 + i, "mode": mode}))
        metrics = final.with_name("metrics.jsonl")
        metrics.write_text("".join(json.dumps(r) + "\n" for r in curve))
        files += [str(final), str(metrics)]
    return load(files)


@pytest.mark.parametrize("mode", ["benchmark", "retrain"])
def test_arch_r_is_a_level_line_when_looked_up_and_a_curve_when_retrained(tmp_path, mode):
    spec = FIGURES.get("fig_3_1")
    data = _inputs(tmp_path, mode)
    fig, ax = plt.subplots()
    forgetting(spec, data, [ax])
    arch_r = {line.get_label(): line for line in ax.get_lines()
              if line.get_label().startswith("Arch-R")}
    assert len(arch_r) == PROBES
    texts = [t.get_text() for t in ax.texts]
    if mode == "benchmark":
        line = arch_r["Arch-R 1 (benchmark value)"]
        assert set(line.get_ydata()) == {70.0}  # the looked-up value of probe 0
        assert list(line.get_xdata()) == [0, 1] and line.get_transform() != ax.transData  # spans the axes
        assert BENCHMARK_ARCH_R in texts
    else:
        assert list(arch_r["Arch-R 1"].get_ydata()) == [40.0, 50.0, 60.0]  # the retraining curve
        assert BENCHMARK_ARCH_R not in texts
    plt.close(fig)
