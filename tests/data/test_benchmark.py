"""Conversion of the real NATS-Bench topology fixture and lookups of its three cells."""

import shutil
import tarfile
import time

import pytest

from nasrepro.spaces.base import MissingEntryError
from nasrepro.spaces.nb201.benchmark import THESIS_COLUMNS, Nb201Benchmark, convert, obtain
from nasrepro.spaces.nb201.space import Nb201Space
from nasrepro.utils.download import ChecksumError, MissingDataError, file_digest
from tests.conftest import NATS_FIXTURE, shared


@pytest.fixture(scope="module")
def table():
    shared("nats-tss-v1_0-3ffb9-simple-fixture/000011.pickle.pbz2")
    return convert(NATS_FIXTURE, partial=True)


def test_converts_the_three_fixture_cells(table):
    assert sorted(table["index"].unique()) == [0, 11, 284]
    assert set(table["epochs"]) == {12, 200}
    for index in (0, 11, 284):
        assert set(table[table["index"] == index]["arch"]) == {Nb201Space().from_index(index).to_string()}


def test_lookup_matches_published_value_and_official_reader(table):
    bench = Nb201Benchmark(table)
    cell = Nb201Space().from_index(11)
    assert bench.accuracy(cell, "cifar10", "ori-test") == pytest.approx(91.583, abs=1e-3)
    from nats_bench import create

    api = create(str(NATS_FIXTURE), "tss", fast_mode=True, verbose=False)
    for index in (0, 11, 284):
        arch = Nb201Space().from_index(index)
        official = api.query_meta_info_by_index(index, hp="200")
        for (target, column), (dataset, split) in THESIS_COLUMNS.items():
            expected = official.get_metrics(dataset, split, is_random=False)["accuracy"]
            assert bench.accuracy(arch, dataset, split) == pytest.approx(expected, abs=1e-9)
        metrics = bench.thesis_metrics(arch, "cifar100")
        assert set(metrics) == {"valid_acc", "test_acc"}


def test_times_are_nats_bench_simulated_lookup_times(table, tmp_path):
    """Issue #29: the converter's time columns are NATS-Bench's ``get_more_info(index, dataset,
    hp, is_random=False)`` ``train-all-time`` and ``<split>-per-time`` for both schedules (the
    thesis' 200 epochs and the searches' 12), and a search lookup's seconds their sum, also after
    a Parquet round trip."""
    from nats_bench import create

    api = create(str(NATS_FIXTURE), "tss", fast_mode=True, verbose=False)
    loaded_path = tmp_path / "nb201.parquet"
    table.to_parquet(loaded_path, index=False)
    for bench in (Nb201Benchmark(table), Nb201Benchmark.load(loaded_path)):
        for epochs in (12, 200):
            for target in ("cifar10", "cifar100", "ImageNet16-120"):
                dataset, split = THESIS_COLUMNS[(target, "valid")]
                cells, valid, seconds = bench.search_lookups(target, epochs)
                assert len(cells) == 3
                for cell, acc, spent in zip(cells, valid, seconds):
                    info = api.get_more_info(cell, dataset, hp=str(epochs), is_random=False)
                    assert spent == pytest.approx(info["train-all-time"] + info["valid-per-time"])
                    assert acc == pytest.approx(info["valid-accuracy"])
    row = table[(table["index"] == 11) & (table["dataset"] == "cifar10-valid")
                & (table["split"] == "x-valid") & (table["epochs"] == 200)].iloc[0]
    assert row["train_time"] == pytest.approx(2492.411359151204)  # 200 x 12.462 s
    assert row["eval_time"] == pytest.approx(4.151251713434845)


def test_a_table_without_times_refuses_a_search_lookup_in_one_line(table, tmp_path):
    path = tmp_path / "old.parquet"
    table.drop(columns=["train_time", "eval_time"]).to_parquet(path, index=False)
    bench = Nb201Benchmark.load(path)
    assert bench.accuracy(Nb201Space().from_index(11), "cifar10", "ori-test") == pytest.approx(
        91.583, abs=1e-3)  # the accuracies still look up
    with pytest.raises(MissingEntryError) as error:
        bench.search_lookups("cifar10")
    assert "no training time for cifar10-valid/x-valid at 12 epochs" in str(error.value)
    assert "convert the archive again" in str(error.value) and "\n" not in str(error.value)


def test_per_seed_values_average_to_mean(table):
    for _, row in table.iterrows():
        assert len(row["seeds"]) == len(row["accuracies"]) >= 1
        assert row["mean_accuracy"] == pytest.approx(sum(row["accuracies"]) / len(row["accuracies"]))


def test_parquet_round_trip_loads_fast(table, tmp_path):
    path = tmp_path / "nb201.parquet"
    table.to_parquet(path, index=False)
    began = time.perf_counter()
    bench = Nb201Benchmark.load(path)
    elapsed = time.perf_counter() - began
    assert bench.accuracy(Nb201Space().from_index(11), "cifar10", "ori-test") == pytest.approx(91.583, abs=1e-3)
    print(f"load time {elapsed:.3f}s for {len(table)} rows")


