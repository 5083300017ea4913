"""nasrepro.layout: the one module that builds and parses every path. Round trips for every kind of
run file (pseudo-runs included), clear errors, the pinned file tree of a profile, the search
rule's pseudo-run constraint against nasrepro.jobs, and no path spelled by hand in the workflow
or dvc.yaml (so the layout cannot drift)."""

import re
import subprocess
import sys

import pytest
import yaml

from nasrepro import jobs
from nasrepro.layout import (RUN, SEARCHED_RUN, Layout, RunPath, build_command, parse_run_path,
                             profile_of)
from tests.conftest import ROOT

RUNS = ["gdas", "darts-2nd", "random-nas-rg-m2-b05", jobs.probe_run(3), "published-darts-v2",
        "gdas" + jobs.BEST_SUFFIX]


@pytest.mark.parametrize("profile", ["default", "thesis"])
@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("seed", [0, 101])
@pytest.mark.parametrize("name", ["genotype.json", "supernet.pt"])
def test_search_files_round_trip(profile, run, seed, name):
    path = Layout(profile).search_file("nb1shot1-s2", "cifar10", run, seed, name)
    assert path.startswith(f"results/{profile}/runs/")
    assert parse_run_path(path) == RunPath("nb1shot1-s2", "cifar10", run, seed, "search", None, name)


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("target", ["imagenet16-120", "eval", "search"])
@pytest.mark.parametrize("name", ["final.json", "metrics.jsonl"])
def test_eval_files_round_trip(run, target, name):
    path = Layout("default").eval_file("darts_rnn", "ptb", run, 2, target, name)
    assert parse_run_path(path) == RunPath("darts_rnn", "ptb", run, 2, "eval", target, name)


def test_a_copied_run_parses_under_any_prefix(tmp_path):
    path = tmp_path / Layout("default").eval_file("nb201", "cifar10", "gdas", 1, "cifar10", "final.json")
    assert parse_run_path(path).run == "gdas" and parse_run_path(str(path)).target == "cifar10"


@pytest.mark.parametrize("path", [
    "results/default/tables/table_2_3.csv",
    "results/default/runs/nb201/cifar10/gdas/seed0/genotype.json",
    "results/default/runs/nb201/cifar10/gdas/0/search/genotype.json",
    "results/default/runs/nb201/cifar10/gdas/seedx/eval/cifar10/final.json",
    "results/default/runs/nb201/cifar10/gdas/seed0/evaluation/cifar10/final.json",
    "gdas/seed0/search/genotype.json",
])
def test_a_path_that_is_not_a_run_file_is_a_clear_error(path):
    with pytest.raises(ValueError, match="is not a run file: expected .*seed<n>/search/<file>"):
        parse_run_path(path)


def test_a_profiles_file_tree_is_pinned():
    """The paths every earlier run wrote: a change here moves existing results."""
    L = Layout("default")
    assert L.run_dir("nb201", "cifar10", "gdas", 0) == "results/default/runs/nb201/cifar10/gdas/seed0"
    assert L.prepared("cifar10") == "data/prepared/default/cifar10.json"
    assert L.benchmark_table("nb201") == "data/prepared/default/benchmarks/nb201.parquet"
    assert L.dvae("nb201", "dvae.pt") == "results/default/dvae/nb201/dvae.pt"
    assert L.table("table_2_3", "tex") == "results/default/tables/table_2_3.tex"
    assert L.figure("fig_3_5", "png") == "results/default/figures/fig_3_5.png"
    assert L.report("cost", "md") == "results/default/report/cost.md"
    assert L.log("figures", "fig_3_5") == "results/default/logs/figures/fig_3_5.log"
    assert L.bench("prepare_data", "cifar10") == "results/default/benchmarks/prepare_data/cifar10.tsv"
    assert L.run_log("evaluate", "nb201", "cifar10", "gdas", 1, "cifar100") == \
        "results/default/logs/evaluate/nb201/cifar10/gdas/seed1/cifar100.log"
    assert L.run_bench("search", "nb201", "cifar10", "gdas", 1) == \
        "results/default/benchmarks/search/nb201/cifar10/gdas/seed1.tsv"
    assert L.is_run_file(L.search_file("nb201", "cifar10", "gdas", 0, "run.json"))
    assert not L.is_run_file(L.table("table_2_3", "csv"))


