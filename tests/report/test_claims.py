"""The reproduction verdict (issue 24): the statistics on hand cases, every claim's inputs in both
profiles, each claim on the thesis' own numbers (supported, or flagged with its reason), the
report on small made-up results, and the ``claims`` command."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from nasrepro import cli, jobs, plugins
from nasrepro.analysis.verdict import VERDICTS, Sample, _df, combine, compare
from nasrepro.experiments.claims import THESIS_SEEDS, Cell, Claim, Const, Epochs
from nasrepro.layout import Layout
from nasrepro.profile import select
from nasrepro.registry import CLAIMS, FIGURES, RUNS, TABLES
from nasrepro.report import claims as report
from tests.conftest import ROOT

plugins.load("experiments")
IDS = CLAIMS.names()
PROFILES = {name: yaml.safe_load((ROOT / f"config/{file}.yaml").read_text())
            for name, file in (("default", "config"), ("thesis", "thesis"))}


# ----------------------------------------------------------------------------- statistics
HIGH, LOW = [94.0, 94.2, 94.1, 93.9], [90.0, 90.5, 89.8, 90.2]


def test_a_clear_effect_holds_with_welchs_one_sided_p():
    out = compare(Sample.of(HIGH), Sample.of(LOW), "greater")
    assert out.verdict == "holds" and out.effect == pytest.approx(np.mean(HIGH) - np.mean(LOW))
    expected = stats.ttest_ind(HIGH, LOW, equal_var=False, alternative="greater").pvalue
    assert out.p_holds == pytest.approx(expected) and out.interval[0] > 0


def test_a_reversed_effect_fails():
    assert compare(Sample.of(LOW), Sample.of(HIGH), "greater").verdict == "fails"
    # a lower error: "less" mirrors "greater"
    assert compare(Sample.of(LOW), Sample.of(HIGH), "less").verdict == "holds"
    assert compare(Sample.of(HIGH), Sample.of(LOW), "less").verdict == "fails"


def test_one_seed_or_an_overlap_is_inconclusive():
    one = compare(Sample.of([95.0]), Sample.of(LOW), "greater")
    assert one.verdict == "inconclusive" and "too few seeds (n = 1" in one.reason
    overlap = compare(Sample.of([90.0, 92.0, 91.0]), Sample.of([91.0, 90.0, 92.5]), "greater")
    assert overlap.verdict == "inconclusive" and overlap.interval[0] < 0 < overlap.interval[1]
    assert overlap.reason == "the interval contains no effect"
    assert compare(Sample.of(HIGH), Sample.of(LOW), "greater").reason == ""
    assert compare(Sample.of(LOW), Sample.of(HIGH), "greater").reason == ""
    # two seeds a side is enough to test, and a clear gap over two seeds holds
    assert compare(Sample.of([94.0, 94.1]), Sample.of([90.0, 90.2]), "greater").verdict == "holds"


def test_non_inferiority_needs_its_margin():
    a, b = Sample.of([92.9, 93.0, 93.1, 93.0]), Sample.of([93.1, 93.2, 93.0, 93.1])
    assert compare(a, b, "not_less", margin=0.5).verdict == "holds"
    assert compare(a, b, "not_less").verdict != "holds"  # without a margin: a is not above b
    assert compare(Sample.of(LOW), Sample.of(HIGH), "not_less", margin=0.5).verdict == "fails"


def test_constants_zero_spread_and_points():
    tau = Sample.of([0.2, 0.3, 0.25])
    assert compare(tau, Sample.const(0.0), "greater").verdict == "holds"
    assert compare(Sample.of([0.2]), Sample.const(0.0), "greater").verdict == "inconclusive"
    # NAS-Bench-201 lookups of one cell: no spread on either side, the sign decides
    flat = compare(Sample.of([93.0] * 4), Sample.of([54.3] * 4), "greater")
    assert flat.verdict == "holds" and flat.interval == (pytest.approx(38.7),) * 2
    same = Sample.of([54.3] * 4)
    assert compare(same, same, "greater").verdict == "inconclusive"
    point = compare(Sample(2.61, 0, 1), Sample(2.85, 0, 1), "less", point=True)
    assert point.verdict == "holds" and point.test.startswith("point comparison")
    assert compare(Sample(2.9, 0, 1), Sample(2.85, 0, 1), "less", point=True).verdict == "fails"


def test_printed_population_std_becomes_the_sample_std():
    assert Sample.printed(93.36, 0.3, 3).std == pytest.approx(0.3 * math.sqrt(3 / 2))
    assert Sample.printed(2.93, None, None).n == 1 and Sample.printed(2.61, 0.06, None).n == 1


def test_welch_p_value_interval_and_degrees_of_freedom_with_two_seeds():
    """Two seeds against three: one-sided p and the 95 % interval equal scipy's Welch test (the
    Welch-Satterthwaite df counts a side of one degree of freedom)."""
    a, b = [94.0, 94.6], [93.0, 93.9, 93.3]
    out = compare(Sample.of(a), Sample.of(b), "greater")
    welch = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert out.p_holds == pytest.approx(welch.pvalue, rel=1e-9)
    assert out.p_fails == pytest.approx(1 - welch.pvalue, rel=1e-9)
    low, high = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert out.interval == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))


def test_zero_spread_decides_by_the_sign_with_the_margin_and_few_seeds_have_no_p():
    """No spread on either side: p is 0 or 1 by the sign of d + margin (holds) and of d (fails);
    a side with one seed is not tested at all (nan p-values)."""
    flat = lambda v: Sample.of([v] * 3)  # noqa: E731
    within = compare(flat(92.5), flat(93.0), "not_less", margin=0.75)  # d = -0.5 > -margin
    assert within.verdict == "holds" and (within.p_holds, within.p_fails) == (0.0, 0.0)
    small = compare(flat(93.5), flat(93.0), "greater")  # d = 0.5
    assert small.verdict == "holds" and (small.p_holds, small.p_fails) == (0.0, 1.0)
    worse = compare(flat(92.0), flat(93.0), "greater")
    assert worse.verdict == "fails" and (worse.p_holds, worse.p_fails) == (1.0, 0.0)
    same = compare(flat(93.0), flat(93.0), "greater")
    assert same.verdict == "inconclusive" and (same.p_holds, same.p_fails) == (1.0, 1.0)
    few = compare(Sample.of([95.0]), Sample.of(LOW), "greater")
    assert math.isnan(few.p_holds) and math.isnan(few.p_fails) and math.isnan(few.interval[0])


def test_degrees_of_freedom_without_spread():
    """``_df`` where the Welch-Satterthwaite ratio is 0 / 0 (no spread on a side with seeds): the
    smaller side's n - 1; two constants: infinite."""
    assert _df(Sample(1.0, 0.0, 3), Sample(2.0, 0.0, 5)) == 2.0
    assert _df(Sample(1.0, 0.0, 4), Sample.const(0.0)) == 3.0
    assert _df(Sample.const(1.0), Sample.const(0.0)) == math.inf


