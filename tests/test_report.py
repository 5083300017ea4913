"""`snakemake --report`: every configured table and figure and the cost table are embedded with
their caption, beside the configuration and per-rule runtimes; the cost table has a row per rule
family, per table and figure, and the thesis' search cost beside each DARTS-space search."""

import csv
import json
import re

import pytest
import yaml

from nasrepro.registry import FIGURES, TABLES
from tests.computed import computed_default, copy_run  # noqa: F401
from tests.conftest import ROOT
from tests.test_workflow import snakemake

pytestmark = pytest.mark.slow
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _script_json(html: str, script_id: str, var: str):
    block = re.search(rf'<script id="{script_id}">(.*?)</script>', html, re.S).group(1)
    return json.loads(re.search(rf"var {var} = (.*?);\s*$", block, re.S).group(1))


def test_report_embeds_every_table_and_figure_with_captions(computed_default, tmp_path):  # noqa: F811
    work = copy_run(computed_default, tmp_path / "work")
    out = snakemake("--report", "report.html", cwd=work)
    assert out.returncode == 0, out.stderr[-2000:]
    html = (work / "report.html").read_text()
    results = _script_json(html, "results", "results")
    expected = {f"results/default/tables/{t}.csv": TABLES.get(t).title for t in CONFIG["tables"]}
    expected.update({f"results/default/figures/{f}.png": FIGURES.get(f).title for f in CONFIG["figures"]})
    expected["results/default/report/cost.csv"] = "Compute cost."
    for path, title in expected.items():
        assert path in results, f"{path} is not in the report"
        assert title in results[path]["caption"] and "profile 'default'" in results[path]["caption"]
    runtimes = _script_json(html, "runtimes", "runtimes_spec")["data"]["values"]
    assert {"search", "evaluate", "table", "figure", "cost"} <= {r["rule"] for r in runtimes}
    assert "resolved configuration" in html and "&quot;search_dataset&quot;: &quot;cifar10&quot;" in html


def test_cost_table_has_rules_tables_figures_and_thesis_search_costs(computed_default):  # noqa: F811
    with open(computed_default.path / "results/default/report/cost.csv", newline="") as handle:
        rows = {(r["scope"], r["name"]): r for r in csv.DictReader(handle)}
    assert {("rule", f) for f in ("prepare_data", "search", "evaluate", "table", "figure")} <= set(rows)
    assert {("table", t) for t in CONFIG["tables"]} | {("figure", f) for f in CONFIG["figures"]} <= set(rows)
    assert int(rows[("rule", "search")]["jobs"]) == 10 and int(rows[("rule", "evaluate")]["jobs"]) == 20
    assert int(rows[("table", "table_6_2")]["jobs"]) == 2 + 2 * 2  # 2 searches, 2 x 2 evaluations
    assert rows[("search", "darts_cnn/darts-2nd")]["thesis_gpu_days"] == "4"
    assert float(rows[("rule", "search")]["cpu_h"]) > 0 and float(rows[("rule", "search")]["gpu_h"]) == 0
    total = sum(float(rows[("rule", f)]["wall_h"]) for f in ("search", "evaluate"))
    parts = sum(float(r["wall_h"]) for (scope, _), r in rows.items() if scope == "search")
    assert parts == pytest.approx(float(rows[("rule", "search")]["wall_h"]), abs=1e-3) and total > parts
