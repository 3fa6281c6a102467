"""Settings of the engine's algorithms, in the spirit of ``torch.backends``.

``juanji.backends.conv`` chooses how every convolution (``conv1d/2d/3d``, ``nn.Conv*``) is
computed. The choice changes speed and memory, never the result beyond float rounding:

* ``"auto"`` (default): per call, the first registered algorithm that applies (today ``gemm``);
* ``"gemm"``: im2col + matrix products in cache-sized slabs, threaded;
* ``"reference"``: the textbook formula as a loop over the kernel's taps (slow; for teaching
  and as a test oracle).

Example:
    >>> import juanji
    >>> import juanji.nn.functional as F
    >>> juanji.backends.conv.available()
    ('auto', 'gemm', 'reference')
    >>> x, w = juanji.ones(1, 2, 5, 5), juanji.ones(3, 2, 3, 3)
    >>> with juanji.backends.conv.use("reference"):
    ...     slow = F.conv2d(x, w, padding=1)
    >>> bool((slow == F.conv2d(x, w, padding=1)).all()), juanji.backends.conv.algorithm
    (True, 'auto')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from juanji._ops.conv import registry

__all__ = ["conv"]


class _ConvSettings:
    """``juanji.backends.conv``: the convolution algorithm setting (one per process)."""

    @property
    def algorithm(self) -> str:
        """The algorithm every convolution uses: ``"auto"`` or a name from ``available()``.

        Setting an unknown name raises ValueError listing the available ones; a forced
        algorithm that does not apply to a call raises ValueError at that call.
        """
        return registry.get()

    @algorithm.setter
    def algorithm(self, name: str) -> None:
        registry.set_(name)

    def available(self) -> tuple[str, ...]:
        """The names ``algorithm`` accepts: ``"auto"`` first, then every registered algorithm."""
        return registry.names()

    @contextmanager
    def use(self, name: str) -> Iterator[None]:
        """Use algorithm ``name`` inside a ``with`` block, then restore the previous setting."""
        previous = registry.get()
        registry.set_(name)
        try:
            yield
        finally:
            registry.set_(previous)

    def __repr__(self) -> str:
        return f"juanji.backends.conv(algorithm={self.algorithm!r})"


conv = _ConvSettings()
