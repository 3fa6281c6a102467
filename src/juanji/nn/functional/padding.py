"""Padding: ``pad`` with PyTorch's argument order and modes, and the ``same_padding`` helper.

``pad`` takes PyTorch's flat pad list, last dimension first: ``(left, right)`` pads the last
dimension, ``(left, right, top, bottom)`` the last two, ``(left, right, top, bottom, front,
back)`` the last three. Inside juanji padding is a tuple of ``(before, after)`` pairs in
dimension order; this module converts between the two, once.

``same_padding`` answers "how much padding keeps the size?" with both placements of the odd
pixel that an even (effective) kernel leaves over: at the end (bottom/right; PyTorch, TensorFlow,
ONNX ``SAME_UPPER``) or at the start (top/left; the notes' rule ``top/left = ceil(p/2)``,
``bottom/right = floor(p/2)``, ONNX ``SAME_LOWER``).
"""

from __future__ import annotations

from typing import Any

from juanji._ops.pad import Pad
from juanji._shapes import same_pads
from juanji.nn.functional._checks import _is_int, check_choice, check_tensor, int_tuple
from juanji.tensor.tensor import Tensor

__all__ = ["pad", "same_padding", "pairs_to_flat", "flat_to_pairs"]

_MODES = ("constant", "reflect", "replicate", "circular")


