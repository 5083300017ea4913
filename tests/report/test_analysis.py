"""Ranking and forgetting analyses (chapters 2-3): Kendall tau and s-tau against scipy and hand
values, the probe records of the search loop, the ranking columns of a table, the fixed-depth
constraint of NSAS-C and the analysis figures."""

import json
import math
import random

import pytest
import torch
from scipy import stats

from nasrepro.analysis.ranking import kendall_tau, s_tau
from nasrepro.registry import SPACES, TABLES
from tests.conftest import build_method


@pytest.mark.parametrize("seed", range(6))
def test_kendall_tau_equals_scipy_tau_b_with_and_without_ties(seed):
    rng = random.Random(seed)
    x = [rng.randint(0, 5 if seed % 2 else 1000) for _ in range(15)]
    y = [rng.randint(0, 5 if seed % 2 else 1000) for _ in range(15)]
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_kendall_tau_hand_values():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # pairs: (1,2) C, (1,3) C, (2,3) D -> (2 - 1) / 3
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="paired"):
        kendall_tau([1, 2], [1])
    # a constant ranking has no tau (tau-b's denominator is 0): nan, as scipy
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3])) and math.isnan(kendall_tau([2], [3]))


def test_s_tau_is_the_mean_pairwise_tau():
    r = [[1, 2, 3, 4], [1, 2, 4, 3], [4, 3, 2, 1]]
    expected = (kendall_tau(r[0], r[1]) + kendall_tau(r[0], r[2]) + kendall_tau(r[1], r[2])) / 3
    assert s_tau(r) == pytest.approx(expected)
    assert s_tau(r[:2]) == pytest.approx(2 / 3)  # 5 concordant, 1 discordant pair
    assert math.isnan(s_tau(r[:1])) and math.isnan(s_tau([]))  # fewer than two runs: no pair


def test_search_loop_records_probe_scores_and_the_sampled_cell(tmp_path):
    from nasrepro.train.search import run_search
    from tests.methods.test_contract import _bundle

    bundle = _bundle()
    method = build_method("random-nas", shape=bundle.shape, epochs=3, batch_size=64,
                          num_candidates=2, eval_batch_size=64)
    space = method.space
    probes = [space.sample(random.Random(i)) for i in range(3)]
    result = run_search(method, bundle, 0, tmp_path, "fp", eval_batches=1, probes=probes,
                        probe_every=2)
    records = result.records
    # epochs 2 and 3 (the last) are probed, epoch 1 is not
    assert ["probe_valid" in r for r in records] == [False, True, True]
    assert all(len(r["probe_valid"]) == 3 and "sampled_valid" in r for r in records[1:])
    assert all(0 <= v <= 100 for r in records[1:] for v in r["probe_valid"])


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def test_table_ranking_columns_use_the_last_probe_scores_and_the_ground_truth(tmp_path):
    from nasrepro.report.table import collect

    spec = TABLES.get("table_2_3")
    truth = [70.0, 60.0, 80.0, 50.0]
    files = []
    for i, acc in enumerate(truth):
        f = tmp_path / f"probe-{i}" / "final.json"
        _write(f, {"space": "nb201", "run": f"probe-{i}", "target": "cifar10", "valid_acc": acc})
        files.append(str(f))
    scores = {0: [[1, 2, 3, 4], [70, 60, 80, 50]], 1: [[1, 2, 3, 4], [10, 20, 30, 40]]}
    for seed, (early, last) in scores.items():
        d = tmp_path / "en2as" / f"seed{seed}" / "search"
        _write(d / "genotype.json", {"run": "en2as"})
        _write(d / "metrics.jsonl", "\n".join(json.dumps({"probe_valid": v}) for v in (early, last)))
        files.append(str(d / "metrics.jsonl"))
    values = collect(spec, files)
    taus = values[("en2as", "tau")]
    assert taus == pytest.approx([1.0, kendall_tau([10, 20, 30, 40], truth)])
    assert values[("en2as", "s_tau")] == pytest.approx([kendall_tau(*[v[1] for v in scores.values()])])


def test_fixed_depth_constraint_samples_and_derives_chain_cells_only():
    space = SPACES.get("darts_cnn")()
    chain = {(2, 0), (2, 1), (3, 1), (3, 2), (4, 1), (4, 3), (5, 1), (5, 4)}
    random_nas = build_method("random-nas-nsas", "darts_cnn", depth_constraint=True)
    ops = set()
    for _ in range(30):
        cell = random_nas.sample_cell()
        for name in ("normal", "reduce"):
            genes = cell.cell(name)
            assert {(2 + n // 2, j) for n, (_, j) in enumerate(genes)} == chain
            ops |= {op for op, _ in genes}
    assert ops == set(space.cell_ops)  # operations stay free
    gdas = build_method("gdas-nsas", "darts_cnn", depth_constraint=True)
    with torch.no_grad():
        for alpha in gdas.alphas.values():
            alpha.normal_()
    derived = gdas.derive()
    assert {(2 + n // 2, j) for n, (_, j) in enumerate(derived.normal)} == chain
    gdas.sample(detach=True)
    assert {(2 + n // 2, j) for n, (_, j) in enumerate(gdas.sampled_cell().normal)} == chain
    with pytest.raises(ValueError, match="fixed topology"):
        build_method("random-nas-nsas", "nb201", depth_constraint=True)


def test_a_forgetting_figure_draws_the_profiles_runs_and_probes_only(tmp_path):
    """Issue #20 (the rehearsal): Fig. 2.2 restricted to EN²AS (``figures.fig_2_2.runs``) with 2
    probe cells, fewer than the 3 it shows, draws them (it raised "no search metrics for runs
    ['gdas']", and then IndexError)."""
    from nasrepro.cli import main

    metrics = tmp_path / "results/p/runs/nb201/cifar10/en2as/seed0/search/metrics.jsonl"
    _write(metrics, "\n".join(json.dumps({"epoch": e, "probe_valid": [50.0 + e, 40.0 - e],
                                          "sampled_valid": 30.0 + e}) for e in range(3)) + "\n")
    out = tmp_path / "fig"
    assert main(["figure", "--figure", "fig_2_2", "--out-prefix", str(out), "--note", "test",
                 str(metrics)]) == 0
    assert (tmp_path / "fig.png").stat().st_size > 0
