"""More of torchvision's transform classes, each a thin wrapper over ``functional``.

Conversions (``ToPILImage``, ``PILToTensor``, ``ConvertImageDtype``, ``Grayscale``), random
choices among transforms (``RandomApply``, ``RandomChoice``, ``RandomOrder``), rotations and
affine maps (``RandomRotation``, ``RandomAffine``), multi-crops (``FiveCrop``, ``TenCrop``) and
the colour ones of AutoAugment's kind (``RandomGrayscale``, ``RandomInvert``,
``RandomPosterize``, ``RandomSolarize``, ``RandomAutocontrast``). They take one sample (a PIL
image, or an array or Tensor in the package's layouts); in a batch they run once per sample.
Random draws come from ``generator`` (else the default generator), NumPy's stream, not
torchvision's.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from juanji.data.transforms import functional as F
from juanji.data.transforms._layout import InterpolationMode, interpolation_name, is_pil
from juanji.random import Generator, numpy_rng
from juanji.tensor.tensor import Tensor

__all__ = [
    "ToPILImage",
    "PILToTensor",
    "ConvertImageDtype",
    "Grayscale",
    "RandomGrayscale",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "RandomRotation",
    "RandomAffine",
    "FiveCrop",
    "TenCrop",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "RandomAutocontrast",
    "RandomEqualize",
    "RandomAdjustSharpness",
    "GaussianBlur",
    "RandomPerspective",
    "ElasticTransform",
    "LinearTransformation",
]


class ToPILImage:
    """Convert a (C, H, W) tensor or an (H, W, C) array to a PIL image (needs Pillow).

    Args:
        mode: the PIL mode; chosen from the dtype and channels when None (see
            ``functional.to_pil_image``).
    """

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        """Convert one image."""
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"ToPILImage(mode={self.mode})" if self.mode else "ToPILImage()"


class PILToTensor:
    """Convert a PIL image to a (C, H, W) tensor of its dtype (uint8), without scaling."""

    def __call__(self, pic: Any) -> Tensor:
        """Convert one image."""
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return "PILToTensor()"


class ConvertImageDtype:
    """Convert an image tensor to ``dtype``, rescaling values (see ``functional``)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def __call__(self, image: Any) -> Any:
        """Convert one image."""
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"ConvertImageDtype(dtype={self.dtype})"


class Grayscale:
    """Convert to grey, as 1 (default) or 3 identical channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        """Convert one image."""
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class _RandomlyApplied:
    """Apply ``_apply`` with probability ``p`` (torchvision's ``torch.rand(1) < p``)."""

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p}")
        self.p, self.generator = float(p), generator

    def __call__(self, img: Any) -> Any:
        """Transform one image with probability p, else return it."""
        if numpy_rng(self.generator).random() < self.p:
            return self._apply(img)
        return img

    def _apply(self, img: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomGrayscale(_RandomlyApplied):
    """Convert to grey with probability ``p`` (default 0.1), keeping the number of channels."""

    def __init__(self, p: float = 0.1, generator: Generator | None = None) -> None:
        super().__init__(p, generator)

    def _apply(self, img: Any) -> Any:
        return F.rgb_to_grayscale(img, F.get_image_num_channels(img))


class RandomInvert(_RandomlyApplied):
    """Invert the colours (``max - x``) with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.invert(img)


class RandomAutocontrast(_RandomlyApplied):
    """Stretch each channel to the full range with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.autocontrast(img)


class RandomPosterize(_RandomlyApplied):
    """Keep the ``bits`` highest bits of uint8 values with probability ``p``."""

    def __init__(self, bits: int, p: float = 0.5, generator: Generator | None = None) -> None:
        super().__init__(p, generator)
        self.bits = bits

    def _apply(self, img: Any) -> Any:
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomlyApplied):
    """Invert the values at or above ``threshold`` with probability ``p``."""

    def __init__(
        self, threshold: float, p: float = 0.5, generator: Generator | None = None
    ) -> None:
        super().__init__(p, generator)
        self.threshold = threshold

    def _apply(self, img: Any) -> Any:
        return F.solarize(img, self.threshold)


