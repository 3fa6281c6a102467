"""The one list of convolution algorithms, the current setting, and the choice per call.

To add an algorithm: write ``_ops/conv/<name>.py`` with a subclass of ``algorithm.Algorithm``
and append an instance to ``ALGORITHMS`` (order = preference of ``"auto"``). The public face of
the setting is ``juanji.backends.conv``.
"""

from __future__ import annotations

from juanji._ops.conv.algorithm import Algorithm, Geometry
from juanji._ops.conv.gemm import Gemm
from juanji._ops.conv.numba_depthwise import NumbaDepthwise
from juanji._ops.conv.pointwise import Pointwise
from juanji._ops.conv.reference import Reference
from juanji._ops.conv.winograd import Winograd

ALGORITHMS: dict[str, Algorithm] = {
    a.name: a for a in (NumbaDepthwise(), Pointwise(), Gemm(), Winograd(), Reference())
}
AUTO = "auto"
_setting = {"algorithm": AUTO}


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


def choose(geometry: Geometry) -> Algorithm:
    """The algorithm for one call: the forced one (if it applies), or the first auto one that does.

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
    for algorithm in ALGORITHMS.values():
        if algorithm.auto and algorithm.applies(geometry):
            return algorithm
    raise AssertionError("gemm applies to every geometry")  # pragma: no cover
