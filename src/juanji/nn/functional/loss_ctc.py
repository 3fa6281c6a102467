"""``ctc_loss``: connectionist temporal classification (Graves et al., 2006), for 1-D sequences.

The loss of one sample is ``-log p(target | log_probs)``, summed over every alignment of the
target to the ``T`` input steps that, after merging repeats and removing blanks, reads the
target. With the extended target ``l'`` (a blank before, between and after the labels, length
``2S + 1``) the forward variable obeys::

    alpha_0(0) = lp_0(blank),  alpha_0(1) = lp_0(l_1)
    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if allowed)
                 + lp_t(l'_s)

where the jump from ``s - 2`` is allowed onto a label that differs from the label two places
back; the loss is ``-logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S-1))``. The recursion is written
with differentiable Tensor operations, so the gradient is the exact gradient with respect to
``log_probs`` (PyTorch's kernel returns the gradient with respect to the logits of a
``log_softmax`` instead; through ``log_softmax`` the two agree). Impossible alignments (targets
longer than the input allows) give ``inf``, or 0 with ``zero_infinity``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from juanji.nn.functional._checks import check_choice, check_float, check_tensor
from juanji.tensor.functions import cat, logsumexp, stack
from juanji.tensor.tensor import Tensor, where

__all__ = ["ctc_loss"]

_NEG = -1e30  # log(0) for the recursion: finite, so that logsumexp never meets inf - inf


def _lengths(fn: str, name: str, value: Any, batch: int) -> np.ndarray:
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    array = array.astype(np.int64).reshape(-1)
    if array.shape != (batch,):
        raise ValueError(f"{fn}: {name} must have {batch} entries (one per sample), got {array}")
    return array


def _padded_targets(fn: str, targets: Tensor, sizes: np.ndarray, batch: int) -> np.ndarray:
    """Targets as ``(N, S)`` int64, from the padded ``(N, S)`` or concatenated 1-D layout."""
    data = targets.numpy().astype(np.int64)
    if data.ndim == 2 and data.shape[0] == batch:
        return data
    if data.ndim != 1 or data.size < sizes.sum():
        raise ValueError(
            f"{fn}: targets must be (N, S) padded or 1-D concatenated of sum(target_lengths) "
            f"= {int(sizes.sum())}, got shape {targets.shape}"
        )
    padded = np.zeros((batch, max(int(sizes.max(initial=0)), 1)), np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for n, (start, size) in enumerate(zip(starts, sizes, strict=True)):
        padded[n, :size] = data[start : start + size]
    return padded


def _alpha(lp: Tensor, extended: np.ndarray, skip: np.ndarray, steps: np.ndarray) -> Tensor:
    """The forward variables after each sample's last step: ``(N, 2S + 1)``."""
    T, N = lp.shape[:2]
    width = extended.shape[1]
    dtype = lp._data.dtype
    emit = lp[:, np.arange(N)[:, None], extended]  # (T, N, 2S + 1)
    start = np.full((N, width), _NEG, dtype=dtype)
    start[:, :2] = 0.0
    alpha = emit[0] + Tensor(start)
    pad = Tensor(np.full((N, 2), _NEG, dtype=dtype))
    skip_mask = Tensor(np.where(skip, 0.0, _NEG).astype(dtype))
    for t in range(1, T):
        behind = cat([pad, alpha], 1)  # (N, 2S + 3): alpha shifted right by two
        candidates = stack([alpha, behind[:, 1 : width + 1], behind[:, :width] + skip_mask])
        updated = logsumexp(candidates, 0) + emit[t]
        alpha = where(Tensor((t < steps)[:, None]), updated, alpha)  # past its end: frozen
    return alpha


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss of ``log_probs`` ``(T, N, C)`` (or ``(T, C)``) against ``targets``.

    Args:
        log_probs: log-probabilities over the C classes per step (``log_softmax`` output).
        targets: ``(N, S)`` padded class indices, or all targets concatenated (1-D); never
            ``blank``.
        input_lengths: ``(N,)`` steps of each sample (<= T).
        target_lengths: ``(N,)`` labels of each sample.
        blank: the blank class. Default: 0.
        reduction: ``'mean'`` (default: each loss divided by its target length, then the
            batch mean), ``'sum'`` or ``'none'``.
        zero_infinity: give impossible samples a loss (and gradient) of 0 instead of inf.

    Example:
        >>> import juanji
        >>> log_probs = juanji.full((2, 1, 2), 0.5).log()  # two steps, blank or label 1
        >>> ctc_loss(log_probs, juanji.tensor([[1]]), [2], [1], reduction="sum")
        tensor(0.2877)
    """
    fn = "ctc_loss"
    check_tensor(fn, "log_probs", log_probs)
    check_tensor(fn, "targets", targets)
    check_float(fn, "log_probs", log_probs)
    check_choice(fn, "reduction", reduction, ("none", "mean", "sum"))
    batched = log_probs if log_probs.ndim == 3 else log_probs.unsqueeze(1)
    if batched.ndim != 3:
        raise ValueError(f"{fn}: log_probs must be (T, N, C) or (T, C), got {log_probs.shape}")
    T, N, _ = batched.shape
    if log_probs.ndim == 2 and targets.ndim == 1:
        targets = targets.unsqueeze(0)
    steps = _lengths(fn, "input_lengths", input_lengths, N)
    sizes = _lengths(fn, "target_lengths", target_lengths, N)
    if steps.max(initial=0) > T:
        raise ValueError(f"{fn}: input_lengths must be <= T = {T}, got {steps}")
    labels = _padded_targets(fn, targets, sizes, N)
    S = max(int(sizes.max(initial=0)), 1)
    labels = np.where(np.arange(labels.shape[1]) < sizes[:, None], labels, blank)
    extended = np.full((N, 2 * S + 1), blank, np.int64)
    extended[:, 1::2] = labels[:, :S]
    skip = np.zeros_like(extended, dtype=bool)
    skip[:, 3::2] = extended[:, 3::2] != extended[:, 1:-2:2]
    alpha = _alpha(batched, extended, skip, steps)
    last = 2 * sizes  # the final blank; the final label is one before
    rows = np.arange(N)
    final_label = where(Tensor(sizes > 0), alpha[rows, np.maximum(last - 1, 0)], _NEG)
    loss = -logsumexp(stack([alpha[rows, last], final_label]), 0)  # (N,)
    repeats = (labels[:, 1:] == labels[:, :-1]) & (np.arange(1, labels.shape[1]) < sizes[:, None])
    feasible = sizes + repeats.sum(1) <= steps
    impossible = 0.0 if zero_infinity else float("inf")
    loss = where(Tensor(feasible), loss, impossible)
    if reduction == "none":
        return loss if log_probs.ndim == 3 else loss.reshape(())
    if reduction == "sum":
        return loss.sum()
    return (loss / Tensor(np.maximum(sizes, 1).astype(loss._data.dtype))).mean()
