"""juanji.serialization.safetensors: round trips through the safetensors library, atomic writes."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import safetensors.numpy
import torch

import juanji
from juanji.errors import CheckpointError, JuanjiError
from juanji.models import LeNet5
from juanji.serialization import safetensors as st


def _torch_lenet() -> torch.nn.Module:
    """The same layout in PyTorch, built independently (keys features.N / classifier.N)."""

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(1, 6, 5, padding=2),
                torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
                torch.nn.Conv2d(6, 16, 5),
                torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
            )
            self.classifier = torch.nn.Sequential(
                torch.nn.Linear(400, 120),
                torch.nn.ReLU(),
                torch.nn.Linear(120, 84),
                torch.nn.ReLU(),
                torch.nn.Linear(84, 10),
            )

        def forward(self, x):
            return self.classifier(self.features(x).flatten(1))

    return Net()


def test_lenet_round_trip_gives_identical_outputs(tmp_path, rng):
    juanji.manual_seed(0)
    model = LeNet5()
    path = st.save_file(model.state_dict(), tmp_path / "model.safetensors")

    # The safetensors library reads it, with exactly the state_dict's keys and values.
    arrays = safetensors.numpy.load_file(path)
    assert set(arrays) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert arrays[key].dtype == np.float32
        np.testing.assert_array_equal(arrays[key], value.detach().numpy())

    # juanji -> file -> juanji: a differently initialised model becomes the same function.
    juanji.manual_seed(1)
    other = LeNet5()
    other.load_state_dict(st.load_file(path))
    x = juanji.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
    np.testing.assert_array_equal(other(x).detach().numpy(), model(x).detach().numpy())


def test_file_loads_into_pytorch_with_the_same_keys(tmp_path, rng):
    import safetensors.torch

    juanji.manual_seed(0)
    model = LeNet5()
    path = st.save_file(model.state_dict(), tmp_path / "model.safetensors")
    net = _torch_lenet()
    net.load_state_dict(safetensors.torch.load_file(path))  # strict: same keys and shapes
    x = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        model(juanji.tensor(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float64).reshape(2, 3),
        np.array([-1, 2**40], dtype=np.int64),
        np.array([0, 255], dtype=np.uint8),
        np.array([True, False]),
        np.float32(3.5) * np.ones((), np.float32),  # 0-d
        np.zeros((0, 4), np.float32),  # empty
    ],
    ids=["float64", "int64", "uint8", "bool", "scalar", "empty"],
)
def test_dtype_and_shape_survive(tmp_path, array):
    path = st.save_file({"x": array}, tmp_path / "a.safetensors")
    loaded = st.load_file(path)["x"].numpy()
    assert loaded.dtype == array.dtype and loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array)


def test_non_contiguous_and_tensor_values(tmp_path):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = st.save_file({"t": base.T, "u": juanji.tensor(base)[:, 1]}, tmp_path / "a.safetensors")
    loaded = st.load_file(path)
    np.testing.assert_array_equal(loaded["t"].numpy(), base.T)
    np.testing.assert_array_equal(loaded["u"].numpy(), base[:, 1])


def test_metadata_round_trip_and_header_only_read(tmp_path):
    path = st.save_file({"a": np.ones(2)}, tmp_path / "a.safetensors", metadata={"epoch": 3})
    assert st.load_metadata(path) == {"epoch": "3"}
    plain = st.save_file({"a": np.ones(2)}, tmp_path / "b.safetensors")
    assert st.load_metadata(plain) == {}


def test_bad_keys_and_values_are_type_errors(tmp_path):
    with pytest.raises(TypeError, match="keys must be strings"):
        st.save_file({1: np.ones(2)}, tmp_path / "a.safetensors")
    with pytest.raises(TypeError, match="the value for 'a' must be a Tensor or an array"):
        st.save_file({"a": [1.0, 2.0]}, tmp_path / "a.safetensors")
    assert not list(tmp_path.iterdir())


def _half_then_fail(exception):
    def write(handle, data):
        handle.write(data[: len(data) // 2])
        raise exception

    return write


@pytest.mark.parametrize("exception", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_mid_write_keeps_the_old_file(tmp_path, monkeypatch, exception):
    path = tmp_path / "model.safetensors"
    st.save_file({"w": np.zeros(1000, np.float32)}, path)
    before = path.read_bytes()
    monkeypatch.setattr(st, "_write_all", _half_then_fail(exception))
    with pytest.raises(type(exception)):
        st.save_file({"w": np.ones(1000, np.float32)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no temp file left
    np.testing.assert_array_equal(st.load_file(path)["w"].numpy(), 0)


def test_failure_before_rename_on_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def no_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(st.os, "fsync", no_fsync)
    with pytest.raises(OSError):
        st.atomic_write_bytes(tmp_path / "new.bin", b"data")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_written_file_respects_the_umask(tmp_path):
    path = st.atomic_write_bytes(tmp_path / "a.bin", b"x")
    assert path.stat().st_mode & 0o777 == 0o666 & ~st._UMASK


def test_missing_file_is_a_checkpoint_error_naming_it(tmp_path):
    missing = tmp_path / "nope.safetensors"
    for load in (st.load_file, st.load_metadata):
        with pytest.raises(CheckpointError, match="nope.safetensors does not exist"):
            load(missing)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x05\x00", b"\xff" * 8 + b"{}", b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!"],
    ids=["empty", "short", "huge-length", "not-json"],
)
def test_corrupt_file_is_a_checkpoint_error(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"bad.safetensors is not a valid safetensors"):
        st.load_file(path)
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        st.load_metadata(path)


def test_truncated_file_is_a_checkpoint_error(tmp_path):
    path = st.save_file({"w": np.ones(100, np.float32)}, tmp_path / "w.safetensors")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        st.load_file(path)


def test_missing_package_gives_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)  # import now fails
    with pytest.raises(JuanjiError, match=r'pip install "juanji\[cli\]"'):
        st.save_file({"a": np.ones(1)}, tmp_path / "a.safetensors")


def test_bfloat16_file_loads_as_float32_equal_to_torch(tmp_path):
    import safetensors.torch

    generator = torch.Generator().manual_seed(0)
    tensors = {
        "weight": torch.randn(3, 4, generator=generator).bfloat16(),
        "bias": torch.tensor([1.0, -2.5, 3e38, float("inf")]).bfloat16(),
        "step": torch.tensor([7], dtype=torch.int64),
        "scale": torch.randn(2, generator=generator),
    }
    path = tmp_path / "bf16.safetensors"
    safetensors.torch.save_file(tensors, path, metadata={"format": "pt"})
    loaded = st.load_file(path)
    assert list(loaded) == list(safetensors.torch.load_file(path))
    for key, value in tensors.items():
        expected = value.float() if value.dtype == torch.bfloat16 else value
        assert loaded[key].dtype == getattr(juanji, str(expected.dtype).split(".")[1])
        np.testing.assert_array_equal(loaded[key].numpy(), expected.numpy())
    assert st.load_metadata(path) == {"format": "pt"}


def test_bfloat16_hand_example(tmp_path):
    import safetensors.torch

    path = tmp_path / "one.safetensors"
    # 0x3FC0 is bfloat16 1.5: sign 0, exponent 127, mantissa .1000000
    safetensors.torch.save_file({"x": torch.tensor([1.5]).bfloat16()}, path)
    assert st.load_file(path)["x"].tolist() == [1.5]


def test_unsupported_dtype_is_named_and_the_file_not_called_corrupt(tmp_path):
    import safetensors.torch

    path = tmp_path / "f8.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2).to(torch.float8_e4m3fn)}, path)
    with pytest.raises(CheckpointError, match=r"tensor 'w' has dtype F8_E4M3, which juanji") as e:
        st.load_file(path)
    assert "delete" not in str(e.value) and "truncated" not in str(e.value)


def test_truncated_bfloat16_file_is_still_called_corrupt(tmp_path):
    import safetensors.torch

    path = tmp_path / "bf16.safetensors"
    safetensors.torch.save_file({"w": torch.ones(8).bfloat16()}, path)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        st.load_file(path)
