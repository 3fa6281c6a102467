"""juanji.apps.experiments.translation without data: models, shifts, tables, the figure."""

from dataclasses import replace

import numpy as np
import pytest

import juanji
from juanji.apps.experiments import translation as ex
from juanji.errors import JuanjiError


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


# ---------------------------------------------------------------------- figure
def _result(names):
    accuracy = {name: [0.99 - 0.1 * i * s for s in range(3)] for i, name in enumerate(names)}
    result = ex.TranslationResult(ex.TranslationSettings(max_shift=2), [0, 1, 2], accuracy)
    result.examples = np.zeros((3, 28, 28), np.float32)
    return result


def test_draw_translation_writes_a_1000_by_600_png(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    path = ex.draw_translation(_result(list(ex.MODELS)), tmp_path / "t.png")
    with Image.open(path) as image:
        assert image.size == (1000, 600)


def test_draw_translation_with_one_model_has_one_panel_and_no_warning(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import warnings

    from juanji.apps.viz import plot

    figures = []
    real = plot.save_figure
    monkeypatch.setattr(
        plot, "save_figure", lambda fig, path: figures.append(fig) or real(fig, path)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels" on an empty panel
        ex.draw_translation(_result(["MLP"]), tmp_path / "t.png")
    curves = [ax for ax in figures[0].axes if ax.get_lines()]
    assert len(curves) == 1 and all(ax.get_lines() for ax in curves)


def test_sizes_over_what_mnist_holds_are_refused(monkeypatch):
    class Small:
        def __init__(self, root=None, train=True):
            self.n = 60 if train else 10
            self.data = juanji.zeros(self.n, 28, 28)
            self.targets = juanji.zeros(self.n)

        def __len__(self):
            return self.n

    monkeypatch.setattr(ex, "MNIST", Small)
    with pytest.raises(
        JuanjiError, match=r"--train-size 100 is more than the 60 training .*at most 60"
    ):
        ex.translation(ex.TranslationSettings(train_size=100, test_size=5))
    with pytest.raises(JuanjiError, match=r"--test-size 11 is more than the 10 test digits"):
        ex.translation(ex.TranslationSettings(train_size=5, test_size=11))


def test_check_output_refuses_unwritable_paths(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(JuanjiError, match=r"--json /proc/x.json: cannot write there"):
        ex.check_output("/proc/x.json", "--json")
    with pytest.raises(JuanjiError, match=r"-o .*file.txt/t.png: cannot write there"):
        ex.check_output(blocker / "t.png", "-o")
    with pytest.raises(JuanjiError, match="is a folder"):
        ex.check_output(tmp_path, "-o")
    assert ex.check_output(tmp_path / "new" / "t.png", "-o") == tmp_path / "new" / "t.png"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == []  # the probe is gone


def test_save_numbers_is_strict_json(tmp_path):
    import json

    result = _result(["MLP"])
    result.accuracy["MLP"][1] = float("nan")
    with pytest.raises(ValueError, match="not JSON compliant"):
        ex.save_numbers(result, tmp_path / "n.json")
    result.accuracy["MLP"][1] = 0.5
    assert json.loads(ex.save_numbers(result, tmp_path / "n.json").read_text())["shifts"] == [
        0,
        1,
        2,
    ]
