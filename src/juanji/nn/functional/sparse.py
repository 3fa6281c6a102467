"""Lookups by integer index: ``embedding`` (a row of a weight matrix per index) and ``one_hot``.

``embedding(input, weight)`` is ``weight[input]``: an ``(*, )`` tensor of indices becomes
``(*, D)`` rows of the ``(V, D)`` weight, and the gradient of each row is the sum of the output
gradients of the positions that read it. Text CNNs over word vectors start this way.
"""

from __future__ import annotations

from typing import Any

from juanji._dtype import bool_
from juanji.autograd.grad_mode import no_grad
from juanji.backend import xp_of
from juanji.nn.functional._checks import _is_int, check_tensor
from juanji.nn.functional.distance import vector_norm
from juanji.tensor.tensor import Tensor, where

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _check_indices(fn: str, input: Tensor, rows: int) -> None:
    check_tensor(fn, "input", input)
    if input.is_floating_point() or input.dtype == bool_:
        raise TypeError(
            f"{fn}: input must hold integer indices (int64 or int32), got dtype {input.dtype}"
        )
    data = input._data
    if data.size and (int(data.min()) < 0 or int(data.max()) >= rows):
        raise IndexError(
            f"{fn}: index out of range in self: indices must be in [0, {rows}), got values in "
            f"[{int(data.min())}, {int(data.max())}]"
        )


