"""juanji.apps.experiments without data: the models, the shifts and the tables, by hand."""

from dataclasses import replace

import numpy as np
import pytest

import juanji
from juanji.apps import experiments as ex


def test_matched_parameter_counts():
    # MLP: 784*77 + 77 + 77*10 + 10 = 60,368 + 77 + 770 + 10 = 61,225; LeNet5: 61,706 (< 1 % more)
    counts = {
        name: sum(p.numel() for p in build().parameters()) for name, (build, _) in ex.MODELS.items()
    }
    assert counts == {"MLP": 61_225, "LeNet5": 61_706, "LeNet5-avg": 61_706, "LeNet5-none": 61_706}


def test_no_pool_keeps_the_top_left_pixel_of_each_block():
    juanji.manual_seed(0)
    model = ex.make_lenet("none")
    x = juanji.randn(2, 1, 28, 28)
    features = model.features
    with juanji.no_grad():
        after_relu = features[1](features[0](x))
        pooled = features[2](after_relu)
    assert np.array_equal(pooled.numpy(), after_relu.numpy()[:, :, ::2, ::2])
    assert model(x).shape == (2, 10)
    assert type(ex.make_lenet("avg").features[2]).__name__ == "AvgPool2d"


def test_shift_images_by_hand():
    images = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)
    # down 1: row 0 becomes black, rows 0-1 move to rows 1-2
    assert ex.shift_images(images, 1, 0).tolist() == [[[0, 0, 0], [1, 2, 3], [4, 5, 6]]]
    # left 2: column 2 moves to column 0, the rest is black
    assert ex.shift_images(images, 0, -2).tolist() == [[[3, 0, 0], [6, 0, 0], [9, 0, 0]]]
    assert ex.shift_images(images, 0, 0).tolist() == images.tolist()
    assert ex._directions(0) == [(0, 0)]
    assert sorted(ex._directions(2)) == [(-2, 0), (0, -2), (0, 2), (2, 0)]


def test_tables():
    result = ex.TranslationResult(
        ex.TranslationSettings(max_shift=1),
        [0, 1],
        {"MLP": [0.9, 0.5], "LeNet5": [0.99, 0.95], "LeNet5-avg": [0.98, 0.9]},
        {"MLP": 61_225, "LeNet5": 61_706, "LeNet5-avg": 61_706},
    )
    report = result.report()
    assert "1) MLP vs CNN" in report and "2) LeNet5 with max / average / no pooling" in report
    assert "         1  50.00%  95.00%" in report
    assert "shift (px)  max pool  avg pool\n" in report
    assert "Parameters: MLP 61,225, LeNet5 61,706, LeNet5-avg 61,706." in report


def test_quick_settings_are_a_slice():
    assert ex.QUICK.train_size < ex.TranslationSettings().train_size
    assert replace(ex.QUICK, epochs=2).epochs == 2


def test_accuracy_averages_the_four_directions():
    # A "model" that answers class 1 exactly when pixel (0, 0) is bright.
    class Corner(juanji.nn.Module):
        def forward(self, x):
            bright = (x[:, 0, 0, 0] > 0).float()
            return juanji.stack([1 - bright, bright], dim=1)

    images = np.zeros((1, 4, 4), np.float32)
    images[0, 0, 0] = 1.0
    images[0, 1, 0] = 1.0  # moving up by 1 brings this pixel to (0, 0)
    # shift 0: pixel (0, 0) bright -> class 1, right. Shift 1: up keeps (0, 0) bright (from row
    # 1) -> right; down, left, right make it black -> wrong. Mean over 4: 0.25.
    assert ex._accuracy(Corner(), images, np.array([1]), 0) == pytest.approx(1.0)
    assert ex._accuracy(Corner(), images, np.array([1]), 1) == pytest.approx(0.25)
