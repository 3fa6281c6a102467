"""Hue, sharpness, histogram equalisation and Gaussian blur (part of ``functional``).

The tensor formulas are torchvision's: hue through its RGB -> HSV -> RGB conversion in float32,
sharpness as a blend with a 3x3 smoothing of the interior, equalisation by a per-channel
lookup table from the histogram, blur by a separable Gaussian kernel over reflect padding. PIL
images go through Pillow as torchvision sends them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.data.transforms._layout import image_in, is_pil, pil_image_module, pil_ops, to_pil

__all__ = ["adjust_hue", "adjust_sharpness", "equalize", "gaussian_blur"]


def _to_float(array: np.ndarray) -> np.ndarray:
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float32)
    return array.astype(np.float32) / np.float32(np.iinfo(array.dtype).max)


def _from_float(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Torchvision's ``convert_image_dtype`` back from float32 (integers truncated)."""
    if np.issubdtype(dtype, np.floating):
        return values.astype(dtype)
    return (values * np.float32(np.iinfo(dtype).max + 1.0 - 1e-3)).astype(dtype)


def _rgb_to_hsv(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    flat = maxc == minc
    chroma = maxc - minc
    one = np.float32(1)
    s = chroma / np.where(flat, one, maxc)
    divisor = np.where(flat, one, chroma)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    h = (maxc == r) * (bc - gc)
    h = h + ((maxc == g) & (maxc != r)) * (np.float32(2) + rc - bc)
    h = h + ((maxc != g) & (maxc != r)) * (np.float32(4) + gc - rc)
    return np.fmod(h / np.float32(6) + one, one), s, maxc


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    sector = np.floor(h * np.float32(6))
    f = h * np.float32(6) - sector
    p = np.clip(v * (1 - s), 0, 1)
    q = np.clip(v * (1 - s * f), 0, 1)
    t = np.clip(v * (1 - s * (1 - f)), 0, 1)
    i = sector.astype(np.int32) % 6
    table = (  # R, G, B for sectors 0..5
        (v, q, p, p, t, v),
        (t, v, v, q, p, p),
        (p, p, t, v, v, q),
    )
    return np.stack([np.choose(i, row) for row in table], axis=-3).astype(np.float32)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate the hue by ``hue_factor`` of a full turn, in [-0.5, 0.5].

    Raises:
        ValueError: ``hue_factor`` outside [-0.5, 0.5].
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if is_pil(img):
        if img.mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        shifted = np.array(h, dtype=np.uint8)
        shifted += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as intended
        image = pil_image_module()
        hsv = image.merge("HSV", (image.fromarray(shifted, "L"), s, v))
        return hsv.convert(img.mode)
    array, restore = image_in(img)
    if array.ndim < 3 or array.shape[-3] == 1:
        return restore(array.copy())
    h, s, v = _rgb_to_hsv(_to_float(array))
    h = np.mod(h + np.float32(hue_factor), np.float32(1))
    return restore(_from_float(_hsv_to_rgb(h, s, v), array.dtype))


def _filter(array: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlate the last two axes with ``kernel`` (valid positions only), in float."""
    kh, kw = kernel.shape
    h, w = array.shape[-2] - kh + 1, array.shape[-1] - kw + 1
    out = np.zeros(array.shape[:-2] + (h, w), dtype=kernel.dtype)
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * array[..., a : a + h, b : b + w]
    return out


def _cast_back(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A float result in ``dtype``: rounded and clipped for integers (torchvision's rule)."""
    if np.issubdtype(dtype, np.floating):
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.rint(values), info.min, info.max).astype(dtype)


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """Blend with a smoothed copy: 0 blurs, 1 keeps, 2 sharpens (the border pixels stay).

    Raises:
        ValueError: a negative ``sharpness_factor``.
    """
    if sharpness_factor < 0:
        raise ValueError(
            f"adjust_sharpness: sharpness_factor ({sharpness_factor}) is not non-negative."
        )
    if is_pil(img):
        return pil_ops()[0].Sharpness(img).enhance(sharpness_factor)
    array, restore = image_in(img)
    if array.shape[-1] <= 2 or array.shape[-2] <= 2:
        return restore(array.copy())
    real = array.dtype if np.issubdtype(array.dtype, np.floating) else np.dtype(np.float32)
    kernel = np.ones((3, 3), dtype=real)
    kernel[1, 1] = 5
    kernel /= kernel.sum()
    blurred = array.copy()
    blurred[..., 1:-1, 1:-1] = _cast_back(_filter(array.astype(real), kernel), array.dtype)
    # torchvision's _blend: both weights rounded from doubles to the working dtype
    ratio, rest = real.type(sharpness_factor), real.type(1.0 - sharpness_factor)
    mixed = ratio * array.astype(real) + rest * blurred.astype(real)
    top = 1.0 if np.issubdtype(array.dtype, np.floating) else float(np.iinfo(array.dtype).max)
    return restore(np.clip(mixed, 0, top).astype(array.dtype))


def _equalize_channel(channel: np.ndarray) -> np.ndarray:
    hist = np.bincount(channel.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return channel
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[channel.astype(np.int64)].astype(np.uint8)


def equalize(img: Any) -> Any:
    """Equalise the histogram of each channel of a uint8 image.

    Raises:
        TypeError: an image that is not uint8.
    """
    if is_pil(img):
        return pil_ops()[1].equalize(img)
    array, restore = image_in(img)
    if array.dtype != np.uint8:
        raise TypeError(
            f"equalize: Only torch.uint8 image tensors are supported, got {array.dtype}"
        )
    flat = array.reshape((-1,) + array.shape[-2:])
    out = np.stack([_equalize_channel(channel) for channel in flat]).reshape(array.shape)
    return restore(out)


def _pair(value: Any, name: str) -> list[Any]:
    if isinstance(value, numbers.Number):
        return [value, value]
    value = list(value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise ValueError(
            f"gaussian_blur: If {name} is a sequence its length should be 2. Got {len(value)}"
        )
    return value


def gaussian_blur(
    img: Any, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None
) -> Any:
    """Blur with a Gaussian kernel of odd ``kernel_size`` (x, y), over reflect padding.

    ``sigma`` defaults to ``0.15 * size + 0.35`` per axis (torchvision's).

    Raises:
        ValueError: an even or negative kernel size, or a sigma that is not positive.
    """
    sizes = [int(k) for k in _pair(kernel_size, "kernel_size")]
    if any(k % 2 == 0 or k < 0 for k in sizes):
        raise ValueError(
            f"gaussian_blur: kernel_size should have odd and positive integers. Got {sizes}"
        )
    sigmas = [k * 0.15 + 0.35 for k in sizes] if sigma is None else _pair(sigma, "sigma")
    if any(s <= 0 for s in sigmas):
        raise ValueError(f"gaussian_blur: sigma should have positive values. Got {sigmas}")
    if is_pil(img):
        array = np.asarray(img)
        blurred = gaussian_blur(
            array.transpose(2, 0, 1) if array.ndim == 3 else array[None], sizes, sigmas
        )
        return to_pil(blurred.transpose(1, 2, 0), img)
    array, restore = image_in(img)
    real = array.dtype if np.issubdtype(array.dtype, np.floating) else np.dtype(np.float32)
    kernels = []
    for k, s in zip(sizes, sigmas, strict=True):
        x = np.linspace(-(k - 1) * 0.5, (k - 1) * 0.5, k, dtype=real)
        pdf = np.exp(real.type(-0.5) * (x / real.type(s)) ** 2)
        kernels.append(pdf / pdf.sum())
    kernel = np.outer(kernels[1], kernels[0])  # (ky, kx)
    pads = [(0, 0)] * (array.ndim - 2) + [(sizes[1] // 2,) * 2, (sizes[0] // 2,) * 2]
    padded = np.pad(array.astype(real), pads, mode="reflect")
    return restore(_cast_back(_filter(padded, kernel), array.dtype))
