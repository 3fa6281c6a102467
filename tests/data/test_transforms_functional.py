"""juanji.data.transforms.functional against torchvision.transforms.functional: tensors through
torchvision's tensor formulas, PIL images through the same Pillow calls."""

import sys
import types

import numpy as np
import pytest

import juanji
import juanji.data.transforms.functional as TF

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def TVF():
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    return pytest.importorskip("torchvision.transforms.functional")


@pytest.fixture(scope="module")
def Image():
    return pytest.importorskip("PIL.Image")


RNG = np.random.default_rng(0)
FLOAT = RNG.random((3, 9, 12), dtype=np.float32)
BYTES = RNG.integers(0, 256, (3, 9, 12), dtype=np.uint8)


def _ours(fn, image, *args, **kwargs):
    out = fn(juanji.tensor(image), *args, **kwargs)
    return out.numpy() if isinstance(out, juanji.Tensor) else out


def _theirs(fn, image, *args, **kwargs):
    return fn(torch.tensor(image), *args, **kwargs).numpy()


CASES = [
    ("hflip", (), {}),
    ("vflip", (), {}),
    ("crop", (2, 3, 5, 4), {}),
    ("crop", (-2, 8, 6, 7), {}),  # partly outside: zeros
    ("center_crop", ([5, 7],), {}),
    ("center_crop", (11,), {}),
    ("pad", ([1, 2, 3, 4],), {"fill": 5}),
    ("pad", (2,), {"padding_mode": "reflect"}),
    ("pad", ([1, 3],), {"padding_mode": "symmetric"}),
    ("resize", ([5, 7],), {}),
    ("resize", ([5, 7],), {"antialias": False}),
    ("resize", ([14, 20],), {}),
    ("resize", (6,), {}),
    ("resize", (6,), {"max_size": 7}),
    ("resized_crop", (1, 2, 6, 8, [4, 5]), {}),
    ("rgb_to_grayscale", (), {}),
    ("rgb_to_grayscale", (3,), {}),
    ("adjust_brightness", (1.7,), {}),
    ("adjust_brightness", (0.3,), {}),
    ("adjust_contrast", (0.4,), {}),
    ("adjust_contrast", (1.6,), {}),
    ("adjust_saturation", (0.2,), {}),
    ("adjust_saturation", (1.8,), {}),
    ("adjust_gamma", (0.7,), {}),
    ("adjust_hue", (0.2,), {}),
    ("adjust_hue", (-0.45,), {}),
    ("adjust_sharpness", (0.3,), {}),
    ("adjust_sharpness", (2.5,), {}),
    ("gaussian_blur", (3,), {}),
    ("gaussian_blur", ([5, 3], [1.5, 0.7]), {}),
    ("adjust_gamma", (1.5, 0.8), {}),
    ("invert", (), {}),
    ("solarize", (0.5,), {}),
    ("autocontrast", (), {}),
    ("rotate", (90,), {}),
    ("rotate", (30,), {}),
    ("rotate", (-45,), {"expand": True}),
    ("rotate", (20,), {"center": [2, 3], "fill": [0.5, 0.2, 0.9]}),
    ("affine", (15, [2, -1], 1.2, [10.0, 5.0]), {}),
    ("affine", (-30, [0, 0], 0.8, 0.0), {"fill": 0.3}),
]


@pytest.mark.parametrize("image", [FLOAT, BYTES], ids=["float32", "uint8"])
@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=lambda c: str(c))
def test_tensor_results_equal_torchvision(TVF, image, name, args, kwargs):
    if name == "solarize" and image.dtype == np.uint8:
        args = (128,)
    if "fill" in kwargs and image.dtype == np.uint8 and name in ("rotate", "affine"):
        fill = kwargs["fill"]
        kwargs = {**kwargs, "fill": [v * 255 for v in fill] if isinstance(fill, list) else 77}
    ours = _ours(getattr(TF, name), image, *args, **kwargs)
    theirs = _theirs(getattr(TVF, name), image, *args, **kwargs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if image.dtype == np.uint8:
        # uint8 results are rounded or truncated float results: off by one where a float lands
        # within rounding of an integer (the two libraries sum in different orders).
        assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
        assert np.mean(ours != theirs) < 0.02
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["rotate", "affine"])
@pytest.mark.parametrize("image", [FLOAT, BYTES], ids=["float32", "uint8"])
def test_bilinear_warps_equal_torchvision(TVF, name, image):
    args = (25,) if name == "rotate" else (25, [1.5, -2], 0.9, [5.0, 0.0])
    for fill in (None, 0.25 if image.dtype != np.uint8 else 64):
        kwargs = {"interpolation": TVF.InterpolationMode.BILINEAR, "fill": fill}
        ours = _ours(getattr(TF, name), image, *args, **kwargs)
        theirs = _theirs(getattr(TVF, name), image, *args, **kwargs)
        assert np.abs(ours.astype(float) - theirs.astype(float)).max() <= (
            1 if image.dtype == np.uint8 else 1e-5
        )


