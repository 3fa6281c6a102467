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

    def forward(self, x: Any, *, p: float, rng: Any) -> Any:
        xp = xp_of(x)
        if p >= 1:
            mask = xp.zeros_like(x)  # everything dropped (1 / (1 - p) would divide by zero)
        else:
            # Uniform draws in float32 unless x is float64: half the bytes of random state work.
            draw_dtype = x.dtype if x.dtype.itemsize >= 4 else "float32"
            keep = rng.random(x.shape, dtype=draw_dtype) >= p
            mask = xp.asarray(keep).astype(x.dtype) * x.dtype.type(1 / (1 - p))
        if self.requires_grad:
            self.save_for_backward(mask)
        return x * mask

    def backward(self, grad_output: Any) -> Any:
        (mask,) = self.saved_tensors
        return grad_output * mask
