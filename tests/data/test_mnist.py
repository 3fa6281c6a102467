"""MNIST and FashionMNIST: the real files from $JUANJI_DATA, generated files, checksums."""

import gzip
import logging

import numpy as np
import pytest

import juanji
from juanji.data import MNIST, DataLoader, FashionMNIST, StackedSamples
from juanji.data import transforms as T
from juanji.data.mnist import MNIST_MD5, FileChecksums
from juanji.errors import DataError

# ----------------------------------------------------------------------------- real MNIST


@pytest.fixture(scope="module")
def real_train(mnist_dir):
    return MNIST(mnist_dir.parent, train=True, download=False)


def test_real_mnist_train(real_train):
    assert real_train.data.shape == (60000, 28, 28) and real_train.data.dtype == juanji.uint8
    assert real_train.targets.shape == (60000,) and real_train.targets.dtype == juanji.int64
    assert real_train.targets.numpy()[:5].tolist() == [5, 0, 4, 1, 9]  # the official first five
    assert set(np.unique(real_train.targets.numpy()).tolist()) == set(range(10))
    image, label = real_train[0]
    assert image.shape == (28, 28) and image.dtype == juanji.uint8 and label == 5
    assert 0 < int(image.numpy().max()) <= 255


def test_real_mnist_test_split(mnist_dir):
    test = MNIST(mnist_dir.parent, train=False, download=False)
    assert len(test) == 10000 and test.data.shape == (10000, 28, 28)
    labels = test.targets.numpy()
    assert labels.min() == 0 and labels.max() == 9
    assert labels[:3].tolist() == [7, 2, 1]


def test_real_mnist_from_the_environment_variable(mnist_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("JUANJI_DATA", str(mnist_dir.parent))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    test = MNIST(train=False, download=False)
    assert len(test) == 10000


def test_real_mnist_epoch_with_shift_is_fast(real_train):
    real_train.transform = T.Compose(
        [T.ToTensor(), T.RandomShift(2, generator=juanji.Generator().manual_seed(0))]
    )
    try:
        loader = DataLoader(
            real_train, batch_size=128, shuffle=True, generator=juanji.Generator().manual_seed(0)
        )
        sizes = []
        for images, _ in loader:
            sizes.append(len(images))
        assert sum(sizes) == 60000 and images.shape == (96, 1, 28, 28)
        assert images.dtype == juanji.float32 and float(images.numpy().max()) <= 1.0
    finally:
        real_train.transform = None


# ----------------------------------------------------------------------------- generated files


@pytest.fixture
def fake_root(tmp_path, isolated, monkeypatch, helpers):
    """A root with generated MNIST files (raw train, gzip test) and their checksum table."""
    files = helpers.fake_mnist(n_train=12, n_test=5)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, data in files.items():
        if name.startswith("train"):
            (folder / name).write_bytes(data)
        else:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    return tmp_path, files


def test_generated_mnist_structure(fake_root):
    root, files = fake_root
    train, test = MNIST(root, train=True), MNIST(root, train=False)
    assert len(train) == 12 and len(test) == 5
    expected = np.frombuffer(files["train-images-idx3-ubyte"][16:], np.uint8).reshape(12, 28, 28)
    np.testing.assert_array_equal(train.data.numpy(), expected)
    assert train.classes[3] == "3 - three" and "Split: Test" in repr(test)


def test_getitem_and_getitems_agree_with_transforms(fake_root):
    root, _ = fake_root
    ds = MNIST(root, train=True, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == juanji.float32 and isinstance(label, int)
    batch = ds.__getitems__([3, 0, 7])
    assert isinstance(batch, StackedSamples)
    np.testing.assert_allclose(batch[0][0].numpy(), image.numpy())
    assert batch[0][1] == label
    images, labels = DataLoader(ds, batch_size=12).__iter__().__next__()
    np.testing.assert_allclose(images.numpy()[3], image.numpy())


def test_getitems_with_plain_callable_and_target_transform(fake_root):
    root, _ = fake_root
    ds = MNIST(
        root,
        train=False,
        transform=lambda img: img.float() / 255,
        target_transform=lambda y: y + 100,
    )
    batch = ds.__getitems__([0, 4])
    assert isinstance(batch, list) and batch[1][1] == ds[4][1] and batch[1][1] >= 100
    np.testing.assert_allclose(batch[0][0].numpy(), ds[0][0].numpy())
    images, labels = next(iter(DataLoader(ds, batch_size=5)))
    assert images.shape == (5, 28, 28) and labels.min().item() >= 100


def test_wrong_md5_is_refused_with_a_clear_message(fake_root, monkeypatch):
    root, _ = fake_root
    table = dict(MNIST.checksums)
    table["t10k-labels-idx1-ubyte"] = FileChecksums("f" * 32, None)
    monkeypatch.setattr(MNIST, "checksums", table)
    with pytest.raises(DataError) as info:
        MNIST(root, train=False)
    text = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in text and "expected ffff" in text
    assert "delete it and run again" in text and "\n" not in text


@pytest.mark.parametrize("damage", ["truncate", "bad magic"])
def test_corrupt_file_in_root_is_never_used(fake_root, damage):
    root, _ = fake_root
    path = root / "mnist" / "train-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:-100] if damage == "truncate" else b"\x08\x08" + data[2:])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte .*delete it"):
        MNIST(root, train=True)


def test_torchvision_layout_is_found(tmp_path, isolated, monkeypatch, helpers):
    files = helpers.fake_mnist()
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    assert len(MNIST(tmp_path, train=True, download=False)) == 12


def test_official_checksum_table():
    assert set(MNIST_MD5) == {
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    }
    assert all(len(c.raw) == 32 and len(c.gz) == 32 for c in MNIST_MD5.values())
    assert all(len(c.raw) == 32 and len(c.gz) == 32 for c in FashionMNIST.checksums.values())


# ----------------------------------------------------------------------------- Fashion-MNIST


def test_fashion_mnist_structure_with_generated_files(tmp_path, isolated, monkeypatch, helpers):
    files = helpers.fake_mnist(seed=9)
    packed = {name: gzip.compress(data, mtime=0) for name, data in files.items()}
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, data in packed.items():
        (folder / f"{name}.gz").write_bytes(data)
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files, packed, raw=False))
    train = FashionMNIST(tmp_path, train=True, download=False, transform=T.ToTensor())
    assert len(train) == 12 and train.classes[0] == "T-shirt/top"
    image, label = train[0]
    assert image.shape == (1, 28, 28) and 0 <= label <= 9
    assert "FashionMNIST" in repr(train)


