"""The evaluation card of a table (issue #29 item 4; ``report.card``, ``profile.provenance``, rule
card): on planted job records, the card names exactly the retraining key in which two rows
differ, the end-to-end cost sums of a hand example with the file each time comes from, the
versions and hardware the records hold (not the running process'), and an ablation; the
provenance of a hyperparameter is the profile, the thesis text or the reference code, read from
the resolved profile; the card of a table of the shared default run is built beside it."""

import json
from pathlib import Path

import pytest
import torch
import yaml

from nasrepro.layout import Layout
from nasrepro.registry import TABLES
from nasrepro.report.card import BENCH_SOURCE, RUN_JSON_SOURCE, build, write_card
from tests.computed import ROOT

LAYOUT = Layout("default")
SPACE, DATA = "nb201", "cifar10"
RETRAIN = {"epochs": 6, "batch_size": 64, "lr": 0.1}
NET = {"C": 4, "N": 1}
BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
RECORDED = {"python": "3.0.1", "cpu": "Planted CPU 9000", "gpu": None, "device": "cpu",
            "versions": {"torch": "0.0.1-planted", "numpy": "0.1"}}


def _write(path: str, data: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data))


def _bench(path: str, seconds: float) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(BENCH_HEADER + f"{seconds}\t-\t1\t1\t1\t1\t0\t0\t1\t{seconds}\n")


def plant_search(run: str, seed: int, seconds: float | None, method: str = "darts",
                 cfg: dict | None = None, env: dict | None = None) -> list[str]:
    """A search's run.json (and its benchmark file, unless ``seconds`` is None: then the record's
    own wall time, 999 s, is the only time)."""
    path = LAYOUT.search_file(SPACE, DATA, run, seed, "run.json")
    _write(path, {**RECORDED, **(env or {}), "wall_time_s": 999.0,
                  "config": {"space": SPACE, "run": run, "method": method,
                             "method_cfg": cfg or {"epochs": 8, "w_lr": 0.025},
                             "space_cfg": NET, "dataset": {"name": DATA}}})
    if seconds is not None:
        _bench(LAYOUT.run_bench("search", SPACE, DATA, run, seed), seconds)
    return [path]


def plant_eval(run: str, seed: int, seconds: float | None, retrain: dict | None = None,
               env: dict | None = None, wall: float = 999.0) -> list[str]:
    """An evaluation's final.json and run.json (benchmark file unless ``seconds`` is None)."""
    final = LAYOUT.eval_file(SPACE, DATA, run, seed, DATA, "final.json")
    record = LAYOUT.eval_file(SPACE, DATA, run, seed, DATA, "run.json")
    _write(final, {"space": SPACE, "run": run, "seed": seed, "target": DATA, "valid_acc": 50.0,
                   "data": {"train": 100, "valid": 50, "test": 50}})
    _write(record, {**RECORDED, **(env or {}), "wall_time_s": wall,
                    "config": {"space": SPACE, "search_dataset": DATA, "run": run, "seed": seed,
                               "target": DATA, "mode": "retrain",
                               "dataset": {"name": DATA, "loader": "digits", "root": "x"},
                               "net_cfg": NET, "retrain": retrain or RETRAIN,
                               "settings": {"profile": "default", "device": "cpu"}}})
    if seconds is not None:
        _bench(LAYOUT.run_bench("evaluate", SPACE, DATA, run, seed, DATA), seconds)
    return [final, record]


def table_csv(tmp_path: Path, runs: list[str]) -> Path:
    path = tmp_path / "t.csv"
    path.write_text("Method,run,x [ours]\n" + "".join(f"Row {r},{r},1\n" for r in runs)
                    + "Random sampling,,2\n")
    return path


