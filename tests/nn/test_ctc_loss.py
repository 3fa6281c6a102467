"""``F.ctc_loss`` and ``nn.CTCLoss`` against PyTorch (gradients through ``log_softmax``)."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
T, N, C = 12, 4, 5
INPUT_LENGTHS = np.array([12, 10, 7, 4])
TARGET_LENGTHS = np.array([3, 5, 0, 2])


def _targets(rng):
    targets = rng.integers(1, C, (N, 5))
    targets[0, :3] = [2, 2, 3]  # a repeat: needs a blank between
    return targets


def _both(library, logits, targets, input_lengths, target_lengths, **options):
    as_tensor = library.tensor
    return library.nn.functional.ctc_loss(
        logits.log_softmax(-1),
        as_tensor(targets),
        as_tensor(input_lengths),
        as_tensor(target_lengths),
        **options,
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_loss_matches_torch_through_log_softmax(rng, reduction, dtype):
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    targets = _targets(rng)
    args = (targets, INPUT_LENGTHS, TARGET_LENGTHS)
    compare_op(
        lambda x: _both(juanji, x, *args, reduction=reduction),
        lambda x: _both(torch, x, *args, reduction=reduction),
        [logits],
    )


def test_ctc_loss_concatenated_targets_blank_and_unbatched(rng):
    logits = rng.standard_normal((T, N, C))
    padded = _targets(rng)
    flat = np.concatenate([padded[n, : TARGET_LENGTHS[n]] for n in range(N)])
    args = (flat, INPUT_LENGTHS, TARGET_LENGTHS)
    compare_op(lambda x: _both(juanji, x, *args), lambda x: _both(torch, x, *args), [logits])
    shifted = np.where(padded == 4, 0, padded)  # blank = 4: labels must avoid it
    args = (shifted, INPUT_LENGTHS, TARGET_LENGTHS)
    compare_op(
        lambda x: _both(juanji, x, *args, blank=4),
        lambda x: _both(torch, x, *args, blank=4),
        [logits],
    )
    one = rng.standard_normal((T, C))
    args = (padded[1], [10], [5])
    compare_op(
        lambda x: _both(juanji, x, *args, reduction="none"),
        lambda x: _both(torch, x, *args, reduction="none"),
        [one],
    )


def test_ctc_loss_impossible_targets_give_inf_or_zero(rng):
    logits = rng.standard_normal((3, 2, C))
    targets = np.array([[1, 1, 2], [1, 2, 3]])  # sample 0 needs 4 steps (a blank between 1, 1)
    args = (targets, [3, 3], [3, 3])
    ours = _both(juanji, juanji.tensor(logits), *args, reduction="none").numpy()
    theirs = _both(torch, torch.tensor(logits), *args, reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs)
    assert np.isinf(ours[0])
    compare_op(
        lambda x: _both(juanji, x, *args, zero_infinity=True),
        lambda x: _both(torch, x, *args, zero_infinity=True),
        [logits],
    )


def test_ctc_loss_gradcheck_on_log_probs(rng):
    log_probs = juanji.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    targets = juanji.tensor([[1, 2], [2, 2]])
    assert gradcheck(lambda lp: F.ctc_loss(lp, targets, [5, 5], [2, 2]), [log_probs])


def test_ctc_loss_hand_case_and_module():
    # two steps, two classes at 1/2: alignments of "1" are (1, 1), (blank, 1), (1, blank)
    log_probs = juanji.full((2, 1, 2), 0.5).log()
    loss = F.ctc_loss(log_probs, juanji.tensor([[1]]), [2], [1], reduction="sum")
    assert loss.item() == pytest.approx(-np.log(3 / 4))
    assert repr(nn.CTCLoss(blank=1)) == repr(torch.nn.CTCLoss(blank=1))
    module = nn.CTCLoss(reduction="sum", zero_infinity=True)
    assert module(log_probs, juanji.tensor([[1]]), [2], [1]).item() == pytest.approx(loss.item())
    with pytest.raises(ValueError, match="input_lengths must be <= T"):
        F.ctc_loss(log_probs, juanji.tensor([[1]]), [3], [1])
