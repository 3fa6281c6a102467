"""``ImageFolder`` and ``DatasetFolder``: one sub-folder per class, as torchvision reads them.

``root/dog/001.png``, ``root/cat/xyz.jpg`` ...: the class names are the sub-folder names in
sorted order (index = label), the samples every file with an accepted extension below them, in
sorted order. Images are read with Pillow (an optional dependency, imported when the first
image is read) and returned as uint8 tensors (H, W, 3), as juanji's other datasets return
arrays where torchvision returns PIL images; ``transforms.ToTensor`` makes them (3, H, W).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from juanji.data.dataset import Dataset
from juanji.errors import DataError, MissingDependencyError
from juanji.tensor.tensor import Tensor

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "find_classes", "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The sub-folder names of ``directory``, sorted, and their indices."""
    try:
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    except OSError as error:
        raise DataError(
            f"ImageFolder: cannot list {directory}: {error.strerror or error}"
        ) from error
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def pil_loader(path: str | os.PathLike) -> Tensor:
    """Read an image file as a uint8 tensor (H, W, 3), RGB."""
    try:
        from PIL import Image
    except ImportError as error:
        raise MissingDependencyError(
            "ImageFolder needs Pillow to read images: pip install pillow (or juanji[cli])"
        ) from error
    try:
        with Image.open(path) as img:
            return Tensor(np.asarray(img.convert("RGB"), dtype=np.uint8).copy())
    except OSError as error:
        raise DataError(f"ImageFolder: cannot read {path} as an image ({error})") from error


class DatasetFolder(Dataset):
    """Samples ``(loader(path), class_index)`` from one sub-folder per class.

    Args:
        root: the folder of class folders.
        loader: reads one file.
        extensions: accepted file suffixes (lower case); or give ``is_valid_file``.
        transform, target_transform: applied to the sample and to the label.
        is_valid_file: a predicate on paths, instead of ``extensions``.
        allow_empty: accept a class folder with no valid file (torchvision: an error).
    """

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None "
                             "at the same time")
        self.root = str(root)
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = find_classes(root)
        valid = is_valid_file or (lambda p: p.lower().endswith(tuple(extensions or ())))
        self.samples: list[tuple[str, int]] = []
        for name in self.classes:
            files = sorted(str(p) for p in Path(root, name).rglob("*")
                           if p.is_file() and valid(str(p)))
            if not files and not allow_empty:
                raise FileNotFoundError(
                    f"Found no valid file for the class {name}. Supported extensions are: "
                    f"{', '.join(extensions or ())}")
            self.samples += [(f, self.class_to_idx[name]) for f in files]
        self.imgs = self.samples
        self.targets = [t for _, t in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target


class ImageFolder(DatasetFolder):
    """``DatasetFolder`` for images: Pillow reads them, the usual image suffixes are accepted.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for c in ("cat", "dog"): (root / c).mkdir()
        >>> find_classes(root)
        (['cat', 'dog'], {'cat': 0, 'dog': 1})
    """

    def __init__(self, root: str | os.PathLike, transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 loader: Callable[[str], Any] = pil_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