def test_fashion_mnist_bad_gz_md5_and_unverifiable_raw(
    tmp_path, isolated, monkeypatch, helpers, caplog
):
    files = helpers.fake_mnist(seed=9)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, data in files.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(data))
    monkeypatch.setattr(
        FashionMNIST, "checksums", {name: FileChecksums(None, "0" * 32) for name in files}
    )
    with pytest.raises(DataError, match=r"has MD5 .* expected 0{32}"):
        FashionMNIST(tmp_path, train=False, download=False)
    # An uncompressed file has no published checksum: structure checks and a warning only.
    for name, data in files.items():
        (folder / f"{name}.gz").unlink()
        (folder / name).write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="juanji.data"):
        assert len(FashionMNIST(tmp_path, train=False, download=False)) == 5
    assert "no published checksum" in caplog.text


def test_label_out_of_range_is_refused(tmp_path, isolated, monkeypatch, helpers):
    files = helpers.fake_mnist()
    bad = bytearray(files["t10k-labels-idx1-ubyte"])
    bad[-1] = 12
    files["t10k-labels-idx1-ubyte"] = bytes(bad)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files))
    with pytest.raises(DataError, match="label 12 but there are 10 classes"):
        FashionMNIST(tmp_path, train=False, download=False)


# ----------------------------------------------------------------------------- which folder


def _write(folder, files, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or files:
        (folder / name).write_bytes(files[name])


@pytest.fixture
def env_data(tmp_path, isolated, monkeypatch, helpers):
    """$JUANJI_DATA with a complete generated MNIST; returns (files, env folder)."""
    files = helpers.fake_mnist(n_train=12, n_test=5)
    env = tmp_path / "env"
    _write(env / "mnist", files)
    monkeypatch.setenv("JUANJI_DATA", str(env))
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    return files, env


def test_explicit_root_without_the_files_never_falls_back_to_juanji_data(env_data, tmp_path):
    typo = tmp_path / "mnsit"
    typo.mkdir()
    with pytest.raises(DataError, match=r"not found in .*mnsit/mnist"):
        MNIST(typo, train=False, download=False)
    assert len(MNIST(train=False, download=False)) == 5  # without root: $JUANJI_DATA


def test_explicit_root_lacking_one_file_is_not_completed_from_elsewhere(env_data, tmp_path):
    files, _ = env_data
    root = tmp_path / "partial"
    _write(root / "mnist", files, ["t10k-images-idx3-ubyte"])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte not found"):
        MNIST(root, train=False, download=False)


def test_the_chain_reads_a_split_from_one_folder_only(env_data, isolated, helpers):
    files, env = env_data
    (env / "mnist" / "t10k-labels-idx1-ubyte").unlink()  # $JUANJI_DATA now lacks one file
    cache = isolated / "datasets" / "mnist"
    other = helpers.fake_mnist(n_train=12, n_test=5, seed=1)
    _write(cache, other)
    checksums = helpers.checksums_of(files)
    checksums.update({k: v for k, v in helpers.checksums_of(other).items() if "t10k" in k})
    MNIST.checksums = checksums  # monkeypatched by env_data: restored after the test
    test = MNIST(train=False, download=False)
    assert test.raw_folder == cache  # both files from the cache, none from $JUANJI_DATA
    expected = np.frombuffer(other["t10k-images-idx3-ubyte"][16:], np.uint8)
    np.testing.assert_array_equal(test.data.numpy().ravel(), expected)


def test_raw_folder_says_which_folder_was_read(env_data):
    _, env = env_data
    assert MNIST(train=True, download=False).raw_folder == env / "mnist"
    assert MNIST.find_folder() == env / "mnist"
    assert MNIST.find_folder(env) == env / "mnist"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", r"MNIST: the data folder .*missing does not exist"),
        (lambda p: (p / "f").write_text("x") and p / "f", r"MNIST: the data folder .*f is a file"),
        (
            lambda p: (p / "d" / "mnist").mkdir(parents=True) or p / "d",
            r"MNIST: .*d does not hold the dataset: .*d/mnist lacks train-images-idx3-ubyte, "
            r"train-labels-idx1-ubyte, t10k-images",
        ),
    ],
)
def test_check_root_names_what_is_missing(env_data, tmp_path, make, message):
    with pytest.raises(DataError, match=message):
        MNIST.check_root(make(tmp_path))


def test_check_root_names_the_one_missing_file(env_data, tmp_path):
    files, _ = env_data
    root = tmp_path / "root"
    _write(root / "MNIST" / "raw", files, [n for n in files if n != "train-labels-idx1-ubyte"])
    with pytest.raises(DataError, match=r"raw lacks train-labels-idx1-ubyte \(raw or .gz"):
        MNIST.check_root(root)
    assert MNIST.check_root(root, train=False) == root / "MNIST" / "raw"