class RandomEqualize(_RandomlyApplied):
    """Equalise the histogram of a uint8 image with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.equalize(img)


class RandomAdjustSharpness(_RandomlyApplied):
    """Change the sharpness by ``sharpness_factor`` with probability ``p``."""

    def __init__(
        self, sharpness_factor: float, p: float = 0.5, generator: Generator | None = None
    ) -> None:
        super().__init__(p, generator)
        if sharpness_factor < 0:
            raise ValueError("RandomAdjustSharpness: sharpness_factor should be non-negative")
        self.sharpness_factor = sharpness_factor

    def _apply(self, img: Any) -> Any:
        return F.adjust_sharpness(img, self.sharpness_factor)


class GaussianBlur:
    """Blur with a Gaussian of odd ``kernel_size`` and sigma uniform in ``sigma`` per call.

    Args:
        kernel_size: odd size, one int or (x, y).
        sigma: a fixed positive value, or a (min, max) range to draw from. Default (0.1, 2.0).
        generator: the source of the draws.
    """

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        sigma: float | Sequence[float] = (0.1, 2.0),
        generator: Generator | None = None,
    ) -> None:
        sizes = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
        if len(sizes) != 2 or any(k <= 0 or k % 2 == 0 for k in sizes):
            raise ValueError(
                "GaussianBlur: Kernel size value should be an odd and positive number, got "
                f"{kernel_size!r}"
            )
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("GaussianBlur: If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif not 0.0 < sigma[0] <= sigma[1]:
            raise ValueError(
                "GaussianBlur: sigma values should be positive and of the form (min, max)."
            )
        self.kernel_size, self.sigma, self.generator = tuple(sizes), tuple(sigma), generator

    def __call__(self, img: Any) -> Any:
        """Blur one image with a freshly drawn sigma."""
        sigma = float(numpy_rng(self.generator).uniform(self.sigma[0], self.sigma[1]))
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def __repr__(self) -> str:
        return f"GaussianBlur(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomApply(_RandomlyApplied):
    """Apply a list of transforms, in order, with probability ``p`` (default 0.5)."""

    def __init__(
        self,
        transforms: Sequence[Callable[[Any], Any]],
        p: float = 0.5,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(p, generator)
        self.transforms = list(transforms)

    def _apply(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"RandomApply(\n    p={self.p}{body}\n)"


class RandomChoice:
    """Apply one transform picked at random (with weights ``p``, uniform when None)."""

    def __init__(
        self,
        transforms: Sequence[Callable[[Any], Any]],
        p: Sequence[float] | None = None,
        generator: Generator | None = None,
    ) -> None:
        if p is not None and len(p) != len(transforms):
            raise ValueError(
                f"RandomChoice: Length of p doesn't match the number of transforms: {len(p)} != "
                f"{len(transforms)}"
            )
        self.transforms, self.generator = list(transforms), generator
        self.p = None if p is None else [float(w) / sum(p) for w in p]

    def __call__(self, img: Any) -> Any:
        """Apply one of the transforms."""
        index = numpy_rng(self.generator).choice(len(self.transforms), p=self.p)
        return self.transforms[int(index)](img)

    def __repr__(self) -> str:
        return f"RandomChoice(transforms={self.transforms}, p={self.p})"


class RandomOrder:
    """Apply all the transforms, in a random order."""

    def __init__(
        self, transforms: Sequence[Callable[[Any], Any]], generator: Generator | None = None
    ) -> None:
        self.transforms, self.generator = list(transforms), generator

    def __call__(self, img: Any) -> Any:
        """Apply every transform once, in an order drawn for this call."""
        for index in numpy_rng(self.generator).permutation(len(self.transforms)):
            img = self.transforms[int(index)](img)
        return img

    def __repr__(self) -> str:
        return f"RandomOrder(transforms={self.transforms})"


def _range(value: float | Sequence[float], name: str, owner: str) -> tuple[float, float]:
    """``x`` as ``(-x, x)`` (x >= 0), or a (min, max) pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{owner}: If {name} is a single number, it must be positive.")
        return -float(value), float(value)
    if len(value) != 2:
        raise ValueError(f"{owner}: If {name} is a sequence, it must be of len 2.")
    return float(value[0]), float(value[1])


def _tensor_fill(img: Any, fill: Any) -> Any:
    """Torchvision turns a number ``fill`` into one value per channel for tensors."""
    if is_pil(img) or fill is None:
        return fill
    if isinstance(fill, numbers.Number):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