def test_point_comparison_verdicts_margin_and_record():
    """A point comparison: holds when d + margin > 0, fails when d < 0, else inconclusive; its
    interval is (d, d) and it has no p-values."""
    one = lambda v: Sample(v, 0.0, 1)  # noqa: E731
    within = compare(one(9.5), one(10.0), "not_less", margin=1.0, point=True)
    assert within.verdict == "holds" and within.effect == -0.5
    tie = compare(one(10.0), one(10.0), "greater", point=True)
    assert tie.verdict == "inconclusive" and tie.interval == (0.0, 0.0)
    assert math.isnan(tie.p_holds) and math.isnan(tie.p_fails)
    assert compare(one(10.5), one(10.0), "less", point=True).verdict == "fails"
    assert compare(one(10.5), one(10.0), "greater", point=True).interval == (0.5, 0.5)
    with pytest.raises(ValueError, match=r"relation 'bigger': use one of \['greater', 'less', "
                                         r"'not_greater', 'not_less'\]"):
        compare(one(1.0), one(2.0), "bigger")


def test_samples_of_values_constants_and_printed_cells():
    """Sample.of: the sample std (ddof = 1), 0 for one value; a constant has no spread and
    infinite n; a printed cell without a std or with n < 2 is one value without spread."""
    assert Sample.of([5.0]) == Sample(5.0, 0.0, 1)
    assert Sample.of([1.0, 2.0]) == Sample(1.5, pytest.approx(math.sqrt(0.5)), 2)
    assert Sample.const(3) == Sample(3.0, 0.0, math.inf)
    assert Sample.printed(93.0, None, None) == Sample(93.0, 0.0, 1)
    assert Sample.printed(93.0, 0.3, 1) == Sample(93.0, 0.0, 1)
    assert Sample.printed(93.0, 0.5, 2) == Sample(93.0, pytest.approx(0.5 * math.sqrt(2)), 2)


