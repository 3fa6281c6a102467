"""Dropout: zero each element with probability p and scale the survivors by 1 / (1 - p).

This is *inverted* dropout: the scaling happens in training, so that the expected output equals
the input and evaluation needs no change. The mask (already scaled) is drawn once in forward
from the NumPy generator passed in and saved, so backward multiplies by the very same mask.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd.function import Function
from juanji.backend import xp_of


class Dropout(Function):
    """``out = x * mask`` with ``mask = keep / (1 - p)``, ``keep ~ Bernoulli(1 - p)``."""

    def forward(self, x: Any, *, p: float, rng: Any, mask_shape: Any = None) -> Any:
        """``mask_shape`` (default: x's) broadcasts: ``(N, C, 1, 1)`` drops whole channels."""
        xp = xp_of(x)
        shape = x.shape if mask_shape is None else tuple(mask_shape)
        if p >= 1:
            mask = xp.zeros(shape, dtype=x.dtype)  # all dropped (1 / (1 - p) divides by zero)
        else:
            # Uniform draws in float32 unless x is float64: half the bytes of random state work.
            draw_dtype = x.dtype if x.dtype.itemsize >= 4 else "float32"
            keep = rng.random(shape, dtype=draw_dtype) >= p
            mask = xp.asarray(keep).astype(x.dtype) * x.dtype.type(1 / (1 - p))
        if self.requires_grad:
            self.save_for_backward(mask)
        return x * mask

    def backward(self, grad_output: Any) -> Any:
        (mask,) = self.saved_tensors
        return grad_output * mask


# The SELU's negative saturation, -scale * alpha: where SELU units rest when "off".
_ALPHA = 1.7580993408473766


class AlphaDropout(Function):
    """Dropout for SELU networks: dropped units take the value ``-alpha'``, then an affine map.

    ``out = a (x * keep + (-alpha') (1 - keep)) + alpha' a p`` with
    ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``, chosen so that zero-mean, unit-variance input
    keeps mean 0 and variance 1. ``mask_shape`` as ``Dropout``.
    """

    def forward(self, x: Any, *, p: float, rng: Any, mask_shape: Any = None) -> Any:
        xp = xp_of(x)
        shape = x.shape if mask_shape is None else tuple(mask_shape)
        draw_dtype = x.dtype if x.dtype.itemsize >= 4 else "float32"
        keep = xp.asarray(rng.random(shape, dtype=draw_dtype) >= p).astype(x.dtype)
        a = x.dtype.type(1 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5)
        scale = keep * a
        shift = (keep - 1) * x.dtype.type(_ALPHA * a) + x.dtype.type(_ALPHA * a * p)
        if self.requires_grad:
            self.save_for_backward(scale)
        return x * scale + shift

    def backward(self, grad_output: Any) -> Any:
        (scale,) = self.saved_tensors
        return grad_output * scale
