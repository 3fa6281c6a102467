"""A command's --data-dir is strict and the command says which folder it read."""

import numpy as np
import pytest

from juanji.apps.cli import main
from juanji.data import MNIST
from juanji.data.idx import encode_idx
from juanji.data.mnist import FileChecksums

_NAMES = {
    "train-images-idx3-ubyte": (8, 28, 28),
    "train-labels-idx1-ubyte": (8,),
    "t10k-images-idx3-ubyte": (4, 28, 28),
    "t10k-labels-idx1-ubyte": (4,),
}


@pytest.fixture
def files(monkeypatch, tmp_path):
    """Generated MNIST files, their checksums patched in; no env, a private cache."""
    import hashlib

    rng = np.random.default_rng(0)
    data = {
        name: encode_idx(rng.integers(0, 10 if len(shape) == 1 else 256, shape, dtype=np.uint8))
        for name, shape in _NAMES.items()
    }
    monkeypatch.setattr(
        MNIST,
        "checksums",
        {n: FileChecksums(hashlib.md5(b).hexdigest(), None) for n, b in data.items()},
    )
    monkeypatch.delenv("JUANJI_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return data


def _folder(path, data, skip=()):
    path.mkdir(parents=True)
    for name, content in data.items():
        if name not in skip:
            (path / name).write_bytes(content)
    return path


def _no_work(monkeypatch):
    import juanji.apps.training as training

    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "train_run", refuse)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "mnsit", "--data-dir: MNIST: the data folder {p}/mnsit does not exist"),
        (
            lambda p: (p / "file").write_text("x") and p / "file",
            "--data-dir: MNIST: the data folder {p}/file is a file, not a folder",
        ),
        (
            lambda p: (p / "empty").mkdir() or p / "empty",
            "--data-dir: MNIST: {p}/empty does not hold the dataset: {p}/empty/mnist lacks "
            "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte",
        ),
    ],
)
def test_train_refuses_a_data_dir_without_the_dataset(
    files, tmp_path, monkeypatch, capsys, make, message
):
    _folder(tmp_path / "env" / "mnist", files)
    monkeypatch.setenv("JUANJI_DATA", str(tmp_path / "env"))  # would have been used before
    _no_work(monkeypatch)
    argv = ["train", "lenet5", "--epochs", "1", "--out", str(tmp_path / "run")]
    assert main([*argv, "--data-dir", str(make(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji train: " + message.format(p=tmp_path)) and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_train_refuses_a_data_dir_lacking_one_file(files, tmp_path, monkeypatch, capsys):
    _folder(tmp_path / "env" / "mnist", files)
    monkeypatch.setenv("JUANJI_DATA", str(tmp_path / "env"))
    _folder(tmp_path / "data" / "mnist", files, skip=("train-labels-idx1-ubyte",))
    _no_work(monkeypatch)
    argv = ["train", "lenet5", "--epochs", "1", "--data-dir", str(tmp_path / "data")]
    assert main(argv) == 1
    assert "mnist lacks train-labels-idx1-ubyte (raw or .gz" in capsys.readouterr().err


def test_train_says_which_folder_it_reads(files, tmp_path, monkeypatch, capsys):
    _folder(tmp_path / "data" / "MNIST" / "raw", files)
    _no_work(monkeypatch)
    argv = ["train", "lenet5", "--epochs", "1", "--out", str(tmp_path / "run")]
    with pytest.raises(AssertionError, match="training started"):
        main([*argv, "--data-dir", str(tmp_path / "data")])
    assert f"data: {tmp_path / 'data' / 'MNIST' / 'raw'}\n" in capsys.readouterr().err
    monkeypatch.setenv("JUANJI_DATA", str(tmp_path / "data"))
    with pytest.raises(AssertionError, match="training started"):
        main(argv)
    assert f"data: {tmp_path / 'data' / 'MNIST' / 'raw'}\n" in capsys.readouterr().err


def test_data_source_without_any_data_says_where_it_downloads(files, tmp_path):
    import argparse

    from juanji.apps.cli._data import data_source

    args = argparse.Namespace(data_dir=None, no_download=False)
    line = data_source(args, "mnist")
    assert line.startswith("data: not found in ") and line.endswith(
        f"downloading into {tmp_path / 'cache' / 'juanji' / 'datasets' / 'mnist'}"
    )