def test_a_claim_holds_only_when_every_comparison_holds():
    assert combine(["holds", "holds"]) == "holds"
    assert combine(["holds", "inconclusive"]) == "inconclusive"
    assert combine(["inconclusive", "fails", "holds"]) == "fails"
    assert combine([]) == "inconclusive"


@pytest.mark.parametrize("text, parsed", [
    ("93.36±0.3", (93.36, 0.3)), ("2.61 ± 0.06", (2.61, 0.06)), ("2.57±0.09*", (2.57, 0.09)),
    ("25.5 (24.65†)", (25.5, None)), ("2.93", (2.93, None)), ("-", None), ("(illegible)", None),
    ("", None), ("single path", "single path")])
def test_printed_cells_parse(text, parsed):
    assert report.parse_printed(text) == parsed


# -------------------------------------------------------------------------- the claim list
def test_at_least_30_claims_across_chapters_2_to_6():
    claims = [CLAIMS.get(name) for name in IDS]
    assert len(claims) >= 30
    assert {c.chapter for c in claims} == {2, 3, 4, 5, 6}
    assert all(c.section.startswith(f"§{c.chapter}.") for c in claims)
    assert {c.relation for c in claims} >= {"greater", "less", "not_less", "equal"}
    kinds = {type(q) for c in claims for pair in c.pairs for q in pair}
    assert kinds == {Cell, Epochs, Const}


def _item_runs(config: dict, item: str) -> list[str]:
    if item in TABLES:
        return select.table_runs(config, item)
    return select.figure_runs(config, item)


def _problems(claim: Claim, config: dict) -> list[str]:
    """What keeps ``claim`` from being judged on ``config``'s outputs."""
    out = []
    for q in {q for pair in claim.pairs for q in pair if not isinstance(q, Const)}:
        if q.item not in config["tables"] and q.item not in config["figures"]:
            out.append(f"{q.item} not built")
        elif q.run not in _item_runs(config, q.item):
            out.append(f"{q.run} not in {q.item}")
        elif isinstance(q, Cell) and q.item in TABLES:
            column = next(c for c in TABLES.get(q.table).columns if c.key == q.key)
            targets = select.table_targets(config, q.item)
            if column.source == "eval" and column.target not in targets:
                out.append(f"{q.item} does not evaluate {column.target}")
    return out


@pytest.mark.parametrize("claim_id", IDS)
def test_every_claim_resolves_to_registered_runs_tables_and_figures(claim_id):
    claim = CLAIMS.get(claim_id)
    for a, b in claim.pairs:
        for q in (a, b):
            if isinstance(q, Const):
                continue
            assert q.item in TABLES or q.item in FIGURES, q
            assert q.run in RUNS or jobs.BEST_SUFFIX in q.run, q
            if isinstance(q, Cell):
                spec = TABLES.get(q.table)
                assert q.key in {c.key for c in spec.columns}, q
                assert q.thesis or q.row == "" or any(
                    row["row"] == q.row for row in report._thesis_rows(q.table, str(ROOT))), q
                if q.via in FIGURES:  # a figure that reads what the column needs
                    fig = FIGURES.get(q.via)
                    assert fig.space == spec.space and (fig.needs_probes if q.key == "tau"
                                                        else fig.needs_found_cells), q
            else:
                space = (TABLES if q.item in TABLES else FIGURES).get(q.item).space
                assert space in ("darts_cnn", "nb201") and (q.item in FIGURES or
                                                           TABLES.get(q.item).needs_search), q
    # the thesis profile builds every claim's inputs
    assert _problems(claim, PROFILES["thesis"]) == []


