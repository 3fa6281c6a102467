"""The transform classes over functional (ToPILImage, RandomRotation, FiveCrop...) against
torchvision's, with their random parameters pinned so both draw the same."""

import sys
import types

import numpy as np
import pytest

import juanji
from juanji.data import transforms as T

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def TV():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.transforms")


@pytest.fixture(scope="module")
def Image():
    return pytest.importorskip("PIL.Image")


RNG = np.random.default_rng(1)
FLOAT = RNG.random((3, 10, 13), dtype=np.float32)
BYTES = RNG.integers(0, 256, (3, 10, 13), dtype=np.uint8)


def gen(seed=0):
    return juanji.Generator().manual_seed(seed)


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        ours = ours.numpy() if isinstance(ours, juanji.Tensor) else ours
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5, atol=1e-6)
    else:  # PIL
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def _pairs(TV):
    """(ours, theirs) with nothing left to chance."""
    return [
        (T.Grayscale(3), TV.Grayscale(3)),
        (T.RandomGrayscale(p=1.0), TV.RandomGrayscale(p=1.0)),
        (T.RandomInvert(p=1.0), TV.RandomInvert(p=1.0)),
        (T.RandomAutocontrast(p=1.0), TV.RandomAutocontrast(p=1.0)),
        (T.RandomSolarize(0.4, p=1.0), TV.RandomSolarize(0.4, p=1.0)),
        (T.RandomRotation((30, 30)), TV.RandomRotation((30, 30))),
        (T.RandomRotation((-20, -20), expand=True, fill=0.5),
         TV.RandomRotation((-20, -20), expand=True, fill=0.5)),
        (T.RandomAffine((10, 10), scale=(1.2, 1.2), shear=(5, 5, 2, 2)),
         TV.RandomAffine((10, 10), scale=(1.2, 1.2), shear=(5, 5, 2, 2))),
        (T.RandomApply([T.Grayscale(3), T.RandomInvert(1.0)], p=1.0),
         TV.RandomApply([TV.Grayscale(3), TV.RandomInvert(1.0)], p=1.0)),
        (T.RandomAdjustSharpness(2.0, p=1.0), TV.RandomAdjustSharpness(2.0, p=1.0)),
        (T.GaussianBlur(5, sigma=1.3), TV.GaussianBlur(5, sigma=1.3)),
        (T.RandomPerspective(0.0, p=1.0), TV.RandomPerspective(0.0, p=1.0)),  # corners stay
        # no displacement (sigma 0: torchvision's blur kernel would not fit a 10x13 image)
        (T.ElasticTransform(alpha=0.0, sigma=0.0), TV.ElasticTransform(alpha=0.0, sigma=0.0)),
        (T.RandomChoice([T.RandomInvert(1.0), T.Grayscale(3)], p=[0.0, 1.0]),
         TV.RandomChoice([TV.RandomInvert(1.0), TV.Grayscale(3)], p=[0.0, 1.0])),
    ]  # fmt: skip


def test_tensor_results_equal_torchvision(TV):
    for ours, theirs in _pairs(TV):
        _same(ours(juanji.tensor(FLOAT)), theirs(torch.tensor(FLOAT)))


