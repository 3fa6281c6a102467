"""Public API of the loss functions: signatures, layouts, and the messages for bad input."""

import inspect

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from reference import compare_op, torch


def _parameters(fn):
    return [(p.name, p.default, p.kind.name) for p in inspect.signature(fn).parameters.values()]


def test_signatures_follow_pytorch_without_legacy_arguments():
    empty = inspect.Parameter.empty
    assert _parameters(F.cross_entropy) == [
        ("input", empty, "POSITIONAL_OR_KEYWORD"),
        ("target", empty, "POSITIONAL_OR_KEYWORD"),
        ("weight", None, "POSITIONAL_OR_KEYWORD"),
        ("ignore_index", -100, "KEYWORD_ONLY"),
        ("reduction", "mean", "KEYWORD_ONLY"),
        ("label_smoothing", 0.0, "KEYWORD_ONLY"),
    ]
    assert [p[0] for p in _parameters(F.nll_loss)] == [
        "input",
        "target",
        "weight",
        "ignore_index",
        "reduction",
    ]
    assert _parameters(F.mse_loss)[2] == ("reduction", "mean", "KEYWORD_ONLY")


def test_positional_legacy_position_fails_loudly():
    # In PyTorch the 4th positional argument is the legacy size_average; here it is refused.
    with pytest.raises(TypeError):
        F.cross_entropy(juanji.zeros(2, 3), juanji.tensor([0, 1]), None, -100)


def test_single_sample_layout():
    logits = juanji.tensor([1.0, 2.0, 3.0])
    loss = F.cross_entropy(logits, juanji.tensor(2), reduction="none")
    assert loss.shape == ()
    batched = F.cross_entropy(logits.unsqueeze(0), juanji.tensor([2]))
    assert loss.item() == pytest.approx(batched.item())


def test_per_pixel_layout_shape():
    loss = F.cross_entropy(
        juanji.zeros(2, 5, 3, 4), juanji.zeros(2, 3, 4, dtype=juanji.int64), reduction="none"
    )
    assert loss.shape == (2, 3, 4)


@pytest.mark.parametrize("bad, shown", [(10, 10), (-1, -1)])
def test_target_out_of_range(bad, shown):
    target = juanji.tensor([0, bad])
    message = rf"cross_entropy: target contains class {shown} but input has 10 classes \(0..9\)"
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(juanji.zeros(2, 10), target)
    with pytest.raises(ValueError, match=r"nll_loss: target contains class"):
        F.nll_loss(juanji.zeros(2, 10), target)


def test_ignored_entries_may_hold_any_value():
    loss = F.cross_entropy(juanji.zeros(2, 3), juanji.tensor([7, 1]), ignore_index=7)
    assert loss.item() == pytest.approx(np.log(3), rel=1e-6)


def test_target_shape_mismatch():
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: target shape \(5,\) does not match "
        r"input shape \(4, 10\): expected \(4,\)",
    ):
        F.cross_entropy(juanji.zeros(4, 10), juanji.zeros(5, dtype=juanji.int64))
    with pytest.raises(ValueError, match=r"expected \(2, 3\) \(the input without its class"):
        F.nll_loss(juanji.zeros(2, 4, 3), juanji.zeros(2, 4, dtype=juanji.int64))


def test_target_dtype():
    x = juanji.zeros(2, 3)
    with pytest.raises(
        TypeError,
        match=r"cross_entropy: target must hold int64 class indices "
        r"or floating-point class probabilities, got dtype "
        r"juanji.int32 \(convert with .long\(\)\)",
    ):
        F.cross_entropy(x, juanji.tensor([0, 1], dtype=juanji.int32))
    with pytest.raises(
        TypeError,
        match=r"nll_loss: target must hold int64 class indices, got "
        r"dtype juanji.float32",
    ):
        F.nll_loss(x, juanji.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"probability target .* must have the input's shape"):
        F.cross_entropy(x, juanji.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"same dtype"):
        F.cross_entropy(x, juanji.zeros(2, 3, dtype=juanji.float64))


def test_input_must_be_float_tensor_with_classes():
    with pytest.raises(TypeError, match=r"cross_entropy: input must be a Tensor, got ndarray"):
        F.cross_entropy(np.zeros((2, 3)), juanji.tensor([0, 1]))
    with pytest.raises(TypeError, match=r"cross_entropy: input must be a floating-point tensor"):
        F.cross_entropy(juanji.tensor([[1, 2]]), juanji.tensor([0]))
    with pytest.raises(ValueError, match=r"cross_entropy: input must be 1-D \(C\), 2-D"):
        F.cross_entropy(juanji.tensor(1.0), juanji.tensor(0))


def test_weight_checks():
    x, target = juanji.zeros(2, 3), juanji.tensor([0, 1])
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: weight must be a 1-D tensor of 3 class "
        r"weights .* got shape \(4,\)",
    ):
        F.cross_entropy(x, target, juanji.ones(4))
    with pytest.raises(TypeError, match=r"nll_loss: weight must be a Tensor"):
        F.nll_loss(x, target, [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match=r"same dtype"):
        F.nll_loss(x, target, juanji.ones(3, dtype=juanji.float64))


def test_reduction_and_smoothing_checks():
    x, target = juanji.zeros(2, 3), juanji.tensor([0, 1])
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: reduction must be one of 'none', "
        r"'mean', 'sum', got 'avg'",
    ):
        F.cross_entropy(x, target, reduction="avg")
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be a probability"):
        F.cross_entropy(x, target, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"mse_loss: reduction must be one of"):
        F.mse_loss(x, x, reduction="elementwise_mean")
    with pytest.raises(TypeError, match=r"ignore_index must be an int"):
        F.cross_entropy(x, target, ignore_index=1.0)


def test_mse_loss_refuses_broadcasting():
    with pytest.raises(
        ValueError,
        match=r"mse_loss: target shape \(3,\) differs from input "
        r"shape \(3, 1\)",
    ):
        F.mse_loss(juanji.zeros(3, 1), juanji.zeros(3))
    with pytest.raises(TypeError, match=r"mse_loss: input must be a floating-point tensor"):
        F.mse_loss(juanji.tensor([1, 2]), juanji.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"mse_loss: expected all tensors to have the same dtype"):
        F.mse_loss(juanji.zeros(2), juanji.zeros(2, dtype=juanji.float64))


def test_loss_detach_item_is_a_python_float_without_graph():
    x = juanji.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(x, juanji.tensor([0, 1, 2, 0]))
    value = loss.detach().item()
    assert type(value) is float
    assert loss.detach().grad_fn is None and not loss.detach().requires_grad


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_with_weight_matches_torch(xp, reduction):
    rng = np.random.default_rng(11)
    x, t = rng.standard_normal((2, 2, 3, 4))
    w = rng.random((2, 3, 4)) + 0.1
    compare_op(
        lambda a, b, c: F.mse_loss(a, b, reduction=reduction, weight=c),
        lambda a, b, c: torch.nn.functional.mse_loss(a, b, reduction=reduction, weight=c),
        [x, t, w],
        xp=xp,
    )
