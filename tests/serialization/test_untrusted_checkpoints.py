"""juanji.load on hostile files: sizes are checked before anything is allocated (issue 25).

Each class of attack is built by hand (a pickle written with the test's own persistent ids, a
zip archive written byte by byte), and the tests that a regression could turn into a huge
allocation run in a subprocess under an address-space limit (``RLIMIT_AS``), so a regression
fails with MemoryError instead of filling the machine.
"""

import collections
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
from juanji.errors import CheckpointError
from juanji.serialization._pickle import TorchPickler, UnsafePickleError, _TorchGlobal
from juanji.serialization.torch_format import MAX_EXPANSION

torch = pytest.importorskip("torch")

FLOAT = _TorchGlobal("torch", "FloatStorage")


class Pid:
    """Written as the persistent id ``pid`` (a storage reference) by ``_Writer``."""

    def __init__(self, *pid):
        self.pid = pid


class Call:
    """Written as a call of the global ``module.name`` on ``args``."""

    def __init__(self, module, name, *args):
        self.function, self.args = _TorchGlobal(module, name), args

    def __reduce__(self):
        return (self.function, self.args)


class _Writer(TorchPickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Pid) else None


def pickled(obj):
    out = io.BytesIO()
    _Writer(out, lambda value: None).dump(obj)
    return out.getvalue()


def tensor(offset, size, stride, numel=4, key="0", storage=FLOAT, legacy=False):
    pid = Pid("storage", storage, key, "cpu", numel, *[None] * legacy)  # legacy: no view
    return Call("torch._utils", "_rebuild_tensor_v2", pid, offset, size, stride, False,
                collections.OrderedDict())


def archive(obj, storages=None):
    """A zip checkpoint of ``obj`` whose storage ``0`` holds four float32 (or ``storages``)."""
    storages = {"0": np.arange(4, dtype="<f4").tobytes()} if storages is None else storages
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        zipped.writestr("archive/data.pkl", pickled(obj))
        zipped.writestr("archive/version", "3\n")  # torch reads no archive without it
        for key, raw in storages.items():
            zipped.writestr(f"archive/data/{key}", raw)
    return out.getvalue()


def legacy(obj, storages):
    """A legacy (pre-1.6) checkpoint: header pickles, ``obj``, keys, then numel + bytes each."""
    parts = [pickle.dumps(v, protocol=2) for v in (0x1950A86A20F9469CFC6C, 1001,
                                                    {"little_endian": True})]
    parts += [pickled(obj), pickle.dumps(sorted(storages), protocol=2)]
    for key in sorted(storages):
        numel, raw = storages[key]
        parts += [struct.pack("<q", numel), raw]
    return b"".join(parts)


def load(data, name="hostile.pt"):
    stream = io.BytesIO(data)
    stream.name = name
    return juanji.load(stream)


def run_limited(code, *args, extra_mib=384, timeout=60):
    """Run ``code`` in a fresh Python whose address space may grow ``extra_mib`` past juanji's.

    ``code`` reads its inputs from ``sys.argv`` and prints one JSON line; that value is returned.
    """
    prelude = textwrap.dedent(f"""
        import json, resource, sys, io
        import numpy as np, juanji
        from juanji.errors import CheckpointError
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
        limit = pages * resource.getpagesize() + {extra_mib} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    """)
    result = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *args],
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


LOAD_ONE = """
    def summary(value):  # not repr: printing a huge view is the printer's business, not load's
        if isinstance(value, juanji.Tensor):
            return f"tensor{tuple(value.shape)}"
        if isinstance(value, dict):
            return {str(k): summary(v) for k, v in value.items()}
        return repr(value)[:80]

    try:
        print(json.dumps(["loaded", summary(juanji.load(sys.argv[1]))]))
    except CheckpointError as error:
        print(json.dumps(["refused", str(error)]))
"""


