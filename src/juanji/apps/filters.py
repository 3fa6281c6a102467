"""The classic hand-made convolution kernels, by name, and a filter that applies one to an image.

Before networks learnt their kernels, image processing wrote them by hand. Each one is a small
template that ``conv2d`` slides over the image (cross-correlation, no flip, as everywhere in
juanji), and each answers the notes' "what does a kernel do?" with a picture:

===============  ======================================================  ==================
name             what the output shows                                   weights sum to
===============  ======================================================  ==================
identity         the input itself (a 1 in the middle)                    1
box              the mean of a ``size x size`` window: a blur            1
gaussian         a weighted mean, near pixels count more: a soft blur    1
sharpen          the pixel pushed away from its neighbours' mean         1
edge-x           ``x[i, j] - x[i, j+1]``: vertical edges ([1, -1])       0
edge-y           ``x[i, j] - x[i+1, j]``: horizontal edges               0
prewitt-x/-y     a 3-wide difference averaged over 3 rows/columns        0
sobel-x/-y       the same with the middle row/column counted twice       0
laplacian        the 4 neighbours' sum minus 4 times the pixel           0
emboss           a diagonal difference plus the pixel: a relief          1
===============  ======================================================  ==================

Kernels whose weights sum to 1 keep a flat region's brightness (blurs, sharpen, emboss);
kernels whose weights sum to 0 map a flat region to 0 and answer only where the image changes
(edge detectors), so their outputs are signed.

Direction names follow image axes: ``x`` runs along a row (columns, ``W``), ``y`` down a
column (rows, ``H``). A kernel that differentiates along ``x`` responds to *vertical* edges,
hence the aliases ``vertical-edge`` = ``edge-x`` and ``horizontal-edge`` = ``edge-y``.

``identity``, ``box``, ``gaussian``, ``edge-x``/``edge-y`` and ``laplacian`` take ``ndim``
(1, 2 or 3), the same idea for a time series or a volume (``conv1d``, ``conv3d``).

Example:
    >>> list_kernels()[:4]
    ['identity', 'box', 'gaussian', 'sharpen']
    >>> get_kernel("sobel-x").tolist()
    [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
    >>> get_kernel("gaussian", size=3, sigma=1.0).shape
    (3, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import juanji.nn.functional as F
from juanji._shapes import parse_padding
from juanji.tensor.creation import as_tensor, tensor
from juanji.tensor.tensor import Tensor

__all__ = [
    "identity",
    "box_blur",
    "gaussian_blur",
    "sharpen",
    "edge_x",
    "edge_y",
    "prewitt_x",
    "prewitt_y",
    "sobel_x",
    "sobel_y",
    "laplacian",
    "emboss",
    "get_kernel",
    "list_kernels",
    "canonical_name",
    "describe",
    "filter_image",
]


def _check_ndim(fn: str, ndim: int) -> None:
    if ndim not in (1, 2, 3):
        raise ValueError(f"{fn}: ndim must be 1, 2 or 3, got {ndim!r}")


def _check_size(fn: str, size: int, odd: bool = True) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"{fn}: size must be a positive int, got {size!r}")
    if odd and size % 2 == 0:
        raise ValueError(f"{fn}: size must be odd (the kernel needs a centre pixel), got {size}")


def _outer(vectors: list[np.ndarray]) -> np.ndarray:
    """The separable kernel ``v0[a] * v1[b] * ...`` (one vector per dimension)."""
    result = np.ones(())
    for vector in vectors:
        result = np.multiply.outer(result, vector)
    return result


def identity(size: int = 3, ndim: int = 2) -> Tensor:
    """The kernel that changes nothing: 1 at the centre, 0 elsewhere.

    Args:
        size: side length, odd. Default: 3.
        ndim: 1, 2 or 3 spatial dimensions. Default: 2.

    Returns:
        ``(size,) * ndim`` float tensor.

    Example:
        >>> identity().tolist()
        [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    _check_size("identity", size)
    _check_ndim("identity", ndim)
    weights = np.zeros((size,) * ndim)
    weights[(size // 2,) * ndim] = 1.0
    return tensor(weights.tolist())


def box_blur(size: int = 3, ndim: int = 2) -> Tensor:
    """The mean of a ``size``-wide window: every weight ``1 / size**ndim``.

    Args:
        size: side length (any positive int; an even one has no centre pixel). Default: 3.
        ndim: 1, 2 or 3 spatial dimensions. Default: 2.

    Returns:
        ``(size,) * ndim`` float tensor whose weights sum to 1.

    Example:
        >>> box_blur(2).tolist()
        [[0.25, 0.25], [0.25, 0.25]]
        >>> box_blur(4, ndim=1).tolist()
        [0.25, 0.25, 0.25, 0.25]
    """
    _check_size("box_blur", size, odd=False)
    _check_ndim("box_blur", ndim)
    return tensor(np.full((size,) * ndim, 1.0 / size**ndim).tolist())


def gaussian_blur(size: int = 5, sigma: float = 1.0, ndim: int = 2) -> Tensor:
    """A sampled Gaussian bell, normalised to sum 1: a blur that weighs near pixels most.

    ``g[a] = exp(-(a - c)**2 / (2 * sigma**2))`` for ``a = 0 .. size-1`` and ``c = (size-1)/2``,
    divided by its sum; in 2-D and 3-D the outer product of that vector with itself (a
    Gaussian is separable), so the weights still sum to 1.

    Args:
        size: side length, odd. Default: 5.
        sigma: standard deviation in pixels, > 0. Default: 1.0.
        ndim: 1, 2 or 3 spatial dimensions. Default: 2.

    Returns:
        ``(size,) * ndim`` float tensor.

    Raises:
        ValueError: an even or non-positive size, or ``sigma <= 0``.

    Example:
        >>> [round(v, 4) for v in gaussian_blur(3, sigma=1.0, ndim=1).tolist()]
        [0.2741, 0.4519, 0.2741]
    """
    _check_size("gaussian_blur", size)
    _check_ndim("gaussian_blur", ndim)
    if not isinstance(sigma, (int, float)) or not sigma > 0 or math.isinf(sigma):
        raise ValueError(f"gaussian_blur: sigma must be a positive number, got {sigma!r}")
    offsets = np.arange(size) - (size - 1) / 2
    with np.errstate(over="ignore"):  # offsets in sigmas: inf for a tiny sigma, 0 for a huge one
        bell = np.exp(-0.5 * (offsets / sigma) ** 2)
    bell /= bell.sum()
    return tensor(_outer([bell] * ndim).tolist())


def sharpen() -> Tensor:
    """Sharpen: 5 times the pixel minus its 4 neighbours (the identity minus the Laplacian).

    Example:
        >>> sharpen().tolist()
        [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]
    """
    return tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


def _difference(axis: int, ndim: int) -> Tensor:
    shape = [1] * ndim
    shape[axis] = 2
    return tensor(np.array([1.0, -1.0]).reshape(shape).tolist())


def edge_x(ndim: int = 2) -> Tensor:
    """The notes' edge detector ``[1, -1]`` along x: ``y[i, j] = x[i, j] - x[i, j+1]``.

    Positive where the image gets darker to the right, negative where it gets lighter, 0 on
    flat regions: it finds vertical edges. With ``ndim=1`` it is the difference of a time
    series; with ``ndim=3`` the difference along the last (W) axis of a volume.

    Returns:
        ``(1, 2)`` in 2-D, ``(2,)`` in 1-D, ``(1, 1, 2)`` in 3-D.

    Example:
        >>> edge_x().tolist(), edge_x(ndim=1).tolist()
        ([[1.0, -1.0]], [1.0, -1.0])
    """
    _check_ndim("edge_x", ndim)
    return _difference(ndim - 1, ndim)


def edge_y(ndim: int = 2) -> Tensor:
    """``[1, -1]`` down a column: ``y[i, j] = x[i, j] - x[i+1, j]``; finds horizontal edges.

    With ``ndim=3`` it differentiates along the H axis of a ``(D, H, W)`` volume.

    Returns:
        ``(2, 1)`` in 2-D, ``(1, 2, 1)`` in 3-D.

    Example:
        >>> edge_y().tolist()
        [[1.0], [-1.0]]
    """
    if ndim not in (2, 3):
        raise ValueError(f"edge_y: ndim must be 2 or 3 (a 1-D signal has no y), got {ndim!r}")
    return _difference(ndim - 2, ndim)


def prewitt_x() -> Tensor:
    """Prewitt's x-derivative: right column minus left column, over 3 rows; vertical edges.

    Positive where the image gets lighter to the right.

    Example:
        >>> prewitt_x().tolist()
        [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]
    """
    return tensor(_outer([np.array([1.0, 1.0, 1.0]), np.array([-1.0, 0.0, 1.0])]).tolist())


def prewitt_y() -> Tensor:
    """Prewitt's y-derivative: bottom row minus top row; horizontal edges (``prewitt_x.T``).

    Example:
        >>> prewitt_y().tolist()
        [[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    """
    return tensor(_outer([np.array([-1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0])]).tolist())


def sobel_x() -> Tensor:
    """Sobel's x-derivative: Prewitt with the middle row weighted 2 (a smoothed difference).

    Example:
        >>> sobel_x().tolist()
        [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
    """
    return tensor(_outer([np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])]).tolist())


def sobel_y() -> Tensor:
    """Sobel's y-derivative: bottom row minus top row, middle column weighted 2.

    Example:
        >>> sobel_y().tolist()
        [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]
    """
    return tensor(_outer([np.array([-1.0, 0.0, 1.0]), np.array([1.0, 2.0, 1.0])]).tolist())


def laplacian(ndim: int = 2) -> Tensor:
    """The discrete Laplacian: the axis neighbours' sum minus ``2*ndim`` times the pixel.

    0 on flat regions and on linear ramps; it answers on both sides of an edge (a thin
    bright-dark double line) and at isolated dots.

    Args:
        ndim: 1, 2 or 3 spatial dimensions. Default: 2.

    Returns:
        ``(3,) * ndim`` float tensor.

    Example:
        >>> laplacian().tolist()
        [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]
        >>> laplacian(ndim=1).tolist()
        [1.0, -2.0, 1.0]
    """
    _check_ndim("laplacian", ndim)
    weights = np.zeros((3,) * ndim)
    centre = (1,) * ndim
    weights[centre] = -2.0 * ndim
    for axis in range(ndim):
        for side in (0, 2):
            index = list(centre)
            index[axis] = side
            weights[tuple(index)] = 1.0
    return tensor(weights.tolist())


def emboss() -> Tensor:
    """Emboss: the pixel plus a difference along the diagonal; edges look lit from the top left.

    Example:
        >>> emboss().tolist()
        [[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]]
    """
    return tensor([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


_KERNELS: dict[str, Callable[..., Tensor]] = {
    "identity": identity,
    "box": box_blur,
    "gaussian": gaussian_blur,
    "sharpen": sharpen,
    "edge-x": edge_x,
    "edge-y": edge_y,
    "prewitt-x": prewitt_x,
    "prewitt-y": prewitt_y,
    "sobel-x": sobel_x,
    "sobel-y": sobel_y,
    "laplacian": laplacian,
    "emboss": emboss,
}
_ALIASES = {
    "blur": "box",
    "box-blur": "box",
    "gaussian-blur": "gaussian",
    "vertical-edge": "edge-x",
    "horizontal-edge": "edge-y",
}


def list_kernels() -> list[str]:
    """The canonical kernel names, in the order of the module's table.

    Example:
        >>> len(list_kernels())
        12
    """
    return list(_KERNELS)


def canonical_name(name: str) -> str:
    """The registry name of ``name`` (case-insensitive, ``_`` = ``-``, aliases resolved).

    Raises:
        ValueError: an unknown name (the message lists the known ones).

    Example:
        >>> canonical_name("Horizontal_Edge"), canonical_name("blur")
        ('edge-y', 'box')
    """
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else name
    key = _ALIASES.get(key, key)
    if key not in _KERNELS:
        raise ValueError(
            f"get_kernel: unknown kernel {name!r}; known kernels: {', '.join(list_kernels())}"
        )
    return key


def get_kernel(name: str, **kwargs: Any) -> Tensor:
    """The kernel called ``name`` (case-insensitive, ``_`` = ``-``, aliases accepted).

    Args:
        name: a name from ``list_kernels()`` or an alias (``blur``, ``vertical-edge``...).
        **kwargs: passed to the kernel's function, e.g. ``size=7, sigma=2.0`` for ``gaussian``.

    Returns:
        The kernel as a float tensor (2-D unless ``ndim`` says otherwise).

    Raises:
        ValueError: an unknown name (the message lists the known ones), or bad arguments.

    Example:
        >>> get_kernel("Vertical_Edge").tolist()
        [[1.0, -1.0]]
    """
    function = _KERNELS[canonical_name(name)]
    try:
        return function(**kwargs)
    except TypeError as error:
        raise ValueError(f"get_kernel: kernel {name!r} does not take {kwargs}") from error


def describe(name: str) -> str:
    """The first line of the kernel's documentation, for captions.

    Example:
        >>> print(describe("sobel-x"))
        Sobel's x-derivative: Prewitt with the middle row weighted 2 (a smoothed difference).
    """
    doc = _KERNELS[canonical_name(name)].__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split()).replace("``", "")


def filter_image(
    image: Any, kernel: Tensor | Any, padding: Any = "same", stride: int = 1
) -> np.ndarray:
    """Convolve every channel of an image with one 2-D kernel, using ``conv2d``.

    The channels are the groups of one grouped (depthwise) convolution: the kernel is repeated
    into a ``(C, 1, kH, kW)`` weight and ``conv2d(..., groups=C)`` filters each colour plane on
    its own, so red never leaks into green. Zeros are padded around the image by the
    convolution, which also bounds its memory on a large photo (it works in slabs of rows).

    Args:
        image: ``(H, W)`` grayscale or ``(H, W, C)`` colour, an array or tensor (any floats).
        kernel: ``(kH, kW)``, a tensor or nested lists.
        padding: ``'same'`` (default: ``ceil(H / stride)`` rows out, the odd pixel of an even
            kernel at the bottom/right), ``'same_lower'`` (... at the top/left), ``'valid'``
            (none), an int ``p`` (``p`` zeros on every side), or any other padding ``conv2d``
            takes (``(pH, pW)``, ``((top, bottom), (left, right))``).
        stride: step between output pixels, >= 1. Default: 1.

    Returns:
        float32 array ``(H_out, W_out)`` or ``(H_out, W_out, C)``, not clipped (edge kernels give
        negative values).

    Raises:
        ValueError: bad shapes or padding, or a kernel larger than the padded image.

    Example:
        >>> image = np.array([[0, 0, 1, 1]] * 2, np.float32)
        >>> filter_image(image, edge_x(), padding="valid").tolist()
        [[0.0, -1.0, 0.0], [0.0, -1.0, 0.0]]
        >>> filter_image(np.ones((4, 4, 3)), box_blur(), stride=2).shape
        (2, 2, 3)
    """
    array = image.numpy() if isinstance(image, Tensor) else np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"filter_image: image must be (H, W) or (H, W, C), got {array.shape}")
    weight = kernel if isinstance(kernel, Tensor) else tensor(kernel)
    if weight.ndim != 2:
        raise ValueError(f"filter_image: kernel must be 2-D (kH, kW), got shape {weight.shape}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"filter_image: stride must be an int >= 1, got {stride!r}")
    planes = array[:, :, None] if array.ndim == 2 else array
    # (C, H, W), a view where the image is float32 already: conv's padding is then the one copy
    x = as_tensor(planes.transpose(2, 0, 1).astype(np.float32, copy=False))
    parse_padding("filter_image", padding, 2)  # the rules and messages of conv2d's padding
    channels, kh, kw = x.shape[0], *weight.shape
    w = weight.float().reshape(1, 1, kh, kw).expand(channels, 1, kh, kw).contiguous()
    y = F.conv2d(x, w, stride=stride, padding=padding, groups=channels)  # (C, H_out, W_out)
    out = y.numpy().transpose(1, 2, 0)  # (H_out, W_out, C)
    return out[:, :, 0] if array.ndim == 2 else out
