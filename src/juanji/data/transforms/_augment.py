"""Augmentations: flips, resizing, crops that resize, colour jitter and random erasing.

Each works on the last two axes (H, W) of one image or of a batch (N, ..., H, W), as the rest of
``juanji.data.transforms``, and draws every sample's parameters in one call to the generator.
Resampling is bilinear with half-pixel centres (``align_corners=False``) written as two small
interpolation matrices, ``out = Wy @ img @ Wx^T``, or as a four-neighbour gather where every
sample has its own box (``RandomResizedCrop``). ``Resize`` antialiases when it shrinks, as
torchvision's does by default (``antialias=True``); ``antialias=False`` samples plainly. uint8
images are rounded and clipped back to uint8, float images stay float.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.data.transforms._base import _check_spatial, _rewrap, _unwrap
from juanji.data.transforms._color import _hsv_to_rgb, _rgb_to_hsv
from juanji.data.transforms._layout import PIL_FILTERS, image_in, interpolation_name, is_pil
from juanji.random import Generator, numpy_rng

__all__ = [
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Resize",
    "CenterCrop",
    "RandomResizedCrop",
    "ColorJitter",
    "RandomErasing",
]


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or min(pair) <= 0:
        raise ValueError(f"{name}: size must be a positive int or (h, w), got {value!r}")
    return int(pair[0]), int(pair[1])


def _probability(p: float, name: str) -> float:
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p}")
    return float(p)


def _as_dtype(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(dtype, copy=False)


def _weights(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """(n_out, n_in) matrix taking a row of n_in samples to n_out (half-pixel centres)."""
    scale = n_in / n_out
    if mode == "nearest":
        src = np.minimum(np.floor(np.arange(n_out) * scale).astype(np.int64), n_in - 1)
        w = np.zeros((n_out, n_in))
        w[np.arange(n_out), src] = 1.0
        return w
    x = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(x).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = x - lo
    w = np.zeros((n_out, n_in))
    np.add.at(w, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(w, (np.arange(n_out), hi), frac)
    return w


def _antialiased_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) bilinear weights widened to the shrink factor (``antialias=True``).

    As Pillow's and torchvision's: output i averages the inputs within ``scale`` of its centre,
    each by a triangle of half-width ``scale``, normalised to sum to one.
    """
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = scale * (i + 0.5)
        low = max(int(centre - scale + 0.5), 0)
        high = min(int(centre + scale + 0.5), n_in)
        taps = np.maximum(0.0, 1.0 - np.abs((np.arange(low, high) - centre + 0.5) / scale))
        w[i, low:high] = taps / taps.sum()
    return w


def resize_array(
    array: np.ndarray, size: tuple[int, int], mode: str = "bilinear", antialias: bool = False
) -> np.ndarray:
    """Resample the last two axes of ``array`` to ``size`` (bilinear or nearest).

    With ``antialias``, a bilinear shrink averages every input pixel it covers (torchvision's
    default for tensors); enlarging is the same either way.
    """
    h, w = array.shape[-2:]

    def weights(n_in: int, n_out: int) -> np.ndarray:
        if antialias and mode == "bilinear" and n_out < n_in:
            return _antialiased_weights(n_in, n_out)
        return _weights(n_in, n_out, mode)

    wy, wx = weights(h, size[0]), weights(w, size[1])
    out = np.matmul(np.matmul(wy, array.astype(np.float64)), wx.T)
    return _as_dtype(out, array.dtype)


class _RandomFlip:
    axis = -1
    name = "RandomHorizontalFlip"

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        self.p = _probability(p, self.name)
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        """Flip one image (PIL, (H, W, C) uint8 or (..., H, W)) with probability p."""
        array, restore = image_in(img)
        _check_spatial(array, 2, self.name)
        return restore(self._flip(array[None])[0])

    def batch(self, imgs: Any) -> Any:
        """Flip each image of (N, ..., H, W) with probability p, independently."""
        array, restore = image_in(imgs, batched=True)
        _check_spatial(array, 3, f"{self.name}.batch")
        return restore(self._flip(array))

    def _flip(self, batch: np.ndarray) -> np.ndarray:
        flip = numpy_rng(self.generator).random(len(batch)) < self.p
        flip = flip.reshape((-1,) + (1,) * (batch.ndim - 1))
        return np.where(flip, np.flip(batch, axis=self.axis), batch)

    def __repr__(self) -> str:
        return f"{self.name}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p`` (torchvision's ``RandomHorizontalFlip``).

    Example:
        >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]]))
        array([[3, 2, 1]])
    """


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``.

    Example:
        >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]]))
        array([[2],
               [1]])
    """

    axis = -2
    name = "RandomVerticalFlip"


