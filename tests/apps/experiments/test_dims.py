"""juanji.apps.experiments.dims and `juanji experiment conv1d` / `conv3d`: the profiles, the
moving-digit clips (deterministic, hand-checked frames), the models' shapes, the table, and quick
runs on a slice of MNIST (skipped when $JUANJI_DATA is not set)."""

import os

import numpy as np
import pytest

import juanji
from juanji.apps.cli import main
from juanji.apps.experiments import dims as ex
from juanji.apps.experiments import translation


def _digits(n=6, seed=0):
    images = np.zeros((n, 28, 28), np.float32)
    rng = np.random.default_rng(seed)
    images[:, 6:22, 8:20] = rng.random((n, 16, 12))
    return images


def test_profiles_count_the_ink_per_row_and_per_column():
    images = _digits()
    signals = ex.profiles(images)
    assert signals.shape == (6, 2, 28)
    np.testing.assert_allclose(signals[:, 0].sum(1), images.sum((1, 2)), rtol=1e-5)
    np.testing.assert_allclose(signals[:, 1].sum(1), images.sum((1, 2)), rtol=1e-5)
    np.testing.assert_allclose(signals[2, 0, 10], images[2, 10].sum(), rtol=1e-6)
    np.testing.assert_allclose(signals[2, 1, 9], images[2, :, 9].sum(), rtol=1e-6)
    assert signals[:, 0, :6].max() == 0 and signals[:, 1, 20:].max() == 0


def test_moving_digits_are_deterministic_and_move_one_pixel_per_frame():
    images = _digits(40)
    clips, labels = ex.moving_digits(images, seed=3)
    again, same = ex.moving_digits(images, seed=3)
    assert np.array_equal(clips, again) and np.array_equal(labels, same)
    assert not np.array_equal(ex.moving_digits(images, seed=4)[1], labels)
    assert clips.shape == (40, 5, 24, 24) and set(labels.tolist()) <= set(range(8))
    halved = images.reshape(40, 14, 2, 14, 2).mean((2, 4))
    for clip, label, digit in zip(clips, labels, halved, strict=True):
        dy, dx = ex.DIRECTIONS[label]
        for t in range(5):  # frame t is the middle frame moved by (t - 2) * direction
            moved = translation.shift_images(clip[2:3], (t - 2) * dy, (t - 2) * dx)[0]
            np.testing.assert_array_equal(clip[t], moved)
        # the middle frame holds the whole halved digit, unchanged
        assert np.isclose(clip[2].sum(), digit.sum(), rtol=1e-5)
    # by hand: one digit of ones moving right; its left column advances one pixel per frame
    ones = np.ones((1, 28, 28), np.float32)
    clip, label = ex.moving_digits(ones, seed=0)
    dy, dx = ex.DIRECTIONS[label[0]]
    columns = [np.nonzero(frame.any(0))[0][0] for frame in clip[0]]
    rows = [np.nonzero(frame.any(1))[0][0] for frame in clip[0]]
    assert np.diff(columns).tolist() == [dx] * 4 and np.diff(rows).tolist() == [dy] * 4


def test_the_middle_frame_position_does_not_depend_on_the_direction():
    # the 2-D baseline on one frame must have nothing to go on: every direction's middle frames
    # cover the same range of positions
    clips, labels = ex.moving_digits(np.ones((800, 28, 28), np.float32), seed=1)
    tops = np.array([np.nonzero(c[2].any(1))[0][0] for c in clips])
    for direction in range(8):
        assert sorted(set(tops[labels == direction].tolist())) == [2, 3, 4, 5, 6, 7, 8]


def test_models_take_their_inputs():
    juanji.manual_seed(0)
    assert ex.make_conv1d()(juanji.randn(3, 2, 28)).shape == (3, 10)
    assert ex.make_profile_mlp()(juanji.randn(3, 2, 28)).shape == (3, 10)
    assert ex.make_conv3d("3d")(juanji.randn(2, 1, 5, 24, 24)).shape == (2, 8)
    assert ex.make_conv3d("frame")(juanji.randn(2, 1, 24, 24)).shape == (2, 8)
    assert ex.make_conv3d("channels")(juanji.randn(2, 5, 24, 24)).shape == (2, 8)


def test_draw_dims_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    clips, labels = ex.moving_digits(_digits(3), seed=0)
    result = ex.DimsResult("conv3d", ex.CONV3D_QUICK, ["test accuracy"])
    result.accuracy = {"Conv3d": [0.9], "Conv2d, middle frame": [0.12]}
    result.parameters = {"Conv3d": 3832, "Conv2d, middle frame": 1384}
    result.examples = {"clips": clips, "labels": labels}
    with Image.open(ex.draw_dims(result, tmp_path / "c.png")) as image:
        assert image.size == (1000, 450)
    assert "Conv2d, middle frame   1,384         12.00%" in result.table()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["conv3d", "--max-shift", "1"], "--max-shift is for translation, structure, conv1d"),
        (["conv1d", "--json", "x.json"], "--json is not offered for conv1d"),
        (["conv3d", "--run", "x"], "--run is for `juanji experiment layers` only"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, message):
    assert main(["experiment", *argv, "-o", str(tmp_path / "c.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji experiment: ") and message in err and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["conv1d", "conv3d"])
def test_quick_run_on_a_slice_of_mnist(tmp_path, capsys, name):
    if not os.environ.get("JUANJI_DATA"):
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    png = tmp_path / f"{name}.png"
    argv = ["experiment", name, "--quick", "--train-size", "640", "--test-size", "200"]
    assert main([*argv, "-o", str(png)]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line for line in out.splitlines() if line.endswith("%")}
    assert png.stat().st_size > 10_000 and f"wrote {png}" in out
    if name == "conv1d":
        assert set(rows) == {"Conv1d", "MLP"}
        conv = float(rows["Conv1d"].split()[2].rstrip("%"))
        assert conv > 20.0  # 10 steps already beat chance (10 %) on 10 classes
    else:
        assert set(rows) == {"Conv3d", "Conv2d, middle frame", "Conv2d, frames as channels"}
        frame = float(rows["Conv2d, middle frame"].split()[-1].rstrip("%"))
        assert frame < 30.0  # one frame carries no direction: chance is 12.5 %
