"""``juanji.accelerator``: PyTorch's device-agnostic questions (``torch.accelerator``).

The current accelerator is CuPy's GPU when juanji's optional CuPy backend sees one, else none:
``device = juanji.accelerator.current_accelerator() if juanji.accelerator.is_available()
else "cpu"`` (PyTorch's quickstart line) picks the CPU everywhere else.
"""

from __future__ import annotations

import juanji.cuda as cuda
from juanji.backend import Device, as_device


def is_available() -> bool:
    """True when a GPU is usable (through CuPy)."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Device | None:
    """The GPU device when one is usable, else None."""
    return as_device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy)."""
    return cuda.device_count()