class Resize:
    """Resize to ``size``: (h, w), or an int that the shorter edge becomes (aspect kept).

    Args:
        size: (h, w), or an int (or ``[int]``) for the shorter edge.
        interpolation: ``InterpolationMode``, its name or Pillow's number: "bilinear" (default)
            or "nearest" for arrays and tensors; PIL images are resized by Pillow (as
            torchvision does) with any mode.
        max_size: with an int size, the longer edge is capped at this (torchvision's rule).
        antialias: average all covered pixels when shrinking bilinearly. True by default, as
            in torchvision (since 0.17); ``antialias=False`` for plain bilinear sampling.

    Example:
        >>> Resize((2, 4))(np.array([[0.0, 1.0], [2.0, 3.0]]))
        array([[0.  , 0.25, 0.75, 1.  ],
               [2.  , 2.25, 2.75, 3.  ]])
    """

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        interpolation = interpolation_name(interpolation, "Resize")
        if isinstance(size, numbers.Integral):
            if size <= 0:
                raise ValueError(f"Resize: size must be positive, got {size}")
        elif isinstance(size, Sequence) and len(size) == 1:
            size = int(size[0])  # torchvision: [s] is the shorter edge, as s
        else:
            _pair(size, "Resize")
        self.antialias = antialias
        self.size, self.interpolation, self.max_size = size, interpolation, max_size

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """The (h, w) an image of h x w is resized to."""
        if not isinstance(self.size, numbers.Integral):
            return _pair(self.size, "Resize")
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = int(self.size), int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img: Any) -> Any:
        """Resize one image: PIL (with Pillow's resampling), (H, W, C) uint8, or (..., H, W)."""
        if is_pil(img):  # torchvision resizes PIL images with Pillow
            h, w = self.output_size(img.size[1], img.size[0])
            return img.resize((w, h), PIL_FILTERS[self.interpolation])
        return self._resize(img, batched=False)

    def batch(self, imgs: Any) -> Any:
        """Resize (N, ..., H, W): every image has the same size, so one resampling does all."""
        return self._resize(imgs, batched=True)

    def _resize(self, imgs: Any, batched: bool) -> Any:
        array, restore = image_in(imgs, batched=batched)
        _check_spatial(array, 2, "Resize")
        interpolation_name(self.interpolation, "Resize", ("nearest", "bilinear"))
        size = self.output_size(*array.shape[-2:])
        return restore(resize_array(array, size, self.interpolation, bool(self.antialias)))

    def __repr__(self) -> str:
        return (
            f"Resize(size={self.size}, interpolation={self.interpolation}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


class CenterCrop:
    """Crop the centre ``size`` window; an image smaller than ``size`` is padded with zeros.

    The top-left corner is ``round((H - h) / 2), round((W - w) / 2)``, as torchvision's.

    Example:
        >>> CenterCrop(2)(np.arange(16).reshape(4, 4))
        array([[ 5,  6],
               [ 9, 10]])
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        """Crop one image (PIL, (H, W, C) uint8 or (..., H, W))."""
        return self._crop(img, batched=False)

    def batch(self, imgs: Any) -> Any:
        """Crop every image of (N, ..., H, W) at the same centre window."""
        return self._crop(imgs, batched=True)

    def _crop(self, imgs: Any, batched: bool) -> Any:
        array, restore = image_in(imgs, batched=batched)
        _check_spatial(array, 2, "CenterCrop")
        h, w = self.size
        height, width = array.shape[-2:]
        if height < h or width < w:
            ph, pw = max(h - height, 0), max(w - width, 0)
            pads = [(0, 0)] * (array.ndim - 2) + [(ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)]
            array = np.pad(array, pads)
            height, width = array.shape[-2:]
        top, left = int(round((height - h) / 2.0)), int(round((width - w) / 2.0))
        return restore(array[..., top : top + h, left : left + w].copy())

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


def _bilinear_boxes(batch: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample box n = (top, left, h, w) of sample n to ``size``, all samples at once."""
    n = len(batch)
    height, width = batch.shape[-2:]
    top, left, h, w = (boxes[:, k : k + 1].astype(np.float64) for k in range(4))
    ys = np.clip(top + (np.arange(size[0]) + 0.5) * h / size[0] - 0.5, 0, height - 1)  # (N, oh)
    xs = np.clip(left + (np.arange(size[1]) + 0.5) * w / size[1] - 0.5, 0, width - 1)  # (N, ow)
    y0, x0 = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
    fy, fx = (ys - y0)[:, :, None], (xs - x0)[:, None, :]
    moved = np.moveaxis(batch, (-2, -1), (1, 2)).astype(np.float64)  # (N, H, W, ...)
    idx = np.arange(n)[:, None, None]

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return moved[idx, yy[:, :, None], xx[:, None, :]]  # (N, oh, ow, ...)

    extra = (slice(None),) * 3 + (None,) * (batch.ndim - 3)
    fy, fx = fy[extra], fx[extra]
    out = ((1 - fy) * (1 - fx) * at(y0, x0) + (1 - fy) * fx * at(y0, x1)
           + fy * (1 - fx) * at(y1, x0) + fy * fx * at(y1, x1))
    return _as_dtype(np.moveaxis(out, (1, 2), (-2, -1)), batch.dtype)


class RandomResizedCrop:
    """Crop a random box of random area and aspect ratio, resized to ``size`` (Inception-style).

    Per sample, as torchvision: up to 10 tries of an area fraction uniform in ``scale`` and a
    log-uniform aspect ratio in ``ratio``; the first box that fits is taken, else the centre
    crop with the ratio clamped to ``ratio``. Here the 10 tries of every sample are drawn at once.

    Example:
        >>> import juanji
        >>> crop = RandomResizedCrop(8, generator=juanji.Generator().manual_seed(0))
        >>> crop.batch(np.ones((4, 3, 20, 30), np.float32)).shape
        (4, 3, 8, 8)
    """

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 generator: Generator | None = None) -> None:
        self.size = _pair(size, "RandomResizedCrop")
        if not (0 < scale[0] <= scale[1] and 0 < ratio[0] <= ratio[1]):
            raise ValueError(f"RandomResizedCrop: scale and ratio must be increasing positive "
                             f"pairs, got scale={scale}, ratio={ratio}")
        self.scale, self.ratio, self.generator = tuple(scale), tuple(ratio), generator

    def sample_boxes(self, n: int, height: int, width: int) -> np.ndarray:
        """(n, 4) boxes (top, left, h, w), drawn as torchvision's ``get_params``."""
        rng = numpy_rng(self.generator)
        area = height * width
        target = area * rng.uniform(self.scale[0], self.scale[1], (n, 10))
        log_r = np.log(self.ratio)
        aspect = np.exp(rng.uniform(log_r[0], log_r[1], (n, 10)))
        w = np.rint(np.sqrt(target * aspect)).astype(np.int64)
        h = np.rint(np.sqrt(target / aspect)).astype(np.int64)
        ok = (w > 0) & (w <= width) & (h > 0) & (h <= height)
        first = np.argmax(ok, axis=1)
        rows = np.arange(n)
        h, w, found = h[rows, first], w[rows, first], ok[rows, first]
        in_ratio = width / height
        fw = width if in_ratio < self.ratio[0] else (
            int(round(height * self.ratio[1])) if in_ratio > self.ratio[1] else width)
        fh = int(round(width / self.ratio[0])) if in_ratio < self.ratio[0] else (
            height if in_ratio > self.ratio[1] else height)
        h, w = np.where(found, h, min(fh, height)), np.where(found, w, min(fw, width))
        u = rng.random((n, 2))
        top = np.where(found, np.floor(u[:, 0] * (height - h + 1)), (height - h) // 2)
        left = np.where(found, np.floor(u[:, 1] * (width - w + 1)), (width - w) // 2)
        return np.stack([top.astype(np.int64), left.astype(np.int64), h, w], axis=1)

    def __call__(self, img: Any) -> Any:
        """Crop and resize one image (PIL, (H, W, C) uint8 or (..., H, W))."""
        array, restore = image_in(img)
        _check_spatial(array, 2, "RandomResizedCrop")
        return restore(self._apply(array[None])[0])

    def batch(self, imgs: Any) -> Any:
        """Crop and resize each image of (N, ..., H, W) with its own box."""
        array, restore = image_in(imgs, batched=True)
        _check_spatial(array, 3, "RandomResizedCrop.batch")
        return restore(self._apply(array))

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        boxes = self.sample_boxes(len(batch), *batch.shape[-2:])
        return _bilinear_boxes(batch, boxes, self.size)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


def _jitter_range(value: float | Sequence[float], name: str) -> tuple[float, float] | None:
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} must be non-negative, got {value}")
        lo, hi = max(0.0, 1.0 - float(value)), 1.0 + float(value)
    else:
        lo, hi = (float(v) for v in value)
        if not 0 <= lo <= hi:
            raise ValueError(f"ColorJitter: {name} range must be 0 <= min <= max, got {value}")
    return None if lo == hi == 1.0 else (lo, hi)


def _hue_range(value: float | Sequence[float]) -> tuple[float, float] | None:
    """``h`` as ``(-h, h)``, or a pair, inside [-0.5, 0.5]; None for no hue change."""
    if isinstance(value, numbers.Number):
        if not 0 <= value <= 0.5:
            raise ValueError(f"ColorJitter: hue values should be between (-0.5, 0.5), got {value}")
        lo, hi = -float(value), float(value)
    else:
        lo, hi = (float(v) for v in value)
        if not -0.5 <= lo <= hi <= 0.5:
            raise ValueError(f"ColorJitter: hue values should be between (-0.5, 0.5), got {value}")
    return None if lo == hi == 0.0 else (lo, hi)


def _hue_shift(out: np.ndarray, factors: np.ndarray, top: float) -> np.ndarray:
    """Rotate the hue of (N, 3, H, W) ``out`` (in [0, top]) by each sample's factor."""
    if out.shape[1] != 3:
        return out  # a grey image has no hue (PIL's rule, as torchvision)
    h, s, v = _rgb_to_hsv((out / top).astype(np.float32))
    h = np.mod(h + factors[:, 0].astype(np.float32), np.float32(1))
    return _hsv_to_rgb(h, s, v).astype(np.float64) * top


def _gray(batch: np.ndarray) -> np.ndarray:
    """Luma (N, 1, H, W) of (N, C, H, W): ITU-R 601 weights for RGB, the channel itself for 1."""
    if batch.shape[1] == 1:
        return batch
    r, g, b = batch[:, 0:1], batch[:, 1:2], batch[:, 2:3]
    return 0.2989 * r + 0.587 * g + 0.114 * b


class ColorJitter:
    """Random brightness, contrast and saturation of (C, H, W), (H, W) or PIL/(H, W, C) images.

    Each factor is uniform in ``[max(0, 1 - x), 1 + x]`` (or the given (min, max)) per sample:
    brightness scales the image, contrast blends it with its mean grey level, saturation with
    its grey image, each clipped to [0, 1] (uint8: [0, 255]). torchvision applies the three in
    a random order per image; here the order is drawn once per call, so all samples of a
    batch share it. ``hue`` (in [-0.5, 0.5], or ``h`` for ``(-h, h)``) rotates the hue as
    torchvision's ``adjust_hue`` does; with it the order is one of the four operations'.

    Example:
        >>> import juanji
        >>> jitter = ColorJitter(brightness=0.5, generator=juanji.Generator().manual_seed(0))
        >>> jitter.batch(np.full((2, 3, 4, 4), 0.5, np.float32)).shape
        (2, 3, 4, 4)
    """

    def __init__(self, brightness: float | Sequence[float] = 0,
                 contrast: float | Sequence[float] = 0, saturation: float | Sequence[float] = 0,
                 hue: float = 0, generator: Generator | None = None) -> None:
        self.hue = _hue_range(hue)
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.generator = generator

    def __call__(self, img: Any) -> Any:
        """Jitter one image: (C, H, W), (H, W), PIL or (H, W, C) uint8."""
        array, restore = image_in(img)
        if array.ndim == 2:  # one grey channel
            return restore(self._apply(array[None, None])[0, 0])
        return restore(self._apply(array[None])[0])

    def batch(self, imgs: Any) -> Any:
        """Jitter each image of (N, C, H, W) (or (N, H, W, C) uint8) with its own factors."""
        array, restore = image_in(imgs, batched=True)
        if array.ndim == 3:  # (N, H, W): one grey channel
            return restore(self._apply(array[:, None])[:, 0])
        return restore(self._apply(array))

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        if batch.ndim != 4:
            raise ValueError(f"ColorJitter: expected images (C, H, W) (after ToTensor), got "
                             f"shape {batch.shape[1:]}")
        rng = numpy_rng(self.generator)
        top = 255.0 if batch.dtype == np.uint8 else 1.0
        out = batch.astype(np.float64)
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        for which in rng.permutation(3 if self.hue is None else 4):  # 3: the streams before hue
            bounds = ranges[which]
            if bounds is None:
                continue
            f = rng.uniform(bounds[0], bounds[1], len(batch))[:, None, None, None]
            if which == 0:
                out = out * f
            elif which == 3:
                out = _hue_shift(out, f, top)
            elif which == 1:
                out = f * out + (1 - f) * _gray(out).mean(axis=(1, 2, 3), keepdims=True)
            else:
                out = f * out + (1 - f) * _gray(out)
            out = np.clip(out, 0.0, top)
        return _as_dtype(out, batch.dtype)

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomErasing:
    """Erase a random rectangle with probability ``p`` (Zhong et al. 2017; Cutout's cousin).

    Per sample, as torchvision: up to 10 tries of an area fraction in ``scale`` and a
    log-uniform aspect ratio in ``ratio``; the first rectangle that fits inside is filled with
    ``value`` (a number, or "random" for standard normal noise); none fits: the image is kept.
    Applies after ``ToTensor`` to (C, H, W) images.

    Example:
        >>> import juanji
        >>> erase = RandomErasing(p=1.0, generator=juanji.Generator().manual_seed(0))
        >>> out = erase(np.ones((1, 8, 8), np.float32))
        >>> 0 < int((out == 0).sum()) < 64
        True
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: float | str = 0,
                 inplace: bool = False, generator: Generator | None = None) -> None:
        self.p = _probability(p, "RandomErasing")
        if not (0 <= scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1]):
            raise ValueError(f"RandomErasing: scale must lie in [0, 1] and both ranges be "
                             f"increasing, got scale={scale}, ratio={ratio}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"RandomErasing: value must be a number or 'random', got {value!r}")
        self.scale, self.ratio, self.value = tuple(scale), tuple(ratio), value
        self.inplace, self.generator = inplace, generator

    def __call__(self, img: Any) -> Any:
        """Erase a rectangle of one image (C, H, W) with probability p."""
        array, as_tensor = _unwrap(img)
        return _rewrap(self._apply(array[None])[0], as_tensor)

    def batch(self, imgs: Any) -> Any:
        """Erase one rectangle per image of (N, C, H, W), each with probability p."""
        array, as_tensor = _unwrap(imgs)
        return _rewrap(self._apply(array), as_tensor)

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        _check_spatial(batch, 3, "RandomErasing")
        rng = numpy_rng(self.generator)
        n, (height, width) = len(batch), batch.shape[-2:]
        apply = rng.random(n) < self.p
        area = height * width * rng.uniform(self.scale[0], self.scale[1], (n, 10))
        aspect = np.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), (n, 10)))
        h = np.rint(np.sqrt(area * aspect)).astype(np.int64)
        w = np.rint(np.sqrt(area / aspect)).astype(np.int64)
        ok = (h < height) & (w < width) & (h > 0) & (w > 0)
        first = np.argmax(ok, axis=1)
        rows = np.arange(n)
        h, w = h[rows, first], w[rows, first]
        apply &= ok[rows, first]
        u = rng.random((n, 2))
        top = np.floor(u[:, 0] * (height - h + 1)).astype(np.int64)
        left = np.floor(u[:, 1] * (width - w + 1)).astype(np.int64)
        ys, xs = np.arange(height), np.arange(width)
        in_y = (ys >= top[:, None]) & (ys < (top + h)[:, None])
        in_x = (xs >= left[:, None]) & (xs < (left + w)[:, None])
        mask = (in_y[:, :, None] & in_x[:, None, :]) & apply[:, None, None]
        mask = mask.reshape((n,) + (1,) * (batch.ndim - 3) + (height, width))
        fill: Any = self.value
        if fill == "random":
            fill = rng.standard_normal(batch.shape).astype(batch.dtype)
        out = batch if self.inplace else batch.copy()
        np.copyto(out, np.asarray(fill, dtype=batch.dtype), where=np.broadcast_to(mask,
                                                                                   batch.shape))
        return out

    def __repr__(self) -> str:
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio})"