def flat_to_pairs(pad: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """PyTorch's flat pad list (last dim first) -> (before, after) pairs in dimension order.

    Example:
        >>> flat_to_pairs((1, 2, 3, 4))     # left, right, top, bottom
        ((3, 4), (1, 2))
    """
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    return tuple(reversed(pairs))


def pairs_to_flat(pairs: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """(before, after) pairs in dimension order -> PyTorch's flat pad list (last dim first).

    Example:
        >>> pairs_to_flat(((3, 4), (1, 2)))
        (1, 2, 3, 4)
    """
    return tuple(p for pair in reversed(pairs) for p in pair)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dimensions of ``input``; ``pad`` lists them last dimension first.

    ``pad = (left, right)`` pads the last dimension with ``left`` entries before and ``right``
    after; ``(left, right, top, bottom)`` also pads the second-to-last, and so on, up to every
    dimension. Modes (with ``x = [1, 2, 3]`` and ``pad = (2, 2)``):

    * ``'constant'``: ``value`` (default 0) -> ``[0, 0, 1, 2, 3, 0, 0]``. A negative pad removes
      entries from that side instead (cropping), as in PyTorch.
    * ``'reflect'``: mirror without repeating the edge -> ``[3, 2, 1, 2, 3, 2, 1]``; each pad
      must be smaller than the dimension.
    * ``'replicate'``: repeat the edge -> ``[1, 1, 1, 2, 3, 3, 3]``.
    * ``'circular'``: wrap around -> ``[2, 3, 1, 2, 3, 1, 2]``; each pad at most the dimension.

    The backward pass is the adjoint: the gradient of a padded cell flows back to the input
    cell it was copied from (summed when one input cell fills several), and nothing flows back
    from constant cells.

    Differences from PyTorch: the non-constant modes work on any number of trailing dimensions of
    any input (PyTorch limits them to 1-3 dimensions of 2-D to 5-D inputs), and refuse negative
    pads (PyTorch's results there are undocumented and differ between modes).

    Args:
        input: tensor of any shape.
        pad: flat tuple of an even number of ints, at most ``2 * input.ndim``.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value: fill value for ``'constant'`` mode (None means 0); other modes take none.

    Returns:
        The padded tensor, same dtype.

    Raises:
        TypeError: if ``input`` is not a Tensor or ``pad`` is not a sequence of ints.
        ValueError: for an odd or too long ``pad``, an unknown ``mode``, a ``value`` with a
            non-constant mode, or a pad the mode cannot fill (see above).

    Example:
        >>> import juanji
        >>> import juanji.nn.functional as F
        >>> x = juanji.tensor([[1.0, 2.0, 3.0]])
        >>> F.pad(x, (2, 1)).tolist()
        [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0]]
        >>> F.pad(x, (2, 2), mode="reflect").tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
        >>> F.pad(x, (-1, 0, 1, 0), value=9.0).tolist()   # crop a column, add a row of 9s on top
        [[9.0, 9.0], [2.0, 3.0]]
    """
    check_tensor("pad", "input", input)
    if not isinstance(pad, (tuple, list)) or not all(_is_int(p) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"pad: pad must have an even number of entries (pairs), got {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise ValueError(
            f"pad: pad has {len(pad)} entries, which pads {len(pad) // 2} dimensions, but input "
            f"has only {input.ndim} (shape {input.shape}); at most {2 * input.ndim} entries"
        )
    check_choice("pad", "mode", mode, _MODES)
    pairs = flat_to_pairs(tuple(int(p) for p in pad))
    sizes = input.shape[input.ndim - len(pairs) :]
    if mode == "constant":
        for axis, (n, (before, after)) in enumerate(
            zip(sizes, pairs, strict=True), input.ndim - len(pairs)
        ):
            if n + before + after < 0:
                raise ValueError(
                    f"pad: pads ({before}, {after}) would leave dimension {axis} of size {n} "
                    f"with {n + before + after} entries"
                )
        return Tensor._apply(Pad, input, pads=pairs, mode=mode, value=0 if value is None else value)
    if value is not None:
        raise ValueError(f"pad: mode {mode!r} takes no value (only 'constant' does), got {value!r}")
    _check_mode_fits(mode, input, pairs)
    return Tensor._apply(Pad, input, pads=pairs, mode=mode)


def _check_mode_fits(mode: str, input: Tensor, pairs: tuple[tuple[int, int], ...]) -> None:
    """Raise ``ValueError`` where a non-constant mode has no input entry to copy from."""
    first = input.ndim - len(pairs)
    for axis, (before, after) in enumerate(pairs, first):
        n = input.shape[axis]
        where = f"pads ({before}, {after}) for dimension {axis} of size {n}"
        if before < 0 or after < 0:
            raise ValueError(f"pad: negative pads crop only in 'constant' mode; got {where}")
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad: 'reflect' needs each pad < the dimension size; got {where}")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(f"pad: 'circular' needs each pad <= the dimension size; got {where}")
        if mode == "replicate" and n == 0 and (before or after):
            raise ValueError(f"pad: 'replicate' needs a non-empty dimension; got {where}")


def same_padding(
    kernel_size: int | tuple[int, ...],
    stride: int | tuple[int, ...] = 1,
    dilation: int | tuple[int, ...] = 1,
    lower: bool = False,
    input_size: int | tuple[int, ...] | None = None,
) -> tuple[tuple[int, int], ...]:
    """Per-side padding that makes a convolution output ``ceil(n / stride)`` entries per dim.

    The total padding of a dimension is ``max((out - 1)*s + d*(k-1) + 1 - n, 0)`` with
    ``out = ceil(n / s)``; with stride 1 that is ``d*(k-1)`` whatever ``n`` (the notes'
    ``p = k - 1``). When it is odd, the extra pixel goes at the end (bottom/right), as PyTorch's
    and TensorFlow's ``'same'``, or with ``lower=True`` at the start (top/left), as the notes'
    rule for even kernels and ONNX ``SAME_LOWER``.

    With a stride > 1 the padding depends on the input size, so ``input_size`` is then required.

    Args:
        kernel_size: kernel size, an int or one int per spatial dimension.
        stride: stride, an int or one per dimension.
        dilation: dilation, an int or one per dimension.
        lower: put the odd pixel before (top/left) instead of after (bottom/right).
        input_size: spatial input size, an int or one per dimension (needed when stride > 1).

    Returns:
        One ``(before, after)`` pair per spatial dimension, in dimension order (``((top, bottom),
        (left, right))`` in 2-D). ``pad(x, pairs_to_flat(pairs))`` applies it with ``pad``.

    Raises:
        ValueError: if a size is < 1, the arguments disagree on the number of dimensions, or a
            stride > 1 comes without ``input_size``.

    Example:
        >>> same_padding(3)
        ((1, 1),)
        >>> same_padding((2, 2))               # even kernel: the odd pixel at the bottom/right
        ((0, 1), (0, 1))
        >>> same_padding((2, 2), lower=True)   # ... or at the top/left (the notes' rule)
        ((1, 0), (1, 0))
        >>> same_padding(3, stride=2, input_size=(8, 7))   # outputs ceil(8/2)=4 and ceil(7/2)=4
        ((0, 1), (1, 1))
    """
    fn = "same_padding"
    given = (kernel_size, stride, dilation, input_size)
    lengths = {len(v) for v in given if isinstance(v, (tuple, list)) and len(v) != 1}
    if len(lengths) > 1:
        raise ValueError(
            f"{fn}: kernel_size, stride, dilation and input_size disagree on the number of "
            f"dimensions: got {kernel_size!r}, {stride!r}, {dilation!r}, {input_size!r}"
        )
    S = lengths.pop() if lengths else 1
    kernel = int_tuple(fn, "kernel_size", kernel_size, S)
    strides = int_tuple(fn, "stride", stride, S)
    dilations = int_tuple(fn, "dilation", dilation, S)
    if input_size is None:
        if any(s > 1 for s in strides):
            raise ValueError(
                f"{fn}: with stride {strides} > 1 the padding depends on the input size; "
                f"pass input_size= (the spatial size, e.g. (H, W))"
            )
        sizes = (1,) * S  # with stride 1 the total d*(k-1) does not depend on the size
    else:
        sizes = int_tuple(fn, "input_size", input_size, S)
    return tuple(
        same_pads(n, k, s, d, lower)
        for n, k, s, d in zip(sizes, kernel, strides, dilations, strict=True)
    )
