"""Which axes of an image are its channels: torchvision's rule, and juanji's uint8 images.

torchvision's transforms take a PIL image (channels last: (H, W) or (H, W, C)) before
``ToTensor`` and a tensor (channels first: (..., C, H, W)) after it. juanji's datasets give
uint8 arrays and tensors where torchvision gives PIL images: CIFAR-10 and ``ImageFolder`` an
(H, W, 3) uint8 tensor, MNIST an (H, W) one. So a transform reads its input as:

* a PIL image: (H, W) or (H, W, C), and gives back a PIL image of the same mode;
* a uint8 array or tensor of shape (H, W, C) with C in 1..4 and H not in 1..4 (a batch: (N, H,
  W, C)): channels last, as the datasets give it, and gives back the same layout;
* anything else (float tensors after ``ToTensor``, uint8 tensors (C, H, W)): (..., C, H, W) or
  (..., H, W), torchvision's tensor layout.

Inside, every transform works on a channels-first view; ``image_in`` makes it and returns the
function that turns a result back into the caller's kind and layout. Pillow is never imported
here: a PIL image in means Pillow is loaded, and its classes are reached through the image.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np

from juanji.errors import MissingDependencyError
from juanji.tensor.tensor import Tensor

__all__ = ["InterpolationMode", "image_in", "is_pil", "channels_last", "pil_image_module"]

_CHANNELS = (1, 2, 3, 4)


def is_pil(x: Any) -> bool:
    """True for a Pillow image (recognised without importing Pillow)."""
    return type(x).__module__.startswith("PIL.") and hasattr(x, "getbands")


def channels_last(array: Any, batched: bool = False) -> bool:
    """True for a uint8 image stored (H, W, C) (a batch: (N, H, W, C)), as juanji's datasets."""
    shape = tuple(array.shape[1:] if batched else array.shape)
    return (
        array.dtype == np.uint8
        and len(shape) == 3
        and shape[-1] in _CHANNELS
        and shape[0] not in _CHANNELS
    )


class InterpolationMode(Enum):
    """Resampling methods, with torchvision's names and values (``InterpolationMode.BILINEAR``).

    juanji resamples arrays and tensors with ``NEAREST`` and ``BILINEAR``; PIL images are
    resampled by Pillow, which has them all.
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's filter numbers (Image.Resampling), and torchvision's integer aliases of the modes.
PIL_FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}
_FROM_INT = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def interpolation_name(mode: Any, owner: str, supported: tuple[str, ...] | None = None) -> str:
    """The name (``'bilinear'``...) of a mode given as InterpolationMode, string or Pillow int.

    Raises:
        ValueError: an unknown mode, or one outside ``supported`` (arrays and tensors).
    """
    if isinstance(mode, Enum):  # juanji's InterpolationMode, or torchvision's
        name = str(mode.value)
    elif isinstance(mode, int) and not isinstance(mode, bool) and mode in _FROM_INT:
        name = _FROM_INT[mode]
    else:
        name = str(mode)
    known = [m.value for m in InterpolationMode]
    if name not in known:
        raise ValueError(f"{owner}: interpolation must be one of {known}, got {mode!r}")
    if supported is not None and name not in supported:
        raise ValueError(
            f"{owner}: interpolation {name!r} is not supported for arrays and tensors in juanji "
            f"(expected one of {list(supported)}; PIL images take every mode)"
        )
    return name


def pil_ops() -> tuple[Any, Any]:
    """Pillow's ``ImageEnhance`` and ``ImageOps`` (torchvision's PIL colour operations)."""
    try:
        from PIL import ImageEnhance, ImageOps
    except ImportError as error:
        raise MissingDependencyError(
            "transforms: PIL images need Pillow: pip install pillow (or juanji[cli])"
        ) from error
    return ImageEnhance, ImageOps


def pil_image_module() -> Any:
    """``PIL.Image``: already loaded when a PIL image came in; else imported here."""
    module = sys.modules.get("PIL.Image")
    if module is not None:
        return module
    try:
        from PIL import Image
    except ImportError as error:
        raise MissingDependencyError(
            "to_pil_image: PIL images need Pillow: pip install pillow (or juanji[cli])"
        ) from error
    return Image


def to_pil(array: np.ndarray, like: Any = None) -> Any:
    """A PIL image from (H, W) or (H, W, C) ``array``; palette images keep ``like``'s palette."""
    image = pil_image_module()
    array = np.ascontiguousarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if like is not None and like.mode == "P":
        out = image.fromarray(array, "P")
        out.putpalette(like.getpalette())
        return out
    if like is not None and like.mode == "1":
        return image.fromarray(array.astype(bool))
    return image.fromarray(array)


def image_in(x: Any, batched: bool = False) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """The channels-first array behind ``x``, and the function that gives a result back.

    Args:
        x: a PIL image, an array or a Tensor (see the module's rule).
        batched: ``x`` stacks samples on axis 0.

    Returns:
        ``(array, restore)``: ``array`` (..., C, H, W) or (..., H, W) (a view where possible);
        ``restore(out)`` turns a channels-first result into ``x``'s kind and layout.
    """
    if is_pil(x):
        array = np.asarray(x)
        last = array.ndim == 3
        kind = "pil"
    elif isinstance(x, Tensor):
        array, kind = x._data, "tensor"
        last = channels_last(array, batched)
    else:
        array, kind = np.asarray(x), "array"
        last = channels_last(array, batched)
    if last:
        array = np.moveaxis(array, -1, -3)  # (..., H, W, C) -> (..., C, H, W), a view

    def restore(out: np.ndarray) -> Any:
        if last:
            out = np.ascontiguousarray(np.moveaxis(out, -3, -1))
        if kind == "pil":
            return to_pil(out, x)
        return Tensor(out) if kind == "tensor" else out

    return array, restore
