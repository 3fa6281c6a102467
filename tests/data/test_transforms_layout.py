"""Transforms before ToTensor take what torchvision's take: PIL images and (H, W, C) uint8 images
(the layout juanji's CIFAR-10 and ImageFolder give), and give the same kind and layout back."""

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


def gen(seed=0):
    return juanji.Generator().manual_seed(seed)


def cifar_image(seed=0, shape=(32, 32, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_the_cifar_pipeline_on_what_the_dataset_gives():
    # The failure: RandomCrop(32, padding=4) before ToTensor read (32, 32, 3) as CHW.
    pipeline = T.Compose(
        [
            T.RandomCrop(32, padding=4, generator=gen()),
            T.RandomHorizontalFlip(generator=gen(1)),
            T.ToTensor(),
            T.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26)),
        ]
    )
    out = pipeline(juanji.tensor(cifar_image()))
    assert isinstance(out, juanji.Tensor) and out.shape == (3, 32, 32)
    batch = T.batch_apply(pipeline, juanji.tensor(np.stack([cifar_image(s) for s in range(6)])))
    assert batch.shape == (6, 3, 32, 32) and batch.dtype == juanji.float32


@pytest.mark.parametrize("kind", ["tensor", "array"])
def test_crop_of_an_hwc_image_is_a_window_of_the_padded_image(kind):
    image = cifar_image(1)
    x = juanji.tensor(image) if kind == "tensor" else image
    out = T.RandomCrop(32, padding=4, generator=gen(2))(x)
    out = out.numpy() if kind == "tensor" else out
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)))
    hits = [
        (t, l)
        for t in range(9)
        for l in range(9)  # noqa: E741
        if np.array_equal(padded[t : t + 32, l : l + 32], out)
    ]
    assert hits, "the crop is no window of the padded image"


@pytest.mark.parametrize(
    "make",
    [
        lambda g: T.RandomCrop(28, padding=2, generator=g),
        lambda g: T.RandomShift(3, generator=g),
        lambda g: T.RandomHorizontalFlip(generator=g),
        lambda g: T.RandomVerticalFlip(generator=g),
        lambda g: T.RandomResizedCrop(16, generator=g),
        lambda g: T.ColorJitter(0.4, 0.4, 0.4, generator=g),
        lambda g: T.Resize(20),
        lambda g: T.CenterCrop(24),
        lambda g: T.Pad((1, 2, 3, 4)),
    ],
    ids=["crop", "shift", "hflip", "vflip", "resized-crop", "jitter", "resize", "center", "pad"],
)
def test_hwc_equals_chw_transposed_for_the_same_draws(make):
    images = np.stack([cifar_image(s, (28, 30, 3)) for s in range(5)])  # (N, H, W, C)
    chw = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    from_hwc = make(gen(3)).batch(juanji.tensor(images)).numpy()
    from_chw = make(gen(3)).batch(juanji.tensor(chw)).numpy()
    np.testing.assert_array_equal(from_hwc, from_chw.transpose(0, 2, 3, 1))
    if isinstance(make(None), (T.RandomResizedCrop, T.ColorJitter)):
        return  # their batches draw in another order than a loop of single calls
    single = make(gen(3))
    singles = np.stack([single(juanji.tensor(image)).numpy() for image in images])
    np.testing.assert_array_equal(singles, from_hwc)


def test_channels_first_uint8_stays_channels_first():
    chw = cifar_image(4, (3, 10, 12))  # torchvision's uint8 tensor layout
    assert T.CenterCrop(4)(juanji.tensor(chw)).shape == (3, 4, 4)
    gray = cifar_image(5, (28, 28))
    assert T.RandomCrop(28, padding=2, generator=gen())(juanji.tensor(gray)).shape == (28, 28)
    floats = np.random.default_rng(0).random((10, 12, 3), dtype=np.float32)
    assert T.CenterCrop(2)(floats).shape == (10, 2, 2)  # float: (..., C, H, W), as after ToTensor


def _pil_cases(TV):
    """(juanji transform, torchvision transform), both deterministic."""
    return [
        (T.RandomHorizontalFlip(p=1.0), TV.RandomHorizontalFlip(p=1.0)),
        (T.RandomVerticalFlip(p=1.0), TV.RandomVerticalFlip(p=1.0)),
        (T.Pad((1, 2, 3, 4), fill=7), TV.Pad((1, 2, 3, 4), fill=7)),
        (T.Pad(2, padding_mode="reflect"), TV.Pad(2, padding_mode="reflect")),
        (T.CenterCrop((6, 9)), TV.CenterCrop((6, 9))),
        (T.CenterCrop(20), TV.CenterCrop(20)),
        (T.Resize((9, 14)), TV.Resize((9, 14))),
        (T.Resize(7), TV.Resize(7)),
        (T.Resize(11, interpolation="nearest"), TV.Resize(11, interpolation=0)),
        (T.RandomCrop(16, padding=2), TV.RandomCrop(16, padding=2)),  # one window fits only
    ]


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_pil_images_give_torchvision_s_pil_images(TV, Image, mode):
    image = Image.fromarray(cifar_image(6, (12, 16, 3))).convert(mode)
    for ours, theirs in _pil_cases(TV):
        if isinstance(ours, T.RandomCrop):
            image = image.resize((12, 12))
        out, expected = ours(image), theirs(image)
        assert type(out).__name__ == "Image" and out.mode == expected.mode, repr(ours)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(expected), err_msg=repr(ours))


def test_hwc_tensors_give_torchvision_s_numbers_on_the_same_pil_image(TV, Image):
    array = cifar_image(7, (12, 16, 3))
    for ours, theirs in _pil_cases(TV):
        if isinstance(ours, (T.Resize, T.RandomCrop)):
            continue  # Pillow's resampling (Resize on PIL) and the one-window crop: above
        out = ours(juanji.tensor(array)).numpy()
        np.testing.assert_array_equal(out, np.asarray(theirs(Image.fromarray(array))))


def test_pil_through_to_tensor_equals_torchvision(TV, Image):
    image = Image.fromarray(cifar_image(8))
    ours = T.Compose([T.RandomHorizontalFlip(p=1.0), T.Pad(4), T.CenterCrop(32), T.ToTensor()])
    theirs = TV.Compose(
        [TV.RandomHorizontalFlip(p=1.0), TV.Pad(4), TV.CenterCrop(32), TV.ToTensor()]
    )
    np.testing.assert_array_equal(ours(image).numpy(), theirs(image).numpy())


def test_jitter_and_resized_crop_keep_pil_images(Image):
    image = Image.fromarray(cifar_image(9, (20, 24, 3)))
    out = T.ColorJitter(0.3, 0.3, 0.3, generator=gen())(image)
    assert out.mode == "RGB" and out.size == (24, 20)
    out = T.RandomResizedCrop(8, generator=gen())(image.convert("L"))
    assert out.mode == "L" and out.size == (8, 8)
