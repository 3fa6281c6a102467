"""juanji.apps.viz.plot: reading and writing pictures, the sample image, display ranges, grids."""

import numpy as np
import pytest
from PIL import Image

from juanji.apps.viz import plot
from juanji.errors import JuanjiError


def test_the_sample_image_is_installed_package_data():
    path = plot.sample_image_path()
    assert path.is_file() and 1_000 < path.stat().st_size < 20_000
    with Image.open(path) as image:
        assert image.size == (160, 120) and image.mode == "RGB"
    rgb = plot.read_image(path)
    assert rgb.shape == (120, 160, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    # it has hard edges (a blur kernel has something to do): neighbouring pixels differ by > 0.5
    assert (np.abs(np.diff(rgb, axis=1)) > 0.5).any()


def test_read_gray_and_alpha_on_white(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[:, :3] = (0, 0, 0, 255)  # opaque black on the left, transparent on the right
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    gray = plot.read_image(tmp_path / "a.png", gray=True)
    assert gray.shape == (4, 6)
    assert gray[:, :3].max() == 0.0 and gray[:, 3:].min() == 1.0
    Image.fromarray(np.full((3, 3), 128, np.uint8), "L").save(tmp_path / "l.png")
    assert plot.read_image(tmp_path / "l.png").shape == (3, 3)  # gray files stay gray


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"not a picture", "not an image Pillow can read")],
)
def test_unreadable_images_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(JuanjiError, match=message) as info:
        plot.read_image(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_write_image_round_trip_and_scale(tmp_path):
    image = np.array([[0.0, 0.5], [1.0, 2.0]])
    path = plot.write_image(image, tmp_path / "deep" / "x.png", scale=3)
    with Image.open(path) as saved:
        assert saved.size == (6, 6)
        pixels = np.asarray(saved)
    assert pixels[0, 0] == 0 and pixels[0, 3] == 128 and pixels[3, 0] == 255 and pixels[5, 5] == 255


def test_to_unit_range():
    assert plot.to_unit_range(np.array([-4.0, 2.0]), signed=True).tolist() == [0.0, 0.75]
    assert plot.to_unit_range(np.zeros(3), signed=True).tolist() == [0.5] * 3
    assert plot.to_unit_range(np.array([2.0, -1.0])).tolist() == [1.0, 0.0]


def test_image_grid_writes_a_png(tmp_path):
    images = [np.zeros((8, 8)), np.ones((4, 6, 3)), np.linspace(-1, 1, 16).reshape(4, 4)]
    path = plot.image_grid(
        images, ["a", "b", "c"], tmp_path / "g.png", columns=2, signed=[False, False, True]
    )
    with Image.open(path) as saved:
        # 2 columns of 2 inches and 2 rows of 2 inches (+0.4 for the title) at 100 dpi
        assert saved.size == (400, 440)
