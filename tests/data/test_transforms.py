"""Transforms: single sample vs batch, shifts against np.roll, values against torch."""

import numpy as np
import pytest
import torch

import juanji
from juanji.data import transforms as T


def gen(seed=0):
    return juanji.Generator().manual_seed(seed)


def rolled_with_zero_fill(image, dy, dx):
    """The expected shift: np.roll, then blank the rows/columns that wrapped around."""
    out = np.roll(image, (dy, dx), axis=(-2, -1)).copy()
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


def test_to_tensor_matches_torch_scaling():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    out = T.ToTensor()(image)
    assert isinstance(out, juanji.Tensor) and out.shape == (1, 5, 7) and out.dtype == juanji.float32
    expected = torch.from_numpy(image).float().div(255).unsqueeze(0).numpy()
    np.testing.assert_array_equal(out.numpy(), expected)


def test_to_tensor_layouts_and_batch():
    rng = np.random.default_rng(1)
    hwc = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    chw = T.ToTensor()(hwc)
    assert chw.shape == (3, 4, 5)
    np.testing.assert_array_equal(chw.numpy()[2], hwc[:, :, 2] / np.float32(255))
    batch = rng.integers(0, 256, (6, 4, 5), dtype=np.uint8)
    out = T.ToTensor().batch(batch)
    assert isinstance(out, np.ndarray) and out.shape == (6, 1, 4, 5)
    singles = np.stack([T.ToTensor()(b).numpy() for b in batch])
    np.testing.assert_array_equal(out, singles)
    assert isinstance(T.ToTensor().batch(juanji.tensor(batch)), juanji.Tensor)
    floats = np.ones((2, 2), np.float64) * 3
    assert T.ToTensor()(floats).numpy().tolist() == [[[3.0, 3.0], [3.0, 3.0]]]  # no scaling
    with pytest.raises(ValueError, match="ToTensor"):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_to_tensor_accepts_pillow_images():
    pil = pytest.importorskip("PIL.Image")
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = T.ToTensor()(pil.fromarray(image, mode="L"))
    np.testing.assert_array_equal(out.numpy()[0], image / np.float32(255))


