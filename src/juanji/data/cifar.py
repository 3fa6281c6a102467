"""``CIFAR10`` and ``CIFAR100``: torchvision's datasets on juanji, from the python-version batches.

The archive ``cifar-10-python.tar.gz`` (or ``cifar-100-python.tar.gz``) holds pickled batches:
each a dict with ``data`` (uint8, N x 3072: 1024 red, 1024 green, then 1024 blue values of a
32 x 32 image, row by row) and ``labels`` (CIFAR-100: ``fine_labels`` and ``coarse_labels``).
torchvision's layout is kept: ``root/cifar-10-batches-py/data_batch_1`` ... ``test_batch``,
``batches.meta``; ``root/cifar-100-python/train``, ``test``, ``meta``.

Safety and integrity:

* the archive is downloaded with ``juanji.data.download.download_url`` (streamed to ``.part``,
  resumable, renamed into place only when complete) and checked against its published MD5;
* only the expected members are extracted, each checked against its MD5 and written
  atomically (no path from the archive is ever used as a destination);
* the batches are pickles, which can run code: they are read with ``BatchUnpickler``, which
  builds NumPy arrays, lists, dicts and numbers and refuses every other global.

The real download was not exercised on the machine this was written on (no route to the
Toronto server); the reader is tested on generated archives of exactly the official layout.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from juanji.data import download as _download
from juanji.data.dataset import Dataset, StackedSamples
from juanji.data.idx import write_atomic
from juanji.data.transforms import batch_apply
from juanji.errors import DataError
from juanji.tensor.tensor import Tensor

__all__ = ["CIFAR10", "CIFAR100", "BatchUnpickler", "read_batch"]


class BatchUnpickler(_download.ArrayUnpickler):
    """``ArrayUnpickler`` for CIFAR's batches: NumPy arrays and plain containers only."""

    def __init__(self, file: Any) -> None:
        super().__init__(file)


def read_batch(data: bytes, source: str) -> dict[str, Any]:
    """Unpickle one CIFAR batch safely; keys become str (the files have bytes keys)."""
    try:
        batch = BatchUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise DataError(f"{source}: not a CIFAR batch ({error})") from error
    if not isinstance(batch, dict):
        raise DataError(f"{source}: not a CIFAR batch (a {type(batch).__name__}, not a dict)")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}


