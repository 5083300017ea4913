"""The Snakemake workflow: lint, dry runs of both profiles, overrides, errors before any job,
profile namespaces, and a real end-to-end default run from a clean copy of the repository."""

import csv
import json
import os
import re
import shutil

import pytest
import yaml

from tests.computed import ROOT, SLICE, clean_copy, copy_run, job_counts, snakemake

pytestmark = pytest.mark.slow  # every test here runs Snakemake


@pytest.fixture
def default_dry_run(dry_runs):
    return dry_runs("default")


def _searches(stdout):
    return [json.loads(m.group(1)) for m in
            re.finditer(r"nasrepro --log \S+ search --spec '(\{.*?\})'", stdout)]


def test_lint_is_clean():
    out = snakemake("--lint")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Lints for" not in out.stdout + out.stderr


def test_dry_run_default_profile(default_dry_run):
    out = default_dry_run
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    searches = _searches(out.stdout)
    # every configured table and figure, the 10 probe cells, no benchmark in the default profile
    assert counts["table"] == len(config["tables"]) and counts["figure"] == len(config["figures"])
    assert counts["card"] == len(config["tables"])  # an evaluation card beside each (issue 29)
    assert counts["claims"] == counts["claims_inputs"] == 1  # the reproduction verdict (issue 24)
    assert counts["probe_cell"] == config["spaces"]["nb201"]["probes"]["cells"]
    assert "benchmark" not in counts and counts["search"] == len(searches)
    # only the runs an analysis reads score the probe cells
    probed = {s["run"] for s in searches if s["probes"]}
    assert {"en2as", "gdas", "random-nas", "random-nas-nsas", "gdas-nsas"} <= probed
    assert "darts-1st" not in probed and "random-nas-rg-m2-b05" not in probed
    assert all(not s["probes"] for s in searches if s["space"] == "darts_cnn")
    # the DARTS-space random-sampling rows (issue #29): K sampled genotypes per space retrained
    # on its search dataset with exactly the network and retraining of the rows' cells there
    k = config["random_sampling"]["cells"]
    assert counts["sampled_cell"] == 2 * k and counts["space_mean"] == 3
    evaluations = [json.loads(m.group(1)) for m in
                   re.finditer(r"nasrepro --log \S+ evaluate --spec '(\{.*?\})'", out.stdout)]
    sampled = [e for e in evaluations if e["run"].startswith("sampled-")]
    assert sorted((e["space"], e["target"], e["run"]) for e in sampled) == sorted(
        (space, target, f"sampled-{i}") for space, target in (("darts_cnn", "cifar10"),
                                                              ("darts_rnn", "ptb"))
        for i in range(k))
    for job in sampled:
        row = next(e for e in evaluations if e["run"] in ("darts-2nd", "darts-2nd-selected")
                   and (e["space"], e["target"]) == (job["space"], job["target"]))
        assert (job["net_cfg"], job["retrain"], job["seed"]) == (row["net_cfg"], row["retrain"], 0)


