"""Normalisation (``_ops/norm.py``, ``F.*_norm``, ``nn.BatchNorm*`` & co.) against PyTorch.

Oracles: PyTorch over hypothesis-generated shapes (forward, gradients of input, weight and
bias, running statistics after several steps), float64 finite differences, and hand values.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import juanji
import juanji.nn.functional as F
from juanji import nn
from juanji.testing import gradcheck
from reference import compare_op, torch

TF = torch.nn.functional
dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**16)


def _randn(shape, dtype, seed, scale=2.0, shift=0.5):
    rng = np.random.default_rng(seed)
    return np.asarray(shift + scale * rng.standard_normal(shape), dtype=dtype)


@given(
    n=st.integers(2, 4),
    c=st.integers(1, 4),
    spatial=st.lists(st.integers(1, 4), max_size=3),
    dtype=dtypes,
    seed=seeds,
    training=st.booleans(),
    affine=st.booleans(),
)
def test_batch_norm_functional_matches_torch(n, c, spatial, dtype, seed, training, affine):
    shape = (n, c, *spatial)
    x, w, b = _randn(shape, dtype, seed), _randn((c,), dtype, seed + 1), _randn((c,), dtype, 2)
    mean0, var0 = _randn((c,), dtype, 3), 0.5 + np.abs(_randn((c,), dtype, 4))
    stats = {}

    def ours(x, w, b):
        rm, rv = juanji.tensor(mean0.copy()), juanji.tensor(var0.copy())
        stats["ours"] = (rm, rv)
        return F.batch_norm(
            x, rm, rv, w if affine else None, b if affine else None, training, 0.3, 1e-3
        )

    def theirs(x, w, b):
        rm, rv = torch.tensor(mean0.copy()), torch.tensor(var0.copy())
        stats["theirs"] = (rm, rv)
        return TF.batch_norm(
            x, rm, rv, w if affine else None, b if affine else None, training, 0.3, 1e-3
        )

    compare_op(ours, theirs, [x, w, b], grads=[0, 1, 2] if affine else [0])
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for j, t in zip(stats["ours"], stats["theirs"], strict=True):
        np.testing.assert_allclose(j.numpy(), t.numpy(), rtol=tol, atol=tol)


def _run_modules(ours, theirs, shape, dtype, steps=4, seed=0):
    """Train both for ``steps`` steps (one backward each), then compare state and eval output."""
    ours.to(juanji.float64 if dtype == np.float64 else juanji.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for step in range(steps):
        x = _randn(shape, dtype, seed + step, scale=step + 1.0, shift=step)
        jx, tx = juanji.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        jy, ty = ours(jx), theirs(tx)
        np.testing.assert_allclose(jy.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        g = _randn(jy.shape, dtype, 99 + step)
        (jy * juanji.tensor(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(jx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
        for (name, p), (_, q) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            np.testing.assert_allclose(
                p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol, err_msg=name
            )
    ours_state, their_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(their_state)
    for key in ours_state:
        np.testing.assert_allclose(
            ours_state[key].numpy(), their_state[key].numpy(), rtol=tol, atol=tol, err_msg=key
        )
    ours.eval()
    theirs.eval()
    x = _randn(shape, dtype, 1234)
    np.testing.assert_allclose(
        ours(juanji.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=tol,
        atol=tol,
    )


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize(
    "name,shape",
    [
        ("BatchNorm1d", (5, 3)),
        ("BatchNorm1d", (4, 3, 6)),
        ("BatchNorm2d", (3, 3, 4, 2)),
        ("BatchNorm3d", (2, 3, 2, 3, 2)),
    ],
)
def test_batch_norm_module_trains_like_torch(name, shape, momentum, affine, track, dtype):
    kwargs = {"momentum": momentum, "affine": affine, "track_running_stats": track}
    _run_modules(getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs), shape, dtype)


def test_batch_norm_without_bias_matches_torch(dtype):
    _run_modules(
        nn.BatchNorm2d(3, bias=False), torch.nn.BatchNorm2d(3, bias=False), (4, 3, 2, 2), dtype
    )


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize(
    "name,shape",
    [
        ("InstanceNorm1d", (3, 3, 6)),
        ("InstanceNorm1d", (3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 3)),
        ("InstanceNorm2d", (3, 4, 3)),
        ("InstanceNorm3d", (2, 3, 2, 3, 2)),
    ],
)
def test_instance_norm_module_trains_like_torch(name, shape, affine, track, dtype):
    kwargs = {"affine": affine, "track_running_stats": track, "momentum": 0.3}
    _run_modules(getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs), shape, dtype)


@pytest.mark.parametrize(
    "shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 2, 2), (2,))]
)
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_module_matches_torch(shape, normalized, affine, bias, dtype):
    _run_modules(
        nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias),
        torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias),
        shape,
        dtype,
        steps=2,
    )


@pytest.mark.parametrize(
    "groups,shape", [(1, (2, 4, 3)), (2, (2, 4, 3, 2)), (4, (3, 4)), (3, (2, 6, 2, 2, 2))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_module_matches_torch(groups, shape, affine, dtype):
    c = shape[1]
    _run_modules(
        nn.GroupNorm(groups, c, affine=affine),
        torch.nn.GroupNorm(groups, c, affine=affine),
        shape,
        dtype,
        steps=2,
    )


@given(
    shape=st.lists(st.integers(1, 4), min_size=3, max_size=5),
    size=st.integers(1, 6),
    dtype=dtypes,
    seed=seeds,
    beta=st.floats(0.1, 1.5),
    k=st.floats(0.5, 3.0),
)
def test_local_response_norm_matches_torch(shape, size, dtype, seed, beta, k):
    compare_op(
        lambda x: F.local_response_norm(x, size, 0.3, beta, k),
        lambda x: TF.local_response_norm(x, size, 0.3, beta, k),
        [_randn(shape, dtype, seed)],
    )


@given(
    lead=st.lists(st.integers(1, 3), max_size=2),
    norm=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    dtype=dtypes,
    seed=seeds,
)
def test_layer_norm_functional_matches_torch(lead, norm, dtype, seed):
    shape = (*lead, *norm)
    w, b = _randn(norm, dtype, seed + 1), _randn(norm, dtype, seed + 2)
    compare_op(
        lambda x, w, b: F.layer_norm(x, norm, w, b),
        lambda x, w, b: TF.layer_norm(x, norm, w, b),
        [_randn(shape, dtype, seed), w, b],
    )


def test_fused_ops_pass_gradcheck():
    rng = np.random.default_rng(0)

    def t(*shape):
        return juanji.tensor(rng.standard_normal(shape), requires_grad=True)

    x, w, b = t(3, 2, 4), t(2), t(2)
    rm, rv = juanji.zeros(2, dtype=juanji.float64), juanji.ones(2, dtype=juanji.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert gradcheck(lambda x: F.group_norm(x, 1, None, None), (x,))
    y, w4, b4 = t(3, 4), t(4), t(4)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (y, w4, b4))
    assert gradcheck(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0), (t(2, 5, 3),))


def test_batch_norm_hand_example():
    # One channel holding 1 and 3: mean 2, biased var 1, so y = (x - 2) / sqrt(1 + eps).
    bn = nn.BatchNorm1d(1, eps=0.0, momentum=0.5)
    y = bn(juanji.tensor([[1.0], [3.0]]))
    np.testing.assert_allclose(y.detach().numpy(), [[-1.0], [1.0]], atol=1e-6)
    # running_mean = 0.5 * 0 + 0.5 * 2; running_var = 0.5 * 1 + 0.5 * 2 (unbiased var is 2)
    np.testing.assert_allclose(bn.running_mean.numpy(), [1.0])
    np.testing.assert_allclose(bn.running_var.numpy(), [1.5])
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    np.testing.assert_allclose(
        bn(juanji.tensor([[2.5]])).detach().numpy(), [[1.5 / np.sqrt(1.5)]], rtol=1e-6
    )


def test_cumulative_average_with_momentum_none():
    bn = nn.BatchNorm1d(1, momentum=None)
    for values in ([0.0, 2.0], [4.0, 6.0], [8.0, 10.0]):
        bn(juanji.tensor([[v] for v in values]))
    np.testing.assert_allclose(bn.running_mean.numpy(), [5.0])  # mean of 1, 5, 9
    np.testing.assert_allclose(bn.running_var.numpy(), [2.0])  # each unbiased var is 2


def test_state_dict_keys_and_repr_match_torch():
    for ours, theirs in [
        (nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)),
        (nn.BatchNorm1d(2, affine=False), torch.nn.BatchNorm1d(2, affine=False)),
        (
            nn.BatchNorm3d(2, track_running_stats=False),
            torch.nn.BatchNorm3d(2, track_running_stats=False),
        ),
        (nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)),
        (
            nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
            torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        ),
        (nn.LayerNorm((2, 3), bias=False), torch.nn.LayerNorm((2, 3), bias=False)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (nn.LocalResponseNorm(5), torch.nn.LocalResponseNorm(5)),
    ]:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    assert nn.BatchNorm2d(3).num_batches_tracked.dtype == juanji.int64


def test_load_state_dict_from_torch_values():
    theirs = torch.nn.BatchNorm2d(3)
    theirs(torch.randn(4, 3, 2, 2) * 3)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy())
    assert ours.num_batches_tracked.item() == 1


def test_batch_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: input has 4 channels \(dim 1\) but "
        r"num_features is 3",
    ):
        nn.BatchNorm2d(3)(juanji.zeros(2, 4, 3, 3))
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when "
        r"training, got input size \(1, 3\)",
    ):
        nn.BatchNorm1d(3)(juanji.zeros(1, 3))
    nn.BatchNorm1d(3).eval()(juanji.zeros(1, 3))  # fine in evaluation
    with pytest.raises(
        ValueError,
        match=r"BatchNorm1d: expected 2D or 3D input \(N, C\) or "
        r"\(N, C, L\), got 4D input",
    ):
        nn.BatchNorm1d(3)(juanji.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input"):
        nn.BatchNorm2d(3)(juanji.zeros(3, 4, 5))
    with pytest.raises(
        ValueError,
        match=r"batch_norm: running_mean and running_var must be "
        r"defined in evaluation mode",
    ):
        F.batch_norm(juanji.zeros(2, 3), None, None, training=False)
    with pytest.raises(
        ValueError,
        match=r"batch_norm: running_mean should contain 3 elements "
        r"\(input has 3 channels\), got shape \(4,\)",
    ):
        F.batch_norm(juanji.zeros(2, 3), juanji.zeros(4), juanji.ones(4))
    with pytest.raises(TypeError, match=r"batch_norm: input must be a floating-point tensor"):
        F.batch_norm(juanji.zeros(2, 3, dtype=juanji.int64), None, None, training=True)


def test_other_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"GroupNorm: num_channels \(4\) must be divisible by "
        r"num_groups \(3\)",
    ):
        nn.GroupNorm(3, 4)
    with pytest.raises(
        ValueError,
        match=r"GroupNorm: input has 6 channels \(dim 1\) but "
        r"num_channels is 4",
    ):
        nn.GroupNorm(2, 4)(juanji.zeros(2, 6, 3))
    with pytest.raises(
        ValueError,
        match=r"group_norm: the number of channels in input \(6\) "
        r"must be divisible by num_groups \(4\)",
    ):
        F.group_norm(juanji.zeros(2, 6), 4)
    with pytest.raises(
        ValueError,
        match=r"layer_norm: given normalized_shape=\[4\], expected "
        r"input with shape \[\*, 4\], but got input of size",
    ):
        nn.LayerNorm(4)(juanji.zeros(2, 5))
    with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when training"):
        nn.InstanceNorm2d(3)(juanji.zeros(2, 3, 1, 1))
    with pytest.warns(
        UserWarning,
        match=r"InstanceNorm2d: input has 4 channels but "
        r"num_features is 3",
    ):
        nn.InstanceNorm2d(3)(juanji.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm2d: input has 4 channels"):
        nn.InstanceNorm2d(3, affine=True)(juanji.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"local_response_norm: input must be at least 3-D"):
        nn.LocalResponseNorm(2)(juanji.zeros(4, 5))
    with pytest.raises(ValueError, match=r"local_response_norm: size must be a positive integer"):
        F.local_response_norm(juanji.zeros(1, 2, 3), 0)


def test_float32_stays_float32_and_isinstance_init_idiom():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
    for m in model.modules():  # torchvision's weight-init idiom
        if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    out = model(juanji.randn(2, 1, 5, 5))
    assert out.dtype == juanji.float32
    assert nn.BatchNorm2d(2).double().running_var.dtype == juanji.float64


@given(
    n=st.integers(1, 3),
    groups=st.integers(1, 3),
    per_group=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 3), max_size=2),
    dtype=dtypes,
    seed=seeds,
)
def test_group_norm_functional_matches_torch(n, groups, per_group, spatial, dtype, seed):
    c = groups * per_group
    shape = (n, c, *spatial)
    if c * int(np.prod(spatial)) // groups <= 1:
        return  # one value per group: the variance is 0 and both give 0 / sqrt(eps)
    w, b = _randn((c,), dtype, seed + 1), _randn((c,), dtype, seed + 2)
    compare_op(
        lambda x, w, b: F.group_norm(x, groups, w, b, 1e-3),
        lambda x, w, b: TF.group_norm(x, groups, w, b, 1e-3),
        [_randn(shape, dtype, seed), w, b],
    )


@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    spatial=st.lists(st.integers(2, 3), min_size=1, max_size=2),
    dtype=dtypes,
    seed=seeds,
    affine=st.booleans(),
)
def test_instance_norm_functional_matches_torch(n, c, spatial, dtype, seed, affine):
    shape = (n, c, *spatial)
    w, b = _randn((c,), dtype, seed + 1), _randn((c,), dtype, seed + 2)
    compare_op(
        lambda x, w, b: F.instance_norm(
            x, weight=w if affine else None, bias=b if affine else None
        ),
        lambda x, w, b: TF.instance_norm(
            x, weight=w if affine else None, bias=b if affine else None
        ),
        [_randn(shape, dtype, seed), w, b],
        grads=[0, 1, 2] if affine else [0],
    )


def test_non_contiguous_input_matches_torch():
    x = np.ascontiguousarray(_randn((3, 5, 4, 2), np.float64, 7)).transpose(0, 3, 2, 1)  # (3,2,4,5)
    assert not x.flags.c_contiguous
    compare_op(
        lambda x: F.batch_norm(x, None, None, training=True),
        lambda x: TF.batch_norm(x, None, None, training=True),
        [x],
    )
    compare_op(lambda x: F.layer_norm(x, (4, 5)), lambda x: TF.layer_norm(x, (4, 5)), [x])
    compare_op(lambda x: F.group_norm(x, 2), lambda x: TF.group_norm(x, 2), [x])
    compare_op(lambda x: F.local_response_norm(x, 2), lambda x: TF.local_response_norm(x, 2), [x])
