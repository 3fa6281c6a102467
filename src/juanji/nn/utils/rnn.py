"""Variable-length sequences: padding (``pad_sequence``) and packing (``PackedSequence``).

A packed sequence stores a batch of sequences time step by time step, without padding: the
rows of step t are the sequences longer than t, longest first, and ``batch_sizes[t]`` counts
them. juanji has no recurrent layers to consume it; the packing functions are here so that
code preparing such batches runs (and round-trips) as in PyTorch, gradients included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from juanji.tensor.creation import tensor as as_tensor
from juanji.tensor.functions import cat, stack
from juanji.tensor.tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def pad_sequence(
    sequences: Tensor | Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Pad tensors of shapes ``(L_i, *)`` to the longest ``L`` and stack them (differentiable).

    Args:
        sequences: tensors whose first dimension is the length; the rest must agree.
        batch_first: output ``(B, L, *)`` when True, ``(L, B, *)`` (default) otherwise.
        padding_value: the value of the padded positions. Default: 0.
        padding_side: ``"right"`` (default) pads after each sequence, ``"left"`` before.

    Returns:
        The padded batch.

    Raises:
        ValueError: ``padding_side`` is neither ``"left"`` nor ``"right"``.
        RuntimeError: no sequences, or trailing shapes that differ.

    Example:
        >>> import juanji
        >>> pad_sequence([juanji.ones(2), juanji.ones(3)], batch_first=True)
        tensor([[1., 1., 0.],
                [1., 1., 1.]])
    """
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for seq in sequences:
        if seq.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape {trailing}, "
                f"got {seq.shape[1:]}"
            )
    longest = max(seq.shape[0] for seq in sequences)
    padded = []
    for seq in sequences:
        filler = seq.new_full((longest - seq.shape[0], *trailing), padding_value)
        padded.append(cat([seq, filler] if padding_side == "right" else [filler, seq]))
    return stack(padded, 0 if batch_first else 1)


class PackedSequence(NamedTuple):
    """A packed batch: ``data``, ``batch_sizes`` (per step) and the sorting permutations.

    ``data`` holds the rows of all time steps; ``sorted_indices`` is the permutation that
    sorted the batch by length and ``unsorted_indices`` its inverse (None when it was sorted).
    """

    data: Tensor
    batch_sizes: Tensor | None = None
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved or cast (the indices stay int64)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on the GPU."""
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None).

    Example:
        >>> import juanji
        >>> invert_permutation(juanji.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    order = permutation.numpy().astype(np.int64)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return as_tensor(inverse)


def _lengths(lengths: Any) -> np.ndarray:
    values = lengths.numpy() if isinstance(lengths, Tensor) else np.asarray(lengths)
    return values.astype(np.int64).reshape(-1)


def pack_padded_sequence(
    input: Tensor,  # noqa: A002 - PyTorch's name
    lengths: Tensor | Sequence[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of ``lengths``.

    Raises:
        RuntimeError: ``enforce_sorted`` and lengths not in decreasing order, or a length <= 0.

    Example:
        >>> import juanji
        >>> padded = juanji.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])
        >>> pack_padded_sequence(padded, [3, 2], batch_first=True).data
        tensor([1., 4., 2., 5., 3.])
    """
    sizes = _lengths(lengths)
    if sizes.size and sizes.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(sizes) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = np.argsort(-sizes, kind="stable")
        sorted_indices = as_tensor(order)
        sizes = sizes[order]
        input = input[order] if batch_first else input[:, order]  # noqa: A001
    steps = input if not batch_first else input.transpose(0, 1)  # (T, B, *)
    batch_sizes = np.array([(sizes > t).sum() for t in range(int(sizes.max()))], np.int64)
    data = cat([steps[t, : int(n)] for t, n in enumerate(batch_sizes)])
    return PackedSequence(
        data, as_tensor(batch_sizes), sorted_indices, invert_permutation(sorted_indices)
    )


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: ``(padded, lengths)``, in the batch's original order.

    Raises:
        ValueError: ``total_length`` shorter than the longest sequence.
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy().astype(np.int64)
    steps = len(batch_sizes)
    if total_length is not None and total_length < steps:
        raise ValueError(
            "Expected total_length to be at least the length of the longest sequence in input, "
            f"but got total_length={total_length} and max sequence length being {steps}"
        )
    width = int(batch_sizes[0])
    rows, start = [], 0
    trailing = tuple(data.shape[1:])
    for n in batch_sizes:
        step = data[start : start + int(n)]
        rows.append(cat([step, data.new_full((width - int(n), *trailing), padding_value)]))
        start += int(n)
    for _ in range(steps, total_length or steps):
        rows.append(data.new_full((width, *trailing), padding_value))
    padded = stack(rows)  # (T, B, *)
    lengths = np.array([(batch_sizes > b).sum() for b in range(width)], np.int64)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices.numpy().astype(np.int64)
        padded, lengths = padded[:, order], lengths[order]
    return (padded.transpose(0, 1) if batch_first else padded), as_tensor(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (longest first unless ``enforce_sorted=False``).

    Example:
        >>> import juanji
        >>> pack_sequence([juanji.tensor([1, 2, 3]), juanji.tensor([4, 5])]).batch_sizes
        tensor([2, 2, 1])
    """
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """Split a padded batch back into its sequences of ``lengths``."""
    batch = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [batch[i, : int(n)] for i, n in enumerate(_lengths(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences that ``pack_sequence`` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