def test_dry_run_thesis_profile_plans_thesis_settings_only(dry_runs):
    out = dry_runs("thesis")
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["benchmark"] == 2  # NAS-Bench-201, NAS-Bench-101 (Figs. 5.2, 6.1, 6.4)
    assert counts["claims"] == 1 and "results/thesis/report/claims.md" in out.stdout
    thesis = yaml.safe_load((ROOT / "config/thesis.yaml").read_text())
    assert counts["card"] == counts["table"] == len(thesis["tables"])  # issue 29: the cards
    assert "results/thesis/tables/table_6_2.card.md" in out.stdout
    searches = _searches(out.stdout)
    nb201 = [s for s in searches if s["space"] == "nb201"]
    table_6_1 = [s for s in nb201 if s["run"] in ("darts-1st", "darts-2nd", "gdas", "random-nas")]
    assert len(table_6_1) == 4 * 4 and {s["seed"] for s in nb201} == {0, 1, 100, 101}
    released = {s["run"]: s["method_cfg"]["epochs"] for s in nb201 if s.get("fidelity") == "released"}
    # Table R.1 (issue 25): the released code's own schedules (RandomNAS-NSAS 100, iDARTS 30)
    assert released == {"random-nas-nsas-released": 100, "gdas-nsas-released": 250,
                        "e2nas-released": 250, "idarts-released": 30}
    for job in nb201:  # no value of the default profile leaks into the thesis run
        assert job["space_cfg"] == {"C": 16, "N": 5, "affine": False, "track_running_stats": True}
        darts_family = job["method"].startswith(("darts", "balenas", "idarts"))  # DARTS' 50 epochs
        if job["run"] not in released:
            assert job["method_cfg"]["epochs"] == (50 if darts_family else 250)
        assert job["settings"]["profile"] == "thesis"
    assert counts["sampled_cell"] == 2 * 8  # K = 8 genotypes per DARTS space (issue #29)
    one_shot1 = [s for s in searches if s["space"].startswith("nb1shot1-s")]
    assert len(one_shot1) == 17 * 3 * 4   # Figs. 5.2, 6.1, 6.4: 17 runs, 3 spaces, 4 seeds
    for job in one_shot1:  # NAS-Bench-1Shot1's DARTS search settings on every run
        assert job["space_cfg"] == {"C": 16, "cells_per_stack": 3, "stacks": 3}
        cfg = job["method_cfg"]
        assert (cfg["epochs"], cfg["batch_size"], cfg["w_weight_decay"], cfg["w_nesterov"]) == \
            (50, 96, 3e-4, False)
    assert "data/prepared/thesis/benchmarks/nb1shot1.parquet" in out.stdout
    en2as = next(s for s in nb201 if s["run"] == "en2as")
    assert en2as["method_cfg"]["archive_size"] == 1000 and len(en2as["probes"]) == 15
    # every NAS-Bench-201 evaluation (the found cells and the 15 probe cells) is a lookup
    evaluations = re.findall(r"nasrepro --log \S+ evaluate --spec '(\{.*?\})'", out.stdout)
    modes = [json.loads(e)["mode"] for e in evaluations if json.loads(e)["space"] == "nb201"]
    assert modes and set(modes) == {"benchmark"}
    paths = re.findall(r"(?:output|log): (.+)", out.stdout)
    assert paths and all(p.startswith(("results/thesis/", "data/prepared/thesis/"))
                         for line in paths for p in line.split(", "))


def test_default_outputs_live_in_their_own_namespace(default_dry_run):
    out = default_dry_run
    assert out.returncode == 0, out.stderr
    paths = re.findall(r"(?:output|log): (.+)", out.stdout)
    assert paths and all(p.startswith(("results/default/", "data/prepared/default/"))
                         for line in paths for p in line.split(", "))


def test_one_figure_builds_only_what_it_needs(tmp_path):
    out = snakemake("-n", "--cores", "2", "results/default/figures/search_curves_nb201.png",
                    cwd=clean_copy(tmp_path))
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["search"] == 8 and "evaluate" not in counts and "table" not in counts


def test_config_override_on_the_command_line(tmp_path):
    out = snakemake("-n", "-p", "--cores", "2", "--config", "seeds=[0]",
                    "method_overrides={epochs: 2, a_lr: 1e-3}", cwd=clean_copy(tmp_path))
    assert out.returncode == 0, out.stderr
    nb201 = [s for s in _searches(out.stdout) if s["space"] == "nb201"]
    assert len({s["run"] for s in nb201}) > 4 and {s["seed"] for s in nb201} == {0}
    assert all(s["method_cfg"]["epochs"] == 2 for s in nb201)
    assert all(s["method_cfg"]["a_lr"] == 1e-3 for s in nb201 if "a_lr" in s["method_cfg"])


def test_overlay_configfile(tmp_path):
    work = clean_copy(tmp_path)
    (work / "overlay.yaml").write_text("runs:\n  gdas: {method: gdas, params: {tau_max: 5.0}}\n")
    out = snakemake("-n", "-p", "--cores", "2", "--configfile", "config/config.yaml",
                    "overlay.yaml", cwd=work)
    assert out.returncode == 0, out.stderr
    gdas = [s for s in _searches(out.stdout) if s["method"] == "gdas"]
    assert gdas and all(s["method_cfg"]["tau_max"] == 5.0 for s in gdas)
    assert all(s["method_cfg"]["epochs"] == 8 for s in gdas if s["space"] == "nb201")