def test_posterize_and_dtype_conversion_equal_torchvision(TVF):
    np.testing.assert_array_equal(_ours(TF.equalize, BYTES), _theirs(TVF.equalize, BYTES))
    for bits in (1, 4, 7):
        np.testing.assert_array_equal(
            _ours(TF.posterize, BYTES, bits), _theirs(TVF.posterize, BYTES, bits)
        )
    np.testing.assert_allclose(
        _ours(TF.convert_image_dtype, BYTES), _theirs(TVF.convert_image_dtype, BYTES), rtol=1e-6
    )
    np.testing.assert_array_equal(
        _ours(TF.convert_image_dtype, FLOAT, juanji.uint8),
        _theirs(TVF.convert_image_dtype, FLOAT, torch.uint8),
    )
    np.testing.assert_allclose(
        _ours(TF.normalize, FLOAT, [0.4, 0.5, 0.6], [0.2, 0.3, 0.25]),
        _theirs(TVF.normalize, FLOAT, [0.4, 0.5, 0.6], [0.2, 0.3, 0.25]),
        rtol=1e-6,
    )


def test_crops_sizes_and_erase_equal_torchvision(TVF):
    for many in ("five_crop", "ten_crop"):
        ours = getattr(TF, many)(juanji.tensor(FLOAT), [4, 5])
        theirs = getattr(TVF, many)(torch.tensor(FLOAT), [4, 5])
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    t = torch.tensor(FLOAT)
    assert TF.get_dimensions(FLOAT) == TVF.get_dimensions(t)
    assert TF.get_image_size(FLOAT) == TVF.get_image_size(t)
    assert TF.get_image_num_channels(FLOAT) == TVF.get_image_num_channels(t)
    v = np.zeros((3, 2, 3), np.float32)
    np.testing.assert_array_equal(
        TF.erase(juanji.tensor(FLOAT), 1, 2, 2, 3, juanji.tensor(v)).numpy(),
        TVF.erase(t, 1, 2, 2, 3, torch.tensor(v)).numpy(),
    )
    with pytest.raises(ValueError, match="five_crop: Requested crop size"):
        TF.five_crop(FLOAT, 20)


def test_hwc_uint8_images_keep_their_layout():
    hwc = np.ascontiguousarray(BYTES.transpose(1, 2, 0))  # as juanji's CIFAR-10 gives
    for fn, args in [(TF.hflip, ()), (TF.rotate, (90,)), (TF.adjust_contrast, (0.5,))]:
        out = _ours(fn, hwc, *args)
        np.testing.assert_array_equal(out, _ours(fn, BYTES, *args).transpose(1, 2, 0))
    assert TF.get_dimensions(juanji.tensor(hwc)) == [3, 9, 12]


def test_errors_name_the_function():
    with pytest.raises(ValueError, match="adjust_brightness: brightness_factor"):
        TF.adjust_brightness(FLOAT, -1)
    with pytest.raises(ValueError, match="rgb_to_grayscale: num_output_channels"):
        TF.rgb_to_grayscale(FLOAT, 2)
    with pytest.raises(ValueError, match="resize: interpolation 'bicubic' is not supported"):
        TF.resize(FLOAT, 4, interpolation=TF.InterpolationMode.BICUBIC)
    with pytest.raises(TypeError, match="posterize: Only torch.uint8"):
        TF.posterize(FLOAT, 3)
    with pytest.raises(TypeError, match="to_pil_image: pic should be Tensor or ndarray"):
        TF.to_pil_image([1, 2])


PIL_CASES = [
    ("hflip", ()),
    ("vflip", ()),
    ("resize", ([6, 7],)),
    ("resize", (5,)),
    ("crop", (-1, 2, 6, 9)),
    ("center_crop", ([5, 7],)),
    ("pad", ([1, 2, 3, 4], 9)),
    ("rgb_to_grayscale", ()),
    ("rgb_to_grayscale", (3,)),
    ("adjust_brightness", (1.4,)),
    ("adjust_contrast", (0.6,)),
    ("adjust_saturation", (1.5,)),
    ("adjust_gamma", (0.8,)),
    ("invert", ()),
    ("posterize", (3,)),
    ("solarize", (100,)),
    ("autocontrast", ()),
    ("equalize", ()),
    ("adjust_hue", (0.3,)),
    ("adjust_sharpness", (1.7,)),
    ("gaussian_blur", (5,)),
    ("rotate", (33,)),
    ("rotate", (33, 2, True, None, 40)),
    ("affine", (20, [1, 2], 1.1, [4.0, 2.0])),
    ("to_tensor", ()),
    ("pil_to_tensor", ()),
]


