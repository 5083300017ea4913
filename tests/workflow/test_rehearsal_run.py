"""The thesis rehearsal run for real (issue #20 items 1 and 3), in a clean copy next to
``../shared``: rule ``fixtures``, then the rehearsal command (``Layout("rehearsal").command``:
config/thesis.yaml, config/rehearsal.yaml, the fixtures' manifest) restricted with ``select:`` to
the part that fits the test tier (343 s measured on 2 busy cores): Table 2.2 with the published DARTS V2
recurrent cell (PTB from Mikolov's files, DARTS' language-model retraining with NT-ASGD armed,
the WikiText-2 transfer), Table 3.2 (two GDAS-NSAS searches in the DARTS space on the CIFAR-10
python tars with data_on_device, the selection of the row's cell by held-out retrainings on the
search halves, the ImageNet mobile protocol on the ImageFolder tree) and
Table 3.3 (the NATS-Bench archive converted, a NAS-Bench-201 search, the CIFAR-100 lookup).
Left out here (the whole rehearsal is `python -m snakemake` with the README's command; its
time is in the README): the other 19 tables, the 23 figures, the D-VAE and the other methods.
Every table built has a reproduced value in each row whose run the rehearsal selects."""

import csv
import json
import shlex

import pytest
import yaml

from nasrepro.data.fixtures import common
from nasrepro.layout import FIXTURES_MANIFEST, SHARED_DATA, Layout
from tests.computed import clean_copy, snakemake
from tests.conftest import ROOT, shared

PART = {"table_2_2": {"runs": ["published-darts-v2"]},
        "table_3_2": {"runs": ["gdas-nsas"], "seeds": [0, 1]},  # two searches: a selection
        "table_3_3": {"runs": ["gdas-nsas"], "targets": ["cifar100"]}}


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def uncovered_rows(table_csv, runs) -> list[str]:
    """Rows of a built table whose run is one of ``runs`` (all rows when ``runs`` is None) and
    that have no value in any of our columns."""
    with open(table_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    ours = [key for key in rows[0] if "[ours" in key or "[computed" in key]
    return [row["Method"] for row in rows if (runs is None or row["run"] in runs)
            and not any(row[key].strip() for key in ours)]


def test_uncovered_rows_names_a_selected_row_without_a_value_of_ours(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Method,run,Test [thesis],Test [ours],Seeds [ours]\n"
                    "A,a,1.0,2.0,1\nB,b,1.0,,\nC,c,3.0,,\n")
    assert uncovered_rows(path, {"a", "b"}) == ["B"]
    assert uncovered_rows(path, None) == ["B", "C"]


@pytest.mark.slow  # 343 s measured beside a full rehearsal run (load 5-10 on 2 cores); fixtures ~40 s
def test_the_rehearsal_builds_its_tables_with_a_value_of_ours_in_every_covered_row(tmp_path):
    shared(common.CIFAR_NPZ)
    work = clean_copy(tmp_path / "repo")
    (tmp_path / "shared").symlink_to((ROOT / SHARED_DATA).resolve().parent)
    out = snakemake(FIXTURES_MANIFEST, "--cores", "1", cwd=work)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    argv = shlex.split(Layout("rehearsal").command(cores="2"))[1:]
    out = snakemake(*argv, "--config", f"select={_flow(list(PART))}", f"tables={_flow(PART)}",
                    "--", cwd=work, timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Traceback" not in out.stdout + out.stderr
    layout = Layout("rehearsal")
    for table, selection in PART.items():
        assert uncovered_rows(work / layout.table(table, "csv"), set(selection["runs"])) == [], table
    assert "[ours]" in (work / layout.table("table_3_2", "csv")).read_text()  # no stand-in tag
    # issue 30 item 1: the cell was selected by held-out retrainings on the search halves
    selection = json.loads((work / layout.selection("darts_cnn", "cifar10", "gdas-nsas")).read_text())
    assert selection["selection"]["searches"] == [0, 1]
    assert selection["selection"]["protocol"] == "heldout"
    for seed in (0, 1):
        final = json.loads((work / layout.eval_file("darts_cnn", "cifar10", "gdas-nsas-heldout",
                                                    seed, "cifar10", "final.json")).read_text())
        assert final["data"] == {"train": 25_000, "valid": 25_000, "test": 10_000}
        assert final["valid_acc"] == selection["selection"]["scores"][str(seed)]