# ------------------------------------------------------------------- views stay views
def test_a_stride_0_tensor_stays_a_view_of_its_one_element_as_in_torch(tmp_path):
    path = tmp_path / "expand.pt"
    torch.save({"e": torch.tensor([3.0]).expand(2**20, 2**20)}, path)  # 4 TiB as a copy
    assert path.stat().st_size < 2000
    loaded = juanji.load(path)["e"]
    reference = torch.load(path, weights_only=True)["e"]
    assert loaded.shape == tuple(reference.shape) and reference.stride() == (0, 0)
    assert loaded._data.strides == (0, 0) and loaded[123, 456].item() == 3.0
    assert not loaded._data.flags.writeable  # as juanji's own expand: overlapping, read-only


def test_the_stride_0_file_loads_under_a_memory_limit(tmp_path):
    path = tmp_path / "expand.pt"
    path.write_bytes(archive({"e": tensor(1, (2**15, 2**15), (0, 0))}))  # 4 GiB as a copy
    outcome, text = run_limited(LOAD_ONE, str(path), extra_mib=256)
    assert [outcome, text] == ["loaded", {"e": "tensor(32768, 32768)"}]


def test_views_share_their_storage_as_in_torch(tmp_path):
    path = tmp_path / "shared.pt"
    base = torch.arange(6.0)
    torch.save({"x": base, "y": base[2:]}, path)
    ours, theirs = juanji.load(path), torch.load(path, weights_only=True)
    ours["x"][3] = 100.0
    theirs["x"][3] = 100.0
    assert ours["y"][1].item() == theirs["y"][1].item() == 100.0


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_layout_that_fits_reads_as_torch_reads_it(data):
    dims = data.draw(st.integers(0, 4))
    size = data.draw(st.lists(st.integers(0, 4), min_size=dims, max_size=dims))
    stride = data.draw(st.lists(st.integers(0, 7), min_size=dims, max_size=dims))
    offset = data.draw(st.integers(0, 5))
    reach = sum((n - 1) * s for n, s in zip(size, stride, strict=True)) if all(size) else -1
    numel = offset + reach + 1 + data.draw(st.integers(0, 3))
    values = np.arange(numel, dtype="<f4")
    file = archive({"t": tensor(offset, tuple(size), tuple(stride), numel)},
                   {"0": values.tobytes()})
    want = torch.load(io.BytesIO(file), weights_only=True)["t"]
    got = load(file)["t"]
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    addresses = {sum(i * s for i, s in zip(index, stride, strict=True))
                 for index in np.ndindex(*size)}
    assert got._data.flags.writeable == (len(addresses) == want.numel())  # read-only: overlaps


# ------------------------------------------------------------------- layouts
BAD_LAYOUTS = {
    "negative size": (0, (-1, 2), (2, 1)),
    "negative stride": (3, (2,), (-1,)),
    "negative offset": (-1, (2,), (1,)),
    "float size": (0, (1.5,), (1,)),
    "string stride": (0, (2,), ("1",)),
    "huge size": (0, (2**70,), (0,)),
    "huge stride": (0, (2, 2), (2**70, 1)),
    "too many elements": (0, (2**30, 2**30, 2**30), (0, 0, 0)),
    "too many elements though empty": (0, (0, 2**61, 2**61), (1, 1, 1)),
    "offset past the end": (4, (1,), (1,)),
    "last element past the end": (0, (3, 2), (2, 1)),
    "lengths differ": (0, (2, 2), (1,)),
}


@pytest.mark.parametrize("problem", sorted(BAD_LAYOUTS))
def test_every_bad_layout_is_one_checkpoint_error_naming_the_file(problem):
    offset, size, stride = BAD_LAYOUTS[problem]
    with pytest.raises(CheckpointError, match=r"juanji.load: hostile.pt: a tensor") as info:
        load(archive({"t": tensor(offset, size, stride)}))
    assert "damaged" in str(info.value)


