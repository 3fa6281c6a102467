"""``RandAugment``, ``TrivialAugmentWide``, ``AugMix``: random operations from a fixed list.

Each call picks operations (shear, translate, rotate, brightness, colour, contrast, sharpness,
posterize, solarize, autocontrast, equalize, identity) and a strength from a table of
``num_magnitude_bins`` levels, then applies them with ``functional``. Images are uint8 (a PIL
image, or a uint8 array or tensor in the package's layouts), as torchvision requires. The
draws come from ``generator`` (NumPy's stream), so the choices differ from torchvision's while
every operation at a given strength gives torchvision's image.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from juanji.data.transforms import functional as F
from juanji.data.transforms._layout import (
    InterpolationMode,
    image_in,
    interpolation_name,
    is_pil,
)
from juanji.random import Generator, numpy_rng

__all__ = ["RandAugment", "TrivialAugmentWide", "AugMix"]


def _shear(img: Any, x: float, y: float, interpolation: str, fill: Any) -> Any:
    shear = [math.degrees(math.atan(x)), math.degrees(math.atan(y))]
    return F.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])


def _translate(img: Any, dx: float, dy: float, interpolation: str, fill: Any) -> Any:
    return F.affine(img, 0.0, [int(dx), int(dy)], 1.0, [0.0, 0.0], interpolation, fill)


# name -> (img, magnitude, interpolation, fill) -> img, in torchvision's order of the space.
_OPS: dict[str, Callable[[Any, float, str, Any], Any]] = {
    "Identity": lambda img, m, i, f: img,
    "ShearX": lambda img, m, i, f: _shear(img, m, 0.0, i, f),
    "ShearY": lambda img, m, i, f: _shear(img, 0.0, m, i, f),
    "TranslateX": lambda img, m, i, f: _translate(img, m, 0, i, f),
    "TranslateY": lambda img, m, i, f: _translate(img, 0, m, i, f),
    "Rotate": lambda img, m, i, f: F.rotate(img, m, i, fill=f),
    "Brightness": lambda img, m, i, f: F.adjust_brightness(img, 1.0 + m),
    "Color": lambda img, m, i, f: F.adjust_saturation(img, 1.0 + m),
    "Contrast": lambda img, m, i, f: F.adjust_contrast(img, 1.0 + m),
    "Sharpness": lambda img, m, i, f: F.adjust_sharpness(img, 1.0 + m),
    "Posterize": lambda img, m, i, f: F.posterize(img, int(m)),
    "Solarize": lambda img, m, i, f: F.solarize(img, m),
    "AutoContrast": lambda img, m, i, f: F.autocontrast(img),
    "Equalize": lambda img, m, i, f: F.equalize(img),
}


def apply_op(img: Any, name: str, magnitude: float, interpolation: Any, fill: Any) -> Any:
    """Apply operation ``name`` of strength ``magnitude`` (torchvision's ``_apply_op``)."""
    if name not in _OPS:
        raise ValueError(f"The provided operator {name} is not recognized.")
    return _OPS[name](img, magnitude, interpolation_name(interpolation, name), fill)


def augmentation_space(
    num_bins: int, image_size: tuple[int, int], wide: bool
) -> dict[str, tuple[np.ndarray, bool]]:
    """Each operation's strengths (one per bin) and whether a random sign applies.

    ``wide`` gives TrivialAugment's wider ranges; otherwise RandAugment's, whose translations
    scale with ``image_size`` (h, w).
    """
    top = 0.99 if wide else 0.9

    def levels(high: float) -> np.ndarray:
        return np.linspace(0.0, high, num_bins, dtype=np.float32)

    posterize_steps = 6 if wide else 4
    posterize = 8 - np.round(np.arange(num_bins) / ((num_bins - 1) / posterize_steps))
    translate = (32.0, 32.0) if wide else (150 / 331 * image_size[1], 150 / 331 * image_size[0])
    return {
        "Identity": (np.zeros(()), False),
        "ShearX": (levels(top if wide else 0.3), True),
        "ShearY": (levels(top if wide else 0.3), True),
        "TranslateX": (levels(translate[0]), True),
        "TranslateY": (levels(translate[1]), True),
        "Rotate": (levels(135.0 if wide else 30.0), True),
        "Brightness": (levels(top), True),
        "Color": (levels(top), True),
        "Contrast": (levels(top), True),
        "Sharpness": (levels(top), True),
        "Posterize": (posterize.astype(np.int32), False),
        "Solarize": (np.linspace(255.0, 0.0, num_bins, dtype=np.float32), False),
        "AutoContrast": (np.zeros(()), False),
        "Equalize": (np.zeros(()), False),
    }


def _fill_for(img: Any, fill: Any) -> Any:
    if is_pil(img) or fill is None:
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


class RandAugment:
    """Apply ``num_ops`` operations drawn uniformly, each at strength bin ``magnitude``.

    Args:
        num_ops: operations per image. Default 2.
        magnitude: the strength bin, in [0, num_magnitude_bins). Default 9.
        num_magnitude_bins: levels of each strength range. Default 31.
        interpolation: for the geometric operations ("nearest" default, or "bilinear").
        fill: value of uncovered pixels.
        generator: the source of the draws.
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: Any = InterpolationMode.NEAREST,
        fill: Sequence[float] | float | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.num_ops, self.magnitude, self.num_magnitude_bins = (
            num_ops,
            magnitude,
            num_magnitude_bins,
        )
        self.interpolation = interpolation_name(interpolation, "RandAugment")
        self.fill, self.generator = fill, generator

    def __call__(self, img: Any) -> Any:
        """Augment one image."""
        rng = numpy_rng(self.generator)
        _, height, width = F.get_dimensions(img)
        space = augmentation_space(self.num_magnitude_bins, (height, width), wide=False)
        names, fill = list(space), _fill_for(img, self.fill)
        for _ in range(self.num_ops):
            name = names[int(rng.integers(len(names)))]
            levels, signed = space[name]
            magnitude = float(levels[self.magnitude]) if levels.ndim > 0 else 0.0
            if signed and rng.integers(2):
                magnitude = -magnitude
            img = apply_op(img, name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (
            f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, "
            f"num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


class TrivialAugmentWide:
    """Apply one operation drawn uniformly, at a strength bin drawn uniformly (TrivialAugment).

    Args:
        num_magnitude_bins: levels of each strength range. Default 31.
        interpolation: for the geometric operations ("nearest" default, or "bilinear").
        fill: value of uncovered pixels.
        generator: the source of the draws.
    """

    def __init__(
        self,
        num_magnitude_bins: int = 31,
        interpolation: Any = InterpolationMode.NEAREST,
        fill: Sequence[float] | float | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation_name(interpolation, "TrivialAugmentWide")
        self.fill, self.generator = fill, generator

    def __call__(self, img: Any) -> Any:
        """Augment one image."""
        rng = numpy_rng(self.generator)
        space = augmentation_space(self.num_magnitude_bins, (0, 0), wide=True)
        names = list(space)
        name = names[int(rng.integers(len(names)))]
        levels, signed = space[name]
        magnitude = float(levels[int(rng.integers(len(levels)))]) if levels.ndim > 0 else 0.0
        if signed and rng.integers(2):
            magnitude = -magnitude
        return apply_op(img, name, magnitude, self.interpolation, _fill_for(img, self.fill))

    def __repr__(self) -> str:
        return (
            f"TrivialAugmentWide(num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


def augmix_space(num_bins: int, image_size: tuple[int, int], all_ops: bool) -> dict[str, Any]:
    """AugMix's operations and strengths (no identity; colour ones only with ``all_ops``)."""
    levels = augmentation_space(num_bins, image_size, wide=False)
    space = {name: levels[name] for name in ("ShearX", "ShearY")}
    h, w = image_size
    space["TranslateX"] = (np.linspace(0.0, w / 3.0, num_bins, dtype=np.float32), True)
    space["TranslateY"] = (np.linspace(0.0, h / 3.0, num_bins, dtype=np.float32), True)
    space["Rotate"] = levels["Rotate"]
    space["Posterize"] = (
        (4 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4))).astype(np.int32),
        False,
    )
    for name in ("Solarize", "AutoContrast", "Equalize"):
        space[name] = levels[name]
    if all_ops:
        for name in ("Brightness", "Color", "Contrast", "Sharpness"):
            space[name] = levels[name]
    return space


