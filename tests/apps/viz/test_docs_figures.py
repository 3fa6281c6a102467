"""tools/make_docs_figures.py: the numbers behind the 1-D and 3-D convolution figures."""

import importlib.util
import pathlib

import numpy as np
import pytest

TOOL = pathlib.Path(__file__).resolve().parents[3] / "tools" / "make_docs_figures.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("make_docs_figures", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_signal_smoothing_and_step_detection(tool):
    data = tool.signal_example()
    assert data["smooth"].shape == (200,)  # replicate padding 4 + 4 keeps the length
    assert data["diff_noisy"].shape == (199,)  # a 2-tap kernel without padding: 200 - 2 + 1
    # away from the steps (which smoothing rounds off) the Gaussian removes most of the noise:
    # 9 taps with sigma 2 average about 7 samples, noise std / sqrt(7) ~ 0.4 of it
    t = data["t"]
    flat = (np.abs(t - 60) > 6) & (np.abs(t - 140) > 6)
    noise_before = np.std((data["noisy"] - data["clean"])[flat])
    noise_after = np.std((data["smooth"] - data["clean"])[flat])
    assert noise_after < noise_before / 2
    # diff[t] = x[t+1] - x[t]: the up step between t = 59 and 60, the down step between 139 and
    # 140; after smoothing they are the largest and smallest differences
    assert abs(int(np.argmax(data["diff_smooth"])) - 59) <= 2
    assert abs(int(np.argmin(data["diff_smooth"])) - 139) <= 2
    assert data["diff_smooth"].max() > 3 * np.abs(data["diff_smooth"][:50]).max()


def test_signal_difference_by_hand(tool):
    data = tool.signal_example()
    noisy = data["noisy"]
    assert data["diff_noisy"][:3] == pytest.approx(noisy[1:4] - noisy[0:3], abs=1e-6)


def test_volume_laplacian_answers_on_surfaces_only(tool):
    data = tool.volume_example()
    lap = data["laplacian"]
    assert lap.shape == (24, 24, 24)
    # inside the ball, inside the box and in empty space: all 6 neighbours equal the voxel -> 0
    assert lap[12, 8, 8] == 0 and lap[12, 17, 17] == pytest.approx(0) and lap[0, 0, 0] == 0
    # on the box's face y = 13 (value 0.6): 5 neighbours of 0.6 and one of 0 -> 3.0 - 6*0.6
    assert lap[12, 13, 16] == pytest.approx(-0.6, abs=1e-6)
    # just outside that face: one neighbour of 0.6 -> 0.6
    assert lap[12, 12, 16] == pytest.approx(0.6, abs=1e-6)


def test_volume_blur_keeps_the_total(tool):
    data = tool.volume_example()
    # a kernel summing to 1 and a volume that is ~0 near its border: the total is kept
    assert data["blur"].sum() == pytest.approx(data["noisy"].sum(), rel=0.02)
    assert data["blur"].std() < data["noisy"].std()
