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
from typing import Any

import numpy as np

from juanji.errors import MissingDependencyError
from juanji.tensor.tensor import Tensor

__all__ = ["image_in", "is_pil", "channels_last", "pil_image_module"]

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