def test_pil_results_equal_torchvision(TV, Image):
    image = Image.fromarray(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    for ours, theirs in _pairs(TV):
        if isinstance(ours, T.RandomPerspective):
            continue  # identity corners: both solve to 1e-16 noise, which moves Pillow's rounding
        if isinstance(ours, T.RandomSolarize):
            ours, theirs = T.RandomSolarize(100, p=1.0), TV.RandomSolarize(100, p=1.0)
        _same(ours(image), theirs(image))
    _same(T.RandomPosterize(3, p=1.0)(image), TV.RandomPosterize(3, p=1.0)(image))
    _same(T.RandomEqualize(p=1.0)(image), TV.RandomEqualize(p=1.0)(image))
    bytes_tensor = torch.tensor(BYTES)
    _same(T.RandomEqualize(p=1.0)(juanji.tensor(BYTES)), TV.RandomEqualize(p=1.0)(bytes_tensor))


def test_multi_crops_equal_torchvision(TV):
    for ours, theirs in [
        (T.FiveCrop(4), TV.FiveCrop(4)),
        (T.TenCrop((4, 6), True), TV.TenCrop((4, 6), True)),
    ]:
        out, expected = ours(juanji.tensor(FLOAT)), theirs(torch.tensor(FLOAT))
        assert len(out) == len(expected)
        for a, b in zip(out, expected, strict=True):
            _same(a, b)


def test_conversions_equal_torchvision(TV, Image):
    for pic in (FLOAT, BYTES, BYTES[:1]):
        _same(T.ToPILImage()(juanji.tensor(pic)), TV.ToPILImage()(torch.tensor(pic)))
    image = Image.fromarray(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    _same(T.PILToTensor()(image), TV.PILToTensor()(image))
    _same(
        T.ConvertImageDtype(juanji.float32)(juanji.tensor(BYTES)),
        TV.ConvertImageDtype(torch.float32)(torch.tensor(BYTES)),
    )


def test_to_pil_image_inside_a_cifar_pipeline(Image):
    pipeline = T.Compose(
        [
            T.ToPILImage(),
            T.RandomCrop(8, padding=2, generator=gen()),
            T.RandomHorizontalFlip(generator=gen(1)),
            T.ToTensor(),
        ]
    )
    out = pipeline(juanji.tensor(np.ascontiguousarray(BYTES.transpose(1, 2, 0))))
    assert out.shape == (3, 8, 8) and out.dtype == juanji.float32


def test_random_ones_draw_from_the_generator():
    angles = set()
    for seed in range(5):
        out = T.RandomRotation(45, generator=gen(seed))(juanji.tensor(FLOAT)).numpy()
        angles.add(out.tobytes())
    assert len(angles) == 5
    same = [T.RandomAffine(20, translate=(0.2, 0.1), generator=gen(7))(FLOAT) for _ in range(2)]
    np.testing.assert_array_equal(*same)
    hits = [T.RandomApply([T.RandomInvert(1.0)], p=0.3, generator=gen(3))]
    applied = sum(not np.array_equal(hits[0](FLOAT), FLOAT) for _ in range(400))
    assert 80 < applied < 160  # ~120
    order = T.RandomOrder([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)], gen(2))
    assert {float(order(np.zeros(1))[0]) for _ in range(20)} == {1.0, 2.0}


def test_errors_like_torchvision(TV):
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        TV.RandomRotation(-3)
    with pytest.raises(ValueError, match="RandomRotation: If degrees is a single number"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="RandomChoice: Length of p doesn't match"):
        T.RandomChoice([T.Grayscale()], p=[0.5, 0.5])
    with pytest.raises(ValueError, match="RandomInvert: p must be a probability"):
        T.RandomInvert(p=2)


def test_linear_transformation_equals_torchvision(TV):
    n = 3 * 10 * 13
    rng = np.random.default_rng(5)
    matrix = (rng.standard_normal((n, n)) / 40).astype(np.float32)
    mean = rng.random(n, dtype=np.float32)
    ours = T.LinearTransformation(juanji.tensor(matrix), juanji.tensor(mean))
    theirs = TV.LinearTransformation(torch.tensor(matrix), torch.tensor(mean))
    _same(ours(juanji.tensor(FLOAT)), theirs(torch.tensor(FLOAT)))
    with pytest.raises(
        ValueError, match="LinearTransformation: transformation_matrix should be square"
    ):
        T.LinearTransformation(juanji.zeros(2, 3), juanji.zeros(2))


def test_random_perspective_and_elastic_transform_move_pixels():
    image = juanji.tensor(FLOAT)
    warped = T.RandomPerspective(0.6, p=1.0, generator=gen(1))(image)
    assert warped.shape == image.shape and not np.allclose(warped.numpy(), FLOAT)
    field = T.ElasticTransform(generator=gen(2)).displacement(10, 13)
    assert field.shape == (1, 10, 13, 2) and np.abs(field).max() > 0
    out = T.ElasticTransform(alpha=30.0, sigma=2.0, generator=gen(2))(image)
    assert out.shape == image.shape and not np.allclose(out.numpy(), FLOAT)
