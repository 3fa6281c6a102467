"""The one interface every convolution algorithm implements, and the geometry it is given.

An algorithm is a file in ``juanji/_ops/conv/`` with one subclass of ``Algorithm``, listed once in
``registry.py``. ``ConvNd`` hands it a ``Geometry`` (already validated by
``nn.functional.conv``) and itself as ``ctx``: the algorithm keeps what its backward needs on
ctx (``ctx.save_for_backward`` for arrays, which the engine frees after backward; plain
attributes for small values) and reads ``ctx.needs_input_grad`` / ``ctx.requires_grad``.

Contract (checked for every registered algorithm by ``tests/ops/test_conv.py``):

* ``forward`` returns ``y`` of shape ``(N, C_out, *out)`` and x's dtype, any memory layout;
* ``backward`` returns ``(grad_input, grad_weight, grad_bias)``, None where not needed;
* every algorithm gives the reference's numbers up to float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from juanji._shapes import conv_output_size
from juanji.backend import xp_of

Ints = tuple[int, ...]
Pads = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Geometry:
    """Everything about one convolution call except the numbers: what an algorithm may test.

    x is ``(N, C_in, *in_size)``, weight ``(C_out, C_in / groups, *kernel_size)``; ``padding``
    holds S (before, after) pairs of zeros; ``out`` the output size per spatial dim.
    """

    N: int
    C_in: int
    C_out: int
    groups: int
    in_size: Ints
    kernel_size: Ints
    stride: Ints
    padding: Pads
    dilation: Ints
    itemsize: int
    dtype: str = "float32"  # x's dtype name
    numpy: bool = True  # whether x is a NumPy array (compiled kernels need one)

    @classmethod
    def of(cls, x: Any, weight: Any, stride: Ints, padding: Pads, dilation: Ints, groups: int):
        """The geometry of ``ConvNd``'s arguments."""
        return cls(
            x.shape[0], x.shape[1], weight.shape[0], groups, tuple(x.shape[2:]),
            tuple(weight.shape[2:]), tuple(stride), tuple(padding), tuple(dilation), x.itemsize,
            x.dtype.name, xp_of(x).__name__ == "numpy",
        )  # fmt: skip

    @property
    def out(self) -> Ints:
        """Output size per spatial dim, from ``_shapes.conv_output_size``."""
        return tuple(
            conv_output_size(n, k, s, b, a, d)
            for n, k, s, (b, a), d in zip(
                self.in_size, self.kernel_size, self.stride, self.padding, self.dilation,
                strict=True,
            )
        )  # fmt: skip

    @property
    def depthwise(self) -> bool:
        """One input channel per group (groups == C_in)."""
        return self.groups == self.C_in

    @property
    def pointwise(self) -> bool:
        """A 1x1 kernel at stride 1 without padding: the input is its own im2col matrix."""
        return (
            set(self.kernel_size) == {1}
            and set(self.stride) == {1}
            and all(p == (0, 0) for p in self.padding)
        )


class Algorithm:
    """One way of computing ``ConvNd``; subclass it in a new file and list it in registry.py.

    Attributes:
        name: the public name, as written in ``juanji.backends.conv.algorithm``.
        auto: whether ``"auto"`` may choose it (``reference`` is for teaching and tests only).
        exact: whether its float32 rounding stays at im2col's level; ``"auto"`` picks one that
            is not (Winograd F(4x4, 3x3): about 10x) only below float32 matmul precision
            ``"highest"`` (``juanji.set_float32_matmul_precision``).
    """

    name: ClassVar[str]
    auto: ClassVar[bool] = True
    exact: ClassVar[bool] = True

    def applies(self, geometry: Geometry) -> bool:
        """Whether this algorithm computes calls of this geometry (default: all of them)."""
        return True

    def forward(self, ctx: Any, x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
        """Return ``y`` (N, C_out, *out); save on ``ctx`` what backward needs."""
        raise NotImplementedError

    def backward(self, ctx: Any, grad_output: Any) -> tuple[Any, Any, Any]:
        """Return (grad_input, grad_weight, grad_bias), None where ctx.needs_input_grad is False."""
        raise NotImplementedError