@pytest.mark.parametrize(("name", "args"), PIL_CASES, ids=str)
def test_pil_results_equal_torchvision(TVF, Image, name, args):
    image = Image.fromarray(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    ours, theirs = getattr(TF, name)(image, *args), getattr(TVF, name)(image, *args)
    if isinstance(ours, juanji.Tensor):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize(
    "pic",
    [FLOAT, BYTES, BYTES[:1], FLOAT[0], np.ascontiguousarray(BYTES.transpose(1, 2, 0))],
    ids=["float-chw", "uint8-chw", "uint8-1chw", "float-hw", "uint8-hwc-array"],
)
def test_to_pil_image_equals_torchvision(TVF, Image, pic):
    if pic.ndim == 3 and pic.shape[-1] == 3:  # an (H, W, C) array: torchvision's ndarray rule
        ours, theirs = TF.to_pil_image(pic), TVF.to_pil_image(pic)
    else:
        ours, theirs = TF.to_pil_image(juanji.tensor(pic)), TVF.to_pil_image(torch.tensor(pic))
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    hwc_tensor = juanji.tensor(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    assert TF.to_pil_image(hwc_tensor).size == (12, 9)  # juanji's datasets' layout stays put


def test_color_jitter_hue_equals_adjust_hue(TVF):
    from juanji.data import transforms as T

    jitter = T.ColorJitter(hue=(0.15, 0.15))
    np.testing.assert_allclose(
        jitter(juanji.tensor(FLOAT)).numpy(),
        TVF.adjust_hue(torch.tensor(FLOAT), 0.15).numpy(),
        atol=1e-5,
    )
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1, generator=juanji.Generator().manual_seed(0))
    assert out.batch(np.stack([BYTES] * 4)).shape == (4, 3, 9, 12)


PERSPECTIVE = ([[0, 0], [11, 0], [11, 8], [0, 8]], [[1, 2], [10, 0], [11, 7], [2, 8]])


@pytest.mark.parametrize("image", [FLOAT, BYTES], ids=["float32", "uint8"])
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
def test_perspective_and_elastic_equal_torchvision(TVF, image, mode):
    interp = getattr(TVF.InterpolationMode, mode)
    field = np.random.default_rng(3).uniform(-0.2, 0.2, (1, 9, 12, 2)).astype(np.float32)
    for fill in (None, [7.0, 8.0, 9.0]):
        pairs = [
            (
                _ours(TF.perspective, image, *PERSPECTIVE, interp, fill),
                _theirs(TVF.perspective, image, *PERSPECTIVE, interp, fill),
            ),
            (
                _ours(TF.elastic_transform, image, juanji.tensor(field), interp, fill),
                _theirs(TVF.elastic_transform, image, torch.tensor(field), interp, fill),
            ),
        ]
        for ours, theirs in pairs:
            diff = np.abs(ours.astype(float) - theirs.astype(float))
            scale = max(1.0, float(np.abs(theirs).max()))  # the fill values reach 9
            assert diff.max() <= (1 if image.dtype == np.uint8 else 1e-5 * scale)


def test_perspective_and_elastic_on_pil_equal_torchvision(TVF, Image):
    image = Image.fromarray(np.ascontiguousarray(BYTES.transpose(1, 2, 0)))
    for interp in (TVF.InterpolationMode.NEAREST, TVF.InterpolationMode.BILINEAR):
        ours = TF.perspective(image, *PERSPECTIVE, interp)
        np.testing.assert_array_equal(
            np.asarray(ours), np.asarray(TVF.perspective(image, *PERSPECTIVE, interp))
        )
    field = np.random.default_rng(4).uniform(-0.1, 0.1, (1, 9, 12, 2)).astype(np.float32)
    ours = TF.elastic_transform(image, field)
    theirs = TVF.elastic_transform(image, torch.tensor(field))
    assert np.abs(np.asarray(ours).astype(int) - np.asarray(theirs).astype(int)).max() <= 1
    with pytest.raises(ValueError, match="perspective: Please provide exactly four corners"):
        TF.perspective(image, PERSPECTIVE[0][:3], PERSPECTIVE[1])
