"""A drawing or photo of one digit made to look like an MNIST image (``juanji predict``, the page).

Lives below the command and the page (``juanji.apps.cli.train`` and ``juanji.apps.serve`` both
use it); Pillow resamples (``juanji.apps.viz.plot.resize_image``).
"""

from __future__ import annotations

import numpy as np

from juanji.apps.viz import plot
from juanji.errors import JuanjiError

__all__ = ["prepare_digit"]


def prepare_digit(
    gray: np.ndarray, size: int = 28, box: int = 20, centre: str = "mass", threshold: float = 0.2
) -> np.ndarray:
    """Make a photo or drawing of one digit look like an MNIST image.

    MNIST's digits were size-normalised to fit a 20 x 20 box, keeping their aspect ratio, and
    centred by their centre of mass in a 28 x 28 field, white ink on black. The same here:

    1. background: the median of the outermost pixels; a light one (> 0.5) means dark ink on
       light paper, so the image is inverted;
    2. contrast: background -> 0, brightest ink -> 1;
    3. crop to the bounding box of the pixels above ``threshold``;
    4. scale so the longer side is ``box`` pixels (anti-aliased), keeping the aspect ratio;
    5. paste into a ``size`` x ``size`` field so the centre of mass (or, with ``centre='box'``,
       the box centre) falls on the field's centre, to the nearest pixel.

    Args:
        gray: (H, W) grayscale in [0, 1], any size.
        size: side of the output field.
        box: side of the box the digit is fitted into.
        centre: ``'mass'`` or ``'box'``.
        threshold: ink level that counts for the bounding box, after step 2.

    Returns:
        (size, size) float32 in [0, 1], light ink on black.

    Raises:
        JuanjiError: the image has no ink (a blank page).

    Example:
        >>> page = np.ones((60, 40), np.float32)
        >>> page[10:50, 18:22] = 0.0  # a dark vertical bar on white paper: a "1"
        >>> digit = prepare_digit(page)
        >>> digit.shape, float(digit.max()), int((digit > 0.5).any(axis=1).sum())
        ((28, 28), 1.0, 20)
    """
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2:
        raise JuanjiError(f"expected a 2-D grayscale image, got shape {gray.shape}")
    if min(gray.shape) < 2:
        height, width = gray.shape
        raise JuanjiError(
            f"the image is {width} x {height} pixels: too small to show a digit (it needs a "
            f"border to tell ink from paper; at least 2 x 2, better 28 x 28 or more)"
        )
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    if np.median(border) > 0.5:
        gray, border = 1.0 - gray, 1.0 - border
    background, peak = float(np.median(border)), float(gray.max())
    if peak - background < 0.1:
        raise JuanjiError("the image shows no digit (no ink stands out from the background)")
    ink = np.clip((gray - background) / (peak - background), 0.0, 1.0)
    rows, cols = np.nonzero(ink > threshold)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = box / max(ink.shape)
    height = max(1, round(ink.shape[0] * scale))
    width = max(1, round(ink.shape[1] * scale))
    digit = np.clip(plot.resize_image(ink, height, width), 0.0, 1.0)
    if centre == "mass" and digit.sum() > 0:
        ys, xs = np.indices(digit.shape)
        cy, cx = (ys * digit).sum() / digit.sum(), (xs * digit).sum() / digit.sum()
    else:
        cy, cx = (height - 1) / 2, (width - 1) / 2
    # Put pixel (cy, cx) of the digit at the field's centre, (size - 1) / 2.
    top, left = round((size - 1) / 2 - cy), round((size - 1) / 2 - cx)
    field = np.zeros((size, size), np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + height, size), min(left + width, size)
    field[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return field
