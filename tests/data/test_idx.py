"""IDX read/write: round trips for every type, raw and gzip, and each kind of corruption."""

import gzip

import numpy as np
import pytest

from juanji.data.idx import encode_idx, parse_idx, read_idx, read_idx_bytes, write_idx
from juanji.errors import DataError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(1)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


def test_idx_header_by_hand():
    # MNIST's label file: magic 0x00000801, then the count, then the bytes.
    data = encode_idx(np.array([5, 0, 4], dtype=np.uint8))
    assert data == bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4])
    images = encode_idx(np.zeros((2, 28, 28), np.uint8))
    assert images[:4] == b"\x00\x00\x08\x03" and len(images) == 16 + 2 * 784
    assert encode_idx(np.array([1], ">i4")) == encode_idx(np.array([1], "<i4"))  # big-endian out


def test_idx_gzip_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    misnamed = tmp_path / "plain-name"
    misnamed.write_bytes(gzip.compress(encode_idx(array)))
    np.testing.assert_array_equal(read_idx(misnamed), array)
    raw_named_gz = tmp_path / "raw.gz"
    raw_named_gz.write_bytes(encode_idx(array))
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)


def test_write_idx_is_deterministic_and_atomic(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    write_idx(path, np.arange(10, dtype=np.uint8))
    first = path.read_bytes()
    write_idx(path, np.arange(10, dtype=np.uint8))
    assert path.read_bytes() == first  # no time stamp in the gzip header
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-idx1-ubyte.gz"]  # no temp left


def test_encode_idx_rejects_unsupported():
    with pytest.raises(ValueError, match="no IDX type code"):
        encode_idx(np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="cannot be written"):
        encode_idx(np.array(3, np.uint8))


GOOD = encode_idx(np.arange(12, dtype=np.uint8).reshape(3, 4))

CORRUPTIONS = {
    "bad magic (not two zero bytes)": (b"\x01\x00" + GOOD[2:], "bad magic number 0x01000802"),
    "unknown type code": (GOOD[:2] + b"\x07" + GOOD[3:], "bad magic number"),
    "zero dimensions": (GOOD[:3] + b"\x00" + GOOD[4:], "bad magic number"),
    "too short": (GOOD[:3], "too short"),
    "cut inside header": (GOOD[:9], "truncated inside its header"),
    "truncated data": (GOOD[:-1], "is truncated: .* has 24 bytes, this one 23"),
    "extra bytes": (GOOD + b"\x00", "is too long"),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_idx_corruption_is_a_data_error_naming_the_file(tmp_path, kind, compress):
    data, message = CORRUPTIONS[kind]
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    text = str(info.value)
    assert str(path) in text and "delete it and run again" in text
    assert "\n" not in text


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_idx_corrupt_gzip_stream(tmp_path, damage):
    packed = bytearray(gzip.compress(GOOD))
    if damage == "truncated":
        packed = packed[: len(packed) // 2]
    else:
        packed[-6] ^= 0xFF  # inside the CRC32 trailer
    path = tmp_path / "labels.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DataError, match=r"truncated or corrupt gzip .*delete it") as info:
        read_idx_bytes(path)
    assert str(path) in str(info.value)


def test_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "nope")


def test_parse_idx_hand_example():
    # A 2x2 int16 array, big-endian on disk: 0x0102 = 258, 0xFFFF = -1.
    data = bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 1, 1, 2, 0xFF, 0xFF])
    np.testing.assert_array_equal(parse_idx(data), np.array([[258], [-1]], np.int16))
