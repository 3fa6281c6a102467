"""The augmentations against torchvision's functional transforms (fixed parameters), and the
random ones by their draws: batch == per-sample calls, probabilities, boxes inside the image."""

import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import juanji
from juanji.data import transforms as T

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def TF():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.transforms.functional")


def gen(seed=0):
    return juanji.Generator().manual_seed(seed)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 12), w=st.integers(2, 12), oh=st.integers(1, 20), ow=st.integers(1, 20),
       mode=st.sampled_from(["bilinear", "nearest"]))
def test_resize_equals_torchvision_without_antialias(TF, h, w, oh, ow, mode):
    x = np.random.default_rng(h * 100 + w).random((2, 3, h, w)).astype(np.float32)
    interp = getattr(TF.InterpolationMode, mode.upper())
    expected = TF.resize(torch.tensor(x), [oh, ow], interpolation=interp, antialias=False)
    resized = T.Resize((oh, ow), mode, antialias=False).batch(x)
    np.testing.assert_allclose(resized, expected.numpy(), atol=1e-5)


def test_resize_int_matches_the_shorter_edge_and_uint8_rounds(TF):
    x = np.random.default_rng(0).integers(0, 256, (3, 10, 16), dtype=np.uint8)
    out = T.Resize(20)(x)
    assert out.shape == (3, 20, 32) and out.dtype == np.uint8
    expected = TF.resize(torch.tensor(x), 20, antialias=False).numpy()
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize(("size", "shape"), [(4, (3, 9, 10)), ((5, 2), (1, 8, 8)),
                                             (12, (3, 9, 10))])
def test_center_crop_equals_torchvision(TF, size, shape):
    x = np.random.default_rng(1).random(shape).astype(np.float32)
    expected = TF.center_crop(torch.tensor(x), size).numpy()
    np.testing.assert_array_equal(T.CenterCrop(size)(x), expected)


def test_resized_crop_of_a_box_equals_torchvision(TF):
    x = np.random.default_rng(2).random((2, 3, 20, 24)).astype(np.float32)
    crop = T.RandomResizedCrop(8)
    boxes = np.array([[3, 5, 10, 12], [0, 0, 20, 24]])
    from juanji.data.transforms._augment import _bilinear_boxes

    out = _bilinear_boxes(x, boxes, (8, 8))
    for n, (top, left, h, w) in enumerate(boxes):
        expected = TF.resized_crop(torch.tensor(x[n]), int(top), int(left), int(h), int(w),
                                   [8, 8], antialias=False)
        np.testing.assert_allclose(out[n], expected.numpy(), atol=1e-5)
    assert crop.batch(x).shape == (2, 3, 8, 8)


def test_random_resized_crop_boxes_lie_inside_and_follow_scale_and_ratio():
    crop = T.RandomResizedCrop(8, scale=(0.2, 0.6), generator=gen())
    boxes = crop.sample_boxes(2000, 30, 40)
    top, left, h, w = boxes.T
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= 30).all()
    assert (left + w <= 40).all()
    area = h * w / 1200
    assert area.min() > 0.15 and area.max() < 0.7 and 0.3 < area.mean() < 0.5


def test_flips_with_probability_p_per_sample_and_batch_equals_single_calls():
    x = np.arange(2 * 1 * 2 * 3, dtype=np.float32).reshape(2, 1, 2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0).batch(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0).batch(x), x[..., ::-1, :])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0).batch(x), x)
    many = np.tile(x[:1], (4000, 1, 1, 1))
    flipped = (T.RandomHorizontalFlip(0.3, generator=gen()).batch(many)[:, 0, 0, 0] == 2).mean()
    assert 0.27 < flipped < 0.33
    batch = T.RandomHorizontalFlip(generator=gen(5)).batch(many[:50])
    one = T.RandomHorizontalFlip(generator=gen(5))
    np.testing.assert_array_equal(batch, np.stack([one(s) for s in many[:50]]))


@pytest.mark.parametrize("kind", ["brightness", "contrast", "saturation"])
def test_color_jitter_with_a_fixed_factor_equals_torchvision(TF, kind):
    x = np.random.default_rng(3).random((3, 5, 6)).astype(np.float32)
    jitter = T.ColorJitter(**{kind: (1.4, 1.4)})
    expected = getattr(TF, f"adjust_{kind}")(torch.tensor(x), 1.4).numpy()
    np.testing.assert_allclose(jitter(x), expected, atol=1e-6)


def test_color_jitter_refuses_bad_ranges():
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.6)  # hue itself is supported since issue 28
    with pytest.raises(ValueError, match="brightness must be non-negative"):
        T.ColorJitter(brightness=-1)


def test_random_erasing_fills_one_rectangle_per_erased_image(TF):
    x = np.ones((500, 3, 16, 16), np.float32)
    out = T.RandomErasing(p=0.5, generator=gen()).batch(x)
    erased = (out == 0)
    hit = erased.any(axis=(1, 2, 3))
    assert 0.43 < hit.mean() < 0.57
    for n in np.flatnonzero(hit)[:20]:  # a rectangle, the same in every channel
        ys, xs = np.nonzero(erased[n, 0])
        assert erased[n, 0, ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].all()
        assert (erased[n] == erased[n, :1]).all()
    expected = TF.erase(torch.tensor(x[0]), 2, 3, 4, 5, torch.tensor(0.0)).numpy()
    manual = x[0].copy()
    manual[:, 2:6, 3:8] = 0
    np.testing.assert_array_equal(manual, expected)


def test_augmentations_in_a_compose_run_batched_on_cifar_shaped_data():
    tf = T.Compose([T.ToTensor(), T.RandomCrop(32, padding=4, generator=gen()),
                    T.RandomHorizontalFlip(generator=gen(1)),
                    T.ColorJitter(0.2, 0.2, generator=gen(2)),
                    T.RandomErasing(generator=gen(3))])
    x = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    out = T.batch_apply(tf, x)
    assert out.shape == (8, 3, 32, 32) and out.dtype == np.float32


def test_resize_antialiases_by_default_as_torchvision(TF):
    x = np.random.default_rng(1).random((3, 16, 16)).astype(np.float32)
    expected = TF.resize(torch.tensor(x), [5, 7])  # torchvision's default: antialias=True
    np.testing.assert_allclose(T.Resize((5, 7))(x), expected.numpy(), atol=1e-5)
    plain = TF.resize(torch.tensor(x), [5, 7], antialias=False).numpy()
    assert np.abs(T.Resize((5, 7))(x) - plain).max() > 1e-3  # the default is not plain sampling
