"""ConvNd: the convolution Function, which delegates to one algorithm per call.

The package (see ``docs/architecture.md``, "to add a conv algorithm"):

* ``algorithm.py``: ``Geometry`` (the call's sizes) and ``Algorithm``, the one interface;
* ``registry.py``: the list of algorithms, the setting (``juanji.backends.conv``), the choice;
* ``selection.py``: how ``"auto"`` chooses (the per-shape table; benchmark mode);
* ``gemm.py``: im2col + GEMM in cache-sized slabs, threaded (the general case);
* ``pointwise.py`` (``1x1``), ``winograd.py`` (``winograd`` F(2x2, 3x3) and ``winograd4``
  F(4x4, 3x3)), ``numba_depthwise.py`` (compiled direct depthwise, with ``juanji[fast]``);
* ``reference.py``: the formula as a loop over kernel taps (teaching, test oracle).
"""

from __future__ import annotations

from typing import Any

from juanji._ops.conv import registry
from juanji._ops.conv.algorithm import Geometry, Ints, Pads
from juanji.autograd.function import Function

__all__ = ["ConvNd", "Geometry"]


class ConvNd(Function):
    """N-d grouped convolution (cross-correlation, as in PyTorch) of a batched input.

    Parameters (already validated by ``nn.functional.conv``): ``stride`` and ``dilation`` are
    tuples of S ints, ``padding`` S (before, after) pairs of zeros added around the input,
    ``groups`` an int dividing C_in and C_out. The algorithm is ``registry.choose``'s.
    """

    def forward(
        self,
        x: Any,
        weight: Any,
        bias: Any = None,
        *,
        stride: Ints,
        padding: Pads,
        dilation: Ints,
        groups: int,
    ) -> Any:
        self.geometry = Geometry.of(x, weight, stride, padding, dilation, groups)
        self.algorithm = registry.choose(
            self.geometry, lambda: ((x, weight, bias), tuple(self.needs_input_grad))
        )
        return self.algorithm.forward(self, x, weight, bias, self.geometry)

    def backward(self, grad_output: Any) -> tuple[Any, Any, Any]:
        return self.algorithm.backward(self, grad_output)