def test_wildcards_give_the_rule_patterns():
    L = Layout("thesis")
    assert L.eval_file("{space}", "{dataset}", "{run}", "{seed}", "{target}", "final.json") == \
        "results/thesis/runs/{space}/{dataset}/{run}/seed{seed}/eval/{target}/final.json"
    assert L.run_log("search", "{space}", "{dataset}", "{run}", "{seed}") == \
        "results/thesis/logs/search/{space}/{dataset}/{run}/seed{seed}.log"


@pytest.mark.parametrize("run", RUNS + ["gdas-best-x", "best", "probe", "gdas-bestx", "nsas-best-2"])
def test_searched_run_constraint_follows_the_pseudo_run_naming(run):
    """The search rule's `run` constraint (as Snakemake embeds it in the output pattern) matches
    exactly the runs nasrepro.jobs says are searched: no probe-, published- or -best pseudo-run."""
    assert re.fullmatch(RUN, run)
    pattern = Layout("default").search_file("nb201", "cifar10", f"(?P<run>{SEARCHED_RUN})", 0, "run.json")
    searched = jobs.has_search(run) and jobs.base_run(run) == run
    path = Layout("default").search_file("nb201", "cifar10", run, 0, "run.json")
    assert bool(re.fullmatch(pattern, path)) == searched


def test_dvc_caches_the_layouts_roots():
    stage = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["default"]
    assert [next(iter(out)) for out in stage["outs"]] == Layout("default").cached_roots()


def test_no_path_is_spelled_by_hand_in_the_workflow_or_dvc():
    files = [*sorted((ROOT / "workflow/rules").glob("*.smk")), ROOT / "Snakefile", ROOT / "dvc.yaml"]
    for path in files:
        code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        for line in code:
            assert "seed{" not in line and "/runs/" not in line, f"{path.name}: {line}"
            if path.suffix == ".smk":
                assert "results/" not in line and "data/prepared" not in line, f"{path.name}: {line}"


def test_layout_imports_no_torch_and_no_registry():
    code = ("import sys, nasrepro.layout; "
            "assert not {'torch', 'nasrepro.registry', 'nasrepro.plugins'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("path,command", [
    ("data/prepared/thesis/benchmarks/nb201.parquet",
     "snakemake data/prepared/thesis/benchmarks/nb201.parquet --cores all --configfile config/thesis.yaml"),
    ("/home/u/nasrepro/results/thesis/dvae/nb201/dvae.pt",
     "snakemake results/thesis/dvae/nb201/dvae.pt --cores all --configfile config/thesis.yaml"),
    ("data/prepared/default/benchmarks/nb1shot1-standin.parquet",
     "snakemake data/prepared/default/benchmarks/nb1shot1-standin.parquet --cores all"),
    ("results/default/dvae/darts_cnn/dvae.pt", "snakemake results/default/dvae/darts_cnn/dvae.pt --cores all"),
    ("/tmp/elsewhere/table.parquet", "snakemake /tmp/elsewhere/table.parquet --cores all"),
    ("data/prepared/rehearsal/benchmarks/nb201.parquet",
     "snakemake data/prepared/rehearsal/benchmarks/nb201.parquet --cores all --configfile "
     "config/thesis.yaml config/rehearsal.yaml data/raw/rehearsal/fixtures.yaml"),
])
def test_build_command_names_the_profiles_config_file(path, command):
    """Issue 22, item 3: `arch --benchmark data/prepared/thesis/...` suggested a command without
    `--configfile config/thesis.yaml` (MissingRuleException). The target comes first:
    `--configfile` takes every word after it as a file."""
    assert build_command(path) == command


def test_each_profile_file_is_where_layout_says():
    for path in sorted((ROOT / "config").glob("*.yaml")):
        profile = yaml.safe_load(path.read_text())["profile"]
        assert Layout(profile).profile_file == f"config/{path.name}"
    assert profile_of("results/thesis/runs/nb201/cifar10/gdas/seed0/search/run.json") == (
        "thesis", "results/thesis/runs/nb201/cifar10/gdas/seed0/search/run.json")
    assert profile_of("config/thesis.yaml") is None and profile_of("results") is None
