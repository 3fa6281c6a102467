"""CIFAR-10/100 on generated archives of exactly the official layout (the real 163 MB download
is not reachable here): served from 127.0.0.1, unpacked, checked, read safely; ImageFolder."""

import hashlib
import io
import json
import os
import pickle
import re
import tarfile

import numpy as np
import pytest

import juanji
import juanji.apps.training
from juanji.data import CIFAR10, CIFAR100, DataLoader, ImageFolder, transforms
from juanji.errors import DataError


def md5(data):
    return hashlib.md5(data).hexdigest()


def batch_bytes(n, seed, fine=False):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"training batch", b"data": rng.integers(0, 256, (n, 3072),
                                                                       dtype=np.uint8)}
    labels = rng.integers(0, 100 if fine else 10, n).tolist()
    if fine:
        batch[b"fine_labels"], batch[b"coarse_labels"] = labels, [x // 5 for x in labels]
    else:
        batch[b"labels"] = labels
    return pickle.dumps(batch, protocol=2), batch


def make_cifar(cls, monkeypatch, sizes=(3, 2, 2, 2, 1), test=4):
    """Files of ``cls``'s layout, the class's MD5 tables pointed at them; the tar.gz bytes."""
    fine = cls is CIFAR100
    names = [n for n, _ in cls.train_list]
    files, arrays = {}, {}
    for i, name in enumerate(names):
        files[name], arrays[name] = batch_bytes(sizes[i] if not fine else sum(sizes), i, fine)
    tname = cls.test_list[0][0]
    files[tname], arrays[tname] = batch_bytes(test, 99, fine)
    key = cls.meta["key"].encode()
    labels = [f"class{i}".encode() for i in range(100 if fine else 10)]
    files[cls.meta["filename"]] = pickle.dumps({key: labels}, protocol=2)
    monkeypatch.setattr(cls, "train_list", [(n, md5(files[n])) for n in names])
    monkeypatch.setattr(cls, "test_list", [(tname, md5(files[tname]))])
    monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": md5(files[cls.meta["filename"]])})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{cls.base_folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buf.getvalue()
    monkeypatch.setattr(cls, "tgz_md5", md5(archive))
    return archive, arrays


@pytest.mark.parametrize("cls", [CIFAR10, CIFAR100])
def test_download_unpack_and_read_the_official_layout(cls, monkeypatch, server, isolated,
                                                     tmp_path):
    archive, arrays = make_cifar(cls, monkeypatch)
    monkeypatch.setattr(cls, "url", server.serve("/" + cls.filename, archive))
    train = cls(tmp_path, train=True, download=True)
    first = arrays[cls.train_list[0][0]]
    # Row 0 of the file: 1024 red, 1024 green, 1024 blue values; data is (N, H, W, C).
    np.testing.assert_array_equal(train.data[0, :, :, 0].ravel(), first[b"data"][0, :1024])
    np.testing.assert_array_equal(train.data[0, 2, 5], first[b"data"][0, [69, 1024 + 69,
                                                                          2048 + 69]])
    key = b"labels" if cls is CIFAR10 else b"fine_labels"
    assert train.targets[: len(first[key])] == first[key]
    assert train.classes[3] == "class3" and train.class_to_idx["class3"] == 3
    test = cls(tmp_path, train=False, download=False)  # unpacked once, read again
    assert len(test) == 4
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob("*.tmp"))


