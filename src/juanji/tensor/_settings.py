"""Process-wide settings PyTorch scripts write on their first lines, answered for juanji.

Memory formats (``juanji.channels_last``...) are accepted wherever PyTorch takes them
(``Tensor.to``, ``Tensor.contiguous``, ``Module.to``) and change nothing: juanji picks the
layout each convolution algorithm wants by itself (batch-last inside ``gemm``).
``set_default_device`` takes the CPU (juanji's default; other devices go through ``.to``).
``use_deterministic_algorithms`` is recorded: every juanji op is deterministic on the CPU for a
given thread count, so there is nothing to switch.
"""

from __future__ import annotations

from typing import Any

from juanji.backend import Device, as_device


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory layout name (``juanji.channels_last``); juanji accepts it and keeps its own."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"juanji.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_state: dict[str, Any] = {"deterministic": False, "warn_only": False}


def check_memory_format(value: Any, fn: str) -> None:
    """Refuse anything but a ``memory_format`` (None allowed), as PyTorch's TypeError."""
    if value is not None and not isinstance(value, memory_format):
        raise TypeError(f"{fn}: memory_format must be a juanji.memory_format, got {value!r}")


def set_default_device(device: Any) -> None:
    """Where factories create tensors: the CPU only (``None`` and ``'cpu'`` are accepted)."""
    if device is None:
        return
    try:
        kind = as_device(device).type
    except ValueError:  # a device juanji does not know ('meta', 'mps'...)
        kind = str(device)
    if kind != "cpu":
        raise RuntimeError(
            f"set_default_device: juanji creates tensors on the CPU; got {device!r} (move them "
            "with .to(device) instead)"
        )


def get_default_device() -> Device:
    """The device factories create tensors on: the CPU."""
    return as_device("cpu")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record PyTorch's determinism switch (juanji's CPU ops are deterministic already)."""
    if not isinstance(mode, bool):
        raise TypeError(
            f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}"
        )
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only) and mode


def are_deterministic_algorithms_enabled() -> bool:
    """What ``use_deterministic_algorithms`` last set."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True, warn_only=True)`` is in force."""
    return _state["warn_only"]
