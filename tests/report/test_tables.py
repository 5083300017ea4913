"""Every table reads one way in every format (issue 22, item 4): headers name the thesis' column
and ours apart, and the stand-in data ours come from (default profile; none in the thesis
profile); one seed prints its value alone (no "± 0.00") and a column counts the seeds; no cell
holds two numbers (ImageNet top-1 / top-5 are two columns); the search cost has units and
significant figures; the ``.tex`` is pure ASCII."""

from __future__ import annotations

import csv
import io
import re

import pytest
import yaml

from nasrepro.experiments.specs import Column
from nasrepro.profile import resolve
from nasrepro.registry import TABLES
from nasrepro.report.cost import significant
from nasrepro.report.latex import latex_text, to_latex
from nasrepro.report.reproducibility import compact
from nasrepro.report.splits import ROW_LABEL
from nasrepro.report.table import (LEGEND, build, decimals, fmt, headers, legend, ours_tag,
                                   split_note, to_csv, to_markdown, write_table)
from tests.conftest import ROOT
from tests.table_results import DEFAULT_STANDINS, NOTE, fake_results

TABLE_IDS = TABLES.names()


def _written(spec, tmp_path, seeds=(0,), standins=DEFAULT_STANDINS, **kwargs):
    """(csv rows, markdown, tex) of ``spec`` built from made-up results."""
    files = fake_results(spec, tmp_path / "runs", seeds, **kwargs)
    write_table(spec, str(spec.thesis_csv(ROOT)), files, str(tmp_path / spec.id), NOTE, [],
                standins)
    text = {ext: (tmp_path / f"{spec.id}.{ext}").read_text() for ext in ("csv", "md", "tex")}
    *rows, split = csv.DictReader(io.StringIO(text["csv"]))
    assert split["Method"] == ROW_LABEL  # the last row: each column's data split, not a result
    return rows, text["md"], text["tex"]


def _md_rows(md: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split(" | ")]
            for line in md.splitlines() if line.startswith("| ")]


# ----------------------------------------------------------------------------- seeds
def test_one_value_prints_alone_and_several_print_mean_and_std():
    assert fmt([91.0]) == "91.00" and fmt([0.25], digits=3) == "0.250"
    assert fmt([1.0, 3.0]) == "2.00 ± 1.00"
    assert fmt([0.000611], significant=3) == "0.000611"
    assert fmt([200.0, 400.0], significant=3) == "300 ± 100"
    assert fmt(["single path"]) == "single path" and fmt([]) == ""


@pytest.mark.parametrize("value,significant,places", [
    (0.000611, 3, 6), (1234.5, 3, 0), (2.5, 1, 0), (0.25, 2, 2),
    (0.0, 3, 2), (0.0, 1, 0), (float("nan"), 3, 2), (float("inf"), 2, 1)])
def test_decimals_show_the_significant_figures_and_zero_or_non_finite_values_keep_them(
        value, significant, places):
    """A zero or non-finite mean has no magnitude: it keeps ``significant - 1`` decimals (never
    fewer than 0), as a value in [1, 10) would."""
    assert decimals(value, significant) == places


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_a_single_seed_has_no_plus_minus_and_the_seed_count_is_shown(tmp_path, seeds):
    spec = TABLES.get("table_2_3")
    rows, md, tex = _written(spec, tmp_path, seeds)
    row = next(r for r in rows if r["run"] == "en2as")
    ours = row["CIFAR-10 Test Acc (%) [ours; stand-in: digits]"]
    assert ("±" in ours) == (len(seeds) > 1), ours
    assert row["Seeds [ours]"] == str(len(seeds))
    s_tau = row["s-tau metric [ours; stand-in: digits]"]  # one value per run, over its seeds
    assert re.fullmatch(r"-?\d\.\d{3}", s_tau) if len(seeds) > 1 else s_tau == ""
    assert "1 seed gives its value alone" in md and "1 seed gives its value alone" in tex
    assert "Seeds [ours]" in md.splitlines()[4]


