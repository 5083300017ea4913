"""NAS-Bench-101's data file read without TensorFlow: TFRecord framing, CRC-32C and the
``ModelMetrics`` protobuf (``nasbench/lib/model_metrics.proto``), decoded by hand.

TFRecord: each record is a little-endian uint64 length, the masked CRC-32C of those 8 bytes
(uint32), the data, and the masked CRC-32C of the data (uint32); mask(c) = ((c >> 15) | (c << 17))
+ 0xa282ead8 (mod 2^32). Both checksums are verified; a mismatch or a truncated record is an error
naming the file and the record number.

A NAS-Bench-101 record's data is JSON: [hash, epochs, raw adjacency (0/1 string, row by row), raw
operations (comma-joined), base64 of a serialized ``ModelMetrics``]:

    ModelMetrics:   1 evaluation_data (repeated EvaluationData), 2 trainable_parameters (int32),
                    3 total_time (double)
    EvaluationData: 1 current_epoch, 2 training_time, 3 train_accuracy, 4 validation_accuracy,
                    5 test_accuracy (doubles), 6 checkpoint_path (string)

Protobuf wire format: each field is a varint key (field number << 3 | wire type) followed by a
varint (type 0), 8 bytes (type 1, here little-endian doubles), a varint length and that many bytes
(type 2: strings, nested messages) or 4 bytes (type 5). Unknown fields are skipped.

The inverse (``frame``, ``ModelMetrics.serialize``) writes the rehearsal's fixture of this file
(``nasrepro.data.fixtures.nb101``): the proto is ``proto2``, so every set field is written, zeros
included, in field-number order; ``checkpoint_path`` is left blank (the proto allows it).
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


class CorruptRecordError(ValueError):
    """A TFRecord whose framing or checksum is wrong."""


def _crc32c_tables() -> list[list[int]]:
    """Slicing-by-8 tables: ``tables[0]`` the byte-at-a-time table of the reflected polynomial
    0x82F63B78, ``tables[k][b]`` the CRC register after byte ``b`` and ``k`` zero bytes."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    tables = [table]
    for _ in range(7):
        tables.append([(crc >> 8) ^ table[crc & 0xFF] for crc in tables[-1]])
    return tables


_TABLES = _crc32c_tables()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses; eight bytes a
    step (slicing-by-8: 3x the byte-at-a-time loop in CPython), the last ``len % 8`` one by one."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _TABLES
    crc, end = 0xFFFFFFFF, len(data) - len(data) % 8
    for low, high in struct.iter_unpack("<II", memoryview(data)[:end]):
        low ^= crc
        crc = (t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
               ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24])
    for byte in data[end:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path: str | Path) -> Iterator[bytes]:
    """The data of every record of a TFRecord file, checksums verified."""
    path = Path(path)
    with open(path, "rb") as stream:
        number = 0
        while True:
            header = stream.read(12)
            if not header:
                return
            where = f"{path}: record {number}"
            if len(header) < 12:
                raise CorruptRecordError(f"{where}: truncated header ({len(header)} of 12 bytes)")
            (length,), (length_crc,) = struct.unpack("<Q", header[:8]), struct.unpack("<I", header[8:])
            if masked_crc32c(header[:8]) != length_crc:
                raise CorruptRecordError(f"{where}: length checksum mismatch; the file is corrupted "
                                         "(download it again)")
            data, footer = stream.read(length), stream.read(4)
            if len(data) < length or len(footer) < 4:
                raise CorruptRecordError(f"{where}: truncated ({len(data)} of {length} data bytes)")
            stored, computed = struct.unpack("<I", footer)[0], masked_crc32c(data)
            if stored != computed:
                raise CorruptRecordError(f"{where}: data checksum mismatch (stored {stored:#010x}, "
                                         f"computed {computed:#010x}); the file is corrupted "
                                         "(download it again)")
            yield data
            number += 1


def frame(data: bytes) -> bytes:
    """One record as ``read_records`` reads it: length, its masked CRC, data, the data's."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of a message: ints, bytes or raw 8/4-byte values."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (field {number})")
        if pos > len(buf):
            raise ValueError(f"truncated protobuf field {number}")
        yield number, wire, value


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _encode_varint(number << 3 | wire)


def _double(wire: int, value) -> float:
    if wire != 1:
        raise ValueError(f"expected a double (wire type 1), got wire type {wire}")
    return struct.unpack("<d", value)[0]


EVALUATION_FIELDS = {1: "current_epoch", 2: "training_time", 3: "train_accuracy",
                     4: "validation_accuracy", 5: "test_accuracy"}


@dataclass
class ModelMetrics:
    evaluation_data: list[dict[str, float]] = field(default_factory=list)
    trainable_parameters: int = 0
    total_time: float = 0.0

    @classmethod
    def parse(cls, buf: bytes) -> "ModelMetrics":
        metrics = cls()
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                point = dict.fromkeys(EVALUATION_FIELDS.values(), 0.0)
                for sub, sub_wire, sub_value in _fields(value):
                    if sub in EVALUATION_FIELDS:
                        point[EVALUATION_FIELDS[sub]] = _double(sub_wire, sub_value)
                metrics.evaluation_data.append(point)
            elif number == 2 and wire == 0:
                metrics.trainable_parameters = value - (1 << 64) if value >= 1 << 63 else value
            elif number == 3:
                metrics.total_time = _double(wire, value)
        return metrics

    def serialize(self) -> bytes:
        """The message's bytes, every field set (module docstring); ``parse`` reads them back."""
        out = bytearray()
        for point in self.evaluation_data:
            sub = b"".join(_key(number, 1) + struct.pack("<d", point[name])
                           for number, name in EVALUATION_FIELDS.items())
            out += _key(1, 2) + _encode_varint(len(sub)) + sub
        out += _key(2, 0) + _encode_varint(self.trainable_parameters & 0xFFFFFFFFFFFFFFFF)
        out += _key(3, 1) + struct.pack("<d", self.total_time)
        return bytes(out)


@dataclass
class Nb101Record:
    hash: str
    epochs: int
    adjacency: str
    operations: str
    metrics: ModelMetrics


def parse_record(data: bytes) -> Nb101Record:
    """One record's JSON list (module docstring)."""
    module_hash, epochs, adjacency, operations, metrics = json.loads(data.decode("utf-8"))
    return Nb101Record(module_hash, int(epochs), adjacency, operations,
                       ModelMetrics.parse(base64.b64decode(metrics)))