def test_the_default_profile_builds_the_inputs_of_most_claims():
    """The reduced default grid builds both sides of these claims (the others' verdicts say
    "not built by this profile"); every claim's inputs still name configured items."""
    built = [name for name in IDS if not _problems(CLAIMS.get(name), PROFILES["default"])]
    assert len(built) >= 30, sorted(set(IDS) - set(built))
    assert {"c3-nsas-random-nas-cifar10", "c2-tau-vs-baselines", "c5-hessian",
            "c6-small-gamma"} <= set(built)
    assert "c2-ptb-vs-darts1" not in built  # DARTS (1st) on PTB: thesis profile only


@pytest.mark.parametrize("claim_id", IDS)
def test_each_claim_on_the_thesis_numbers_is_supported_or_flagged(claim_id):
    """The encoding is checked against the text: a claim the thesis' printed numbers support
    holds on them; one they do not is flagged, with the reason written beside the claim."""
    claim = CLAIMS.get(claim_id)
    judged = report.judge_thesis(claim, ROOT)
    if claim.flagged:
        assert judged.verdict in ("inconclusive", "fails"), judged
    else:
        assert judged.verdict in ("holds", report.NO_NUMBERS), judged
    if all(isinstance(q, (Epochs, Const)) for pair in claim.pairs for q in pair):
        assert judged.verdict == report.NO_NUMBERS


def test_the_thesis_flags_what_its_numbers_do_not_support():
    flagged = [n for n in IDS if CLAIMS.get(n).flagged]
    readme = (ROOT / "README.md").read_text()  # the counts the README states
    readme = " ".join(readme.split())
    assert f"{len(IDS)} quantitative claims" in readme
    assert f"{len(flagged)} claims are **flagged**" in readme
    assert {"c3-nsas-gdas-cifar10", "c4-injective", "c4-gdas-over-gdas-a", "c6-k-order",
            "c3-grid-all-better"} <= set(flagged)
    # the thesis' printed seeds: three in chapter 2's benchmark table, four in chapter 3's
    assert THESIS_SEEDS["table_2_3"] == 3 and THESIS_SEEDS["table_3_3"] == 4
    judged = report.judge_thesis(CLAIMS.get("c4-injective"), ROOT)
    assert "92.75" in judged.details[2] and "93.37" in judged.details[2]


# ------------------------------------------------------------------------------ the report
def _final(root: Path, space: str, run: str, seed: int, target: str, **values) -> str:
    path = root / Layout("test").eval_file(space, "cifar10", run, seed, target, "final.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"space": space, "run": run, "seed": seed, "target": target,
                                **values}))
    return str(path)


