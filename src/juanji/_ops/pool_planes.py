"""Pooling inputs as planes for the compiled kernels (`compiled/pool.py`) of MaxPool and AvgPool.

Used for 1-d and 2-d float32/float64 NumPy inputs when ``compiled.enabled()`` (``juanji[fast]``
installed, ``JUANJI_NUMBA`` not 0); ``_ops/pool.py`` keeps its NumPy kernels for the rest. An
input is seen as ``(A, H, W*B)`` planes: batch-last inputs (a conv's output, see
``_ops/conv/gemm.py``) as (C, H, W*N), any other as (lead..., H, W) with B = 1 (a copy only if it
is in neither layout). Outputs and gradients leave in the input's layout.
"""

from __future__ import annotations

from typing import Any

from juanji._ops import compiled
from juanji._ops.conv.gemm import batch_last
from juanji.backend import xp_of


def applies(x: Any, S: int, overlaps: bool) -> bool:
    """Whether the compiled kernels take this pooling input.

    Non-overlapping windows of an NCHW input (LeNet's 2x2 pooling on a data batch) stay with
    NumPy: its K strided passes are as fast there as the transpose the kernels would need.
    """
    return (
        (overlaps or compiled.is_batch_last(x))
        and S in (1, 2)
        and x.dtype.name in ("float32", "float64")
        and x.ndim == S + 2
        and xp_of(x).__name__ == "numpy"
        and compiled.enabled()
    )


class Planes:
    """The (A, H, W*B) arrangement of one (N, C, *sizes) input, and the way back."""

    def __init__(self, x: Any, S: int) -> None:
        self.S = S
        x4 = x[:, :, None, :] if S == 1 else x  # 1-d: a height of 1
        # Batch-last is the layout the kernels vectorise (along the batch): an NCHW input of
        # more than one sample is transposed into it (OpenBLAS's transpose, ``batch_last``),
        # which costs less than the kernels' NCHW path (measured: 2x2 max forward 0.7 ms
        # batch-last against 5.2 ms NCHW on LeNet's first pooling layer).
        self.batch_last = x4.shape[0] > 1
        self.N, self.C = x4.shape[:2]
        self.B = self.N if self.batch_last else 1
        self.in_hw = x4.shape[2:]
        self.x = self.arrange(x4)  # dropped after forward (``release``): backward needs shapes
        self.shape = self.x.shape

    def release(self) -> None:
        """Forget the arranged input (forward is done with it)."""
        self.x = None

    def arrange(self, a4: Any) -> Any:
        """(N, C, h, w) -> C-contiguous (A, h, w*B) in this input's arrangement."""
        xp = xp_of(a4)
        h, w = a4.shape[2:]
        if self.batch_last:
            return batch_last(a4, ((0, 0), (0, 0))).reshape(self.C, h, w * self.N)
        return xp.ascontiguousarray(a4).reshape(self.N * self.C, h, w)

    def restore(self, planes: Any) -> Any:
        """(A, h, w*B) -> the (N, C, *sizes) view (batch-last when the input was)."""
        h, w = planes.shape[1], planes.shape[2] // self.B
        if self.batch_last:
            a4 = planes.reshape(self.C, h, w, self.N).transpose(3, 0, 1, 2)
        else:
            a4 = planes.reshape(self.N, self.C, h, w)
        return a4[:, :, 0] if self.S == 1 else a4

    def empty_out(self, out: tuple[int, ...], dtype: Any) -> Any:
        """An uninitialised (A, OH, OW*B) array."""
        oh, ow = (1, *out) if self.S == 1 else out
        return xp_of(self.x).empty((self.shape[0], oh, ow * self.B), dtype=dtype)

    def grad_planes(self, grad_output: Any) -> Any:
        """grad_output (N, C, *out) in this input's arrangement."""
        return self.arrange(grad_output[:, :, None, :] if self.S == 1 else grad_output)


def _window(g: Any, S: int) -> tuple[int, ...]:
    """(kh, kw, sh, sw, ph, pw, dh, dw) of a pooling geometry (``pool._Geometry``), 2-d form."""
    if S == 1:
        return 1, g.kernel_size[0], 1, g.stride[0], 0, g.padding[0], 1, g.dilation[0]
    return (*g.kernel_size, *g.stride, *g.padding, *g.dilation)


def max_forward(x: Any, g: Any, S: int) -> tuple[Any, Any, Planes]:
    """(values, int64 PyTorch indices, the arrangement) of a max pooling."""
    planes = Planes(x, S)
    y = planes.empty_out(g.out, x.dtype)
    idx = planes.empty_out(g.out, "int64")
    compiled.kernels("pool", planes.x.size * 4).max_forward(
        planes.x, y, idx, planes.B, *_window(g, S)
    )
    planes.release()
    return y, idx, planes


def max_backward(grad_output: Any, idx: Any, planes: Planes) -> Any:
    """grad_input of a max pooling from the saved indices (canonical arrangement)."""
    gx = xp_of(idx).empty(planes.shape, dtype=grad_output.dtype)
    gy = planes.grad_planes(grad_output)
    compiled.kernels("pool", gx.size).max_backward(gy, idx, gx, planes.B)
    return planes.restore(gx)


def avg_forward(x: Any, g: Any, S: int, divisor: Any) -> tuple[Any, Any, Planes]:
    """(output, the full (OH, OW) divisor, the arrangement) of an average pooling."""
    xp = xp_of(x)
    planes = Planes(x, S)
    y = planes.empty_out(g.out, x.dtype)
    out2 = (1, *g.out) if S == 1 else g.out
    full = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(divisor, x.dtype), out2))
    kh, kw, sh, sw, ph, pw, _, _ = _window(g, S)
    compiled.kernels("pool", planes.x.size * 4).avg_forward(
        planes.x, y, full, planes.B, kh, kw, sh, sw, ph, pw
    )
    planes.release()
    return planes.restore(y), full, planes


def avg_backward(grad_output: Any, g: Any, S: int, full: Any, planes: Planes) -> Any:
    """grad_input of an average pooling."""
    gx = xp_of(full).empty(planes.shape, dtype=grad_output.dtype)
    gy = planes.grad_planes(grad_output)
    kh, kw, sh, sw, ph, pw, _, _ = _window(g, S)
    compiled.kernels("pool", gx.size * 4).avg_backward(
        gy, full, gx, planes.B, kh, kw, sh, sw, ph, pw
    )
    return planes.restore(gx)
