"""Settings of the engine's algorithms, in the spirit of ``torch.backends``.

``juanji.backends.conv`` chooses how every convolution (``conv1d/2d/3d``, ``nn.Conv*``) is
computed. The choice changes speed and memory, never the result beyond float rounding:

* ``"auto"`` (default): per call, from a per-shape table of measurements
  (``_ops/conv/selection.py``), or, with ``benchmark = True``, the fastest algorithm timed on
  the first call of each shape (as ``torch.backends.cudnn.benchmark``);
* ``"gemm"``: im2col + matrix products in cache-sized slabs, threaded (any convolution);
* ``"1x1"``: a 1x1 convolution as plain matrix products over channels, no im2col;
* ``"winograd"``: F(2x2, 3x3) for stride-1 3x3 ungrouped convolutions (16 products per 2x2
  output tile instead of 36);
* ``"winograd4"``: F(4x4, 3x3) for the same convolutions (36 products per 4x4 tile instead of
  144), with about 10x gemm's float32 rounding error (benchmarks/README.md);
* ``"numba_depthwise"``: a compiled direct loop for depthwise convolutions (one input channel
  per group), with ``pip install juanji[fast]`` (Numba); without it, it applies to nothing;
* ``"reference"``: the textbook formula as a loop over the kernel's taps (slow; for teaching
  and as a test oracle).

``juanji.backends.compiled`` switches the optional Numba kernels (``pip install juanji[fast]``:
depthwise convolution, pooling, Winograd's transforms) on and off, as ``torch.backends.mkldnn``
does oneDNN: ``juanji.backends.compiled.enabled = False`` keeps every op on its NumPy code. The
environment variable ``JUANJI_NUMBA=0`` only sets the default a process starts with.

Example:
    >>> import juanji
    >>> import juanji.nn.functional as F
    >>> juanji.backends.conv.available()
    ('auto', 'numba_depthwise', '1x1', 'gemm', 'winograd', 'winograd4', 'reference')
    >>> x, w = juanji.ones(1, 2, 5, 5), juanji.ones(3, 2, 3, 3)
    >>> with juanji.backends.conv.use("reference"):
    ...     slow = F.conv2d(x, w, padding=1)
    >>> bool((slow == F.conv2d(x, w, padding=1)).all()), juanji.backends.conv.algorithm
    (True, 'auto')
"""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from juanji._ops import compiled as _compiled
from juanji._ops.conv import registry, selection

__all__ = ["compiled", "conv", "cudnn", "mps"]


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

    @property
    def benchmark(self) -> bool:
        """Whether "auto" times the applicable algorithms on each new shape (default False).

        The key is the call's geometry (shapes, dtype, stride, padding, dilation, groups), the
        thread count and which inputs need gradients; the winner is kept for the process.
        """
        return bool(registry._setting["benchmark"])

    @benchmark.setter
    def benchmark(self, on: bool) -> None:
        registry.set_benchmark(on)

    def benchmark_results(self) -> dict:
        """Benchmark mode's choices so far: key -> (winner, {algorithm: seconds})."""
        return selection.results()

    def reset_benchmark(self) -> None:
        """Forget benchmark mode's choices (the next call of each shape is timed again)."""
        selection.reset()

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
        return f"juanji.backends.conv(algorithm={self.algorithm!r}, benchmark={self.benchmark})"


conv = _ConvSettings()


class _CompiledSettings:
    """``juanji.backends.compiled``: whether the Numba kernels are used (one per process)."""

    @property
    def enabled(self) -> bool:
        """True when the compiled kernels run: Numba installed and not turned off.

        The default comes from ``JUANJI_NUMBA`` (``0`` turns them off); setting True without
        Numba raises ValueError with the install hint; setting None goes back to the default.
        """
        return _compiled.enabled()

    @enabled.setter
    def enabled(self, value: bool | None) -> None:
        _compiled.set_enabled(value)

    def is_available(self) -> bool:
        """Whether Numba is installed (``pip install juanji[fast]``)."""
        return _compiled._numba_importable()

    @contextmanager
    def flags(self, enabled: bool) -> Iterator[None]:
        """Turn the kernels on or off inside a ``with`` block, then restore the setting."""
        previous = _compiled._state["enabled"]
        _compiled.set_enabled(enabled)
        try:
            yield
        finally:
            _compiled._state["enabled"] = previous

    def __repr__(self) -> str:
        return f"juanji.backends.compiled(enabled={self.enabled})"


compiled = _CompiledSettings()


class _CudnnModule(types.ModuleType):
    """``juanji.backends.cudnn``: PyTorch's cuDNN flags, as a build without CUDA answers them.

    juanji never calls cuDNN, so the flags change nothing; they exist so that the lines
    scripts write (``cudnn.benchmark = True``, ``cudnn.deterministic = True``) run.
    ``is_available()`` is False and ``version()`` None, as in a CPU-only PyTorch.
    """

    enabled = True
    benchmark = False
    deterministic = False
    allow_tf32 = True

    @staticmethod
    def is_available() -> bool:
        """False: juanji does not use cuDNN."""
        return False

    @staticmethod
    def version() -> None:
        """None, as PyTorch answers without cuDNN."""
        return None


class _MpsModule(types.ModuleType):
    """``juanji.backends.mps``: Apple's Metal backend, which juanji does not have.

    ``device = "mps" if torch.backends.mps.is_available() else "cpu"`` picks the CPU.
    """

    @staticmethod
    def is_available() -> bool:
        """False: juanji has no Metal backend."""
        return False

    @staticmethod
    def is_built() -> bool:
        """False: juanji was not built with Metal."""
        return False


# Real modules, registered under their dotted names, so that ``import juanji.backends.cudnn as
# cudnn`` works as ``import torch.backends.cudnn as cudnn`` does.
cudnn = _CudnnModule(f"{__name__}.cudnn", _CudnnModule.__doc__)
mps = _MpsModule(f"{__name__}.mps", _MpsModule.__doc__)
sys.modules.setdefault(cudnn.__name__, cudnn)
sys.modules.setdefault(mps.__name__, mps)


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's precision switch: ``"highest"`` (default), ``"high"`` or ``"medium"``.

    At ``"highest"`` the convolution's ``"auto"`` uses only algorithms whose float32 rounding
    is im2col's, so results match PyTorch's to its tolerances; below it, auto may also pick
    Winograd F(4x4, 3x3), about 10x that error and up to 1.7x faster on wide 3x3 layers
    (``benchmarks/README.md``). A forced ``juanji.backends.conv.algorithm`` is used whatever
    the precision. As in PyTorch, another string warns and changes nothing; a non-string is a
    RuntimeError.

    Example:
        >>> import juanji
        >>> juanji.set_float32_matmul_precision("high")
        >>> juanji.get_float32_matmul_precision()
        'high'
        >>> juanji.set_float32_matmul_precision("highest")
    """
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in registry.PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    registry.set_precision(precision)


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision (``set_float32_matmul_precision``)."""
    return registry.get_precision()