def _metrics(root: Path, space: str, run: str, seed: int, records: list[dict]) -> str:
    path = root / Layout("test").search_file(space, "cifar10", run, seed, "metrics.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_the_report_judges_made_up_results(tmp_path):
    """NSAS above RandomNAS on CIFAR-10 over two seeds holds, GDAS-NSAS below GDAS fails, one seed
    is inconclusive, a skip ratio kept lower holds; unbuilt claims say so; the headline counts."""
    files = []
    for seed in (0, 1):
        for run, acc in (("random-nas-nsas", 92.0), ("random-nas", 88.0), ("gdas-nsas", 90.0),
                         ("gdas", 93.0)):
            files.append(_final(tmp_path, "nb201", run, seed, "cifar10", test_acc=acc + seed / 10))
        for run, skips in (("balenas-2nd", 0.1), ("darts-2nd", 0.5)):
            files.append(_metrics(tmp_path, "darts_cnn", run, seed, [
                {"epoch": e, "skip_ratio": skips + e / 100 + seed / 50} for e in range(3)]))
    files.append(_final(tmp_path, "nb201", "random-nas-nsas", 0, "cifar100", test_acc=70.0))
    files.append(_final(tmp_path, "nb201", "random-nas", 0, "cifar100", test_acc=60.0))
    prefix = tmp_path / "report" / "claims"
    rows = {r["id"]: r for r in report.write_claims(files, str(prefix), "Profile 'test'.",
                                                    standin=True, root=ROOT)}
    assert set(rows) == set(IDS)
    assert rows["c3-nsas-random-nas-cifar10"]["verdict"] == "holds"
    assert rows["c3-nsas-gdas-cifar10"]["verdict"] == "fails"
    assert rows["c3-nsas-random-nas-cifar100"]["verdict"] == "inconclusive"
    assert "too few seeds" in rows["c3-nsas-random-nas-cifar100"]["reason"]
    assert rows["c5-fewer-skips"]["verdict"] == "holds"
    assert rows["c5-hessian"]["reason"] == report.NOT_BUILT
    assert rows["c3-nsas-gdas-cifar10"]["flagged"] == "yes"  # the thesis' numbers: within noise
    with open(f"{prefix}.csv", newline="") as handle:
        assert [r["id"] for r in csv.DictReader(handle)] == IDS
    md = Path(f"{prefix}.md").read_text()
    counts = {v: sum(r["verdict"] == v for r in rows.values()) for v in ("holds", "fails")}
    assert f"{len(IDS)} claims; stand-in verdicts" in md
    assert f"{counts['holds']} hold, {counts['fails']} fail" in md
    assert "## Flagged" in md and "**c4-injective**" in md
    # on real data (no stand-in) the same numbers are plain verdicts
    assert "stand-in" not in report.headline(list(rows.values()), standin=False)


def test_claims_that_name_a_released_code_run_are_judged_again_under_it(tmp_path):
    """Issue 25: RandomNAS-NSAS above RandomNAS holds with the thesis' equations and fails with
    the released code's run in its place; a claim no released run touches has no second verdict;
    a released variant this profile does not build is "not built"."""
    claim = CLAIMS.get("c3-nsas-random-nas-cifar10")
    variant = report.released_claim(claim)
    assert {q.run for pair in variant.pairs for q in pair if hasattr(q, "run")} >= \
        {"random-nas-nsas-released"}
    assert "random-nas" in {q.run for pair in variant.pairs for q in pair if hasattr(q, "run")}
    untouched = next(CLAIMS.get(n) for n in CLAIMS.names() if report.released_claim(CLAIMS.get(n)) is None)
    files = []
    for seed in (0, 1):
        for run, acc in (("random-nas-nsas", 92.0), ("random-nas", 88.0),
                         ("random-nas-nsas-released", 85.0)):
            files.append(_final(tmp_path, "nb201", run, seed, "cifar10", test_acc=acc + seed / 10))
    rows = {r["id"]: r for r in report.evaluate([claim, untouched, CLAIMS.get("c3-nsas-gdas-cifar10")],
                                                files, ROOT)}
    mine = rows["c3-nsas-random-nas-cifar10"]
    assert (mine["verdict"], mine["released_verdict"]) == ("holds", "fails")
    assert "85.05" in mine["released"] and "88.05" in mine["released"]
    assert rows[untouched.id]["released_verdict"] == report.NO_RELEASED
    assert rows[untouched.id]["released"] == ""
    gdas = rows["c3-nsas-gdas-cifar10"]["released_verdict"]
    assert gdas.startswith("inconclusive") and report.NOT_BUILT in gdas
    text = report.headline(list(rows.values()), standin=True)
    assert "Under the author's released code (2 claims name a run it changes): 0 hold, 1 fail, " \
           "1 inconclusive." in text
    assert "released code" in report.to_markdown(list(rows.values()), "note", standin=True)


class _Values:
    """Our values of each quantity, given by hand (``judge_ours`` asks only for them)."""

    def __init__(self, values: dict):
        self.given = values

    def values(self, q):
        return [q.value] if isinstance(q, Const) else self.given.get(q.run, [])


def test_one_value_per_run_is_shown_but_not_tested():
    """s-tau is one number per run: our comparison of two is inconclusive, never a verdict on
    one noisy number; a memory class is compared for equality."""
    s_tau = report.judge_ours(CLAIMS.get("c2-s-tau"),
                              _Values({"en2as": [0.3], "random-nas": [0.1], "gdas": [0.5]}))
    assert s_tau.verdict == "inconclusive" and s_tau.reason == report.UNTESTED
    assert "0.3 vs 0.5: d = -0.2" in s_tau.details[1]
    memory = CLAIMS.get("c3-memory")
    assert report.judge_ours(memory, _Values({"random-nas-nsas": ["single path"],
                                               "gdas-nsas": ["single path"]})).verdict == "holds"
    assert report.judge_ours(memory, _Values({"random-nas-nsas": ["whole supernet"],
                                               "gdas-nsas": ["single path"]})).verdict == "fails"


def test_reduce_epochs():
    records = [{"depth": 2}, {"depth": 4, "probe_valid": [10.0, 20.0]}, {"depth": 3,
                                                                         "probe_valid": [30.0]}]
    hows = ("last", "mean", "max", "change")
    assert [report.reduce_epochs(records, "depth", how) for how in hows] == [3.0, 3.0, 4.0, 1.0]
    assert report.reduce_epochs(records, "probe_valid", "change") == 15.0  # mean of each record
    assert report.reduce_epochs(records, "hessian_eig", "max") is None


# ------------------------------------------------------------------------------ the command
def test_claims_list_and_explain(capsys, tmp_path, monkeypatch):
    assert cli.main(["claims", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == IDS
    assert lines[IDS.index("c4-injective")].split("\t")[1] == "ch. 4 §4.4.1.2"
    monkeypatch.chdir(ROOT)
    assert cli.main(["claims", "--explain", "c4-injective", "--profile", "nothing"]) == 0
    text = capsys.readouterr().out
    assert "inputs: table_4_2" in text and "Welch's t, one-sided, alpha = 0.05" in text
    assert "thesis verdict: inconclusive (flagged:" in text and "not built yet" in text
    assert cli.main(["claims", "--explain", "c9-nothing"]) == 2
    assert "unknown claim 'c9-nothing'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_shared_run_writes_its_claims(computed_default):
    """The slice of the default workflow (tests/computed.py) writes its own claims report over
    Tables 2.3, 6.2 and Figs. 3.5, 5.6: the claims on them are judged (two seeds: tested; one:
    too few), the others say that the profile does not build them."""
    from tests.computed import SLICE_COST

    prefix = computed_default.path / SLICE_COST.replace("/cost-", "/claims-")
    with open(f"{prefix}.csv", newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert list(rows) == IDS and {r["verdict"] for r in rows.values()} <= set(VERDICTS)
    for name in ("c2-nb201-test", "c2-tau-vs-baselines", "c3-tau-nsas"):  # seeds 0 and 1
        ours = rows[name]["ours"]
        assert report.NOT_BUILT not in ours and "n = 2" in ours, rows[name]
    for name in ("c5-hessian", "c6-vs-darts-space"):  # seed 0 only
        assert rows[name]["verdict"] == "inconclusive" and "too few seeds" in rows[name]["reason"]
    assert rows["c4-injective"]["reason"] == report.NOT_BUILT
    assert all(bool(r["flagged"]) == bool(CLAIMS.get(i).flagged) for i, r in rows.items())
    md = Path(f"{prefix}.md").read_text()
    print(md.splitlines()[2])  # the headline, in the test log
    assert f"**{len(IDS)} claims; stand-in verdicts" in md and "profile 'default'" in md