class CIFAR10(Dataset):
    """CIFAR-10: 50 000 training and 10 000 test colour images, 32 x 32, 10 classes.

    Args:
        root: the folder holding ``cifar-10-batches-py/`` (downloads go here); None: search
            ``$JUANJI_DATA`` and the user cache, download into the cache.
        train: the five training batches (else the test batch).
        transform: applied to the image, a uint8 tensor (32, 32, 3) as torchvision's ``data``
            rows (``ToTensor`` makes it (3, 32, 32) in [0, 1]); juanji transforms run batched.
        target_transform: applied to the label (an int).
        download: fetch and unpack the archive when the batches are missing. torchvision's
            default is False, and so is this one: 163 MB is not fetched behind anyone's back.

    Attributes:
        data: uint8 array (N, 32, 32, 3); targets: list of int; classes: the class names.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
    ]
    test_list = [("test_batch", "40351d587109b95175f43aff81a1287e")]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_key = "labels"
    name = "CIFAR10"

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root = None if root is None else Path(root).expanduser()
        self.train, self.transform, self.target_transform = train, transform, target_transform
        folder = self._folder(download)
        batches = self.train_list if train else self.test_list
        data, targets = [], []
        for name, md5 in batches:
            batch = read_batch(self._checked(folder / name, md5), str(folder / name))
            data.append(self._images(batch, folder / name))
            targets.extend(int(t) for t in batch[self.label_key])
        self.data = np.concatenate(data)
        self.targets: list[int] = targets
        if len(self.targets) != len(self.data):
            raise DataError(f"{self.name}: {len(self.data)} images but {len(targets)} labels")
        meta = read_batch(self._checked(folder / self.meta["filename"], self.meta["md5"]),
                          str(folder / self.meta["filename"]))
        self.classes = [c.decode() if isinstance(c, bytes) else str(c)
                        for c in meta[self.meta["key"]]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    # ------------------------------------------------------------------ samples
    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = Tensor(self.data[index].copy())
        target: Any = self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: Sequence[int]) -> Any:
        """A batch: one fancy index, the transform applied batched (see ``MNIST``)."""
        index = np.asarray(indices, dtype=np.int64)
        images: Any = Tensor(self.data[index])
        if self.transform is not None:
            images = batch_apply(self.transform, images)
        targets = np.asarray(self.targets, dtype=np.int64)[index]
        if self.target_transform is not None:
            images = images if isinstance(images, Tensor) else Tensor(np.asarray(images))
            return [(Tensor(images._data[i]), self.target_transform(int(t)))
                    for i, t in enumerate(targets)]
        array = images._data if isinstance(images, Tensor) else np.asarray(images)
        return StackedSamples([array, targets], ["tensor", "int"])

    def __repr__(self) -> str:
        return (f"Dataset {self.name}\n    Number of datapoints: {len(self)}\n    Split: "
                f"{'Train' if self.train else 'Test'}\n    Root location: {self.root}")

    # ------------------------------------------------------------------ files
    def _images(self, batch: dict[str, Any], path: Path) -> np.ndarray:
        data = batch.get("data")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3072:
            got = getattr(data, "shape", type(data).__name__)
            raise DataError(f"{self.name}: {path} has no uint8 (N, 3072) 'data' (got {got})")
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, H, W, C), torchvision's

    def _all_files(self) -> list[tuple[str, str]]:
        return [*self.train_list, *self.test_list, (self.meta["filename"], self.meta["md5"])]

    def _folder(self, download: bool) -> Path:
        """The first folder holding every batch; else download into root (or the cache)."""
        names = [name for name, _ in self._all_files()]
        for base in _download.data_dirs(self.root):
            if all((base / self.base_folder / n).is_file() for n in names):
                return base / self.base_folder
        searched = ", ".join(str(d / self.base_folder) for d in _download.data_dirs(self.root))
        if not download:
            raise DataError(f"{self.name}: the batches are not in {searched}; pass "
                            f"download=True to fetch {self.filename} ({self.url})")
        base = self.root if self.root is not None else _download.user_cache_dir() / "datasets"
        self.extract(self._fetch_archive(base), base)
        return base / self.base_folder

    def _fetch_archive(self, base: Path) -> Path:
        archive = base / self.filename
        if archive.is_file() and _download.md5_hex(archive.read_bytes()) == self.tgz_md5:
            return archive

        def verify(path: Path) -> None:
            actual = _download.md5_hex(path.read_bytes())
            if actual != self.tgz_md5:
                raise DataError(f"{self.name}: {self.url} gave MD5 {actual}, expected "
                                f"{self.tgz_md5}")

        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(
                f"{self.name}: cannot create {base} ({error.strerror or error})"
            ) from error
        return _download.download_url(self.url, archive, verify=verify)

    def extract(self, archive: Path, base: Path) -> None:
        """Write the expected members of ``archive`` into ``base/base_folder``, each checked."""
        wanted = {f"{self.base_folder}/{name}": (name, md5) for name, md5 in self._all_files()}
        found: dict[str, bytes] = {}
        try:
            with tarfile.open(archive, mode="r:gz") as tar:
                for info in tar:
                    entry = wanted.get(info.name.lstrip("./"))
                    if entry is not None and info.isfile():
                        found[entry[0]] = tar.extractfile(info).read()  # type: ignore[union-attr]
        except (tarfile.TarError, EOFError, OSError) as error:
            raise DataError(f"{self.name}: {archive} is not a readable tar.gz ({error}); "
                            "delete it and download again") from error
        for name, md5 in self._all_files():
            if name not in found:
                raise DataError(f"{self.name}: {archive} has no {self.base_folder}/{name}")
            actual = _download.md5_hex(found[name])
            if actual != md5:
                raise DataError(f"{self.name}: {self.base_folder}/{name} in {archive} has MD5 "
                                f"{actual}, expected {md5}")
        for name, data in found.items():
            write_atomic(base / self.base_folder / name, data)

    def _checked(self, path: Path, md5: str) -> bytes:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(
                f"{self.name}: cannot read {path}: {error.strerror or error}"
            ) from error
        actual = _download.md5_hex(data)
        if actual != md5:
            raise DataError(f"{self.name}: {path} has MD5 {actual}, expected {md5} (corrupt or "
                            "not the official file); delete it and download again")
        return data


class CIFAR100(CIFAR10):
    """CIFAR-100: as CIFAR-10 with 100 fine classes (``targets``) in 20 superclasses."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [("train", "16019d7e3df5f24257cddd939b257f8d")]
    test_list = [("test", "f0ef6b0ae62326f3e7ffdfab6717acfc")]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_key = "fine_labels"
    name = "CIFAR100"