def test_batches_through_a_loader_with_the_usual_cifar_transforms(monkeypatch, server,
                                                                  isolated, tmp_path):
    archive, _ = make_cifar(CIFAR10, monkeypatch)
    monkeypatch.setattr(CIFAR10, "url", server.serve("/c.tgz", archive))
    tf = transforms.Compose([transforms.ToTensor(),
                             transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    ds = CIFAR10(tmp_path, download=True, transform=tf)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 3, 32, 32) and x.dtype == juanji.float32 and y.shape == (4,)
    expected = (ds.data[:4].transpose(0, 3, 1, 2) / 255.0 - 0.49) / 0.25
    np.testing.assert_allclose(x.numpy()[:, 0], expected[:, 0], rtol=1e-5, atol=1e-6)


def test_missing_batches_without_download_say_how_to_get_them(isolated, tmp_path):
    with pytest.raises(DataError, match="not in .*download=True"):
        CIFAR10(tmp_path)


def test_an_archive_with_the_wrong_md5_is_refused_and_not_kept(monkeypatch, server, isolated,
                                                              tmp_path):
    archive, _ = make_cifar(CIFAR10, monkeypatch)
    monkeypatch.setattr(CIFAR10, "url", server.serve("/c.tgz", archive[:-10] + b"0123456789"))
    with pytest.raises(DataError, match="MD5"):
        CIFAR10(tmp_path, download=True)
    assert not (tmp_path / CIFAR10.filename).exists()
    assert not (tmp_path / CIFAR10.base_folder).exists()


def test_a_tampered_batch_is_refused_by_its_md5(monkeypatch, server, isolated, tmp_path):
    archive, _ = make_cifar(CIFAR10, monkeypatch)
    monkeypatch.setattr(CIFAR10, "url", server.serve("/c.tgz", archive))
    CIFAR10(tmp_path, download=True)
    path = tmp_path / CIFAR10.base_folder / "data_batch_2"
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    with pytest.raises(DataError, match="data_batch_2 has MD5"):
        CIFAR10(tmp_path)


def test_a_hostile_pickle_in_a_batch_is_refused(monkeypatch, server, isolated, tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    archive, _ = make_cifar(CIFAR10, monkeypatch)
    monkeypatch.setattr(CIFAR10, "url", server.serve("/c.tgz", archive))
    CIFAR10(tmp_path, download=True)
    evil = pickle.dumps({b"data": Evil(), b"labels": []}, protocol=2)
    (tmp_path / CIFAR10.base_folder / "test_batch").write_bytes(evil)
    monkeypatch.setattr(CIFAR10, "test_list", [("test_batch", md5(evil))])
    with pytest.raises(DataError, match="refusing to load posix.system|refusing to load os"):
        CIFAR10(tmp_path, train=False)


def test_image_folder_reads_one_folder_per_class(tmp_path):
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    pixels = {}
    for cls, n in (("cat", 2), ("dog", 1)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            image.fromarray(arr).save(tmp_path / cls / f"{i}.png")
            pixels[(cls, i)] = arr
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.targets == [0, 0, 1]
    x, y = ds[2]
    assert y == 1 and x.shape == (3, 5, 7)
    np.testing.assert_allclose(x.numpy(), pixels[("dog", 0)].transpose(2, 0, 1) / 255, atol=1e-6)
    (tmp_path / "bird").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the class bird"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 3


def test_juanji_train_eval_and_predict_resnet20_on_cifar10(monkeypatch, server, isolated, tmp_path,
                                                          capsys):
    """The CIFAR-10 recipe end to end on a generated archive: download, 4-px shifts and flips,
    per-channel normalisation, a run directory that eval and predict (a colour photo) read."""
    pytest.importorskip("safetensors")
    pytest.importorskip("PIL")
    from PIL import Image

    from juanji.apps.cli import main

    archive, _ = make_cifar(CIFAR10, monkeypatch, sizes=(16, 16, 16, 16, 16), test=8)
    monkeypatch.setattr(CIFAR10, "url", server.serve("/c.tgz", archive))
    run = tmp_path / "run"
    code = main(["train", "resnet20", "--dataset", "cifar10", "--epochs", "1", "--batch-size",
                 "40", "--out", str(run), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "resnet20 on cifar10: 1 epoch, batch 40, sgd one-cycle to lr 0.2, shifts of up to " \
        "4 px and left-right flips" in out
    config = juanji.apps.training.load_run_config(run)
    assert config.preprocessing.input_size == (3, 32, 32) and config.preprocessing.pad == 0
    assert config.preprocessing.mean == (0.4914, 0.4822, 0.4465)
    assert config.classes[0] == "airplane" and config.hyperparameters.flip
    assert main(["eval", str(run)]) == 0
    assert re.search(r"test accuracy [\d.]+ % \(\d / 8\b", capsys.readouterr().out)
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)).save(photo)
    assert main(["predict", str(run), str(photo), "--json"]) == 0
    assert config.classes.index(json.loads(capsys.readouterr().out)[0]["label"]) >= 0


def test_the_paper_schedule_divides_by_ten_at_half_and_three_quarters():
    from juanji.apps import training

    config = training.make_config("resnet20", "cifar10", schedule="step", epochs=4, lr=0.1)
    model = training.build_model(config)
    optimizer, scheduler = training.build_optimizer(config, model, steps_per_epoch=10)
    rates = []
    for _ in range(40):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[19] == pytest.approx(0.1) and rates[20] == pytest.approx(0.01)
    assert rates[29] == pytest.approx(0.01) and rates[30] == pytest.approx(0.001)
