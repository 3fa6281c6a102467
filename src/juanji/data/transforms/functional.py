"""torchvision's ``transforms.functional`` under juanji's name: ``import ... functional as TF``.

Each function takes a PIL image, or an array or Tensor image in the layouts of
``juanji.data.transforms`` ((..., C, H, W), or (H, W, C) uint8 as juanji's datasets give), and
returns the same kind and layout. PIL images go through Pillow as torchvision sends them
(``hflip`` is ``Image.transpose``, ``adjust_contrast`` is ``ImageEnhance.Contrast``...), so
their results are torchvision's; arrays and tensors follow torchvision's tensor formulas,
uint8 results truncated as ``Tensor.to(torch.uint8)`` does. Pillow is never imported unless a
PIL image comes in or ``to_pil_image`` is called.

Example:
    >>> import numpy as np
    >>> import juanji.data.transforms.functional as TF
    >>> image = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    >>> TF.hflip(image)
    array([[[2., 1., 0.],
            [5., 4., 3.]]], dtype=float32)
    >>> TF.get_image_size(image), TF.get_dimensions(image)
    ([3, 2], [1, 2, 3])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.data.transforms._augment import CenterCrop, resize_array
from juanji.data.transforms._base import Normalize, Pad, ToTensor
from juanji.data.transforms._color import adjust_hue, adjust_sharpness, equalize, gaussian_blur
from juanji.data.transforms._geometry import affine, elastic_transform, perspective, rotate
from juanji.data.transforms._layout import (
    PIL_FILTERS,
    InterpolationMode,
    channels_last,
    image_in,
    interpolation_name,
    is_pil,
    pil_ops,
    to_pil,
)
from juanji.tensor.tensor import Tensor

__all__ = [
    "InterpolationMode",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_sharpness",
    "adjust_saturation",
    "affine",
    "autocontrast",
    "center_crop",
    "convert_image_dtype",
    "crop",
    "elastic_transform",
    "equalize",
    "erase",
    "five_crop",
    "gaussian_blur",
    "get_dimensions",
    "get_image_num_channels",
    "get_image_size",
    "hflip",
    "invert",
    "normalize",
    "pad",
    "perspective",
    "pil_to_tensor",
    "posterize",
    "resize",
    "resized_crop",
    "rgb_to_grayscale",
    "rotate",
    "solarize",
    "ten_crop",
    "to_grayscale",
    "to_pil_image",
    "to_tensor",
    "vflip",
]


# ---------------------------------------------------------------------------- sizes
def get_dimensions(img: Any) -> list[int]:
    """``[channels, height, width]`` of an image (1 channel for (H, W))."""
    if is_pil(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    array, _ = image_in(img)
    if array.ndim < 2:
        raise ValueError(f"get_dimensions: expected an image (..., H, W), got shape {array.shape}")
    channels = array.shape[-3] if array.ndim > 2 else 1
    return [int(channels), int(array.shape[-2]), int(array.shape[-1])]


def get_image_size(img: Any) -> list[int]:
    """``[width, height]`` of an image (torchvision's order)."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img: Any) -> int:
    """The number of channels of an image."""
    return get_dimensions(img)[0]


# ---------------------------------------------------------------------------- conversions
def to_tensor(pic: Any) -> Tensor:
    """A PIL image or an (H, W, C) array as a float (C, H, W) tensor in [0, 1]; see ``ToTensor``."""
    return ToTensor()(pic)


def pil_to_tensor(pic: Any) -> Tensor:
    """A PIL image as a (C, H, W) tensor of its own dtype (uint8), values unscaled."""
    if not is_pil(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image. Got {type(pic)}")
    array = np.asarray(pic)
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    return Tensor(np.ascontiguousarray(array))


_MODES = {1: ("L", "F"), 2: ("LA",), 3: ("RGB", "YCbCr", "HSV"), 4: ("RGBA", "CMYK", "RGBX")}


def to_pil_image(pic: Any, mode: str | None = None) -> Any:
    """A PIL image from a (C, H, W) tensor, an (H, W, C) array or an (H, W) one (torchvision's).

    Float values are taken as [0, 1] and become ``uint8(x * 255)`` (truncated, as torchvision);
    a uint8 tensor (H, W, C) as juanji's datasets give stays channels last. Needs Pillow.

    Raises:
        TypeError: not a Tensor or array, or a dtype Pillow cannot take without ``mode``.
        ValueError: not 2-D or 3-D, more than 4 channels, or a ``mode`` that does not fit.
    """
    if isinstance(pic, Tensor):
        array = pic.detach().numpy()
        if array.ndim == 3 and not channels_last(array):
            array = array.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    elif isinstance(pic, np.ndarray):
        array = pic
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray. Got {type(pic)}.")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(
            f"to_pil_image: pic should be 2/3 dimensional. Got {array.ndim} dimensions."
        )
    if array.shape[-1] > 4:
        raise ValueError(
            f"to_pil_image: pic should not have > 4 channels. Got {array.shape[-1]} channels."
        )
    if np.issubdtype(array.dtype, np.floating) and mode != "F":
        array = (array * 255).astype(np.uint8)
    channels = array.shape[-1]
    if channels == 1:
        array = array[:, :, 0]
        expected = {"uint8": "L", "int16": "I;16", "int32": "I", "float32": "F"}.get(
            array.dtype.name
        )
        if mode is not None and mode != expected:
            raise ValueError(
                f"to_pil_image: Incorrect mode ({mode}) supplied for input type {array.dtype}. "
                f"Should be {expected}"
            )
        mode = expected
    elif mode is not None and mode not in _MODES[channels]:
        raise ValueError(
            f"to_pil_image: Only modes {list(_MODES[channels])} are supported for "
            f"{channels}-channel inputs, got {mode!r}"
        )
    elif mode is None and array.dtype == np.uint8:
        mode = _MODES[channels][0]
    if mode is None:
        raise TypeError(f"to_pil_image: Input type {array.dtype} is not supported")
    from juanji.data.transforms._layout import pil_image_module

    return pil_image_module().fromarray(np.ascontiguousarray(array), mode=mode)


def convert_image_dtype(image: Any, dtype: Any = None) -> Any:
    """Convert an image tensor to ``dtype``, rescaling: float in [0, 1], integers in [0, max].

    float -> integer multiplies by ``max + 1 - 0.001`` and truncates, integer -> float divides
    by the input's ``max``, integer -> integer shifts bits (torchvision's rules).
    """
    from juanji._dtype import as_dtype, float32

    target = as_dtype(float32 if dtype is None else dtype, "convert_image_dtype").np_dtype
    array, restore = image_in(image)
    source = array.dtype
    if source == target:
        return image
    if np.issubdtype(source, np.floating):
        if np.issubdtype(target, np.floating):
            return restore(array.astype(target))
        top = np.iinfo(target).max
        return restore((array * (top + 1.0 - 1e-3)).astype(target))
    top_in = np.iinfo(source).max
    if np.issubdtype(target, np.floating):
        return restore((array.astype(target) / target.type(top_in)).astype(target))
    top_out = np.iinfo(target).max
    bits_in, bits_out = int(math.log2(top_in + 1)), int(math.log2(top_out + 1))
    if bits_in > bits_out:
        return restore((array >> (bits_in - bits_out)).astype(target))
    return restore(array.astype(target) << (bits_out - bits_in))


def normalize(
    tensor: Any, mean: Sequence[float], std: Sequence[float], inplace: bool = False
) -> Any:
    """``(tensor[c] - mean[c]) / std[c]`` per channel of a float (..., C, H, W) image."""
    return Normalize(mean, std, inplace)(tensor)


# ---------------------------------------------------------------------------- geometry
def hflip(img: Any) -> Any:
    """Mirror an image left-right."""
    if is_pil(img):
        return img.transpose(0)  # Image.Transpose.FLIP_LEFT_RIGHT
    array, restore = image_in(img)
    return restore(array[..., ::-1].copy())


def vflip(img: Any) -> Any:
    """Mirror an image top-bottom."""
    if is_pil(img):
        return img.transpose(1)  # Image.Transpose.FLIP_TOP_BOTTOM
    array, restore = image_in(img)
    return restore(array[..., ::-1, :].copy())


def _output_size(
    height: int, width: int, size: int | Sequence[int], max_size: int | None
) -> tuple[int, int]:
    """Torchvision's ``_compute_resized_output_size``: (h, w) for ``size`` and ``max_size``."""
    if isinstance(size, numbers.Integral) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(
                    f"resize: max_size = {max_size} must be strictly greater than the requested "
                    f"size for the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
        return new_h, new_w
    if max_size is not None:
        raise ValueError(
            "resize: max_size should only be passed if size specifies the length of the smaller "
            f"edge, i.e. size should be an int or a sequence of length 1, got size={size}"
        )
    return int(size[0]), int(size[1])


def resize(
    img: Any,
    size: int | Sequence[int],
    interpolation: Any = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
) -> Any:
    """Resize to ``size``: (h, w), or an int / ``[int]`` the shorter edge becomes.

    Arrays and tensors: "bilinear" (antialiased when shrinking unless ``antialias=False``,
    torchvision's default) or "nearest"; PIL images: Pillow's ``resize`` with any mode.
    """
    name = interpolation_name(interpolation, "resize")
    _, height, width = get_dimensions(img)
    h, w = _output_size(height, width, size, max_size)
    if is_pil(img):
        return img if (h, w) == (height, width) else img.resize((w, h), PIL_FILTERS[name])
    interpolation_name(name, "resize", ("nearest", "bilinear"))
    array, restore = image_in(img)
    return restore(resize_array(array, (h, w), name, antialias=bool(antialias)))


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` window at (``top``, ``left``); outside the image is zero."""
    if is_pil(img):
        return img.crop((left, top, left + width, top + height))
    array, restore = image_in(img)
    h, w = array.shape[-2:]
    bottom, right = top + height, left + width
    window = array[..., max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
    pads = [
        (max(-top + min(0, bottom), 0), max(bottom - max(h, top), 0)),
        (max(-left + min(0, right), 0), max(right - max(w, left), 0)),
    ]
    if any(p for pair in pads for p in pair):
        window = np.pad(window, [(0, 0)] * (window.ndim - 2) + pads)
    return restore(np.ascontiguousarray(window))


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    """The centred ``output_size`` window (zero-padded when the image is smaller)."""
    if not isinstance(output_size, numbers.Integral) and len(output_size) == 1:
        output_size = output_size[0]
    return CenterCrop(output_size)(img)


def resized_crop(
    img: Any,
    top: int,
    left: int,
    height: int,
    width: int,
    size: int | Sequence[int],
    interpolation: Any = InterpolationMode.BILINEAR,
    antialias: bool | None = True,
) -> Any:
    """``crop`` then ``resize``: what ``RandomResizedCrop`` does with its drawn box."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def pad(
    img: Any, padding: int | Sequence[int], fill: float = 0, padding_mode: str = "constant"
) -> Any:
    """Pad the sides: ``p``, ``(left_right, top_bottom)`` or ``(left, top, right, bottom)``."""
    return Pad(padding, fill, padding_mode)(img)


def five_crop(img: Any, size: int | Sequence[int]) -> tuple[Any, Any, Any, Any, Any]:
    """The four corner crops and the centre crop of ``size``, in torchvision's order.

    Raises:
        ValueError: ``size`` larger than the image.
    """
    if isinstance(size, numbers.Integral):
        crop_h = crop_w = int(size)
    elif len(size) == 1:
        crop_h = crop_w = int(size[0])
    else:
        crop_h, crop_w = int(size[0]), int(size[1])
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(
            f"five_crop: Requested crop size {(crop_h, crop_w)} is bigger than input size {(h, w)}"
        )
    return (
        crop(img, 0, 0, crop_h, crop_w),
        crop(img, 0, w - crop_w, crop_h, crop_w),
        crop(img, h - crop_h, 0, crop_h, crop_w),
        crop(img, h - crop_h, w - crop_w, crop_h, crop_w),
        center_crop(img, [crop_h, crop_w]),
    )


def ten_crop(img: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple[Any, ...]:
    """``five_crop`` of the image, then of its mirror image (left-right, or top-bottom)."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def erase(img: Any, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Any:
    """Set the ``h`` x ``w`` box at row ``i``, column ``j`` of a (..., C, H, W) image to ``v``."""
    if is_pil(img):
        raise TypeError(f"erase: img should be Tensor Image. Got {type(img)}")
    array, restore = image_in(img)
    out = array if inplace else array.copy()
    value = v.numpy() if isinstance(v, Tensor) else v
    out[..., i : i + h, j : j + w] = value
    return img if inplace and isinstance(img, (Tensor, np.ndarray)) else restore(out)


# ---------------------------------------------------------------------------- colour
def _real(array: np.ndarray) -> np.dtype:
    """The dtype torchvision computes in: the image's if float, else float32."""
    return np.dtype(array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32)


def _bound(array: np.ndarray) -> float:
    return 1.0 if np.issubdtype(array.dtype, np.floating) else float(np.iinfo(array.dtype).max)


def _blend(image: np.ndarray, other: Any, ratio: float) -> np.ndarray:
    """Torchvision's ``_blend``: ``ratio * image + (1 - ratio) * other``, clamped, cast back."""
    real = _real(image)
    mixed = real.type(ratio) * image.astype(real) + real.type(1.0 - ratio) * other
    return np.clip(mixed, 0, _bound(image)).astype(image.dtype)


def _gray(array: np.ndarray) -> np.ndarray:
    """(..., 1, H, W) luma of (..., 3, H, W), ITU-R 601-2, in ``array``'s dtype (truncated)."""
    real = _real(array)
    r, g, b = (array[..., k, :, :].astype(real) for k in range(3))
    luma = real.type(0.2989) * r + real.type(0.587) * g + real.type(0.114) * b
    return luma.astype(array.dtype)[..., None, :, :]


def _channels(array: np.ndarray, name: str) -> int:
    if array.ndim < 3:
        return 1
    channels = array.shape[-3]
    if channels not in (1, 3):
        raise TypeError(
            f"{name}: Input image tensor permitted channel values are [1, 3], but found {channels}"
        )
    return channels


def _check_factor(name: str, what: str, factor: float) -> None:
    if factor < 0:
        raise ValueError(f"{name}: {what} ({factor}) is not non-negative.")


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """The luma ``0.2989 R + 0.587 G + 0.114 B``, as 1 or 3 identical channels.

    Raises:
        ValueError: ``num_output_channels`` not 1 or 3.
    """
    if num_output_channels not in (1, 3):
        raise ValueError("rgb_to_grayscale: num_output_channels should be either 1 or 3")
    if is_pil(img):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else to_pil(np.dstack([np.asarray(gray)] * 3))
    array, restore = image_in(img)
    if array.ndim < 3:
        raise TypeError(f"rgb_to_grayscale: expected (..., C, H, W), got shape {array.shape}")
    gray = _gray(array) if _channels(array, "rgb_to_grayscale") == 3 else array.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return restore(gray)


def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """The same as ``rgb_to_grayscale`` (torchvision's older name, for PIL images)."""
    return rgb_to_grayscale(img, num_output_channels)


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Scale the intensities: 0 gives black, 1 the image, 2 twice as bright (clamped)."""
    _check_factor("adjust_brightness", "brightness_factor", brightness_factor)
    if is_pil(img):
        return pil_ops()[0].Brightness(img).enhance(brightness_factor)
    array, restore = image_in(img)
    _channels(array, "adjust_brightness")
    return restore(_blend(array, 0.0, brightness_factor))


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the mean grey level: 0 gives a flat grey image, 1 the image."""
    _check_factor("adjust_contrast", "contrast_factor", contrast_factor)
    if is_pil(img):
        return pil_ops()[0].Contrast(img).enhance(contrast_factor)
    array, restore = image_in(img)
    real = _real(array)
    levels = _gray(array) if _channels(array, "adjust_contrast") == 3 else array
    axes = (-3, -2, -1) if array.ndim > 2 else (-2, -1)
    mean = levels.astype(real).mean(axis=axes, keepdims=True, dtype=real)
    return restore(_blend(array, mean, contrast_factor))


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grey image: 0 gives grey, 1 the image, 2 doubled colour (clamped)."""
    _check_factor("adjust_saturation", "saturation_factor", saturation_factor)
    if is_pil(img):
        return pil_ops()[0].Color(img).enhance(saturation_factor)
    array, restore = image_in(img)
    if _channels(array, "adjust_saturation") == 1:
        return restore(array.copy())  # PIL's rule: a grey image has no saturation to change
    return restore(_blend(array, _gray(array), saturation_factor))


def adjust_gamma(img: Any, gamma: float, gain: float = 1) -> Any:
    """``gain * x ** gamma`` on intensities in [0, 1] (uint8 through 255 and back).

    Raises:
        ValueError: a negative ``gamma``.
    """
    if gamma < 0:
        raise ValueError("adjust_gamma: Gamma should be a non-negative real number")
    if is_pil(img):
        table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)]
        return img.point(table * len(img.getbands()))
    array, restore = image_in(img)
    floats = (
        array
        if np.issubdtype(array.dtype, np.floating)
        else (array.astype(np.float32) / np.float32(_bound(array)))
    )
    result = np.clip(gain * floats**gamma, 0, 1).astype(floats.dtype)
    if not np.issubdtype(array.dtype, np.floating):
        result = (result * (_bound(array) + 1.0 - 1e-3)).astype(array.dtype)
    return restore(result)


def invert(img: Any) -> Any:
    """``max - x``: 1 - x for floats, 255 - x for uint8."""
    if is_pil(img):
        return pil_ops()[1].invert(img)
    array, restore = image_in(img)
    return restore((_bound(array) - array).astype(array.dtype))


def posterize(img: Any, bits: int) -> Any:
    """Keep the ``bits`` highest bits of each uint8 value."""
    if not 0 <= bits <= 8:
        raise ValueError(f"posterize: The number if bits should be between 0 and 8. Got {bits}")
    if is_pil(img):
        return pil_ops()[1].posterize(img, bits)
    array, restore = image_in(img)
    if array.dtype != np.uint8:
        raise TypeError(
            f"posterize: Only torch.uint8 image tensors are supported, got {array.dtype}"
        )
    return restore(array & np.uint8(255 - (2 ** (8 - bits) - 1)))


def solarize(img: Any, threshold: float) -> Any:
    """Invert the values at or above ``threshold``."""
    if is_pil(img):
        return pil_ops()[1].solarize(img, threshold)
    array, restore = image_in(img)
    if threshold > _bound(array):
        raise TypeError("solarize: Threshold should be less than bound of img.")
    inverted = (_bound(array) - array).astype(array.dtype)
    return restore(np.where(array >= threshold, inverted, array))


def autocontrast(img: Any) -> Any:
    """Stretch each channel's range to the full [0, max]."""
    if is_pil(img):
        return pil_ops()[1].autocontrast(img)
    array, restore = image_in(img)
    bound = _bound(array)
    real = _real(array)
    low = array.min(axis=(-2, -1), keepdims=True).astype(real)
    high = array.max(axis=(-2, -1), keepdims=True).astype(real)
    flat = high == low
    scale = np.where(flat, real.type(1), real.type(bound) / np.where(flat, 1, high - low))
    low = np.where(flat, real.type(0), low)
    return restore(np.clip((array - low) * scale, 0, bound).astype(array.dtype))
