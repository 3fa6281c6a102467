"""The basic transforms: conversion, normalisation, padding, crops and shifts (see the package)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from juanji.backend import sliding_window_view
from juanji.data.transforms._layout import image_in
from juanji.random import Generator, numpy_rng
from juanji.tensor.tensor import Tensor

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "Pad",
    "RandomCrop",
    "RandomShift",
    "Lambda",
    "batch_apply",
]


def _unwrap(x: Any) -> tuple[np.ndarray, bool]:
    """The array behind ``x`` and whether ``x`` was a Tensor (to give back the same kind)."""
    if isinstance(x, Tensor):
        return x._data, True
    return np.asarray(x), False  # also takes PIL images, through their __array_interface__


def _rewrap(array: np.ndarray, as_tensor: bool) -> Any:
    return Tensor(array) if as_tensor else array


def batch_apply(transform: Callable[[Any], Any], samples: Any) -> Any:
    """Apply ``transform`` to a stack of samples: its ``batch`` method, or one call per sample.

    Args:
        transform: a transform of this module, a ``Compose``, or any callable on one sample.
        samples: an array or Tensor with the samples stacked on axis 0.

    Returns:
        The transformed samples, stacked, as an array or Tensor like ``samples``.

    Example:
        >>> batch_apply(lambda x: x * 2, np.ones((3, 2), np.float32)).shape
        (3, 2)
    """
    batch = getattr(transform, "batch", None)
    if batch is not None:
        return batch(samples)
    array, as_tensor = _unwrap(samples)
    outputs = [transform(_rewrap(sample, as_tensor)) for sample in array]
    return _rewrap(np.stack([_unwrap(out)[0] for out in outputs]), as_tensor)


class Compose:
    """Chain transforms: ``Compose([a, b])(x) == b(a(x))``, and the same for ``batch``.

    Args:
        transforms: transforms or plain callables, applied in order.

    Example:
        >>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
        >>> t(np.full((2, 2), 255, np.uint8))
        tensor([[[1., 1.],
                 [1., 1.]]])
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Any) -> Any:
        """Apply the transforms to one sample, in order."""
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def batch(self, samples: Any) -> Any:
        """Apply each transform to the whole batch in turn (see ``batch_apply``)."""
        for transform in self.transforms:
            samples = batch_apply(transform, samples)
        return samples

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """Convert an image (H, W) or (H, W, C) to a (C, H, W) tensor; uint8 scales to [0, 1].

    A uint8 image becomes float32 divided by 255 (as torchvision); other dtypes keep their
    values and dtype and only change layout. Accepts NumPy arrays, uint8 Tensors, and any object
    NumPy can read (a Pillow image, for example) without importing Pillow.

    Example:
        >>> ToTensor()(np.array([[0, 255]], np.uint8))
        tensor([[[0., 1.]]])
        >>> ToTensor().batch(np.zeros((5, 28, 28), np.uint8)).shape
        (5, 1, 28, 28)
    """

    def __call__(self, pic: Any) -> Tensor:
        """Convert one image (H, W) or (H, W, C) to a (C, H, W) tensor."""
        array, _ = _unwrap(pic)
        if array.ndim not in (2, 3):
            raise ValueError(
                f"ToTensor: expected an image of shape (H, W) or (H, W, C), got {array.shape}"
            )
        return Tensor(self._convert(array[None])[0])

    def batch(self, pics: Any) -> Any:
        """Convert (N, H, W) or (N, H, W, C) to (N, C, H, W)."""
        array, as_tensor = _unwrap(pics)
        if array.ndim not in (3, 4):
            raise ValueError(
                f"ToTensor.batch: expected (N, H, W) or (N, H, W, C), got {array.shape}"
            )
        return _rewrap(self._convert(array), as_tensor)

    @staticmethod
    def _convert(array: np.ndarray) -> np.ndarray:
        if array.ndim == 3:
            array = array[:, None]  # (N, H, W) -> (N, 1, H, W)
        else:
            array = array.transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
        if array.dtype == np.uint8:
            return np.divide(array, np.float32(255), dtype=np.float32)
        return np.ascontiguousarray(array)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Normalise each channel: ``out[c] = (x[c] - mean[c]) / std[c]``.

    Args:
        mean: one value per channel (or one for all).
        std: one value per channel (or one for all); none may be zero.
        inplace: write into the input array instead of a new one.

    Example:
        >>> Normalize((0.5,), (0.25,))(np.ones((1, 1, 2), np.float32))
        array([[[2., 2.]]], dtype=float32)
    """

    def __init__(
        self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False
    ) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError("Normalize: mean and std must be numbers or 1-D sequences")
        if np.any(self.std == 0):
            raise ValueError(
                f"Normalize: std evaluated to zero, leading to division by zero "
                f"(std={self.std.tolist()})"
            )
        self.inplace = inplace

    def __call__(self, tensor: Any) -> Any:
        """Normalise one (C, H, W) image."""
        return self._normalize(tensor)

    def batch(self, tensors: Any) -> Any:
        """Normalise a (N, C, H, W) batch."""
        return self._normalize(tensors)

    def _normalize(self, x: Any) -> Any:
        array, as_tensor = _unwrap(x)
        if array.dtype.kind != "f":
            raise TypeError(f"Normalize: input should be a float tensor, got {array.dtype}")
        if array.ndim < 3:
            raise ValueError(f"Normalize: expected (C, H, W) or (N, C, H, W), got {array.shape}")
        channels = array.shape[-3]
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise ValueError(
                f"Normalize: {channels} channels but mean has {self.mean.size} and "
                f"std {self.std.size} values"
            )
        mean = self.mean.astype(array.dtype).reshape(-1, 1, 1)  # (C, 1, 1) broadcasts on H, W
        std = self.std.astype(array.dtype).reshape(-1, 1, 1)
        if self.inplace:
            np.subtract(array, mean, out=array)
            np.divide(array, std, out=array)
            return x
        return _rewrap((array - mean) / std, as_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _pad_sides(padding: int | Sequence[int], name: str) -> tuple[int, int, int, int]:
    """Convert torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        sides = (int(padding),) * 4
    elif isinstance(padding, Sequence) and len(padding) == 2:
        sides = (int(padding[0]), int(padding[1])) * 2
    elif isinstance(padding, Sequence) and len(padding) == 4:
        sides = tuple(int(p) for p in padding)
    else:
        raise ValueError(
            f"{name}: padding must be an int or a sequence of 2 or 4 ints, got {padding!r}"
        )
    if any(p < 0 for p in sides):
        raise ValueError(f"{name}: padding must be non-negative, got {padding!r}")
    return sides  # type: ignore[return-value]


