"""Pure-integer geometry of sliding windows: output sizes, 'same' padding, receptive fields.

No arrays here, only ints, so the same arithmetic serves the engine, error messages, the
``juanji shape`` command and the receptive-field table.

Notation (one spatial dimension):
    w       input size                    k   kernel size
    p_b,p_a padding before / after        s   stride
    d       dilation                      k_eff = d*(k-1) + 1, the span the kernel covers
    n       output size = floor((w + p_b + p_a - k_eff) / s) + 1

The notes write the same rule as ``n = floor((w + p - k + s) / s)`` with ``p = p_b + p_a`` and
``d = 1``: since ``(w + p - k + s) / s = (w + p - k) / s + 1``, the two agree.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Pads = tuple[tuple[int, int], ...]
PADDING_STRINGS = ("valid", "same", "same_lower")
_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def ntuple(value: int | Sequence[int], n: int) -> tuple[int, ...]:
    """Repeat an int ``n`` times, or return a length-``n`` sequence as a tuple (no checks)."""
    if isinstance(value, int):
        return (value,) * n
    return tuple(value)


def effective_kernel(kernel: int, dilation: int) -> int:
    """Span of a dilated kernel: ``d*(k-1) + 1``."""
    return dilation * (kernel - 1) + 1


def conv_output_size(
    size: int, kernel: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1
) -> int:
    """Output length of a convolution: ``floor((w + p_b + p_a - d*(k-1) - 1) / s) + 1``.

    May be <= 0 when the kernel does not fit; callers turn that into an error message.

    Example:
        >>> conv_output_size(28, 5, 1, 2, 2)     # LeNet's first layer keeps 28
        28
        >>> conv_output_size(8, 3, 2, 1, 1)
        4
    """
    return (size + pad_before + pad_after - effective_kernel(kernel, dilation)) // stride + 1


def pool_output_size(
    size: int,
    kernel: int,
    stride: int,
    pad_before: int,
    pad_after: int,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a pooling window, with PyTorch's ``ceil_mode`` rule.

    With ``ceil_mode`` the division rounds up, but the last window must start inside the input
    or the left padding (a window lying wholly in the right padding is dropped).

    Example:
        >>> pool_output_size(5, 2, 2, 0, 0), pool_output_size(5, 2, 2, 0, 0, ceil_mode=True)
        (2, 3)
    """
    span = size + pad_before + pad_after - effective_kernel(kernel, dilation)
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad_before:
            out -= 1
        return out
    return span // stride + 1


