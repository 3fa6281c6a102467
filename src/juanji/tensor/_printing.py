"""How a Tensor prints: PyTorch's look (``tensor([1., 2.], requires_grad=True)``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji import _dtype
from juanji.backend import as_numpy


def _float_formatter(data: np.ndarray) -> dict | None:
    finite = data[np.isfinite(data)]
    sign = " " if (finite < 0).any() else ""  # like PyTorch: align positives with negatives
    if finite.size == 0:
        return {"float_kind": lambda v: f"{v:{sign}.4f}"}
    magnitudes = np.abs(finite[finite != 0])
    if magnitudes.size and (magnitudes.max() >= 1e8 or magnitudes.min() < 1e-4):
        return {"float_kind": lambda v: f"{v:{sign}.4e}"}
    if np.all(finite == np.round(finite)):
        return {"float_kind": lambda v: f"{v:{sign}.0f}."}  # whole numbers print as "2."
    return {"float_kind": lambda v: f"{v:{sign}.4f}"}


def format_tensor(t: Any) -> str:
    """PyTorch-like repr with dtype (when not a default), grad_fn or requires_grad, device."""
    data = as_numpy(t._data)
    formatter: Any = _float_formatter(data) if data.dtype.kind == "f" and data.size else None
    body = np.array2string(
        data,
        separator=", ",
        prefix="tensor(",
        formatter=formatter,
        threshold=1000,
        edgeitems=3,
        max_line_width=80,
    )
    default_float = _dtype.get_default_dtype().np_dtype
    extras = []
    if data.dtype not in (default_float, np.int64, np.bool_) or (
        data.size == 0 and data.dtype != default_float
    ):
        extras.append(f"dtype={t.dtype}")
    if t._ctx is not None:
        extras.append(f"grad_fn={t._ctx!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