def embedding_padding_idx(fn: str, padding_idx: Any, rows: int) -> int | None:
    """``padding_idx`` as a row number in ``[0, rows)`` (negative counts from the end)."""
    if padding_idx is None:
        return None
    if not _is_int(padding_idx):
        raise TypeError(f"{fn}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -rows <= padding_idx < rows:
        raise ValueError(
            f"{fn}: Padding_idx must be within num_embeddings: padding_idx={padding_idx} for "
            f"{rows} embeddings"
        )
    return int(padding_idx) % rows


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` by the indices in ``input``.

    Args:
        input: integer indices of any shape, in ``[0, V)``.
        weight: ``(V, D)``, one row per index.
        padding_idx: a row whose positions give ``weight`` no gradient (the row is still read).
        max_norm: before the lookup, the rows that ``input`` reads and whose ``norm_type``-norm
            exceeds it are rescaled in place to norm ``max_norm`` (PyTorch's renorm, with its
            ``1e-7``).
        norm_type: the p of the norm for ``max_norm``. Default: 2.
        scale_grad_by_freq: divide each position's gradient by how often its index occurs in
            ``input``.
        sparse: sparse gradients are not supported (must be False).

    Returns:
        ``(*input.shape, D)``.

    Raises:
        TypeError: non-integer indices.
        IndexError: an index outside ``[0, V)``.
        NotImplementedError: ``sparse=True``.

    Example:
        >>> import juanji
        >>> weight = juanji.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> embedding(juanji.tensor([[2, 1], [0, 2]]), weight)
        tensor([[[3., 4.],
                 [1., 2.]],
        <BLANKLINE>
                [[0., 0.],
                 [3., 4.]]])
    """
    fn = "embedding"
    check_tensor(fn, "weight", weight)
    if weight.ndim != 2:
        raise ValueError(
            f"{fn}: weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}"
        )
    rows = weight.shape[0]
    _check_indices(fn, input, rows)
    padding_idx = embedding_padding_idx(fn, padding_idx, rows)
    if sparse:
        raise NotImplementedError(
            f"{fn}: sparse=True (sparse gradients) is not supported in juanji"
        )
    index = input.long()
    if max_norm is not None:
        _renorm_rows(weight, index, float(max_norm), float(norm_type))
    out = weight[index]
    if scale_grad_by_freq and index.numel():
        xp = xp_of(index._data)
        flat = index._data.reshape(-1)
        counts = xp.bincount(flat, minlength=rows)[flat].reshape(index.shape)
        scale = Tensor((1.0 / counts).astype(out._data.dtype)).unsqueeze(-1)
        out = out.detach() + (out - out.detach()) * scale  # the value of out, the gradient scaled
    if padding_idx is not None:
        reads_padding = (index == padding_idx).unsqueeze(-1)
        out = where(reads_padding, out.detach(), out)  # read, but no gradient
    return out


def _renorm_rows(weight: Tensor, index: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale in place the rows of ``weight`` read by ``index`` whose norm exceeds ``max_norm``."""
    xp = xp_of(weight._data)
    rows = xp.unique(index._data.reshape(-1))
    with no_grad():
        selected = weight[Tensor(rows)]
        norms = vector_norm(selected, norm_type, 1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[Tensor(rows)] = selected * scale


def _bags(
    fn: str, input: Tensor, offsets: Tensor | None, include_last_offset: bool
) -> tuple[Any, Any, int]:
    """The flat indices, each position's bag number and the number of bags."""
    xp = xp_of(input._data)
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                f"of fixed length sequences. However, found offsets of type {type(offsets)}"
            )
        rows, length = input.shape
        return input._data.reshape(-1), xp.repeat(xp.arange(rows), length), rows
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got {offsets}")
    starts = offsets._data.astype(xp.int64)
    if include_last_offset:
        starts = starts[:-1]
    if starts.size and int(starts[0]) != 0:
        raise ValueError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(starts[0])}"
        )
    if starts.size > 1 and bool((xp.diff(starts) < 0).any()):
        raise ValueError(f"{fn}: offsets must not decrease, got {offsets}")
    bag = xp.searchsorted(starts, xp.arange(input.shape[0]), side="right") - 1
    return input._data, bag, int(starts.size)


def _check_bag_options(
    fn: str,
    input: Tensor,
    weight: Tensor,
    mode: str,
    sparse: bool,
    per_sample_weights: Tensor | None,
) -> None:
    check_tensor(fn, "weight", weight)
    if weight.ndim != 2:
        raise ValueError(
            f"{fn}: weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on GitHub."
            )
        check_tensor(fn, "per_sample_weights", per_sample_weights)
        if per_sample_weights.shape != input.shape:
            raise ValueError(
                f"embedding_bag: per_sample_weights ({per_sample_weights.shape}) and input "
                f"({input.shape}) must have the same shape"
            )
    if sparse:
        raise NotImplementedError(
            f"{fn}: sparse=True (sparse gradients) is not supported in juanji"
        )


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of the embedding rows of each bag of indices.

    Bags are the rows of a 2-D ``input`` ``(B, L)``, or the runs of a 1-D ``input`` that start
    at ``offsets`` (``(B,)``; with ``include_last_offset`` it has ``B + 1`` entries, the last
    one the end). Positions holding ``padding_idx`` are left out (and not counted by
    ``'mean'``); an empty bag gives zeros. ``per_sample_weights`` (``'sum'`` only) scales each
    row before the sum. The other arguments are ``embedding``'s.

    Returns:
        ``(B, embedding_dim)``.

    Example:
        >>> import juanji
        >>> weight = juanji.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 4.0]])
        >>> embedding_bag(juanji.tensor([0, 1, 2, 2]), weight, juanji.tensor([0, 2]), mode="sum")
        tensor([[3., 1.],
                [0., 8.]])
    """
    fn = "embedding_bag"
    _check_bag_options(fn, input, weight, mode, sparse, per_sample_weights)
    _check_indices(fn, input, weight.shape[0])
    padding_idx = embedding_padding_idx(fn, padding_idx, weight.shape[0])
    flat, bag, bags = _bags(fn, input, offsets, include_last_offset)
    xp = xp_of(flat)
    rows = embedding(Tensor(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    member = bag[None, :] == xp.arange(bags)[:, None]  # (B, L)
    if padding_idx is not None:
        member &= flat[None, :] != padding_idx
    counts = member.sum(1, keepdims=True)
    if mode == "max":
        dtype = rows._data.dtype
        lowest = xp.where(member, 0, -xp.inf).astype(dtype)[:, :, None]  # (B, L, 1)
        largest = (rows.unsqueeze(0) + Tensor(lowest)).amax(1)  # (B, D)
        return where(Tensor(counts > 0), largest, 0.0)
    scale = member.astype(rows._data.dtype)
    if mode == "mean":
        scale = scale / xp.maximum(counts, 1)
    mixing = Tensor(scale)
    if per_sample_weights is not None:
        mixing = mixing * per_sample_weights.reshape(1, -1)
    return mixing.matmul(rows)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Indices ``(*)`` as one-hot rows ``(*, num_classes)`` of int64 zeros and ones.

    Args:
        tensor: int64 class indices.
        num_classes: the number of classes; -1 (default) takes ``tensor.max() + 1``.

    Raises:
        TypeError: non-integer input.
        ValueError: a negative index, or one not below ``num_classes``.

    Example:
        >>> import juanji
        >>> one_hot(juanji.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    fn = "one_hot"
    check_tensor(fn, "tensor", tensor)
    if tensor.is_floating_point() or tensor.dtype == bool_:
        raise TypeError(
            f"{fn}: one_hot is only applicable to index tensor, got dtype {tensor.dtype}"
        )
    data = tensor._data
    xp = xp_of(data)
    if data.size and int(data.min()) < 0:
        raise ValueError(f"{fn}: Class values must be non-negative.")
    if num_classes == -1:
        if not data.size:
            raise ValueError(f"{fn}: Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size and int(data.max()) >= num_classes:
        raise ValueError(f"{fn}: Class values must be smaller than num_classes.")
    out = (data[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor(out)