def test_missing_cell_and_missing_table_are_clear_errors(table, tmp_path):
    bench = Nb201Benchmark(table)
    with pytest.raises(MissingEntryError, match="lacks cell 1 "):
        bench.accuracy(Nb201Space().from_index(1), "cifar10", "ori-test")
    with pytest.raises(MissingEntryError, match="has no entry for cell 11 .* cifar10/x-nothing"):
        bench.accuracy(Nb201Space().from_index(11), "cifar10", "x-nothing")
    with pytest.raises(FileNotFoundError, match="snakemake"):
        Nb201Benchmark.load(tmp_path / "absent.parquet")


def test_an_incomplete_archive_is_refused_in_one_line_unless_partial_on_purpose(tmp_path):
    """Issue 28 item 5: the fixture is a real partial archive (3 of 15,625 cells)."""
    shared("nats-tss-v1_0-3ffb9-simple-fixture/meta.pickle.pbz2")
    with pytest.raises(MissingDataError) as error:
        Nb201Benchmark.build({"path": str(NATS_FIXTURE)}, tmp_path)
    assert str(error.value).startswith(
        f"NAS-Bench-201 benchmark: 15,622 of 15,625 cells have no result file in {NATS_FIXTURE}: ")
    assert "\n" not in str(error.value) and "`partial: true`" in str(error.value)
    archive = _archive(tmp_path)
    with pytest.raises(MissingDataError, match=f"15,622 of 15,625 cells .* in {archive}: "):
        Nb201Benchmark.build({"path": str(archive)}, tmp_path / "work")
    table = Nb201Benchmark.build({"path": str(archive), "partial": True}, tmp_path / "work2")
    assert table.attrs["partial"] == {"cells": 3, "of": 15625, "source": str(archive)}


def test_a_partial_table_says_so_in_its_metadata_and_in_a_missing_lookup(table, tmp_path):
    path = tmp_path / "nb201.parquet"
    table.to_parquet(path, index=False)
    bench = Nb201Benchmark.load(path)
    assert bench.partial == {"cells": 3, "of": 15625, "source": str(NATS_FIXTURE)}
    with pytest.raises(MissingEntryError) as error:
        bench.thesis_metrics(Nb201Space().from_index(5), "cifar100")
    assert str(error.value).startswith(
        f"the NAS-Bench-201 table is partial on purpose (3 of 15,625 cells, from {NATS_FIXTURE}) "
        "and lacks cell 5 (")


def test_a_missing_cell_lookup_in_evaluate_is_one_line(table, tmp_path, capsys):
    import json

    from nasrepro.cli import main

    path = tmp_path / "nb201.parquet"
    table.to_parquet(path, index=False)
    genotype = tmp_path / "genotype.json"
    genotype.write_text(json.dumps({"arch": Nb201Space().from_index(7).to_string()}))
    spec = {"mode": "benchmark", "target": "cifar10", "space": "nb201", "seed": 0, "run": "gdas",
            "method": "gdas", "search_dataset": "cifar10", "benchmark_table": str(path),
            "settings": {"device": "cpu", "threads": 1, "workers": 0, "profile": "test"}}
    code = main(["--log", str(tmp_path / "e.log"), "evaluate", "--spec", json.dumps(spec),
                 "--genotype", str(genotype), "--out-dir", str(tmp_path / "eval")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "partial on purpose" in err


def _archive(tmp_path):
    src = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    shutil.copytree(NATS_FIXTURE, src)
    archive = tmp_path / "bench.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(src, arcname=src.name)
    return archive


def test_obtain_from_tar_via_file_url_with_checksum(tmp_path):
    shared("nats-tss-v1_0-3ffb9-simple-fixture/meta.pickle.pbz2")
    archive = _archive(tmp_path)
    digest = file_digest(archive)
    dest = tmp_path / "raw" / "NATS-tss.tar"
    folder = obtain({"path": str(dest), "url": archive.as_uri(), "sha256": digest}, tmp_path / "work")
    assert (folder / "meta.pickle.pbz2").exists() and dest.exists()
    assert sorted(convert(folder, partial=True)["index"].unique()) == [0, 11, 284]


def test_obtain_rejects_wrong_checksum_and_keeps_nothing(tmp_path):
    shared("nats-tss-v1_0-3ffb9-simple-fixture/meta.pickle.pbz2")
    archive = _archive(tmp_path)
    dest = tmp_path / "raw" / "NATS-tss.tar"
    with pytest.raises(ChecksumError, match="sha256"):
        obtain({"path": str(dest), "url": archive.as_uri(), "sha256": "0" * 64}, tmp_path / "w")
    assert not dest.exists()


def test_truncated_archive_without_checksum_is_a_one_line_error(tmp_path):
    shared("nats-tss-v1_0-3ffb9-simple-fixture/meta.pickle.pbz2")
    from nasrepro.utils.download import MissingDataError

    archive = _archive(tmp_path)
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:5000])
    with pytest.raises(MissingDataError, match="truncated or corrupted.*Download it again"):
        obtain({"path": str(truncated), "url": None, "sha256": None}, tmp_path / "w")


@pytest.mark.slow
def test_benchmark_command_without_a_source_says_what_to_set(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "nasrepro", "--log", str(tmp_path / "b.log"),
                          "benchmark", "--space", "nb201", "--spec", "null",
                          "--out", str(tmp_path / "nb201.parquet")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: benchmark.nb201 is null in this profile: set its path/url/sha256 to build the "
        "benchmark table (see README, 'Profiles')"]