# ----------------------------------------------------------------------------- stand-ins
def test_the_standins_come_from_the_profiles_data_roles():
    default = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    thesis = yaml.safe_load((ROOT / "config/thesis.yaml").read_text())
    assert resolve.standins(default) == DEFAULT_STANDINS
    assert resolve.standins(thesis) == {} and resolve.standins_option(thesis, "darts_cnn") == ""
    # looked up without a stand-in: the benchmark still names the columns' data (report.splits)
    assert resolve.standins_option(thesis, "nb201") == " --scored-by nb201"
    assert resolve.standins_option(default, "nb201") == (
        " --standins cifar10=digits,cifar100=two_digits,ptb=text_standin,wikitext2=text_standin,"
        "ImageNet16-120=digit_numbers,imagenet=digit_numbers")
    looked_up = {**default, "evaluation": {**default["evaluation"], "mode": "benchmark"}}
    assert resolve.standins_option(looked_up, "nb201").endswith(" --scored-by nb201")


def test_headers_name_the_standin_in_every_format(tmp_path):
    rows, md, tex = _written(TABLES.get("table_2_3"), tmp_path)
    header = "CIFAR-10 Test Acc (%) [ours; stand-in: digits]"
    assert header in rows[0] and "CIFAR-10 Test Acc (%) [thesis]" in rows[0]
    assert header in md.splitlines()[4]
    # thesis, ours and our RI over random sampling (issue 29) under one label
    assert r"\multicolumn{3}{c}{CIFAR-10 Test Acc (\%)}" in tex
    assert (" & thesis & ours; stand-in: digits & ours; stand-in: digits; RI vs random sampling "
            r"(\%) & ") in tex
    # our column of a dataset without a stand-in (here ImageNet) and the memory kind say only "ours"
    rows, _, _ = _written(TABLES.get("table_2_1"), tmp_path / "t21",
                          standins={k: v for k, v in DEFAULT_STANDINS.items() if k != "imagenet"})
    assert {"ImageNet test error (%) [ours; selected cell]", "Memory consumption [ours]",
            "CIFAR-100 test error (%) [ours; stand-in: two_digits; selected cell]",
            "CIFAR-100 test error (%) [ours; stand-in: two_digits; across searches]"} <= set(rows[0])
    rows, _, _ = _written(TABLES.get("table_3_2"), tmp_path / "t32")
    assert "ImageNet test error (%) [ours; stand-in: digit_numbers; selected cell]" in rows[0]


def test_thesis_profile_headers_are_the_thesis_labels(tmp_path):
    spec = TABLES.get("table_2_3")
    rows, md, tex = _written(spec, tmp_path, standins={})
    assert "stand-in" not in md.splitlines()[4] and "stand-in" not in "".join(rows[0])
    assert "stand-in" not in tex.split(r"\midrule")[0]
    for column in spec.columns:
        assert {f"{column.label} [thesis]", f"{column.label} [ours]"} <= set(rows[0])


def test_a_looked_up_table_says_only_the_search_used_the_standin(tmp_path):
    """Through ``write_table`` (what the table rule runs): every format says it, and every CSV
    row carries the note."""
    spec = TABLES.get("table_2_3")
    files = fake_results(spec, tmp_path)
    write_table(spec, str(spec.thesis_csv(ROOT)), files, str(tmp_path / "t"), NOTE, [],
                DEFAULT_STANDINS, "nb201")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert "CIFAR-10 Test Acc (%) [ours; searched on stand-in digits, scored by nb201]" in rows[0]
    *rows, split = rows  # the last row: each column's data split (report.splits)
    assert rows and all(row["reproduced_with"] == NOTE for row in rows)
    assert split[f"CIFAR-10 Test Acc (%) [ours; searched on stand-in digits, scored by nb201]"] \
        == "benchmark nb201: its test split"
    for ext in ("md", "tex"):
        text = (tmp_path / f"t.{ext}").read_text()
        assert "scored by nb201" in text and "evaluation by retrain; data roles" in text, ext


def test_only_evaluated_and_tau_columns_of_a_looked_up_table_say_scored_by():
    """``scored_by`` defaults to none; with it, an ``eval`` or ``tau`` column (cells looked up in
    the benchmark) says that only the search used the stand-in, an ``s_tau`` column does not."""
    tag = "ours; searched on stand-in digits, scored by nb201"
    for source in ("eval", "tau"):
        column = Column("c", "C", "cifar10", source=source)
        assert ours_tag(column, DEFAULT_STANDINS) == "ours; stand-in: digits"
        assert ours_tag(column, DEFAULT_STANDINS, "nb201") == tag
    assert ours_tag(Column("c", "C", "cifar10", source="s_tau"), DEFAULT_STANDINS,
                    "nb201") == "ours; stand-in: digits"
    spec = TABLES.get("table_2_3")
    assert not any("scored by" in tag for _, _, tag in headers(spec, DEFAULT_STANDINS))


