"""Network sizes the thesis states per row (issue 30 item 4): ImageNet C = 52 for RandomNAS-NSAS
and C = 50 for the other three NSAS variants (§3.4.2, Table 3.2), CIFAR-100 C = 50 for EN²AS's
16.45 % (§2.4.2, Table 2.1). The run's evaluation uses them (a profile's own network still applies
last), the architecture columns computed from a released genotype count at them, and every
DARTS-space table names the network that produced each row."""

from __future__ import annotations

import csv
import io
import json

import yaml

from nasrepro.experiments.specs import row_sizes, size_key
from nasrepro.profile import resolve
from nasrepro.registry import TABLES
from nasrepro.report.table import build, net_text, to_csv
from tests.conftest import ROOT
from tests.table_results import NOTE


def _profile(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_each_run_is_evaluated_with_the_network_the_thesis_states_for_its_rows():
    thesis, default = _profile("thesis.yaml"), _profile("config.yaml")

    def c(config, run, target):
        return resolve.eval_settings(config, "darts_cnn", target, run)[0]["C"]

    assert c(thesis, "random-nas-nsas", "imagenet") == 52
    assert [c(thesis, r, "imagenet") for r in ("random-nas-nsas-c", "gdas-nsas", "gdas-nsas-c")] \
        == [50, 50, 50]
    assert c(thesis, "darts-2nd", "imagenet") == 48 and c(thesis, None, "imagenet") == 48
    assert (c(thesis, "en2as", "cifar100"), c(thesis, "en2as", "cifar10")) == (50, 36)
    assert c(thesis, "random-nas-nsas-selected", "imagenet") == 52  # its selected cell's retrainings
    job = resolve.eval_job(thesis, "darts_cnn", "cifar10", "en2as", 0, "cifar100", {}, None)
    assert job.net_cfg["C"] == 50
    # the default profile's own tiny network applies to every row
    assert c(default, "random-nas-nsas", "imagenet") == c(default, "en2as", "cifar100") == 6


def test_table_3_2_counts_the_released_nsas_cells_at_the_rows_networks(tmp_path):
    from nasrepro.spaces.darts_cnn.complexity import released_complexity

    sizes = [(cell, size_key(t, o), t, o) for cell, t, o in row_sizes(ROOT)]
    assert sorted((cell, key) for cell, key, _, _ in sizes) == [  # Tables 3.2, 4.6, 5.1
        ("NSAS", "imagenet C=52"), ("NSAS_C", "imagenet C=50")]
    spec = TABLES.get("table_3_2")
    with open(spec.thesis_csv(ROOT), newline="", encoding="utf-8") as handle:
        named = sorted({row["genotype"] for row in csv.DictReader(handle)} - {""})
    complexity = released_complexity(named, sizes)
    rows = {r["run"]: r for r in build(spec, spec.thesis_csv(ROOT), [], NOTE,
                                       complexity=complexity) if r["run"]}
    nsas = rows["random-nas-nsas"]  # C = 52: the thesis' 5.2 M and 581 M, now explained
    assert (nsas["params_m_genotype"], nsas["flops_m_genotype"]) == ("5.17", "581")
    assert (nsas["params_m_thesis"], nsas["flops_m_thesis"]) == ("5.2", "581")
    nsas_c = rows["random-nas-nsas-c"]  # C = 50: the thesis' 5.4 M (and the author's log)
    assert nsas_c["params_m_genotype"] == "5.43" and nsas_c["params_m_thesis"] == "5.4"


def test_a_table_names_the_network_that_produced_each_row(tmp_path):
    spec = TABLES.get("table_3_2")
    files = []
    for run, c in (("random-nas-nsas", 52), ("gdas-nsas", 50)):
        path = tmp_path / run / "final.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"space": "darts_cnn", "run": run, "seed": 0,
                                    "target": "imagenet", "test_acc": 74.0, "params_m": 5.0,
                                    "madds_m": 580.0, "net": {"C": c, "layers": 14,
                                                              "auxiliary_weight": 0.4}}))
        files.append(str(path))
    rows = {r["run"]: r for r in build(spec, spec.thesis_csv(ROOT), files, NOTE)}
    assert rows["random-nas-nsas"]["net"] == "imagenet: C=52, layers=14"
    assert rows["gdas-nsas"]["net"] == "imagenet: C=50, layers=14"
    assert rows["random-nas-nsas-c"]["net"] == ""  # not evaluated here
    header = next(csv.reader(io.StringIO(to_csv(spec, list(rows.values())))))
    assert "Evaluation network [ours]" in header
    assert net_text({"cifar10": {"C": 36, "layers": 20}, "cifar100": {"C": 36, "layers": 20},
                     "imagenet": {"C": 48, "layers": 14}}) == \
        "cifar10, cifar100: C=36, layers=20; imagenet: C=48, layers=14"
    assert not TABLES.get("table_3_3").net_keys  # NAS-Bench-201: one network, looked up
