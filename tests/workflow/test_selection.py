"""`--config select=[ids]` builds part of a profile without touching what a fuller run made: its
cost table is its own file (report/cost-<ids>.csv), the fuller run stays up to date, and the
console stays small (the cost spec travels as a file, its param is a digest)."""

import pytest

from nasrepro.profile.select import report_name
from tests.computed import SLICE, SLICE_COST, copy_run, file_bytes, job_counts, snakemake

OUTPUTS = ("results/default/report", "results/default/tables", "results/default/figures")


def test_report_name_of_a_selection():
    assert report_name({}, "cost") == "cost"
    assert report_name({"select": ["table_6_2", "table_2_3", "table_2_3"]}, "cost") == \
        "cost-table_2_3+table_6_2"
    many = report_name({"select": [f"table_{i}_{j}" for i in range(2, 7) for j in range(1, 7)]}, "cost")
    assert many.startswith("cost-select-") and len(many) == len("cost-select-") + 12
    select = next(arg for arg in SLICE if arg.startswith("select="))
    names = select[len("select=["):-1].split(",")
    assert SLICE_COST.endswith("/" + report_name({"select": names}, "cost"))


@pytest.mark.slow
def test_a_selection_keeps_the_fuller_runs_outputs_and_a_small_console(computed_default, tmp_path):
    work = copy_run(computed_default, tmp_path / "work")
    before = file_bytes(work, *OUTPUTS)
    subset = ("--config", "select=[table_2_3]", *(a for a in SLICE[1:] if a.startswith("spaces=")), "--")
    out = snakemake("--cores", "2", *subset, cwd=work)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    print(f"selection: {len(text)} characters, {len(text.splitlines())} lines of console output")
    assert len(text) < 20_000, f"{len(text)} characters of console output"  # was 87 KB
    assert {k: v for k, v in job_counts(text).items() if k != "total"} == \
        {"all": 1, "cost": 1, "cost_spec": 1, "claims": 1, "claims_inputs": 1}
    after = file_bytes(work, *OUTPUTS)
    assert {k: after.get(k) for k in before} == before, "the selection changed the fuller run's outputs"
    own, claims = "results/default/report/cost-table_2_3", "results/default/report/claims-table_2_3"
    assert set(after) - set(before) == {f"{own}.csv", f"{own}.md", f"{own}.spec.json",
                                        f"{claims}.csv", f"{claims}.md", f"{claims}.inputs.json"}
    assert b"table,table_2_3," in after[f"{own}.csv"] and b"table_6_2" not in after[f"{own}.csv"]
    for args in (SLICE, subset):  # both builds are up to date
        again = snakemake("-n", "--cores", "2", *args, cwd=work)
        assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
