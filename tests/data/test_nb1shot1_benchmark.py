"""NAS-Bench-101 records in the official format (TFRecord framing, JSON row, base64 ModelMetrics
protobuf), written here by a test-only encoder, read back without TensorFlow: round trip,
per-repeat and halfway values, lookups by cell hash, and corrupted or truncated records."""

import base64
import json
import struct

import pytest

from nasrepro.spaces.nb1shot1 import benchmark
from nasrepro.spaces.nb1shot1.benchmark import Nb101Benchmark, convert
from nasrepro.spaces.nb1shot1.nb101 import ModelSpec
from nasrepro.spaces.nb1shot1.space import Nb1Shot1Arch
from nasrepro.spaces.nb1shot1.tfrecord import (CorruptRecordError, ModelMetrics, crc32c, frame,
                                               masked_crc32c, read_records)

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
ARCH = Nb1Shot1Arch(3, (C3, MP, C1, C3, C3), ((0,), (1,), (2,), (0, 3), (1, 4), (4, 5)))
OTHER = Nb1Shot1Arch(3, (C1, C1, C1, C1, C1), ((0,), (0,), (0,), (0, 3), (0, 4), (0, 5)))


# --- a test-only protobuf / TFRecord encoder -------------------------------------------------
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _double(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", value)


def _bytes(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _evaluation(epoch, time, train, valid, test, extra=True) -> bytes:
    """``extra``: a checkpoint path and an unknown field 9, which the reader skips."""
    return (_double(1, epoch) + _double(2, time) + _double(3, train) + _double(4, valid)
            + _double(5, test)
            + (_bytes(6, b"/ckpt/model.ckpt-1") + _varint(9 << 3) + _varint(7) if extra else b""))


def _metrics(epochs, valid, test, params=1234567, extra=True) -> bytes:
    points = [_evaluation(0, 0, 0.1, 0.1, 0.1, extra),
              _evaluation(epochs / 2, 50.0, 0.8, valid - 0.1, test - 0.1, extra),
              _evaluation(epochs, 100.0 + valid, 0.99, valid, test, extra)]
    return b"".join(_bytes(1, p) for p in points) + _varint(2 << 3) + _varint(params) + _double(3, 321.0)


def _row(arch, epochs, valid, test) -> bytes:
    spec = arch.nb101()
    return json.dumps([arch.nb101_hash(), epochs, spec.flat_matrix(), ",".join(spec.ops),
                       base64.b64encode(_metrics(epochs, valid, test)).decode()]).encode()


def _frame(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


RECORDS = [(ARCH, 108, 0.93, 0.92), (ARCH, 108, 0.94, 0.925), (OTHER, 4, 0.5, 0.45),
           (ARCH, 108, 0.95, 0.93), (OTHER, 108, 0.80, 0.79)]


@pytest.fixture
def tfrecord(tmp_path):
    path = tmp_path / "nasbench_only108.tfrecord"
    path.write_bytes(b"".join(_frame(_row(*r)) for r in RECORDS))
    return path


def _bitwise_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value
    assert crc32c(b"") == 0
    data = bytes(range(256)) * 2
    for size in (*range(18), 255, 512):  # slicing-by-8: whole steps, the tail, both
        assert crc32c(data[:size]) == _bitwise_crc32c(data[:size]), size


def test_protobuf_decoding_by_hand():
    metrics = ModelMetrics.parse(_metrics(108, 0.9, 0.8, params=2_694_282))
    assert metrics.trainable_parameters == 2_694_282 and metrics.total_time == 321.0
    assert len(metrics.evaluation_data) == 3
    assert metrics.evaluation_data[2] == {"current_epoch": 108.0, "training_time": 100.9,
                                          "train_accuracy": 0.99, "validation_accuracy": 0.9,
                                          "test_accuracy": 0.8}


def test_the_fixture_writer_serialises_what_the_hand_encoder_writes(tmp_path):
    """``ModelMetrics.serialize`` and ``frame`` (the rehearsal fixture's writer) against this
    file's independent encoder: proto2 fields in number order, zeros written, no checkpoint path."""
    data = _metrics(108, 0.9, 0.8, params=2_694_282, extra=False)
    metrics = ModelMetrics.parse(data)
    assert metrics.serialize() == data
    assert ModelMetrics.parse(_metrics(108, 0.9, 0.8, params=2_694_282)).serialize() == data
    assert metrics.evaluation_data[0]["current_epoch"] == 0.0 and _double(1, 0.0) in data
    row = _row(ARCH, 108, 0.9, 0.8)
    assert frame(row) == _frame(row)
    (tmp_path / "two.tfrecord").write_bytes(frame(row) + frame(b"[]"))
    assert list(read_records(tmp_path / "two.tfrecord")) == [row, b"[]"]


def test_round_trip_keeps_every_repeat_and_budget(tfrecord, tmp_path):
    table = convert(tfrecord)
    assert len(table) == len(RECORDS)
    rows = table[(table["hash"] == ARCH.nb101_hash()) & (table["epochs"] == 108)].sort_values("repeat")
    assert rows["repeat"].tolist() == [0, 1, 2]
    assert rows["final_validation_accuracy"].tolist() == [0.93, 0.94, 0.95]
    assert rows["final_test_accuracy"].tolist() == [0.92, 0.925, 0.93]
    assert rows["halfway_validation_accuracy"].tolist() == pytest.approx([0.83, 0.84, 0.85])
    assert rows["halfway_training_time"].tolist() == [50.0] * 3
    assert set(table["trainable_parameters"]) == {1234567}
    assert sorted(table[table["hash"] == OTHER.nb101_hash()]["epochs"]) == [4, 108]
    assert table["index"].tolist() == [0, 0, 1, 0, 1]
    stored = ModelSpec.from_record(rows["adjacency"].iloc[0], rows["operations"].iloc[0])
    assert stored == ARCH.nb101() and stored.hash() == rows["hash"].iloc[0]

    table.to_parquet(tmp_path / "nb101.parquet", index=False)
    bench = Nb101Benchmark.load(tmp_path / "nb101.parquet")
    metrics = bench.thesis_metrics(ARCH, "cifar10")
    assert metrics == pytest.approx({"valid_acc": 94.0, "test_acc": 92.5})
    assert bench.hash_accuracy(OTHER.nb101_hash(), "test", epochs=4) == pytest.approx(45.0)
    assert len(bench.repeats(ARCH.nb101_hash())) == 3
    with pytest.raises(KeyError, match="CIFAR-10 results only"):
        bench.thesis_metrics(ARCH, "cifar100")
    with pytest.raises(KeyError, match="no record"):
        bench.thesis_metrics(Nb1Shot1Arch(3, (MP,) * 5, ARCH.parents))


def test_corrupted_record_is_rejected_with_file_and_record_number(tfrecord):
    blob = bytearray(tfrecord.read_bytes())
    second = 12 + len(_row(*RECORDS[0])) + 4
    blob[second + 12 + 5] ^= 0x01          # one bit of record 1's data
    tfrecord.write_bytes(bytes(blob))
    with pytest.raises(CorruptRecordError, match=rf"{tfrecord.name}: record 1: data checksum mismatch"):
        list(read_records(tfrecord))

    blob = bytearray(_frame(_row(*RECORDS[0])))
    blob[0] ^= 0x01                        # its length
    tfrecord.write_bytes(bytes(blob))
    with pytest.raises(CorruptRecordError, match="record 0: length checksum mismatch"):
        convert(tfrecord)

    tfrecord.write_bytes(_frame(_row(*RECORDS[0]))[:-10])
    with pytest.raises(CorruptRecordError, match="record 0: truncated"):
        list(read_records(tfrecord))


def test_best_accuracy_of_a_space_counts_only_its_cells(tfrecord):
    bench = Nb101Benchmark(convert(tfrecord))
    # OTHER's pruned cell is also a space-1 cell (a chain of three nodes); ARCH uses 5 nodes
    assert bench.best_accuracy(1, "valid") == pytest.approx(80.0)
    assert bench.best_accuracy(1, "test") == pytest.approx(79.0)
    with pytest.raises(KeyError, match="no cell of search space 2"):
        bench.best_accuracy(2)


def test_build_writes_each_cells_spaces_and_the_best_cell_reads_them(tfrecord, tmp_path, monkeypatch):
    """The conversion records which search spaces each cell belongs to (column ``spaces``, bit
    v - 1 for space v), and the figures' best cell of a space reads that column: here a space
    membership planted through ``space_hashes`` (the real one enumerates 152,076 cells), then
    enumeration made to fail."""
    planted = {1: {OTHER.nb101_hash()}, 2: set(), 3: {ARCH.nb101_hash(), OTHER.nb101_hash()}}
    monkeypatch.setattr(benchmark, "space_hashes", planted.__getitem__)
    table = Nb101Benchmark.build({"path": str(tfrecord)}, tmp_path)
    bits = dict(zip(table["hash"], table[benchmark.SPACES]))
    assert bits == {ARCH.nb101_hash(): 0b100, OTHER.nb101_hash(): 0b101}

    def enumerate_space(variant):
        raise AssertionError("a converted table's spaces are read, not enumerated")

    monkeypatch.setattr(benchmark, "space_hashes", enumerate_space)
    bench = Nb101Benchmark(table)
    assert bench.best_accuracy(1, "valid") == pytest.approx(80.0)  # OTHER only, as enumerated
    assert bench.best_accuracy(3, "test") == pytest.approx(
        max(bench.hash_accuracy(c, "test") for c in planted[3]))
    with pytest.raises(KeyError, match="no cell of search space 2"):
        bench.best_accuracy(2)
    # a table without the column (the stand-in, an older conversion) enumerates
    with pytest.raises(AssertionError, match="read, not enumerated"):
        Nb101Benchmark(table.drop(columns=benchmark.SPACES)).best_accuracy(1)


def test_space_bits_sets_one_bit_per_space_a_cell_belongs_to(monkeypatch):
    monkeypatch.setattr(benchmark, "space_hashes", {1: {"a", "b"}, 2: {"b"}, 3: {"b", "c"}}.__getitem__)
    assert benchmark.space_bits(["a", "b", "c", "d"]) == [0b001, 0b111, 0b100, 0]