def test_ri_and_across_searches_headers_say_scored_by_and_the_legends_join_with_a_space():
    """With ``scored_by``, our RI column (a random-sampling table) and across-searches column (a
    selecting table) name it too; ``reproduced_tag`` without it names none; the legend is the
    table's legends joined by one space; an empty selection prints nothing."""
    from nasrepro.report import reproducibility
    from nasrepro.report.table import (RANDOM_LEGEND, RI_TAG, SAMPLED_LEGEND, SEARCH_LEGEND,
                                       SELECTION_LEGEND, reproduced_tag, selected_text)

    scored = "ours; searched on stand-in digits, scored by nb201"
    nb201 = next(TABLES.get(t) for t in TABLES.names()
                 if TABLES.get(t).random_row and TABLES.get(t).space == "nb201")
    tags = [tag for key, _, tag in headers(nb201, DEFAULT_STANDINS, "nb201") if key.endswith("_ri")]
    assert f"{scored}; {RI_TAG}" in tags and all(", scored by nb201; " in tag for tag in tags)
    assert legend(nb201) == (f"{LEGEND} {RANDOM_LEGEND} {SEARCH_LEGEND} "
                             f"{reproducibility.LEGEND}")  # the random search: issue #29
    darts = TABLES.get("table_3_1")
    across = [tag for key, _, tag in headers(darts, DEFAULT_STANDINS, "nb201")
              if key.endswith("_searches")]
    assert f"{scored}; across searches" in across
    assert all(", scored by nb201; " in tag for tag in across if "stand-in" in tag)
    assert legend(darts) == f"{LEGEND} {SELECTION_LEGEND} {SAMPLED_LEGEND} {reproducibility.LEGEND}"
    column = next(c for c in darts.columns if c.source == "eval" and c.target == "cifar10")
    assert reproduced_tag(darts, column, DEFAULT_STANDINS) == "ours; stand-in: digits; selected cell"
    assert selected_text(None) == "" and selected_text({}) == ""


def test_markdown_layout_title_note_header_rule_and_one_line_a_row(tmp_path):
    """The Markdown file line by line: title, blank, the note in bold, blank, the header, the
    rule (one ``---|`` a column), one line a row holding the row's cells in header order (all but
    the run column; a cell of ours with its seeds, issue #29), blank, the legend, blank, the data
    splits."""
    spec = TABLES.get("table_2_3")
    table = build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path, (0, 1)), NOTE)
    keys = [key for key, _, _ in headers(spec, DEFAULT_STANDINS) if key != "run"]
    lines = to_markdown(spec, table, NOTE, DEFAULT_STANDINS).splitlines()
    assert lines[:4] == [f"# {spec.title}", "", f"**{NOTE}**", ""]
    assert lines[5] == "|" + "---|" * len(keys)
    assert lines[6:6 + len(table)] == ["| " + " | ".join(compact(row, k) for k in keys) + " |"
                                       for row in table]
    assert any("± " in line and "(n=2)" in line for line in lines[6:6 + len(table)])
    assert lines[6 + len(table):] == ["", *legend(spec).splitlines(), "",
                                      split_note(spec, DEFAULT_STANDINS, "", None)]
    assert legend(spec).startswith(LEGEND) and "Random sampling:" in legend(spec)  # issue #29


# ----------------------------------------------------------------------------- one number a cell
@pytest.mark.parametrize("table", TABLE_IDS)
def test_no_cell_reads_as_two_numbers(table, tmp_path):
    spec = TABLES.get(table)
    with open(spec.thesis_csv(ROOT), newline="") as handle:
        for row in csv.DictReader(handle):
            for column in spec.columns:
                assert not re.search(r"\d\s*/\s*\d", row.get(column.key) or ""), (table, row)
    rows, md, _ = _written(spec, tmp_path, (0, 1))
    lines = _md_rows(md)
    assert {len(line) for line in lines} == {len(lines[0])}  # one value under each header
    assert not any(" / " in cell for line in lines[1:] for cell in line)