class RandomRotation:
    """Rotate by an angle uniform in ``degrees`` (``d`` means ``(-d, d)``); see ``rotate``."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: Any = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[int] | None = None,
        fill: Any = 0,
        generator: Generator | None = None,
    ) -> None:
        self.degrees = _range(degrees, "degrees", "RandomRotation")
        self.interpolation = interpolation_name(interpolation, "RandomRotation")
        self.expand, self.center, self.fill, self.generator = expand, center, fill, generator

    def __call__(self, img: Any) -> Any:
        """Rotate one image by a fresh angle."""
        angle = float(numpy_rng(self.generator).uniform(*self.degrees))
        fill = _tensor_fill(img, self.fill)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation})"


class RandomAffine:
    """A random affine map: angle, translation, scale and shear drawn per call (torchvision's).

    Args:
        degrees: angle range (``d`` means ``(-d, d)``).
        translate: ``(a, b)``: shifts up to ``a * width`` and ``b * height`` pixels, rounded.
        scale: ``(min, max)`` scale factor range.
        shear: ``s``, ``(min, max)`` (x only) or ``(xmin, xmax, ymin, ymax)``, in degrees.
        interpolation, fill, center: as ``functional.affine``.
        generator: the source of the draws.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: Any = InterpolationMode.NEAREST,
        fill: Any = 0,
        center: Sequence[int] | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.degrees = _range(degrees, "degrees", "RandomAffine")
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError("RandomAffine: translation values should be between 0 and 1")
        if scale is not None and any(s <= 0 for s in scale):
            raise ValueError("RandomAffine: scale values should be positive")
        if shear is not None and not isinstance(shear, numbers.Number) and len(shear) == 4:
            self.shear: tuple[float, ...] | None = tuple(float(s) for s in shear)
        else:
            self.shear = None if shear is None else _range(shear, "shear", "RandomAffine")
        self.translate, self.scale = translate, scale
        self.interpolation = interpolation_name(interpolation, "RandomAffine")
        self.fill, self.center, self.generator = fill, center, generator

    def __call__(self, img: Any) -> Any:
        """Apply one freshly drawn affine map."""
        rng = numpy_rng(self.generator)
        width, height = F.get_image_size(img)
        angle = float(rng.uniform(*self.degrees))
        shift = [0, 0]
        if self.translate is not None:
            limits = (self.translate[0] * width, self.translate[1] * height)
            shift = [int(round(rng.uniform(-m, m))) for m in limits]
        scale = 1.0 if self.scale is None else float(rng.uniform(self.scale[0], self.scale[1]))
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = float(rng.uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear[1] = float(rng.uniform(self.shear[2], self.shear[3]))
        fill = _tensor_fill(img, self.fill)
        return F.affine(img, angle, shift, scale, shear, self.interpolation, fill, self.center)

    def __repr__(self) -> str:
        return (
            f"RandomAffine(degrees={self.degrees}, translate={self.translate}, "
            f"scale={self.scale}, shear={self.shear})"
        )


class FiveCrop:
    """The four corners and the centre crop of ``size``, as a tuple of five images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = size

    def __call__(self, img: Any) -> tuple[Any, ...]:
        """Crop one image five times."""
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"FiveCrop(size={self.size})"


class TenCrop:
    """``FiveCrop`` of the image and of its mirror image: a tuple of ten images."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        self.size, self.vertical_flip = size, vertical_flip

    def __call__(self, img: Any) -> tuple[Any, ...]:
        """Crop one image ten times."""
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"TenCrop(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomPerspective(_RandomlyApplied):
    """Warp the image so its corners move inwards at random, with probability ``p``.

    Each corner moves by up to ``distortion_scale`` of half the image size on each axis, as in
    torchvision's ``RandomPerspective``.
    """

    def __init__(
        self,
        distortion_scale: float = 0.5,
        p: float = 0.5,
        interpolation: Any = InterpolationMode.BILINEAR,
        fill: Any = 0,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(p, generator)
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation_name(interpolation, "RandomPerspective")
        self.fill = fill

    def _apply(self, img: Any) -> Any:
        width, height = F.get_image_size(img)
        rng = numpy_rng(self.generator)
        dx, dy = (
            int(self.distortion_scale * (width // 2)),
            int(self.distortion_scale * (height // 2)),
        )

        def near(limit: int) -> int:  # in [0, limit]
            return int(rng.integers(0, limit + 1))

        def far(size: int, limit: int) -> int:  # in [size - limit - 1, size - 1]
            return int(rng.integers(size - limit - 1, size))

        top_left = [near(dx), near(dy)]
        top_right = [far(width, dx), near(dy)]
        bottom_right = [far(width, dx), far(height, dy)]
        bottom_left = [near(dx), far(height, dy)]
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        end = [top_left, top_right, bottom_right, bottom_left]
        fill = _tensor_fill(img, self.fill)
        return F.perspective(img, start, end, self.interpolation, fill)


class ElasticTransform:
    """Displace pixels by a smoothed random field (Simard et al., 2003), as torchvision's.

    The field is uniform noise in [-1, 1] per pixel and axis, blurred by a Gaussian of ``sigma``
    and scaled by ``alpha`` over the image size.

    Args:
        alpha: displacement strength, one value or (x, y). Default 50.
        sigma: smoothness, one value or (x, y). Default 5.
        interpolation: "bilinear" (default) or "nearest".
        fill: value of uncovered pixels.
        generator: the source of the noise.
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 50.0,
        sigma: float | Sequence[float] = 5.0,
        interpolation: Any = InterpolationMode.BILINEAR,
        fill: Any = 0,
        generator: Generator | None = None,
    ) -> None:
        self.alpha = _two("ElasticTransform", "alpha", alpha)
        self.sigma = _two("ElasticTransform", "sigma", sigma)
        self.interpolation = interpolation_name(interpolation, "ElasticTransform")
        self.fill = [float(fill)] if isinstance(fill, numbers.Number) else [float(f) for f in fill]
        self.generator = generator

    def displacement(self, height: int, width: int) -> np.ndarray:
        """Draw a (1, H, W, 2) field, as torchvision's ``get_params``."""
        rng = numpy_rng(self.generator)
        fields = []
        for axis, scale in ((0, width), (1, height)):
            noise = rng.random((1, 1, height, width), dtype=np.float32) * 2 - 1
            sigma = self.sigma[axis]
            if sigma > 0:
                k = int(8 * sigma + 1)
                noise = F.gaussian_blur(noise, [k + (k % 2 == 0)] * 2, list(self.sigma))
            fields.append(noise * np.float32(self.alpha[axis]) / np.float32(scale))
        return np.concatenate(fields, axis=1).transpose(0, 2, 3, 1)

    def __call__(self, img: Any) -> Any:
        """Distort one image with a fresh field."""
        height, width = F.get_image_size(img)[::-1]
        field = self.displacement(height, width)
        return F.elastic_transform(img, field, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return f"ElasticTransform(alpha={self.alpha}, sigma={self.sigma})"


def _two(owner: str, name: str, value: Any) -> list[float]:
    """One number or one/two numbers as a pair of floats."""
    if isinstance(value, numbers.Number):
        return [float(value)] * 2
    values = [float(v) for v in value]
    if len(values) not in (1, 2):
        raise ValueError(
            f"{owner}: If {name} is a sequence its length should be 2. Got {len(values)}"
        )
    return values * (2 // len(values))


class LinearTransformation:
    """Whiten a (C, H, W) image: ``(x.flatten() - mean_vector) @ transformation_matrix``.

    Args:
        transformation_matrix: a square (D, D) tensor, D = C * H * W (e.g. a ZCA matrix).
        mean_vector: a (D,) tensor.

    Raises:
        ValueError: a non-square matrix, a mean of another length, or an image whose size is not
            D.
    """

    def __init__(self, transformation_matrix: Any, mean_vector: Any) -> None:
        matrix, mean = _as_array(transformation_matrix), _as_array(mean_vector)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"LinearTransformation: transformation_matrix should be square. Got "
                f"{tuple(matrix.shape)} rectangular matrix."
            )
        if mean.shape[0] != matrix.shape[0]:
            raise ValueError(
                f"LinearTransformation: mean_vector should have the same length {mean.shape[0]} "
                f"as any one of the dimensions of the transformation_matrix {tuple(matrix.shape)}"
            )
        if matrix.dtype != mean.dtype:
            raise ValueError(
                f"LinearTransformation: Input tensors should have the same dtype. Got "
                f"{matrix.dtype} and {mean.dtype}"
            )
        self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector
        self._matrix, self._mean = matrix, mean

    def __call__(self, tensor: Any) -> Any:
        """Transform one image (or a batch (..., C, H, W))."""
        array = _as_array(tensor)
        n = int(np.prod(array.shape[-3:]))
        if n != self._matrix.shape[0]:
            raise ValueError(
                "LinearTransformation: Input tensor and transformation matrix have incompatible "
                f"shape.[{' x '.join(str(d) for d in array.shape[-3:])}] != {self._matrix.shape[0]}"
            )
        flat = array.reshape(-1, n) - self._mean
        out = (flat @ self._matrix.astype(flat.dtype)).reshape(array.shape)
        return Tensor(out) if isinstance(tensor, Tensor) else out

    def __repr__(self) -> str:
        return f"LinearTransformation(transformation_matrix={self._matrix.shape})"


def _as_array(value: Any) -> np.ndarray:
    return value.numpy() if isinstance(value, Tensor) else np.asarray(value)
