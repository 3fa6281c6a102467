"""``juanji.nn.utils`` against ``torch.nn.utils``: clipping, vectors, weight norms, fusion."""

import math
import warnings

import numpy as np
import pytest

import juanji
from juanji import nn
from juanji.nn import utils as U
from juanji.nn.utils.rnn import pad_sequence
from reference import torch

TU = torch.nn.utils


def _pair_of_grads(rng, shapes, scale=1.0):
    grads = [rng.standard_normal(s) * scale for s in shapes]
    j = [juanji.zeros(*s, dtype=juanji.float64, requires_grad=True) for s in shapes]
    t = [torch.zeros(*s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for a, b, g in zip(j, t, grads, strict=True):
        a.grad = juanji.tensor(g)
        b.grad = torch.tensor(g)
    return j, t


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(rng, norm_type, max_norm):
    j, t = _pair_of_grads(rng, [(3, 4), (5,), (2, 1, 3)])
    total_j = U.clip_grad_norm_(j, max_norm, norm_type=norm_type)
    total_t = TU.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(total_j.item(), total_t.item(), rtol=1e-12)
    for a, b in zip(j, t, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_hand_case_and_skips_missing_grads():
    w = juanji.zeros(2, requires_grad=True)
    w.grad = juanji.tensor([3.0, 4.0])
    no_grad = juanji.zeros(3, requires_grad=True)
    assert U.clip_grad_norm_([w, no_grad], 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert U.clip_grad_norm_([no_grad], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite_error_as_torch():
    w = juanji.zeros(2, requires_grad=True)
    w.grad = juanji.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        U.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_deprecated_alias_warns():
    w = juanji.zeros(2, requires_grad=True)
    w.grad = juanji.tensor([3.0, 4.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        U.clip_grad_norm(w, 10.0)


def test_clip_grad_value_matches_torch(rng):
    j, t = _pair_of_grads(rng, [(4, 3), (6,)], scale=3.0)
    U.clip_grad_value_(j, 1.5)
    TU.clip_grad_value_(t, 1.5)
    for a, b in zip(j, t, strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_parameters_to_vector_and_back_matches_torch(rng):
    layer = nn.Linear(3, 2)
    vector = U.parameters_to_vector(layer.parameters())
    assert vector.shape == (8,)
    values = rng.standard_normal(8).astype(np.float32)
    U.vector_to_parameters(juanji.tensor(values), layer.parameters())
    t_layer = torch.nn.Linear(3, 2)
    TU.vector_to_parameters(torch.tensor(values), t_layer.parameters())
    np.testing.assert_array_equal(layer.weight.detach().numpy(), t_layer.weight.detach().numpy())
    np.testing.assert_array_equal(layer.bias.detach().numpy(), t_layer.bias.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: ndarray"):
        U.vector_to_parameters(values, layer.parameters())


def test_parameters_to_vector_is_differentiable():
    a = juanji.ones(2, 2, requires_grad=True)
    (U.parameters_to_vector([a]) * juanji.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 1], [2, 3]])


def _copy_linear(rng, shape=(4, 3)):
    w = rng.standard_normal(shape)
    j = nn.Linear(shape[1], shape[0], dtype=juanji.float64)
    t = torch.nn.Linear(shape[1], shape[0], dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
        t.bias.zero_()
    j.weight.data = juanji.tensor(w)
    j.bias.data = juanji.zeros(shape[0], dtype=juanji.float64)
    return j, t


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_forward_and_gradients_match_torch(rng, dim):
    j, t = _copy_linear(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        U.weight_norm(j, dim=dim)
        TU.weight_norm(t, dim=dim)
    assert [n for n, _ in j.named_parameters()] == [n for n, _ in t.named_parameters()]
    np.testing.assert_allclose(j.weight_g.detach().numpy(), t.weight_g.detach().numpy())
    x = rng.standard_normal((5, 3))
    out_j, out_t = j(juanji.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(out_j.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    (out_j**2).sum().backward()
    (out_t**2).sum().backward()
    for name in ("weight_g", "weight_v"):
        np.testing.assert_allclose(
            getattr(j, name).grad.numpy(), getattr(t, name).grad.numpy(), rtol=1e-10
        )


def test_weight_norm_twice_and_remove():
    layer = nn.Conv2d(2, 3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        U.weight_norm(layer)
        assert layer.weight_g.shape == (3, 1, 1, 1)
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
            U.weight_norm(layer)
    before = layer.weight.detach().numpy().copy()
    U.remove_weight_norm(layer)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight.detach().numpy(), before, rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        U.remove_weight_norm(layer)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("iterations", [1, 3])
def test_spectral_norm_matches_torch_from_the_same_vectors(rng, training, iterations):
    j, t = _copy_linear(rng, (5, 4))
    U.spectral_norm(j, n_power_iterations=iterations)
    TU.spectral_norm(t, n_power_iterations=iterations)
    j.weight_u.copy_(juanji.tensor(t.weight_u.numpy()))
    j.weight_v.copy_(juanji.tensor(t.weight_v.numpy()))
    j.train(training)
    t.train(training)
    x = rng.standard_normal((2, 4))
    for _ in range(2):  # the second call starts from the updated buffers
        out_j, out_t = j(juanji.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(out_j.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(j.weight_u.numpy(), t.weight_u.numpy(), rtol=1e-10)
    out_j.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(j.weight_orig.grad.numpy(), t.weight_orig.grad.numpy(), rtol=1e-9)


def test_spectral_norm_state_and_sigma_close_to_one():
    juanji.manual_seed(0)
    layer = U.spectral_norm(nn.ConvTranspose2d(3, 4, 2), n_power_iterations=30)
    assert layer.weight_u.shape == (4,)  # dim=1 for transposed convolutions, as torch
    assert set(layer.state_dict()) == {"bias", "weight_orig", "weight_u", "weight_v"}
    layer(juanji.zeros(1, 3, 2, 2))
    matrix = layer.weight.detach().numpy().transpose(1, 0, 2, 3).reshape(4, -1)
    assert np.linalg.norm(matrix, 2) == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        U.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    U.remove_spectral_norm(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_unfused(rng, transpose):
    conv = (nn.ConvTranspose2d if transpose else nn.Conv2d)(3, 4, 3, dtype=juanji.float64)
    bn = nn.BatchNorm2d(4, dtype=juanji.float64)
    bn.running_mean.copy_(juanji.tensor(rng.standard_normal(4)))
    bn.running_var.copy_(juanji.tensor(rng.uniform(0.5, 2, 4)))
    bn.weight.data = juanji.tensor(rng.standard_normal(4))
    conv.eval()
    bn.eval()
    fused = U.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    x = juanji.tensor(rng.standard_normal((2, 3, 5, 5)))
    np.testing.assert_allclose(fused(x).detach().numpy(), bn(conv(x)).detach().numpy(), rtol=1e-10)
    assert fused is not conv
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        U.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_conv_bn_weights_matches_torch(rng):
    w, rm, rv = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4), rng.uniform(1, 2, 4)
    bw, bb = rng.standard_normal(4), rng.standard_normal(4)
    args = (w, None, rm, rv, 1e-5, bw, bb)
    j = U.fuse_conv_bn_weights(
        *[juanji.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    )
    t = TU.fuse_conv_bn_weights(
        *[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    )
    for a, b in zip(j, t, strict=True):
        assert isinstance(a, nn.Parameter)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_fuse_linear_bn_eval_matches_unfused(rng):
    linear, bn = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    bn.running_var.copy_(juanji.tensor(rng.uniform(0.5, 2, 4).astype(np.float32)))
    x = juanji.randn(5, 3)
    fused = U.fuse_linear_bn_eval(linear, bn)
    np.testing.assert_allclose(fused(x).detach().numpy(), bn(linear(x)).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(rng, batch_first, side):
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    j = [juanji.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_j = pad_sequence(j, batch_first, -1.0, side)
    out_t = torch.nn.utils.rnn.pad_sequence(t, batch_first, -1.0, side)
    np.testing.assert_array_equal(out_j.detach().numpy(), out_t.detach().numpy())
    weights = rng.standard_normal(tuple(out_t.shape))
    (out_j * juanji.tensor(weights)).sum().backward()
    (out_t * torch.tensor(weights)).sum().backward()
    for a, b in zip(j, t, strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence(j, padding_side="middle")


def _sequences(rng, lengths):
    arrays = [rng.standard_normal((n, 2)) for n in lengths]
    return (
        arrays,
        [juanji.tensor(a, requires_grad=True) for a in arrays],
        [torch.tensor(a, requires_grad=True) for a in arrays],
    )


@pytest.mark.parametrize("lengths", [(4, 3, 1), (2, 5, 3)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_round_trip_matches_torch(rng, lengths, batch_first):
    sorted_ = list(lengths) == sorted(lengths, reverse=True)
    _, ours, theirs = _sequences(rng, lengths)
    packed = U.rnn.pack_padded_sequence(
        pad_sequence(ours, batch_first), list(lengths), batch_first, enforce_sorted=sorted_
    )
    t_packed = TU.rnn.pack_padded_sequence(
        TU.rnn.pad_sequence(theirs, batch_first), list(lengths), batch_first, enforce_sorted=sorted_
    )
    np.testing.assert_array_equal(packed.data.detach().numpy(), t_packed.data.detach().numpy())
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), t_packed.batch_sizes.numpy())
    if not sorted_:
        np.testing.assert_array_equal(packed.sorted_indices.numpy(), t_packed.sorted_indices)
        np.testing.assert_array_equal(packed.unsorted_indices.numpy(), t_packed.unsorted_indices)
    padded, sizes = U.rnn.pad_packed_sequence(packed, batch_first, -1.0, total_length=6)
    t_padded, t_sizes = TU.rnn.pad_packed_sequence(t_packed, batch_first, -1.0, total_length=6)
    np.testing.assert_array_equal(padded.detach().numpy(), t_padded.detach().numpy())
    np.testing.assert_array_equal(sizes.numpy(), t_sizes.numpy())
    weights = rng.standard_normal(tuple(t_padded.shape))
    (padded * juanji.tensor(weights)).sum().backward()
    (t_padded * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_pack_and_unpack_sequence_and_errors(rng):
    arrays, ours, _ = _sequences(rng, (2, 5, 3))
    packed = U.rnn.pack_sequence(ours, enforce_sorted=False)
    for a, b in zip(U.rnn.unpack_sequence(packed), arrays, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b)
    padded = pad_sequence(ours, batch_first=True)
    for a, b in zip(
        U.rnn.unpad_sequence(padded, juanji.tensor([2, 5, 3]), True), arrays, strict=True
    ):
        np.testing.assert_array_equal(a.detach().numpy(), b)
    assert U.rnn.invert_permutation(None) is None
    np.testing.assert_array_equal(
        U.rnn.invert_permutation(juanji.tensor([2, 0, 1])).numpy(), [1, 2, 0]
    )
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        U.rnn.pack_sequence(ours)
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        U.rnn.pack_padded_sequence(padded, [2, 0, 3], True, enforce_sorted=False)
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        U.rnn.pad_packed_sequence(packed, total_length=2)