_NUMPY_PAD_MODE = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


def _pad_last_two(
    array: np.ndarray, sides: tuple[int, int, int, int], fill: float, mode: str
) -> np.ndarray:
    left, top, right, bottom = sides
    if not any(sides):
        return array
    width = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(array, width, mode="constant", constant_values=fill)
    return np.pad(array, width, mode=_NUMPY_PAD_MODE[mode])


class Pad:
    """Pad the last two axes (H, W) of an image.

    Args:
        padding: ``p`` (all sides), ``(left_right, top_bottom)`` or ``(left, top, right,
            bottom)``, as torchvision.
        fill: the value of new pixels when ``padding_mode`` is ``"constant"``.
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Example:
        >>> Pad((1, 0))(np.array([[5]], np.uint8))
        array([[0, 5, 0]], dtype=uint8)
    """

    def __init__(
        self, padding: int | Sequence[int], fill: float = 0, padding_mode: str = "constant"
    ) -> None:
        if padding_mode not in _NUMPY_PAD_MODE:
            raise ValueError(
                f"Pad: padding_mode must be one of {sorted(_NUMPY_PAD_MODE)}, got {padding_mode!r}"
            )
        self.padding = padding
        self.sides = _pad_sides(padding, "Pad")
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img: Any) -> Any:
        """Pad one image: PIL or (H, W, C) uint8, or (..., H, W)."""
        array, restore = image_in(img)
        _check_spatial(array, 2, "Pad")
        return restore(_pad_last_two(array, self.sides, self.fill, self.padding_mode))

    def batch(self, imgs: Any) -> Any:
        """Pad every image of the batch (no randomness, so the same as one call)."""
        array, restore = image_in(imgs, batched=True)
        _check_spatial(array, 2, "Pad")
        return restore(_pad_last_two(array, self.sides, self.fill, self.padding_mode))

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _check_spatial(array: np.ndarray, min_ndim: int, name: str) -> None:
    if array.ndim < min_ndim:
        raise ValueError(
            f"{name}: expected at least {min_ndim} dimensions (..., H, W), got shape {array.shape}"
        )


