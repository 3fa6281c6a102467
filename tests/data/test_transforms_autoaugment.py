"""RandAugment and TrivialAugmentWide: every operation at every table strength gives
torchvision's image; the strength tables are torchvision's; the draws come from the generator."""

import sys
import types

import numpy as np
import pytest

import juanji
from juanji.data import transforms as T
from juanji.data.transforms import _autoaugment as ours

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def AA():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.transforms.autoaugment")


@pytest.fixture(scope="module")
def Image():
    return pytest.importorskip("PIL.Image")


BYTES = np.random.default_rng(2).integers(0, 256, (3, 11, 14), dtype=np.uint8)


@pytest.mark.parametrize("wide", [False, True])
def test_strength_tables_equal_torchvision(AA, wide):
    theirs = (
        AA.TrivialAugmentWide()._augmentation_space(31)
        if wide
        else AA.RandAugment()._augmentation_space(31, (11, 14))
    )
    mine = ours.augmentation_space(31, (11, 14), wide)
    assert list(mine) == list(theirs)
    for name, (levels, signed) in theirs.items():
        np.testing.assert_allclose(mine[name][0], levels.numpy(), rtol=1e-6, err_msg=name)
        assert mine[name][1] == signed


def _ops_cases(AA):
    space = AA.TrivialAugmentWide()._augmentation_space(31)
    for name, (levels, _) in space.items():
        values = [0.0] if levels.ndim == 0 else [float(levels[k]) for k in (3, 17, 30)]
        for value in values:
            yield name, value


def test_every_operation_equals_torchvision_on_tensors(AA):
    for name, magnitude in _ops_cases(AA):
        for sign in (1.0, -1.0) if name not in ("Posterize", "Solarize") else (1.0,):
            for fill in (None, [10.0, 20.0, 30.0]):
                mine = ours.apply_op(juanji.tensor(BYTES), name, sign * magnitude, "nearest", fill)
                theirs = AA._apply_op(
                    torch.tensor(BYTES),
                    name,
                    sign * magnitude,
                    interpolation=AA.InterpolationMode.NEAREST,
                    fill=fill,
                )
                diff = np.abs(mine.numpy().astype(int) - theirs.numpy().astype(int))
                assert diff.max() <= 1 and np.mean(diff > 0) < 0.02, (name, magnitude, fill)


def test_every_operation_equals_torchvision_on_pil(AA, Image):
    image = Image.fromarray(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    for name, magnitude in _ops_cases(AA):
        mine = ours.apply_op(image, name, magnitude, "nearest", None)
        theirs = AA._apply_op(image, name, magnitude, AA.InterpolationMode.NEAREST, None)
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs), err_msg=name)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: T.RandAugment(generator=g),
        lambda g: T.RandAugment(num_ops=3, magnitude=20, fill=128, generator=g),
        lambda g: T.TrivialAugmentWide(generator=g),
    ],
    ids=["rand", "rand-strong", "trivial"],
)
def test_draws_come_from_the_generator(make):
    hwc = juanji.tensor(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))  # as CIFAR-10 gives
    first = [make(juanji.Generator().manual_seed(s))(hwc).numpy() for s in range(8)]
    again = [make(juanji.Generator().manual_seed(s))(hwc).numpy() for s in range(8)]
    for a, b in zip(first, again, strict=True):
        assert a.shape == (11, 14, 3) and a.dtype == np.uint8
        np.testing.assert_array_equal(a, b)
    assert len({a.tobytes() for a in first}) > 3


def test_unknown_operation_raises_like_torchvision():
    with pytest.raises(ValueError, match="The provided operator Warp is not recognized"):
        ours.apply_op(BYTES, "Warp", 1.0, "nearest", None)


@pytest.mark.parametrize("all_ops", [True, False])
def test_augmix_space_equals_torchvision(AA, all_ops):
    theirs = AA.AugMix(all_ops=all_ops)._augmentation_space(10, (11, 14))
    mine = ours.augmix_space(10, (11, 14), all_ops)
    assert list(mine) == list(theirs)
    for name, (levels, signed) in theirs.items():
        np.testing.assert_allclose(mine[name][0], levels.numpy(), rtol=1e-6, err_msg=name)
        assert mine[name][1] == signed


def test_augmix_keeps_kind_layout_and_dtype(Image):
    hwc = juanji.tensor(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    out = T.AugMix(generator=juanji.Generator().manual_seed(0))(hwc)
    assert out.shape == (11, 14, 3) and out.dtype == juanji.uint8
    pil = Image.fromarray(hwc.numpy())
    out = T.AugMix(severity=5, mixture_width=2, chain_depth=2, generator=None)(pil)
    assert out.mode == "RGB" and out.size == (14, 11)
    floats = np.random.default_rng(0).random((3, 11, 14), dtype=np.float32)
    mixed = T.AugMix(all_ops=False, generator=juanji.Generator().manual_seed(1))(floats)
    assert mixed.dtype == np.float32 and mixed.shape == floats.shape
    with pytest.raises(ValueError, match="AugMix: The severity must be between"):
        T.AugMix(severity=11)


def test_augmix_mix_is_torchvision_s_formula(AA, monkeypatch):
    # With the ops pinned to Identity, torchvision's mix is m0 * x + sum(w_i) * x, truncated.
    weights = {"m": np.array([0.3, 0.7], np.float32), "w": np.array([0.2, 0.5, 0.3], np.float32)}
    draws = iter([weights["m"], weights["w"]])

    class Fixed:
        def __init__(self, rng):
            self.rng = rng

        def dirichlet(self, alpha):
            return next(draws)

        def __getattr__(self, name):
            return getattr(self.rng, name)

    monkeypatch.setattr(ours, "numpy_rng", lambda g: Fixed(np.random.default_rng(0)))
    monkeypatch.setattr(ours, "augmix_space", lambda *a: {"Identity": (np.zeros(()), False)})
    out = T.AugMix()(BYTES)
    m, w = weights["m"], weights["w"] * weights["m"][1]
    expected = m[0] * BYTES.astype(np.float32)
    for wi in w:
        expected += wi * BYTES.astype(np.float32)
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
