"""The one list of convolution algorithms, the current setting, and the choice per call.

To add an algorithm: write ``_ops/conv/<name>.py`` with a subclass of ``algorithm.Algorithm``,
append an instance to ``ALGORITHMS``, and give it a row in ``selection.DEFAULTS`` (the per-shape
table ``"auto"`` reads) where measurements say it wins. The public face of the setting is
``juanji.backends.conv``.
"""

from __future__ import annotations

from collections.abc import Callable

from juanji._ops.conv import selection
from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.conv.gemm import Gemm
from juanji._ops.conv.numba_depthwise import NumbaDepthwise
from juanji._ops.conv.pointwise import Pointwise
from juanji._ops.conv.reference import Reference
from juanji._ops.conv.winograd import Winograd, Winograd4

ALGORITHMS: dict[str, Algorithm] = {
    a.name: a for a in (NumbaDepthwise(), Pointwise(), Gemm(), Winograd(), Winograd4(), Reference())
}
AUTO = "auto"
# PyTorch's float32 matmul precisions; at "highest" (PyTorch's default too) auto keeps to the
# algorithms whose rounding matches im2col's (``Algorithm.exact``).
PRECISIONS = ("highest", "high", "medium")
_setting: dict[str, object] = {"algorithm": AUTO, "benchmark": False, "precision": "highest"}


def names() -> tuple[str, ...]:
    """Every name the setting accepts: ``"auto"`` and the registered algorithms."""
    return (AUTO, *ALGORITHMS)


def check_name(name: object) -> str:
    """Return ``name`` if it is a known setting, else raise ValueError listing the known ones."""
    if not isinstance(name, str) or name not in names():
        raise ValueError(
            f"juanji.backends.conv.algorithm: unknown algorithm {name!r}; available: "
            f"{', '.join(repr(n) for n in names())}"
        )
    return name


def get() -> str:
    """The current setting (``"auto"`` or an algorithm's name)."""
    return _setting["algorithm"]


def set_(name: str) -> None:
    """Set the algorithm every following convolution uses (``"auto"``: chosen per call)."""
    _setting["algorithm"] = check_name(name)


def get_precision() -> str:
    """The float32 matmul precision: ``"highest"``, ``"high"`` or ``"medium"``."""
    return _setting["precision"]


def set_precision(precision: str) -> None:
    """Set the float32 matmul precision (``juanji.set_float32_matmul_precision``)."""
    _setting["precision"] = precision


def set_benchmark(on: bool) -> None:
    """Turn benchmark mode on or off (``selection.py``)."""
    if not isinstance(on, bool):
        raise TypeError(f"juanji.backends.conv.benchmark: expected a bool, got {on!r}")
    _setting["benchmark"] = on


def choose(geometry: Geometry, trial: Callable[[], tuple] | None = None) -> Algorithm:
    """The algorithm for one call: the forced one (if it applies), else auto's choice.

    Auto's choice is the default table's (``selection.DEFAULTS``), or in benchmark mode the
    fastest applicable algorithm on this call's arrays: ``trial()`` returns
    ``((x, weight, bias), needs_input_grad)`` (without it, the table decides).

    Raises:
        ValueError: if the forced algorithm does not compute this geometry.
    """
    name = _setting["algorithm"]
    if name != AUTO:
        algorithm = ALGORITHMS[name]
        if not algorithm.applies(geometry):
            usable = [n for n, a in ALGORITHMS.items() if a.applies(geometry)]
            raise ValueError(
                f"juanji.backends.conv.algorithm = {name!r} does not apply to this convolution "
                f"(kernel {geometry.kernel_size}, stride {geometry.stride}, dilation "
                f"{geometry.dilation}, groups {geometry.groups}); algorithms that do: "
                f"{', '.join(repr(n) for n in usable)}, or 'auto'"
            )
        return algorithm
    if _setting["benchmark"] and trial is not None:
        arrays, needs = trial()
        return selection.benchmarked(ALGORITHMS, geometry, arrays, needs, exact_only())
    return selection.default(ALGORITHMS, geometry, exact_only())


def exact_only() -> bool:
    """Whether auto must keep im2col's float32 rounding (precision ``"highest"``)."""
    return _setting["precision"] == "highest"