class AugMix:
    """AugMix (Hendrycks et al., 2020): a random convex mix of the image and augmented copies.

    ``mixture_width`` chains of 1 to 3 operations (or ``chain_depth``), each at a strength
    below ``severity``, are mixed with Dirichlet(``alpha``) weights, and the mix with the
    original by a Dirichlet(``alpha``, ``alpha``) pair, as torchvision computes it (uint8
    results truncated).

    Args:
        severity: strength bins used, in [1, 10]. Default 3.
        mixture_width: chains per image. Default 3.
        chain_depth: operations per chain; 1 to 3 at random when not positive. Default -1.
        alpha: Dirichlet parameter. Default 1.
        all_ops: include brightness, colour, contrast and sharpness. Default True.
        interpolation: "bilinear" (default) or "nearest".
        fill: value of uncovered pixels.
        generator: the source of the draws.

    Raises:
        ValueError: ``severity`` outside [1, 10].
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: Any = InterpolationMode.BILINEAR,
        fill: Sequence[float] | float | None = None,
        generator: Generator | None = None,
    ) -> None:
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(
                f"AugMix: The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                f"{severity} instead."
            )
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self.interpolation = interpolation_name(interpolation, "AugMix")
        self.fill, self.generator = fill, generator

    def _chain(self, rng: Any, image: np.ndarray, space: dict[str, Any], fill: Any) -> Any:
        depth = self.chain_depth if self.chain_depth > 0 else int(rng.integers(1, 4))
        names = list(space)
        for _ in range(depth):
            name = names[int(rng.integers(len(names)))]
            levels, signed = space[name]
            magnitude = float(levels[int(rng.integers(self.severity))]) if levels.ndim else 0.0
            if signed and rng.integers(2):
                magnitude = -magnitude
            image = apply_op(image, name, magnitude, self.interpolation, fill)
        return image

    def __call__(self, img: Any) -> Any:
        """Augment one image."""
        rng = numpy_rng(self.generator)
        pil = is_pil(img)
        array, restore = image_in(img)  # (C, H, W) or (H, W), channels first
        fill = None if pil else _fill_for(array, self.fill)
        space = augmix_space(self._PARAMETER_MAX, array.shape[-2:], self.all_ops)
        m = rng.dirichlet([self.alpha, self.alpha]).astype(np.float32)
        weights = rng.dirichlet([self.alpha] * self.mixture_width).astype(np.float32) * m[1]
        mix = m[0] * array.astype(np.float32)
        for i in range(self.mixture_width):
            augmented = self._chain(rng, array, space, fill)
            mix += weights[i] * np.asarray(augmented).astype(np.float32)
        mix = mix.astype(array.dtype)
        return restore(mix)

    def __repr__(self) -> str:
        return (
            f"AugMix(severity={self.severity}, mixture_width={self.mixture_width}, "
            f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops})"
        )