def test_missing_raw_inputs_are_listed_before_any_job(dry_runs, tmp_path):
    """Offline, with no raw data: a dry run and a real run both print every absent raw input once,
    before the plan (what is missing and where to put it; what a job would download and from
    where); the real run then stops with one line, no traceback, nothing run, no stale lock."""
    work = clean_copy(tmp_path)
    dry = dry_runs("thesis")
    real = snakemake("--cores", "1", "--configfile", "config/thesis.yaml", cwd=work)
    assert dry.returncode == 0 and real.returncode != 0
    for out in (dry, real):
        text = out.stdout + out.stderr
        # the block is the first thing on stderr: the header, then indented lines
        header, *rest = out.stderr.splitlines()
        assert header == "raw inputs of profile 'thesis' that are not on disk:"
        block = "\n".join(line for line in rest[:next((i for i, x in enumerate(rest)
                                                       if not x.startswith("  ")), len(rest))])
        assert text.count("raw inputs of profile 'thesis'") == 1 and "Traceback" not in text
        assert 'File "' not in text
        for line in ("benchmark.nb201: data/raw/NATS-tss-v1_0-3ffb9-simple.tar is missing",
                     "datasets.imagenet: ImageNet: data/raw/imagenet/train",
                     "datasets.cifar10: data/raw/cifar10/: cifar-10-python.tar.gz from https://",
                     "datasets.ptb: data/raw/ptb/ptb.train.txt: ptb train split, from https://",
                     "datasets.wikitext2: data/raw/wikitext2/wiki.train.tokens",
                     "benchmark.nb1shot1: data/raw/nasbench_only108.tfrecord from https://"):
            assert line in block, line
    assert (real.stdout + real.stderr).rstrip().endswith(
        "error: 2 raw input(s) of profile 'thesis' are missing (listed above); nothing has run")
    assert not (work / "results/thesis/runs").exists() and not list(work.glob(".snakemake/locks/*"))


@pytest.mark.slow
def test_end_to_end_from_a_clean_copy(computed_default, tmp_path):
    """The session's run of the test slice (tests/computed.py: `snakemake --cores 2` in a clean
    copy; README command 1 builds the whole DAG)."""
    work = copy_run(computed_default, tmp_path / "work")
    planned = job_counts(computed_default.output)["total"]
    assert f"{planned} of {planned} steps (100%) done" in computed_default.output
    for table in ("table_6_2", "table_2_3"):
        for ext in ("csv", "md", "tex"):
            text = (work / f"results/default/tables/{table}.{ext}").read_text()
            assert "profile 'default'" in text and "cifar10 = digits (stand-in)" in text
            assert "ours; stand-in: digits" in text  # the headers name the stand-in
            assert ext != "tex" or text.isascii()
    md = (work / "results/default/tables/table_2_3.md").read_text()
    # two seeds: mean ± std beside the thesis' cell; Table 6.2's one seed: the value alone; each
    # with its seeds (issue 29)
    assert re.search(r"\| EN²AS \| 93\.36±0\.3 \| \d+\.\d\d ± \d+\.\d\d \(n=2\) \|", md)
    assert re.search(r"\| DARTS \[95\] \| 2.76 ± 0.09 \| \d+\.\d\d \(n=1\) \| ", (
        work / "results/default/tables/table_6_2.md").read_text())
    # Table 2.3: a Kendall tau per seed (mean ± std) and one s-tau per run, from 5 probe cells
    ranking = {row["run"]: row for row in csv.DictReader(
        (work / "results/default/tables/table_2_3.csv").open())}
    for run in ("en2as", "random-nas", "gdas"):
        assert re.fullmatch(r"-?\d\.\d{3} ± \d\.\d{3}",
                            ranking[run]["tau metric [ours; stand-in: digits]"])
        assert re.fullmatch(r"-?\d\.\d{3}", ranking[run]["s-tau metric [ours; stand-in: digits]"])
    assert len(list((work / "results/default/runs/nb201/cifar10").glob("probe-*/seed0/eval"))) == 5
    for name in ("search_curves_nb201", "fig_3_5"):
        for ext in ("png", "pdf"):
            path = work / f"results/default/figures/{name}.{ext}"
            assert path.stat().st_size > 1000 and oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert not list(work.rglob("_state"))
    run = json.loads(next((work / "results/default/runs").rglob("search/run.json")).read_text())
    assert run["profile"] == "default" and run["timestamp"] and run["cpu"]
    again = snakemake("-n", "--cores", "2", *SLICE, cwd=work)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr

    # deleting one run's outputs rebuilds that run and the table that reads it, nothing else
    shutil.rmtree(work / "results/default/runs/nb201/cifar10/en2as/seed1/eval")
    redo = snakemake("-n", "--cores", "2", *SLICE, cwd=work)
    counts = job_counts(redo.stdout + redo.stderr)
    assert counts["evaluate"] == 1 and counts["table"] == 1 and "search" not in counts
    assert "figure" not in counts


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
