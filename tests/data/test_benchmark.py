"""Conversion of the real NATS-Bench topology fixture and lookups of its three cells."""

import shutil
import tarfile
import time

import pytest

from nasrepro.spaces.nb201.benchmark import THESIS_COLUMNS, Nb201Benchmark, convert, obtain
from nasrepro.spaces.nb201.space import Nb201Space
from nasrepro.utils.download import ChecksumError, file_digest
from tests.conftest import NATS_FIXTURE, shared


@pytest.fixture(scope="module")
def table():
    shared("nats-tss-v1_0-3ffb9-simple-fixture/000011.pickle.pbz2")
    return convert(NATS_FIXTURE)


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
    with pytest.raises(KeyError, match="no entry"):
        bench.accuracy(Nb201Space().from_index(1), "cifar10", "ori-test")
    with pytest.raises(FileNotFoundError, match="snakemake"):
        Nb201Benchmark.load(tmp_path / "absent.parquet")


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
    assert sorted(convert(folder)["index"].unique()) == [0, 11, 284]


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