@pytest.mark.parametrize("problem", ["negative offset", "offset past the end",
                                     "last element past the end", "lengths differ"])
def test_torch_refuses_the_same_layouts(tmp_path, problem):
    offset, size, stride = BAD_LAYOUTS[problem]
    (tmp_path / "bad.pt").write_bytes(archive({"t": tensor(offset, size, stride)}))
    with pytest.raises(Exception):  # noqa: B017, PT011 - torch's classes vary by check
        torch.load(tmp_path / "bad.pt", weights_only=True)


@pytest.mark.parametrize("dims", [(2.5, 2), (-3,), ("a",), 7])
def test_bad_torch_sizes_are_checkpoint_errors(dims):
    with pytest.raises(CheckpointError, match=r"hostile.pt: torch.Size\(.*\) is not a list"):
        load(archive({"s": Call("torch", "Size", dims)}))


# ------------------------------------------------------------------- storages
@pytest.mark.parametrize("numel", [-1, 2.0, "4", 2**61, 5, 3])
def test_a_storage_count_must_match_its_bytes_before_allocating(numel):
    with pytest.raises(CheckpointError, match=r"hostile.pt"):
        load(archive({"t": tensor(0, (1,), (1,), numel=numel)}))


def test_a_missing_storage_entry_is_named():
    with pytest.raises(CheckpointError, match=r"lacks the entry 'archive/data/7'"):
        load(archive({"t": tensor(0, (1,), (1,), key="7")}))