def _uniform_ints(rng: np.random.Generator, n: int, counts: tuple[int, int]) -> np.ndarray:
    """(n, 2) integers, column j uniform in [0, counts[j]), drawn row by row.

    Drawn as floor(u * count) from doubles, so n rows consume the stream exactly like n
    separate one-row draws: a batch call and a loop of single calls see the same numbers.
    """
    u = rng.random((n, 2))
    return np.floor(u * np.asarray(counts)).astype(np.int64)


def _crop_each(
    padded: np.ndarray, tops: np.ndarray, lefts: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Crop sample n of ``padded`` (N, ..., H, W) at (tops[n], lefts[n]) to ``size``, at once."""
    windows = sliding_window_view(padded, size, axis=(-2, -1))  # (N, ..., H-h+1, W-w+1, h, w)
    windows = np.moveaxis(windows, (-4, -3), (1, 2))  # (N, H-h+1, W-w+1, ..., h, w), a view
    return windows[np.arange(len(padded)), tops, lefts]  # (N, ..., h, w), one copy


class RandomCrop:
    """Crop a random ``size`` window, after optional padding (torchvision's ``RandomCrop``).

    Args:
        size: output (h, w), or an int for a square.
        padding: padding added first, in any form ``Pad`` accepts; None for none.
        pad_if_needed: pad further when the image is smaller than ``size``.
        fill: value of padded pixels (constant mode).
        padding_mode: see ``Pad``.
        generator: source of the crop positions; the default generator if None.

    Example:
        >>> import juanji
        >>> crop = RandomCrop(2, padding=1, generator=juanji.Generator().manual_seed(0))
        >>> crop(np.ones((3, 3), np.uint8)).shape, crop.batch(np.ones((4, 1, 3, 3))).shape
        ((2, 2), (4, 1, 2, 2))
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        generator: Generator | None = None,
    ) -> None:
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else tuple(size)
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ValueError(f"RandomCrop: size must be a positive int or (h, w), got {size!r}")
        self.padding = padding
        self.pad = Pad(padding if padding is not None else 0, fill, padding_mode)
        self.pad_if_needed = pad_if_needed
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        """Crop one image (PIL or (H, W, C) uint8, or (..., H, W)) at a random position."""
        array, restore = image_in(img)
        return restore(self._crop(array[None])[0])

    def batch(self, imgs: Any) -> Any:
        """Crop each image of (N, ..., H, W) (or (N, H, W, C) uint8) at its own position."""
        array, restore = image_in(imgs, batched=True)
        _check_spatial(array, 3, "RandomCrop.batch")
        return restore(self._crop(array))

    def _crop(self, batch: np.ndarray) -> np.ndarray:
        _check_spatial(batch, 3, "RandomCrop")
        padded = _pad_last_two(batch, self.pad.sides, self.pad.fill, self.pad.padding_mode)
        height, width = padded.shape[-2:]
        h, w = self.size
        if self.pad_if_needed and (height < h or width < w):
            extra_h, extra_w = max(h - height, 0), max(w - width, 0)
            padded = _pad_last_two(
                padded, (extra_w, extra_h, extra_w, extra_h), self.pad.fill, self.pad.padding_mode
            )
            height, width = padded.shape[-2:]
        if height < h or width < w:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the (padded) "
                f"image {(height, width)}"
            )
        offsets = _uniform_ints(
            numpy_rng(self.generator), len(padded), (height - h + 1, width - w + 1)
        )
        return _crop_each(padded, offsets[:, 0], offsets[:, 1], self.size)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomShift:
    """Translate an image by a random whole number of pixels, filling the uncovered border.

    Each sample moves by (dy, dx), each uniform in [-max_shift, max_shift], so that
    ``out[y, x] = img[y - dy, x - dx]`` where that pixel exists and ``fill`` elsewhere: the
    +-2 px augmentation LeNet training uses. The image keeps its size; pixels shifted out are
    lost, none are wrapped around. It is ``RandomCrop(size=(H, W), padding=max_shift)``
    written for any H, W.

    Args:
        max_shift: largest shift in pixels, one int or (for y, for x).
        fill: value of the uncovered pixels.
        generator: source of the shifts; the default generator if None.

    Example:
        >>> import juanji
        >>> shift = RandomShift(1, generator=juanji.Generator().manual_seed(0))
        >>> out = shift.batch(np.ones((8, 1, 5, 5), np.float32))
        >>> out.shape, bool(out.sum() >= 8 * 16)
        ((8, 1, 5, 5), True)
    """

    def __init__(
        self, max_shift: int | Sequence[int], fill: float = 0, generator: Generator | None = None
    ) -> None:
        pair = (max_shift, max_shift) if isinstance(max_shift, numbers.Integral) else max_shift
        if len(pair) != 2 or min(pair) < 0:
            raise ValueError(
                f"RandomShift: max_shift must be a non-negative int or pair, got {max_shift!r}"
            )
        self.max_shift = (int(pair[0]), int(pair[1]))
        self.fill = fill
        self.generator = generator

    def sample_shifts(self, n: int) -> np.ndarray:
        """Draw (n, 2) shifts (dy, dx), as ``batch`` would for n samples."""
        my, mx = self.max_shift
        return _uniform_ints(numpy_rng(self.generator), n, (2 * my + 1, 2 * mx + 1)) - (my, mx)

    def shift(self, imgs: Any, shifts: np.ndarray) -> Any:
        """Shift sample n of (N, ..., H, W) by ``shifts[n] = (dy, dx)``; no randomness."""
        array, restore = image_in(imgs, batched=True)
        _check_spatial(array, 3, "RandomShift.shift")
        my, mx = self.max_shift
        shifts = np.asarray(shifts, dtype=np.int64).reshape(len(array), 2)
        if np.any(np.abs(shifts) > (my, mx)):
            raise ValueError(f"RandomShift.shift: shifts exceed max_shift {self.max_shift}")
        padded = _pad_last_two(array, (mx, my, mx, my), self.fill, "constant")
        # out[y] = img[y - dy] = padded[y - dy + my]: the window starts at row my - dy.
        cropped = _crop_each(padded, my - shifts[:, 0], mx - shifts[:, 1], array.shape[-2:])
        return restore(cropped)

    def __call__(self, img: Any) -> Any:
        """Shift one image (PIL or (H, W, C) uint8, or (..., H, W)) by a random (dy, dx)."""
        array, restore = image_in(img)
        _check_spatial(array, 2, "RandomShift")
        return restore(self.shift(array[None], self.sample_shifts(1))[0])

    def batch(self, imgs: Any) -> Any:
        """Shift each image of (N, ..., H, W) by its own random (dy, dx)."""
        array, _ = _unwrap(imgs)
        return self.shift(imgs, self.sample_shifts(len(array)))

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill})"


class Lambda:
    """Wrap a function of one sample as a transform (batches go through it sample by sample).

    Args:
        lambd: the function.

    Example:
        >>> Lambda(lambda x: x + 1)(np.zeros(2))
        array([1., 1.])
    """

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, sample: Any) -> Any:
        """Call the wrapped function."""
        return self.lambd(sample)

    def __repr__(self) -> str:
        return "Lambda()"