def test_rows_that_differ_in_one_retraining_key_are_named_by_that_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = []
    for seed in (0, 1):
        files += plant_search("a", seed, 10) + plant_eval("a", seed, 5)
        files += plant_search("b", seed, 10) + plant_eval("b", seed, 5, {**RETRAIN, "epochs": 7})
        files += plant_search("c", seed, 10) + plant_eval("c", seed, 5)
    card = build("t", table_csv(tmp_path, ["a", "b", "c"]), files, {}, LAYOUT)
    found = card["identity"][DATA]
    assert list(found["differs"]) == ["retrain.epochs"]
    assert found["differs"]["retrain.epochs"] == {"Row a (a)": 6, "Row b (b)": 7, "Row c (c)": 6}
    assert found["hash"]["Row a (a)"] == found["hash"]["Row c (c)"] != found["hash"]["Row b (b)"]
    assert found["same"]["split.train"] == 100 and found["same"]["space"] == SPACE
    assert "dataset.root" not in found["same"]  # where a dataset lies is not what it is
    assert [r["search_seeds"] for r in card["rows"]] == [[0, 1], [0, 1], [0, 1], []]
    assert card["rows"][0]["eval_seeds"] == {DATA: [0, 1]}
    markdown = (write_card("t", str(table_csv(tmp_path, ["a", "b", "c"])), files, {}, LAYOUT,
                           str(tmp_path / "t.card")), (tmp_path / "t.card.md").read_text())[1]
    assert "`retrain.epochs`: Row a (a): 6; Row b (b): 7; Row c (c): 6" in markdown
    same = build("t", table_csv(tmp_path, ["a", "c"]), files, {}, LAYOUT)["identity"][DATA]
    assert same["differs"] == {} and len(set(same["hash"].values())) == 1


def test_end_to_end_cost_sums_a_hand_example_and_names_its_files(tmp_path, monkeypatch):
    """k = 2 searches of 100 s and 140 s (benchmark files), held-out retrainings of 10 s and
    30 s, final evaluations of 50 s (benchmark file) and 70 s (run.json only): k·(T_search +
    T_valid) = 2·(120 + 20) = 280 s, with T_final 280 + 120 = 400 s."""
    monkeypatch.chdir(tmp_path)
    files = plant_search("a", 0, 100) + plant_search("a", 1, 140)
    files += plant_eval("a-heldout", 0, 10) + plant_eval("a-heldout", 1, 30)
    files += plant_eval("a", 0, 50) + plant_eval("a", 1, None, wall=70.0)
    cost = build("t", table_csv(tmp_path, ["a"]), files, {}, LAYOUT)["cost"]["Row a (a)"]
    assert cost["k"] == 2
    assert cost["T_search_s"] == pytest.approx(120) and cost["T_valid_s"] == pytest.approx(20)
    assert cost["end_to_end_s"] == pytest.approx(280) and cost["T_final_s"] == pytest.approx(120)
    assert cost["with_final_s"] == pytest.approx(400)
    assert cost["sources"] == {"search": [BENCH_SOURCE], "valid": [BENCH_SOURCE],
                               "final": [BENCH_SOURCE, RUN_JSON_SOURCE]}
    assert LAYOUT.run_bench("search", SPACE, DATA, "a", 1) in cost["files"]["search"]
    assert LAYOUT.eval_file(SPACE, DATA, "a", 1, DATA, "run.json") in cost["files"]["final"]
    # without a held-out retraining the cell is the search's own: T_valid 0
    alone = build("t", table_csv(tmp_path, ["a"]), plant_search("a", 0, 100), {}, LAYOUT)
    assert alone["cost"]["Row a (a)"]["end_to_end_s"] == pytest.approx(100)