def same_pads(
    size: int, kernel: int, stride: int = 1, dilation: int = 1, lower: bool = False
) -> tuple[int, int]:
    """Per-side padding that gives ``ceil(size / stride)`` outputs.

    The total is ``max((n - 1)*s + d*(k-1) + 1 - w, 0)`` with ``n = ceil(w / s)``. When it is odd,
    the extra pixel goes at the end (bottom/right: PyTorch's and TensorFlow's 'same', ONNX
    SAME_UPPER) or, with ``lower=True``, at the start (top/left: the notes' rule for even
    kernels, ONNX SAME_LOWER). With stride 1 the total is ``d*(k-1)`` whatever the size.

    Example:
        >>> same_pads(6, 2), same_pads(6, 2, lower=True)   # even kernel: p = k - 1 = 1
        ((0, 1), (1, 0))
        >>> same_pads(7, 3, stride=2)
        (1, 1)
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    small, large = total // 2, total - total // 2
    return (large, small) if lower else (small, large)


def output_size_formula(
    size: int, kernel: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1
) -> str:
    """The output-size rule with the numbers filled in, for error messages and ``juanji shape``.

    Example:
        >>> print(output_size_formula(28, 5, 1, 2, 2))
        floor((28 + 4 - 1*(5-1) - 1) / 1) + 1 = 28
    """
    n = conv_output_size(size, kernel, stride, pad_before, pad_after, dilation)
    return (
        f"floor(({size} + {pad_before + pad_after} - {dilation}*({kernel}-1) - 1) / {stride})"
        f" + 1 = {n}"
    )


def axis_names(S: int) -> tuple[str, ...]:
    """Names of S spatial axes as the docs write them: L; H, W; D, H, W (else X0, X1, ...)."""
    return _AXES.get(S, tuple(f"X{i}" for i in range(S)))


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def parse_padding(
    fn: str, padding: Any, S: int, strings: bool = True, pairs: bool = True
) -> str | Pads:
    """Check the form of a ``padding`` argument: the one set of padding rules and messages.

    Accepts an int, S ints (or one int in a sequence), S entries each an int or a (before,
    after) pair (``pairs``), or one of ``PADDING_STRINGS`` (``strings``); every number >= 0.
    Returns the string, or S (before, after) pairs. ``fn`` names the caller in messages.

    Example:
        >>> parse_padding("conv2d", 1, 2), parse_padding("conv2d", ((0, 1), 2), 2)
        (((1, 1), (1, 1)), ((0, 1), (2, 2)))
        >>> parse_padding("conv2d", "same", 2)
        'same'
    """
    forms = f"an int, a tuple of {S} ints" + (f" or {S} (before, after) pairs" if pairs else "")
    if isinstance(padding, str):
        if not strings or padding not in PADDING_STRINGS:
            allowed = ", ".join(map(repr, PADDING_STRINGS)) if strings else "no strings"
            raise ValueError(f"{fn}: padding must be {forms} ({allowed}), got {padding!r}")
        return padding
    if _is_int(padding):
        entries: list[Any] = [padding] * S
    elif isinstance(padding, (tuple, list)):
        entries = list(padding)
        if len(entries) == 1 and _is_int(entries[0]):
            entries = entries * S
    else:
        kinds = "an int, a tuple or a string" if strings else "an int or a tuple"
        raise TypeError(f"{fn}: padding must be {kinds}, got {padding!r}")
    if len(entries) != S:
        each = "an int or a (before, after) pair" if pairs else "an int"
        hint = " (a 1-D (before, after) pair is written ((before, after),))" if S == 1 else ""
        raise ValueError(
            f"{fn}: padding needs one entry per spatial dimension ({S}: "
            f"{', '.join(axis_names(S))}), each {each}; got {padding!r} with {len(entries)} "
            f"entries{hint if pairs else ''}"
        )
    result = []
    for entry in entries:
        if _is_int(entry):
            result.append((int(entry), int(entry)))
        elif (
            pairs
            and isinstance(entry, (tuple, list))
            and len(entry) == 2
            and all(map(_is_int, entry))
        ):
            result.append((int(entry[0]), int(entry[1])))
        else:
            each = "an int or a (before, after) pair of ints" if pairs else "an int"
            raise ValueError(
                f"{fn}: each padding entry must be {each}, got {entry!r} in {padding!r}"
            )
    if any(p < 0 for pair in result for p in pair):
        hint = " (to crop, use juanji.nn.functional.pad with negative pads)" if pairs else ""
        raise ValueError(f"{fn}: padding must be >= 0, got {padding!r}{hint}")
    return tuple(result)


def resolve_padding(
    padding: str | Pads,
    in_size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Pads:
    """Per-side pairs for a parsed padding: a string becomes pads for this input size.

    Example:
        >>> resolve_padding("same", (6, 7), (2, 3), (1, 2), (1, 1))
        ((0, 1), (1, 1))
    """
    if not isinstance(padding, str):
        return padding
    if padding == "valid":
        return ((0, 0),) * len(in_size)
    lower = padding == "same_lower"
    return tuple(
        same_pads(n, k, s, d, lower)
        for n, k, s, d in zip(in_size, kernel, stride, dilation, strict=True)
    )


def padding_pairs(
    fn: str,
    padding: Any,
    in_size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    strings: bool = True,
) -> Pads:
    """``parse_padding`` then ``resolve_padding``: any accepted padding -> S (before, after) pairs.

    Example:
        >>> padding_pairs("conv2d", "same_lower", (6, 6), (2, 2), (1, 1), (1, 1))
        ((1, 0), (1, 0))
    """
    spec = parse_padding(fn, padding, len(in_size), strings=strings)
    return resolve_padding(spec, in_size, kernel, stride, dilation)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of one output unit after a layer, along one dimension.

    Attributes:
        size: how many input pixels one output unit sees (``r``).
        jump: distance in input pixels between neighbouring output units (``j``).
        start: input coordinate of the centre of the first output unit (may be negative
            or fractional: padding moves it left, an even kernel puts it between pixels).
    """

    size: float
    jump: float
    start: float


def receptive_fields(layers: Iterable[tuple[int, int, int, int]]) -> list[ReceptiveField]:
    """Apply the standard recurrence over ``(kernel, stride, pad_before, dilation)`` layers.

    ``j_out = j_in * s``, ``r_out = r_in + (k_eff - 1) * j_in``,
    ``start_out = start_in + ((k_eff - 1) / 2 - p_b) * j_in``, starting from ``(1, 1, 0.5)``
    (one pixel, centre at 0.5 in pixel coordinates where pixel i spans [i, i+1)).

    Example:
        >>> [(rf.size, rf.jump) for rf in receptive_fields([(5, 1, 2, 1), (2, 2, 0, 1)])]
        [(5, 1), (6, 2)]
    """
    rf = ReceptiveField(1, 1, 0.5)
    result = []
    for kernel, stride, pad_before, dilation in layers:
        k_eff = effective_kernel(kernel, dilation)
        rf = ReceptiveField(
            size=rf.size + (k_eff - 1) * rf.jump,
            jump=rf.jump * stride,
            start=rf.start + ((k_eff - 1) / 2 - pad_before) * rf.jump,
        )
        result.append(rf)
    return result


def prod(values: Iterable[int]) -> int:
    """Product of ints (1 for an empty sequence)."""
    return math.prod(values)
