"""`snakemake --report`: every configured table and figure and the cost table are embedded with
their caption (a table with its evaluation card beside it, one subcategory each), beside the configuration and per-rule runtimes; the cost table has a row per rule
family, per table and figure, and the thesis' search cost beside each DARTS-space search."""

import csv
import json
import re
from pathlib import Path

import pytest

from nasrepro.registry import FIGURES, TABLES
from tests.computed import ROOT, SLICE, SLICE_COST, copy_run, job_counts, snakemake



def _script_json(html: str, script_id: str, var: str):
    block = re.search(rf'<script id="{script_id}">(.*?)</script>', html, re.S).group(1)
    return json.loads(re.search(rf"var {var} = (.*?);\s*$", block, re.S).group(1))


@pytest.mark.slow
def test_report_embeds_every_table_and_figure_with_captions(computed_default, tmp_path):
    work = copy_run(computed_default, tmp_path / "work")
    out = snakemake("--report", "report.html", *SLICE, cwd=work)
    assert out.returncode == 0, out.stderr[-2000:]
    html = (work / "report.html").read_text()
    results = _script_json(html, "results", "results")
    built = computed_default.path / "results/default"
    expected = {f"results/default/tables/{p.name}": TABLES.get(p.stem).title for p in built.glob("tables/*.csv")}
    expected.update({f"results/default/figures/{p.name}": FIGURES.get(p.stem).title
                     for p in built.glob("figures/*.png")})
    assert expected, "the shared run built tables and figures"
    expected[f"{SLICE_COST}.csv"] = "Compute cost."
    for path, title in expected.items():
        assert path in results, f"{path} is not in the report"
        assert title in results[path]["caption"] and "profile 'default'" in results[path]["caption"].lower()
    tables = _script_json(html, "categories", "categories")["Tables"]
    for table in built.glob("tables/*.csv"):  # each table's evaluation card beside it (issue 29)
        card = f"results/default/tables/{table.stem}.card.md"
        assert card in results and "Evaluation card of " + TABLES.get(table.stem).title in results[card]["caption"]
        assert set(tables[table.stem]) == {f"results/default/tables/{table.name}", card}
    runtimes = _script_json(html, "runtimes", "runtimes_spec")["data"]["values"]
    assert {"search", "evaluate", "table", "figure", "cost"} <= {r["rule"] for r in runtimes}
    assert "resolved configuration" in html and "&quot;search_dataset&quot;: &quot;cifar10&quot;" in html


@pytest.mark.slow
def test_cost_table_has_rules_tables_figures_and_thesis_search_costs(computed_default):
    with open(computed_default.path / f"{SLICE_COST}.csv", newline="") as handle:
        rows = {(r["scope"], r["name"]): r for r in csv.DictReader(handle)}
    counts = job_counts(computed_default.output)
    built = computed_default.path / "results/default"
    assert {("rule", f) for f in ("prepare_data", "search", "evaluate", "table", "figure")} <= set(rows)
    assert {("table", p.stem) for p in built.glob("tables/*.csv")} <= set(rows)
    assert {("figure", p.stem) for p in built.glob("figures/*.png")} <= set(rows)
    assert int(rows[("rule", "search")]["jobs"]) == counts["search"]
    assert int(rows[("rule", "evaluate")]["jobs"]) == counts["evaluate"]
    # Table 2.3's budget-matched random searches (issue #29), one per seed: costed as a family
    assert int(rows[("rule", "random_search")]["jobs"]) == counts["random_search"] == 2
    # darts-2nd, gdas, idarts: 3 searches x 2 evaluations, and the random-sampling row's one
    # sampled genotype's retraining (the slice's random_sampling: K = 1 on CIFAR-10)
    assert int(rows[("table", "table_6_2")]["jobs"]) == 3 + 3 * 2 + 1
    assert rows[("search", "darts_cnn/darts-2nd")]["thesis_gpu_days"] == "4"
    assert float(rows[("rule", "search")]["cpu_h"]) > 0 and float(rows[("rule", "search")]["gpu_h"]) == 0
    total = sum(float(rows[("rule", f)]["wall_h"]) for f in ("search", "evaluate"))
    parts = sum(float(r["wall_h"]) for (scope, _), r in rows.items() if scope == "search")
    assert parts == pytest.approx(float(rows[("rule", "search")]["wall_h"]), abs=1e-3) and total > parts


def test_gpu_jobs_count_their_wall_time_as_gpu_hours(tmp_path, monkeypatch):
    from nasrepro.layout import Layout
    from nasrepro.report.cost import build, cost_spec, thesis_cost_csvs

    monkeypatch.chdir(tmp_path)  # the layout's relative paths land here
    layout = Layout("default")
    out = layout.eval_file("darts_cnn", "cifar10", "gdas", 0, "cifar10", "final.json")
    spec = cost_spec({"table t": [out]}, [("table", layout.bench("table", "t"))], layout)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for job, seconds, cpu in zip(spec["jobs"], (1800, 7200, 36), (1800, 3600, 36)):
        Path(job["benchmark"]).parent.mkdir(parents=True, exist_ok=True)
        Path(job["benchmark"]).write_text(header + f"{seconds}\t-\t1\t1\t1\t1\t0\t0\t1\t{cpu}\n")
        if job["run_json"]:
            job["run_json"] = str(tmp_path / job["run_json"])
            Path(job["run_json"]).parent.mkdir(parents=True, exist_ok=True)
            Path(job["run_json"]).write_text(json.dumps(
                {"device": "cuda:NVIDIA V100", "config": {"space": "darts_cnn", "run": "gdas"}}))
    rows = {(r["scope"], r["name"]): r for r in build(spec, thesis_cost_csvs(ROOT))
            .to_dict("records")}
    assert [j["family"] for j in spec["jobs"]] == ["evaluate", "search", "table"]
    assert rows[("rule", "evaluate")]["gpu_h"] == 0.5 and rows[("rule", "search")]["gpu_h"] == 2.0
    assert rows[("rule", "search")]["cpu_h"] == 1.0 and rows[("rule", "table")]["gpu_h"] == 0.0
    assert rows[("table", "t")]["jobs"] == 2 and rows[("table", "t")]["gpu_h"] == 2.5
    assert rows[("search", "darts_cnn/gdas")]["thesis_gpu_days"] == "0.21"