def test_versions_and_hardware_come_from_the_records(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = plant_search("a", 0, 1) + plant_eval("a", 0, 1) + plant_search("b", 0, 1)
    files += plant_eval("b", 0, 1, env={"versions": {"torch": "0.0.2-planted", "numpy": "0.1"}})
    env = build("t", table_csv(tmp_path, ["a", "b"]), files, {}, LAYOUT)["environment"]
    assert env["same"]["cpu"] == "Planted CPU 9000" and env["same"]["python"] == "3.0.1"
    assert env["same"]["gpu"] == "None" and env["same"]["numpy"] == "0.1"
    assert torch.__version__ not in json.dumps(env)  # not the running process' torch
    # row b's jobs disagree among themselves (search 0.0.1, evaluation 0.0.2): both are listed
    assert env["differs"]["torch"] == {"Row a (a)": "0.0.1-planted",
                                       "Row b (b)": {"0": "0.0.1-planted", "1": "0.0.2-planted"}}


def test_ablations_are_rows_of_one_method_differing_in_one_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = plant_search("a", 0, 1, cfg={"epochs": 8, "beta": 0.1})
    files += plant_search("b", 0, 1, cfg={"epochs": 8, "beta": 0.5})
    files += plant_search("c", 0, 1, cfg={"epochs": 9, "beta": 0.9})  # two keys: no ablation
    files += plant_search("d", 0, 1, method="gdas", cfg={"epochs": 8, "beta": 0.9})
    found = build("t", table_csv(tmp_path, ["a", "b", "c", "d"]), files, {}, LAYOUT)["ablations"]
    assert found == [{"method": "darts", "key": "beta", "rows": {"Row a (a)": 0.1,
                                                                  "Row b (b)": 0.5}}]


def test_provenance_reads_the_profile_the_thesis_and_the_reference_code():
    from nasrepro.plugins import load_all
    from nasrepro.profile.provenance import CODE_DEFAULT, table_sources

    load_all()
    default = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    sources = table_sources(default, "table_2_3")
    assert sources["search"]["gdas"]["epochs"] == "profile: method_overrides.epochs"
    assert sources["search"]["gdas"]["supernet.C"] == "profile: spaces.nb201.search.C"
    assert sources["evaluate"]["gdas"]["cifar10"]["retrain.epochs"] == \
        "profile: spaces.nb201.retrain.epochs"
    assert sources["evaluate"]["gdas"]["cifar10"]["retrain.lr"] == CODE_DEFAULT
    thesis = yaml.safe_load((ROOT / "config/thesis.yaml").read_text())
    sources = table_sources(thesis, "table_6_2")
    assert sources["search"]["darts-2nd"]["w_lr"] == \
        "reference code: quark0/darts@f276dd3 cnn/train_search.py:24"
    assert sources["search"]["darts-2nd"]["supernet.layers"].startswith("thesis: §4.4.2")
    assert sources["evaluate"]["darts-2nd"]["cifar10"]["retrain.drop_path"].startswith(
        "thesis: §4.4.2")


def test_the_card_pairs_record_values_with_their_sources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = plant_search("a", 0, 1) + plant_eval("a", 0, 1)
    sources = {"search": {"a": {"epochs": "profile: method_overrides.epochs"}},
               "evaluate": {"a": {DATA: {"retrain.epochs": "thesis: §x"}}}}
    card = build("t", table_csv(tmp_path, ["a"]), files, sources, LAYOUT)
    found = card["provenance"]["Row a (a)"]
    assert found["search"]["epochs"] == {"value": 8, "source": "profile: method_overrides.epochs"}
    assert found["search"]["w_lr"]["source"] == "not resolved"
    assert found["evaluate"][DATA]["retrain.epochs"] == {"value": 6, "source": "thesis: §x"}


@pytest.mark.slow
def test_the_shared_default_run_builds_a_card_beside_each_table(computed_default):
    built = computed_default.path / "results/default/tables"
    for table, seeds in (("table_2_3", [0, 1]), ("table_6_2", [0])):  # the profile's seeds
        card = json.loads((built / f"{table}.card.json").read_text())
        assert (built / f"{table}.card.md").read_text().startswith(f"# Evaluation card: {table}")
        searched = [r for r in card["rows"] if r["search_seeds"]]
        assert searched and all(r["search_seeds"] == seeds for r in searched)
        assert all(card["cost"][r["key"]]["k"] == len(seeds) and
                   card["cost"][r["key"]]["T_search_s"] > 0 for r in searched)
        recorded = next(built.parent.glob("runs/*/*/*/seed0/search/run.json"))
        recorded = json.loads(recorded.read_text())
        assert card["environment"]["same"]["torch"] == recorded["versions"]["torch"]
        assert card["environment"]["same"]["cpu"] == recorded["cpu"]
        identity = card["identity"]["cifar10"]["same"]  # the default profile retrains
        assert identity["space"] == TABLES.get(table).space and identity["mode"] == "retrain"
        provenance = card["provenance"][searched[0]["key"]]
        assert provenance["search"]["epochs"]["source"].startswith("profile: ")
    # the card job ran in a thread of the Snakemake process (profile/threaded_run_jobs.py), not
    # in a Snakemake spawned for it, which parses the workflow again
    log = computed_default.path / Layout("default").log("tables", "table_6_2_card")
    assert log.read_text().endswith("; run in the Snakemake process)\n")
    card = json.loads((built / "table_6_2.card.json").read_text())
    # a DARTS-space row of one search: nothing to select, no held-out retraining (T_valid 0);
    # its two targets' retrainings are T_final
    assert all(c["T_valid_s"] == 0 and len(c["files"]["final"]) == 2 for c in card["cost"].values())
    assert set(card["identity"]) == {"cifar10", "cifar100"}
