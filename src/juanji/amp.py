"""``juanji.amp`` (and ``juanji.cuda.amp``): mixed precision as a CPU-only PyTorch answers it.

Mixed precision needs a GPU's half-precision units; juanji computes in the tensors' own dtype.
``GradScaler`` and ``autocast`` therefore behave as PyTorch's do without CUDA: they warn once
that they are disabled and then change nothing (``scale(loss)`` returns ``loss``, ``step``
calls ``optimizer.step()``), so AMP training loops run unchanged with float32 numbers.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any


class GradScaler:
    """PyTorch's loss scaler, disabled: scripts written for AMP run with plain float32 steps."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if enabled:
            warnings.warn(
                "juanji.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
        self._enabled = False

    def is_enabled(self) -> bool:
        """False: juanji does not scale losses."""
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """The outputs, unchanged."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to undo."""

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update."""

    def get_scale(self) -> float:
        """1.0, as a disabled scaler reports."""
        return 1.0

    def state_dict(self) -> dict[str, Any]:
        """Empty, as a disabled scaler's."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Accept a saved state (a disabled scaler keeps none)."""


class autocast:  # noqa: N801 - PyTorch's name
    """PyTorch's autocast region without CUDA: it warns and runs the block as it is."""

    def __init__(self, device_type: str = "cuda", dtype: Any = None, enabled: bool = True,
                 cache_enabled: Any = None) -> None:  # fmt: skip
        if enabled and device_type == "cuda":
            warnings.warn(
                "CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2
            )
        self.device_type, self.dtype = device_type, dtype

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, function: Any) -> Any:
        """Use as a decorator: the function runs inside the (inactive) region."""

        @functools.wraps(function)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return wrapped
