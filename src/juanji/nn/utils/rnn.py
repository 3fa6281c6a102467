"""``pad_sequence``: a list of variable-length tensors as one padded batch (no packed RNNs)."""

from __future__ import annotations

from collections.abc import Sequence

from juanji.tensor.functions import cat, stack
from juanji.tensor.tensor import Tensor

__all__ = ["pad_sequence"]


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