def test_imagenet_top1_and_top5_are_two_columns():
    for table in ("table_4_6", "table_5_1", "table_6_2"):
        keys = [c.key for c in TABLES.get(table).columns]
        assert "imagenet_top1" in keys and "imagenet_top5" in keys
        rows = build(TABLES.get(table), TABLES.get(table).thesis_csv(ROOT), [], NOTE)
        nasnet = next(r for r in rows if r["Method"].startswith("NASNet-A"))
        assert (nasnet["imagenet_top1_thesis"], nasnet["imagenet_top5_thesis"]) == ("26.0", "8.4")


@pytest.mark.parametrize("table", ["table_4_6", "table_5_1", "table_6_2"])
def test_imagenet_top5_error_is_reproduced_from_the_retrainings_top5_accuracy(table, tmp_path):
    """Issue 30 item 5: ours beside the thesis' top-5 column, 100 - ``test_top5_acc``."""
    spec = TABLES.get(table)
    files = fake_results(spec, tmp_path)
    rows = build(spec, spec.thesis_csv(ROOT), files, NOTE)
    row = next(r for r in rows if r["run"] == "darts-2nd")
    assert row["imagenet_top5_searches"] == "2.50"  # fake test_top5_acc 97.5 (seed 0)
    assert row["imagenet_top1_searches"] == "9.00"  # fake test_acc 91.0
    assert row["imagenet_top5_reproduced"] == "2.50 ± 0.00"  # + the selected cell's retraining


# ----------------------------------------------------------------------------- search cost
def test_search_cost_has_units_and_significant_figures(tmp_path):
    spec = TABLES.get("table_2_1")
    rows, md, _ = _written(spec, tmp_path, wall_s=2.2)  # a default-profile search: seconds
    ours = "Search cost (wall-clock hours; GPU-hours on a GPU) [ours; stand-in: digits]"
    cell = next(r for r in rows if r["run"] == "en2as")[ours]
    assert cell == "0.000611"  # 2.2 s, three significant figures (it was 0.0000 in days)
    assert "Search cost (GPU-days) [thesis]" in rows[0]
    costs = [r[ours] for r in rows if r[ours]]
    assert costs and all(re.search(r"[1-9]", c) for c in costs)
    assert significant(0.000295123) == 0.000295 and significant(1234.56789) == 1234.5679


# ----------------------------------------------------------------------------- LaTeX
@pytest.mark.parametrize("table", TABLE_IDS)
def test_every_tex_is_pure_ascii(table, tmp_path):
    _, _, tex = _written(TABLES.get(table), tmp_path, (0, 1))
    assert tex.isascii(), sorted({c for c in tex if not c.isascii()})
    assert tex.count(r"\begin{tabular}") == 1 and tex.rstrip().endswith(r"\end{table}")


def test_latex_text_translates_the_thesis_characters():
    assert latex_text("EN²AS") == "EN$^{2}$AS"
    assert latex_text("β=0.5, γ, ε") == r"$\beta$=0.5, $\gamma$, $\epsilon$"
    assert latex_text("72.4 [‡] †") == r"72.4 [$\ddagger$] $\dagger$"
    assert latex_text("93.36±0.3 – 5 × 2") == r"93.36$\pm$0.3 -- 5 $\times$ 2"
    assert latex_text("a_b 5% & #1 {x}") == r"a\_b 5\% \& \#1 \{x\}"
    with pytest.raises(ValueError, match="U\\+2603"):
        latex_text("☃")


def test_every_format_has_the_same_columns(tmp_path):
    spec = TABLES.get("table_6_2")
    table = build(spec, spec.thesis_csv(ROOT), fake_results(spec, tmp_path), NOTE)
    header = next(csv.reader(io.StringIO(to_csv(spec, table, DEFAULT_STANDINS))))
    md = _md_rows(to_markdown(spec, table, NOTE, DEFAULT_STANDINS))[0]
    # the CSV adds the run, the cells' seed statistics (issue #29) and the note
    assert header[:1] + header[2:len(md) + 1] == md and header[-1] == "reproduced_with"
    assert all(re.search(r"; (n|mean|std|95% CI \w+( \w+)?)\]$", h) for h in header[len(md) + 1:-1])
    width = re.search(r"\\begin\{tabular\}\{(\w+)\}", to_latex(spec, table, NOTE)).group(1)
    assert len(width) == len(md)
