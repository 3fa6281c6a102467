"""hardshrink, softshrink, threshold, rrelu, gumbel_softmax, Softmax2d and the ``*_`` names."""

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji import nn
from reference import compare_op, torch

TF = torch.nn.functional


def _input(rng, dtype=np.float64):
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    x.flat[:4] = [0.5, -0.5, 1.0, -1.0]  # the thresholds themselves (PyTorch's boundary rules)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lambd", [0.5, 1.0, 0.0])
def test_shrinks_match_torch(rng, dtype, lambd):
    x = _input(rng, dtype)
    compare_op(lambda x: F.hardshrink(x, lambd), lambda x: TF.hardshrink(x, lambd), [x])
    compare_op(lambda x: F.softshrink(x, lambd), lambda x: TF.softshrink(x, lambd), [x])


@pytest.mark.parametrize(("limit", "value"), [(1.0, -3.0), (0.5, 0.0), (-1.0, 7.0)])
def test_threshold_matches_torch(rng, limit, value):
    compare_op(
        lambda x: F.threshold(x, limit, value),
        lambda x: TF.threshold(x, limit, value),
        [_input(rng)],
    )


def test_rrelu_eval_matches_torch(rng):
    compare_op(
        lambda x: F.rrelu(x, 0.1, 0.3),
        lambda x: TF.rrelu(x, 0.1, 0.3, training=False),
        [_input(rng)],
    )


def test_rrelu_training_draws_slopes_in_range_and_uses_them_for_the_gradient():
    juanji.manual_seed(0)
    x = -juanji.ones(20000, dtype=juanji.float64)
    x.requires_grad_(True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -out.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.mean() == pytest.approx(0.2, abs=0.005)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    positive = F.rrelu(juanji.ones(5), training=True)
    np.testing.assert_array_equal(positive.numpy(), np.ones(5))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("relu_", ()),
        ("elu_", (0.5,)),
        ("leaky_relu_", (0.2,)),
        ("hardtanh_", (-0.5, 0.5)),
        ("selu_", ()),
        ("celu_", (2.0,)),
        ("threshold_", (0.1, 9.0)),
        ("rrelu_", (0.1, 0.3)),
    ],
)
def test_in_place_names_match_torch_and_write_the_input(rng, name, args):
    x = _input(rng)
    ours, theirs = juanji.tensor(x.copy()), torch.tensor(x.copy())
    result = getattr(F, name)(ours, *args)
    getattr(TF, name)(theirs, *args)
    assert result is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="threshold: inplace=True on a leaf"):
        F.threshold_(juanji.zeros(2, requires_grad=True), 0.0, 1.0)


def test_activation_modules_match_torch(rng):
    x = _input(rng)
    pairs = [
        (nn.Hardshrink(0.7), torch.nn.Hardshrink(0.7)),
        (nn.Softshrink(0.3), torch.nn.Softshrink(0.3)),
        (nn.Threshold(0.2, -1.0), torch.nn.Threshold(0.2, -1.0)),
        (nn.Threshold(0.2, -1.0, inplace=True), torch.nn.Threshold(0.2, -1.0, inplace=True)),
        (nn.RReLU(0.1, 0.2).eval(), torch.nn.RReLU(0.1, 0.2).eval()),
        (nn.Softmax2d(), torch.nn.Softmax2d()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(
            ours(juanji.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12
        )


def test_softmax2d_gradient_and_errors(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    compare_op(nn.Softmax2d(), torch.nn.Softmax2d(), [x])
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(juanji.zeros(2, 3))


def test_softshrink_negative_lambda_error_as_torch():
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        TF.softshrink(torch.zeros(2), -1.0)
    with pytest.raises(ValueError, match="softshrink: lambda must be in range"):
        F.softshrink(juanji.zeros(2), -1.0)


def test_gumbel_softmax_is_a_distribution_with_the_right_law():
    juanji.manual_seed(0)
    logits = juanji.tensor([[0.0, 1.0, 2.0]]).repeat(20000, 1)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).numpy(), np.ones(20000), rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    # argmax(logits + Gumbel noise) is a sample of softmax(logits) (the Gumbel-max trick)
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(hard.numpy().mean(0), expected, atol=0.015)


def test_gumbel_softmax_hard_passes_the_soft_gradient():
    logits = juanji.zeros(4, 3, requires_grad=True)
    g1, g2 = juanji.Generator().manual_seed(1), juanji.Generator().manual_seed(1)
    hard = F.gumbel_softmax(logits, hard=True, generator=g1)
    soft = F.gumbel_softmax(logits, generator=g2)
    weights = juanji.tensor([[1.0, 2.0, 3.0]])
    (hard * weights).sum().backward()
    grad_hard = logits.grad.numpy().copy()
    logits.grad = None
    (soft * weights).sum().backward()
    np.testing.assert_allclose(grad_hard, logits.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["threshold", "rrelu", "gumbel_softmax"])
def test_signatures_start_with_torch_s(name):
    import inspect

    ours = inspect.signature(getattr(F, name)).parameters
    theirs = list(inspect.signature(getattr(TF, name)).parameters)
    assert list(ours)[: len(theirs)] == theirs
    assert all(p.kind == p.KEYWORD_ONLY for p in list(ours.values())[len(theirs) :])


@pytest.mark.parametrize("name", ["Hardshrink", "Softshrink", "Threshold", "RReLU", "Softmax2d"])
def test_module_signatures_match_torch(name):
    import inspect

    ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    assert ours == theirs or (name == "Softmax2d" and ours[0] == "self")


@pytest.mark.parametrize(
    ("name", "args"), [("threshold_", (0.1, 9.0)), ("rrelu_", (0.2, 0.2, True))]
)
def test_in_place_inside_a_graph_writes_the_input_as_torch(rng, name, args):
    x = rng.standard_normal((3, 4))
    results = []
    for library, functional in ((juanji, F), (torch, TF)):
        leaf = library.tensor(x, requires_grad=True)
        kept = leaf * 2  # a graph tensor a program keeps, then activates in place
        out = getattr(functional, name)(kept, *args)
        assert out is kept
        (kept * 3).sum().backward()
        results.append((kept.detach().numpy(), leaf.grad.numpy()))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