def test_normalize_values_match_torch():
    rng = np.random.default_rng(2)
    x = rng.random((4, 3, 5, 5), dtype=np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    expected = (
        (torch.from_numpy(x) - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    ).numpy()
    norm = T.Normalize(mean, std)
    np.testing.assert_allclose(norm.batch(x), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(norm(x[1]), expected[1], rtol=1e-6, atol=1e-6)
    assert norm(x[1]).dtype == np.float32
    out = norm(juanji.tensor(x[0]))
    assert isinstance(out, juanji.Tensor)
    # MNIST's usual constants, by hand: a white pixel becomes (1 - 0.1307) / 0.3081.
    mnist = T.Normalize((0.1307,), (0.3081,))(np.ones((1, 1, 1), np.float32))
    assert mnist.item() == pytest.approx((1 - 0.1307) / 0.3081, rel=1e-6)


def test_normalize_inplace_and_errors():
    x = np.ones((1, 2, 2), np.float32)
    out = T.Normalize(0.5, 0.5, inplace=True)(x)
    assert out is x and x.tolist() == [[[1.0, 1.0], [1.0, 1.0]]]
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5,), (0.0,))
    with pytest.raises(TypeError, match="float"):
        T.Normalize(0.5, 0.5)(np.ones((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize((0.5, 0.5), (1, 1))(np.ones((3, 2, 2), np.float32))


def test_pad_forms_and_modes():
    image = np.array([[1, 2], [3, 4]], np.uint8)
    assert T.Pad(1)(image).shape == (4, 4)
    assert T.Pad((1, 2))(image).shape == (6, 4)  # (left/right, top/bottom)
    out = T.Pad((1, 0, 2, 3), fill=9)(image)  # (left, top, right, bottom)
    assert out.shape == (5, 5) and out[0].tolist() == [9, 1, 2, 9, 9]
    assert T.Pad(1, padding_mode="edge")(image)[0].tolist() == [1, 1, 2, 2]
    batch = np.stack([image, image + 1])
    np.testing.assert_array_equal(T.Pad(2).batch(batch)[1], T.Pad(2)(image + 1))
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding must"):
        T.Pad((1, 2, 3))


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (3, 9, 11)])
def test_random_shift_equals_roll_with_zero_fill(shape):
    rng = np.random.default_rng(3)
    image = rng.integers(1, 256, shape, dtype=np.uint8)  # no zeros: every fill is visible
    shift = T.RandomShift(2)
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            out = shift.shift(image[None], [[dy, dx]])[0]
            np.testing.assert_array_equal(out, rolled_with_zero_fill(image, dy, dx))


def test_random_shift_keeps_the_digit_pixels():
    image = np.zeros((28, 28), np.uint8)
    image[10:14, 12:15] = 200  # a blob far from the border
    for out in T.RandomShift(2, generator=gen(4)).batch(np.stack([image] * 16)):
        assert out.sum() == image.sum()  # nothing lost, nothing added
        ys, xs = np.nonzero(out)
        assert abs(ys.min() - 10) <= 2 and abs(xs.min() - 12) <= 2


def test_random_shift_draws_cover_the_range_uniformly():
    shifts = T.RandomShift(2, generator=gen(5)).sample_shifts(5000)
    assert shifts.min() == -2 and shifts.max() == 2
    counts = np.bincount(shifts[:, 0] + 2)
    assert counts.min() > 850  # ~1000 each


@pytest.mark.parametrize(
    "make",
    [
        lambda g: T.RandomShift(2, generator=g),
        lambda g: T.RandomShift((1, 3), fill=7, generator=g),
        lambda g: T.RandomCrop(24, padding=2, generator=g),
        lambda g: T.RandomCrop((20, 26), generator=g),
    ],
    ids=["shift", "shift-pair", "crop-padded", "crop"],
)
def test_single_and_batched_agree_for_the_same_draws(make):
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (10, 1, 28, 28), dtype=np.uint8)
    batched = make(gen(11)).batch(images)
    single_transform = make(gen(11))
    singles = np.stack([single_transform(image) for image in images])
    np.testing.assert_array_equal(batched, singles)
    assert len({batched[i].tobytes() for i in range(10)}) > 1  # per-sample draws differ


def test_random_shift_batch_on_tensors_and_channels():
    rng = np.random.default_rng(7)
    images = juanji.tensor(rng.random((4, 3, 6, 6), dtype=np.float32))
    out = T.RandomShift(1, generator=gen(0)).batch(images)
    assert isinstance(out, juanji.Tensor) and out.shape == (4, 3, 6, 6)
    shifts = T.RandomShift(1, generator=gen(0)).sample_shifts(4)
    for n, (dy, dx) in enumerate(shifts):
        expected = rolled_with_zero_fill(images.numpy()[n], int(dy), int(dx))
        np.testing.assert_array_equal(out.numpy()[n], expected)


def test_random_crop_windows():
    image = np.arange(36, dtype=np.uint8).reshape(6, 6)
    crops = T.RandomCrop(4, generator=gen(1)).batch(np.stack([image] * 20))
    for crop in crops:
        top, left = divmod(int(crop[0, 0]), 6)
        np.testing.assert_array_equal(crop, image[top : top + 4, left : left + 4])
    assert T.RandomCrop(8, pad_if_needed=True, generator=gen(1))(image).shape == (8, 8)
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(8)(image)


def test_compose_batch_and_fallback_for_plain_callables():
    rng = np.random.default_rng(8)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)

    def pipeline(seed):
        return T.Compose(
            [
                T.ToTensor(),
                T.RandomShift(2, generator=gen(seed)),
                T.Lambda(lambda x: x * 2),
                T.Normalize((0.5,), (0.5,)),
            ]
        )

    batched = pipeline(3).batch(juanji.tensor(images))
    single = pipeline(3)
    singles = np.stack([single(juanji.tensor(image)).numpy() for image in images])
    assert batched.shape == (5, 1, 28, 28) and batched.dtype == juanji.float32
    np.testing.assert_allclose(batched.numpy(), singles, rtol=1e-6)
    assert "RandomShift" in repr(pipeline(0))


def test_batch_apply_loops_over_callables_without_batch():
    seen = []

    def record(sample):
        seen.append(type(sample))
        return sample + 1

    out = T.batch_apply(record, juanji.tensor(np.zeros((3, 2), np.float32)))
    assert isinstance(out, juanji.Tensor) and out.numpy().tolist() == [[1, 1]] * 3
    assert seen == [juanji.Tensor] * 3  # each sample arrives as the single path gives it
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
