"""The one place that chooses the array library: NumPy on the CPU, CuPy on a GPU when installed.

Ops call ``xp = xp_of(array)`` once and use ``xp.`` for everything after; nothing else in juanji
branches on the device. What the two libraries spell differently (strided views, sliding windows,
scatter-add) is chosen here, per array. CuPy is imported lazily and only when a ``cuda`` device
is asked for or a CuPy array is seen, so ``import juanji`` needs NumPy alone.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

_cupy: ModuleType | None = None
_cupy_checked = False


def cupy_or_none() -> ModuleType | None:
    """Return the ``cupy`` module if it imports and sees a GPU, else ``None`` (checked once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # type: ignore[import-not-found]  # noqa: PLC0415 - optional GPU backend

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy = None
    return _cupy


class Device:
    """Where a tensor's memory lives: ``Device('cpu')`` or ``Device('cuda')``; prints like torch."""

    __slots__ = ("type", "index")
    type: str  # 'cpu' or 'cuda'
    index: int | None

    def __init__(self, spec: str | Device = "cpu") -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda', got {spec!r}")
        kind, _, index = spec.partition(":")
        if kind not in ("cpu", "cuda") or (index and not index.isdigit()):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        self.type = kind
        self.index = int(index) if index else None

    def __repr__(self) -> str:
        suffix = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{suffix})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def as_device(spec: str | Device | None) -> Device:
    """Normalise a device argument; ``'cuda'`` without CuPy and a GPU is a clear error."""
    device = Device("cpu" if spec is None else spec)
    if device.type == "cuda" and cupy_or_none() is None:
        raise RuntimeError(
            "device 'cuda' needs CuPy and an NVIDIA GPU; install cupy (pip install "
            "'cupy-cuda12x') or use device='cpu'"
        )
    return device


def xp_of(*arrays: Any) -> ModuleType:
    """Return the array module (numpy or cupy) that holds these arrays."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array: Any) -> Device:
    """Return the Device an array lives on."""
    return Device("cuda") if xp_of(array) is not np else Device("cpu")


def to_device(array: Any, device: Device) -> Any:
    """Copy an array to ``device`` (no copy when it is already there)."""
    if device.type == "cpu":
        return as_numpy(array)
    cupy = cupy_or_none()
    assert cupy is not None, "as_device() checked that CuPy is present"
    return cupy.asarray(array)


def as_numpy(array: Any) -> np.ndarray:
    """Return a NumPy array (copying from the GPU if needed)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def as_strided(
    x: Any, shape: tuple[int, ...], strides: tuple[int, ...], writeable: bool = False
) -> Any:
    """A read-only view of ``x`` with the given shape and byte strides, from x's own library.

    NumPy's ``as_strided`` refuses CuPy arrays; CuPy has its own (``cupy.lib.stride_tricks``),
    whose views cannot be marked read-only. ``writeable=True`` is for views whose elements do
    not overlap; never write through overlapping windows (one write changes several elements).
    """
    xp = xp_of(x)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)  # pragma: no cover


def sliding_window_view(x: Any, window_shape: Any, axis: Any = None) -> Any:
    """Read-only sliding windows of ``x`` (``numpy.lib.stride_tricks.sliding_window_view``)."""
    return xp_of(x).lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def scatter_add(target: Any, indices: Any, values: Any) -> None:
    """``target[indices] += values`` with repeated indices accumulated (``np.add.at``)."""
    if xp_of(target) is np:
        np.add.at(target, indices, values)
    else:  # pragma: no cover - GPU only
        import cupyx  # type: ignore[import-not-found]  # noqa: PLC0415 - comes with CuPy

        cupyx.scatter_add(target, indices, values)
