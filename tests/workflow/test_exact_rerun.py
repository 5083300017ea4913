"""Exact reproducibility (issue #29 item 2; Li and Talwalkar, UAI 2019): each cell of
``report.reproducibility.EXACT`` (the registry whose rows the tables mark "Exact
reproducibility: yes") is rerun from the seed recorded in the shared slice of the default
profile (``computed_default``, tests/computed.py): the evaluation job its ``run.json`` records,
run again with the rule's own command on the same found cell, gives the identical value, and the
table built with the rerun in place of the recorded file prints the identical cell, seeds and
interval."""

import json
import subprocess
import sys

import pytest

from nasrepro.layout import Layout
from nasrepro.registry import TABLES
from nasrepro.report.reproducibility import EXACT
from nasrepro.report.table import build
from tests.computed import ENV

DATASET = "cifar10"  # the default profile's search dataset: where the slice's runs live


@pytest.mark.slow  # reads the shared slice; the rerun itself is one NAS-Bench-201 retraining
@pytest.mark.parametrize("check", EXACT, ids=[f"{c.table}-{c.run}-{c.key}" for c in EXACT])
def test_a_registered_cell_reruns_from_its_recorded_seed_identically(computed_default, tmp_path,
                                                                     check):
    spec = TABLES.get(check.table)
    column = next(c for c in spec.columns if c.key == check.key)
    root, layout = computed_default.path, Layout("default")
    recorded = root / layout.eval_file(spec.space, DATASET, check.run, check.seed, column.target,
                                       "final.json")
    job = json.loads(recorded.with_name("run.json").read_text())["config"]
    assert job["seed"] == check.seed and job["run"] == check.run
    genotype = root / layout.search_file(spec.space, DATASET, check.run, check.seed,
                                         "genotype.json")
    out = subprocess.run([sys.executable, "-m", "nasrepro", "evaluate", "--spec", json.dumps(job),
                          "--genotype", str(genotype), "--out-dir", str(tmp_path / "rerun")],
                         cwd=root, env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    before = json.loads(recorded.read_text())
    after = json.loads((tmp_path / "rerun" / "final.json").read_text())
    assert after[column.field] == before[column.field]  # exact: no tolerance

    runs = root / layout.results / "runs" / spec.space  # what the table rule reads of them
    finals = sorted(str(p) for pattern in ("eval/*/final.json", "search/run.json",
                                           "search/metrics.jsonl")
                    for p in runs.glob(f"*/*/seed*/{pattern}"))
    swapped = [str(tmp_path / "rerun" / "final.json") if f == str(recorded) else f for f in finals]
    assert swapped != finals
    rows = [build(spec, spec.thesis_csv(root), files, "note") for files in (finals, swapped)]
    row = [next(r for r in table if r["run"] == check.run) for table in rows]
    cell = f"{column.key}_reproduced"
    assert row[0][cell] and row[0][f"{cell}_n"] == "2"
    for key in (cell, f"{cell}_mean", f"{cell}_std", f"{cell}_ci_lo", f"{cell}_ci_hi"):
        assert row[1][key] == row[0][key], key