def _deflate_bomb(nbytes):
    """A raw deflate stream of ``nbytes`` zero bytes (a whole number of MiB), and its CRC."""
    compressor, chunk = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(2**20)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(nbytes // 2**20):
        crc = zlib.crc32(chunk, crc)
    return block * (nbytes // 2**20) + compressor.flush(), crc


def _zip_by_hand(entries):
    """A zip archive of ``(name, payload, method, crc, size)`` entries, written byte by byte."""
    out, directory = io.BytesIO(), b""
    for name, payload, method, crc, size in entries:
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                             len(payload), size, len(name), 0)
        offset = out.tell()
        out.write(header + name.encode() + payload)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0,
                                 crc, len(payload), size, len(name), 0, 0, 0, 0, 0, offset)
        directory += name.encode()
    start = out.tell()
    out.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries),
                                      len(entries), len(directory), start, 0))
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path):
    size = 512 * 2**20  # 512 MiB of zeros in about 0.5 MiB; the limit below is 256 MiB
    payload, crc = _deflate_bomb(size)
    pkl = pickled({"t": tensor(0, (size // 4,), (1,), numel=size // 4)})
    path = tmp_path / "bomb.pt"
    path.write_bytes(_zip_by_hand([
        ("archive/data.pkl", pkl, 0, zlib.crc32(pkl), len(pkl)),
        ("archive/data/0", payload, 8, crc, size),
    ]))
    assert path.stat().st_size < 2**20
    outcome, text = run_limited(LOAD_ONE, str(path), extra_mib=256)
    assert outcome == "refused" and f"at most {MAX_EXPANSION} times" in text, text
    assert "bomb.pt" in text


def test_a_compressed_entry_within_the_factor_loads():
    values = np.arange(4096, dtype="<f4")  # deflates about 3.6x: within the factor
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("archive/data.pkl", pickled({"t": tensor(0, (4096,), (1,), 4096)}))
        zipped.writestr("archive/data/0", values.tobytes())
    np.testing.assert_array_equal(load(out.getvalue())["t"].numpy(), values)


# ------------------------------------------------------------------- legacy files
def test_a_legacy_file_declaring_a_gigabyte_allocates_nothing(tmp_path):
    path = tmp_path / "old.pt"
    path.write_bytes(legacy({"t": tensor(0, (2**28,), (1,), numel=2**28, legacy=True)},
                            {"0": (2**28, b"\x00" * 16)}))
    assert path.stat().st_size < 400
    outcome, text = run_limited(LOAD_ONE, str(path), extra_mib=256)
    assert outcome == "refused" and "old.pt: storage 0 declares 268435456 elements" in text


@pytest.mark.parametrize("storages", [
    {"0": (4, np.ones(3, "<f4").tobytes())},  # fewer bytes than declared
    {"0": (5, np.ones(5, "<f4").tobytes())},  # the data's count disagrees with the pickle's
    {"1": (4, np.ones(4, "<f4").tobytes())},  # a key no tensor uses
])
def test_legacy_storage_records_are_checked(storages):
    with pytest.raises(CheckpointError, match=r"hostile.pt"):
        load(legacy({"t": tensor(0, (4,), (1,), legacy=True)}, storages))


def test_a_valid_hand_written_legacy_file_loads_as_torch_reads_it(tmp_path):
    values = np.arange(4, dtype="<f4").tobytes()
    data = legacy({"t": tensor(1, (3,), (1,), legacy=True)}, {"0": (4, values)})
    (tmp_path / "old.pt").write_bytes(data)
    want = torch.load(tmp_path / "old.pt", weights_only=True)["t"].numpy()
    np.testing.assert_array_equal(load(data)["t"].numpy(), want)


# ------------------------------------------------------------------- the pickle itself
def test_a_bytearray_of_a_given_size_is_refused(tmp_path):
    path = tmp_path / "bytes.pt"
    path.write_bytes(archive({"b": Call("builtins", "bytearray", 8 * 2**30)}, {}))
    outcome, text = run_limited(LOAD_ONE, str(path), extra_mib=256)
    assert outcome == "refused" and "bytes.pt" in text and "bytearray(int)" in text
    with zipfile.ZipFile(path, "w") as zipped:  # protocol 5's BYTEARRAY8 opcode, 8 GiB declared
        zipped.writestr("archive/data.pkl", b"\x80\x05\x96" + struct.pack("<Q", 2**33) + b"ab.")
    outcome, text = run_limited(LOAD_ONE, str(path), extra_mib=256)
    assert outcome == "refused" and "bytearray of 8589934592 bytes has only 3" in text
    assert load(archive({"b": bytearray(b"ok")}, {}))["b"] == bytearray(b"ok")


def test_a_huge_memo_index_costs_nothing(tmp_path):
    path = tmp_path / "memo.pt"  # LONG_BINPUT 2**32 - 1: the C unpickler allocates 32 GiB
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("archive/data.pkl", b"\x80\x02Nr\xff\xff\xff\xff.")
    assert run_limited(LOAD_ONE, str(path), extra_mib=256) == [
        "loaded", "None"]


def test_setting_the_state_of_a_tensor_is_refused():
    class Build:
        def __reduce__(self):
            return (_TorchGlobal("torch._utils", "_rebuild_tensor_v2"),
                    tensor(0, (1,), (1,)).args, {"_data": "not an array"})

    with pytest.raises(UnsafePickleError, match="sets the state of a Tensor"):
        load(archive({"t": Build()}))


@pytest.mark.parametrize("payload", [
    b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01u",  # ends before STOP
    b"\x80\x02L" + b"9" * 5000 + b"L\n.",  # a 5000-digit integer
    b"\x80\x02(\x8c\x01a\x8c\x01b\x8c\x01c\x8a\x01\x05\x85R.",  # a call on a non-callable
    b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\xe2\x82\xacX\x06\x00\x00\x00latin1\x86R.",
])
def test_whatever_else_the_bytes_provoke_is_one_checkpoint_error(payload):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        zipped.writestr("archive/data.pkl", payload)
    with pytest.raises(CheckpointError, match=r"hostile.pt is truncated or damaged"):
        load(out.getvalue())


# ------------------------------------------------------------------- fuzz
FUZZ = """
    import random, time
    seeds = json.loads(sys.argv[1])
    rng, outcomes, started = random.Random(25), {}, time.monotonic()
    for index in range(int(sys.argv[2])):
        if time.monotonic() - started > float(sys.argv[3]):
            break
        data = bytearray(open(seeds[index % len(seeds)], "rb").read())
        for _ in range(rng.randint(1, 4)):
            kind, at = rng.random(), rng.randrange(len(data))
            if kind < 0.5:
                data[at] = rng.randrange(256)
            elif kind < 0.7:
                data[at:at + 8] = rng.randrange(2**64).to_bytes(8, "little")
            elif kind < 0.85:
                del data[at:at + rng.randint(1, 64)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        try:
            juanji.load(io.BytesIO(bytes(data)))
            outcome = "loaded"
        except CheckpointError:
            outcome = "refused"
        except Exception as error:
            outcome = f"{type(error).__name__}: {str(error)[:150]} (mutation {index})"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(json.dumps(outcomes))
"""


def test_mutated_checkpoints_load_or_raise_checkpoint_error_under_a_memory_limit(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    obj = {"t": base.t(), "row": base[1], "e": torch.ones(2)[None].expand(3, 2),
           "i": torch.arange(5), "p": torch.nn.Parameter(torch.ones(3)), "n": [1, "a", 2.5]}
    seeds = []
    for legacy_format in (False, True):
        seeds.append(str(tmp_path / f"seed{legacy_format}.pt"))
        torch.save(obj, seeds[-1], _use_new_zipfile_serialization=not legacy_format)
    seeds.append(str(tmp_path / "juanji.pt"))
    juanji.save({"w": juanji.randn(4, 3), "step": 3}, seeds[-1])
    count = 1500
    outcomes = run_limited(FUZZ, json.dumps(seeds), str(count), "40", timeout=120)
    assert set(outcomes) <= {"loaded", "refused"}, outcomes
    assert sum(outcomes.values()) >= 300 and outcomes.get("refused", 0) > 0, outcomes
    assert outcomes.get("loaded", 0) > 0, outcomes  # some mutations only change values


def test_mutated_safetensors_files_load_or_raise_checkpoint_error_under_a_memory_limit(tmp_path):
    from safetensors.torch import save_file

    seeds = [str(tmp_path / "f32.safetensors"), str(tmp_path / "bf16.safetensors")]
    save_file({"w": torch.randn(3, 4), "b": torch.arange(3)}, seeds[0])
    save_file({"w": torch.randn(3, 4).bfloat16(), "s": torch.ones(2)}, seeds[1])
    code = FUZZ.replace("juanji.load(io.BytesIO(bytes(data)))", textwrap.dedent("""\
        open(sys.argv[4], "wb").write(bytes(data))
                    juanji.serialization.load_file(sys.argv[4])"""))
    outcomes = run_limited(code, json.dumps(seeds), "800", "30", str(tmp_path / "m.safetensors"),
                           timeout=120)
    assert set(outcomes) <= {"loaded", "refused"}, outcomes
    assert sum(outcomes.values()) >= 300 and outcomes.get("refused", 0) > 0, outcomes


@pytest.mark.parametrize("header", [
    b"[" * 100000 + b"]" * 100000,  # nested deeper than the JSON parser recurses
    b'{"w": {"dtype": "BF16", "shape": [-1, -4], "data_offsets": [0, 8]}}',
    b'{"w": {"dtype": "BF16", "shape": [2], "data_offsets": ["0", 4]}}',
    b'{"w": {"dtype": "BF16", "shape": [2]}}',
    b'{"w": "BF16", "v": {"dtype": "BF16"}}',
])
def test_malformed_safetensors_headers_are_checkpoint_errors(tmp_path, header):
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    with pytest.raises(CheckpointError, match=r"h.safetensors is not a valid safetensors file"):
        juanji.serialization.load_file(path)
