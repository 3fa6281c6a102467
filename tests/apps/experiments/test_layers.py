"""juanji.apps.experiments.layers and `juanji experiment layers`: the ridge probe against the
primal closed form, PCA against an SVD, LeNet5's layers and fields, the patch cutting, the
pictures, and a quick run on a slice of MNIST (skipped when $JUANJI_DATA is not set)."""

import json
import os

import numpy as np
import pytest

import juanji
from juanji.apps.cli import main
from juanji.apps.experiments import layers as ex
from juanji.apps.experiments import layers_figures
from juanji.errors import JuanjiError
from juanji.models import LeNet5


def test_ridge_probe_equals_the_primal_closed_form():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 7))
    labels = rng.integers(0, 3, 60)
    x[np.arange(60), labels] += 2.0  # some signal
    test = rng.standard_normal((20, 7))
    predicted, alpha = ex.ridge_probe(x, labels, test, 3)
    # primal: W = (XᵀX + λI)⁻¹ XᵀY on centred X and Y, λ = alpha · trace(XXᵀ) / n
    mean = x.mean(0)
    xc = x - mean
    y = np.eye(3)[labels]
    lam = alpha * np.trace(xc @ xc.T) / len(x)
    w = np.linalg.solve(xc.T @ xc + lam * np.eye(7), xc.T @ (y - y.mean(0)))
    expected = ((test - mean) @ w + y.mean(0)).argmax(1)
    assert np.array_equal(predicted, expected)
    assert alpha in (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    # far apart classes: the probe classifies new points of each class right
    centres = np.eye(3, 7) * 10.0
    far = centres[labels] + rng.standard_normal((60, 7))
    new_labels = np.array([0, 1, 2, 2, 1, 0])
    new = centres[new_labels] + rng.standard_normal((6, 7))
    assert ex.ridge_probe(far, labels, new, 3)[0].tolist() == new_labels.tolist()


def test_pca_2d_matches_an_svd():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 30)) * np.linspace(5, 0.1, 30)  # distinct variances
    coords = ex.pca_2d(x)
    u, s, _ = np.linalg.svd(x - x.mean(0), full_matrices=False)
    np.testing.assert_allclose(np.abs(coords), np.abs(u[:, :2] * s[:2]), rtol=1e-6, atol=1e-8)


def test_lenet5_points_and_receptive_fields():
    points = ex.find_points(LeNet5(), (1, 28, 28))
    described = [(p.name, p.kind, p.shape, ex.field_size(p.field)) for p in points]
    assert described == [
        ("input", "pixels", (1, 28, 28), "1x1"),
        ("features.1", "Conv2d+ReLU", (6, 28, 28), "5x5"),
        ("features.2", "MaxPool2d", (6, 14, 14), "6x6"),
        ("features.4", "Conv2d+ReLU", (16, 10, 10), "14x14"),
        ("features.5", "MaxPool2d", (16, 5, 5), "16x16"),
        ("classifier.1", "Linear+ReLU", (120,), "all"),
        ("classifier.3", "Linear+ReLU", (84,), "all"),
        ("classifier.4", "Linear", (10,), "all"),
    ]
    # unit (1, 2) of features.5 sees rows 2..18 and columns 6..22 (`juanji receptive-field`)
    assert points[4].window((1, 2)) == [(2.0, 18.0), (6.0, 22.0)]


def test_features_are_the_layer_outputs():
    juanji.manual_seed(0)
    model = LeNet5().eval()
    points = ex.find_points(model, (1, 28, 28))
    images = np.random.default_rng(2).random((3, 1, 28, 28)).astype(np.float32)
    found = ex.features(model, points, images, batch=2)  # two batches
    with juanji.no_grad():
        logits = model(juanji.tensor(images)).numpy()
        pooled = model.features(juanji.tensor(images)).numpy()
    np.testing.assert_allclose(found["classifier.4"], logits, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(found["features.5"], pooled.reshape(3, -1), rtol=1e-5, atol=1e-6)
    assert found["input"].shape == (3, 784) and found["features.1"].shape == (3, 4704)


def test_cut_pads_outside_the_image():
    image = np.arange(16.0).reshape(4, 4)
    assert ex._cut(image, -1, 2, 2, 5).tolist() == [[0, 0, 0], [2, 3, 0], [6, 7, 0]]
    assert ex._cut(image, 1, 3, 1, 3).tolist() == [[5, 6], [9, 10]]


def test_top_patches_cut_the_field_of_the_strongest_unit():
    point = ex.find_points(LeNet5(), (1, 28, 28))[1]  # features.1: 5x5 fields, 6 channels
    maps = np.zeros((3, 6, 28, 28), np.float32)
    maps[1, 2, 10, 20] = 5.0  # image 1, channel 2, unit (10, 20): its strongest answer
    maps[0, 2, 3, 3] = 1.0
    pixels = np.random.default_rng(3).random((3, 28, 28)).astype(np.float32)
    settings = ex.LayersSettings(channels=1, patches=2)
    [(channel, cuts)] = ex._top_patches(point, maps.reshape(3, -1), pixels, settings)
    assert channel == 2 and len(cuts) == 2
    np.testing.assert_array_equal(cuts[0], pixels[1, 8:13, 18:23])  # 5x5 around (10, 20)
    np.testing.assert_array_equal(cuts[1], pixels[0, 1:6, 1:6])


def _result():
    points = ex.find_points(LeNet5(), (1, 28, 28))
    result = ex.LayersResult(ex.QUICK, "a test", points, network_accuracy=0.9)
    rng = np.random.default_rng(4)
    result.test_labels = rng.integers(0, 10, 40)
    for i, p in enumerate(points):
        result.accuracy[p.name] = 0.8 + 0.02 * i
        result.projections[p.name] = rng.standard_normal((40, 2))
    cuts = [rng.random((5, 5)) for _ in range(3)]
    result.patches = {"features.1": [(0, cuts), (4, cuts)], "features.5": [(1, cuts[:2])]}
    return result


def test_table_and_report():
    text = _result().report()
    assert "network: a test; its own test accuracy 90.00%" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()[4:] if line.strip()}
    assert rows["input"] == ["input", "pixels", "1x28x28", "1x1", "784", "80.00%"]
    assert rows["features.4"] == [
        "features.4",
        "Conv2d+ReLU",
        "16x10x10",
        "14x14",
        "1,600",
        "86.00%",
    ]
    assert rows["classifier.4"] == ["classifier.4", "Linear", "10", "all", "10", "94.00%"]


def test_draw_layers_writes_one_picture_per_question(tmp_path):
    pytest.importorskip("matplotlib")
    written = layers_figures.draw_layers(_result(), tmp_path / "l.png")
    assert [p.name for p in written] == ["l-probe.png", "l-pca.png", "l-patches.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-shift", "2"], "--max-shift is for translation, structure, conv1d; not layers"),
        (["--models", "MLP"], "--models is for `juanji experiment translation` only"),
        (["--run", "/nonexistent/run"], "/nonexistent/run"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, message):
    assert main(["experiment", "layers", *argv, "-o", str(tmp_path / "l.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji experiment: ") and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_quick_run_on_a_slice_of_mnist(tmp_path, capsys):
    if not os.environ.get("JUANJI_DATA"):
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    png, numbers = tmp_path / "l.png", tmp_path / "l.json"
    argv = ["experiment", "layers", "--quick", "--train-size", "400", "--test-size", "150"]
    assert main([*argv, "-o", str(png), "--json", str(numbers)]) == 0
    out = capsys.readouterr().out
    data = json.loads(numbers.read_text())
    names = [layer["name"] for layer in data["layers"]]
    assert names[0] == "input" and names[-1] == "classifier.4" and len(names) == 8
    for layer in data["layers"]:
        assert f"{100 * layer['probe_accuracy']:.2f}%" in out
    # the last layer's features separate the classes far above chance (10 %), after 10 steps
    assert data["layers"][-1]["probe_accuracy"] > 0.3
    assert data["layers"][3]["field"] == [14.0, 14.0]
    for question in ("probe", "pca", "patches"):
        assert (tmp_path / f"l-{question}.png").stat().st_size > 5_000


def test_fields_after_a_layer_the_table_cannot_follow_are_unknown():
    from juanji import nn

    model = nn.Sequential(
        nn.PixelUnshuffle(2), nn.Conv2d(4, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 12 * 12, 5)
    )
    points = ex.find_points(model, (1, 28, 28))
    assert [(p.name, ex.field_size(p.field)) for p in points] == [
        ("input", "1x1"),
        ("2", "n/a"),  # spatial, but PixelUnshuffle stopped the receptive-field table
        ("4", "all"),
    ]
    assert points[1].window is None


def test_networks_with_shortcuts_are_refused():
    from juanji.models import get_model

    with pytest.raises(JuanjiError, match=r"^layers: .*"):
        ex.find_points(get_model("resnet20", num_classes=10), (3, 32, 32))


@pytest.mark.slow
def test_a_run_folder_is_probed_with_its_own_dataset_and_preprocessing(monkeypatch, capsys):
    if not os.environ.get("JUANJI_DATA"):
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding fashion-mnist/*.gz)")
    from juanji.apps import training

    config = training.make_config("lenet5", "fashion-mnist")
    juanji.manual_seed(0)
    model = LeNet5().eval()  # untrained: the run's weights do not matter here

    def restore(run_dir):
        assert run_dir == "RUN"
        return model, config

    monkeypatch.setattr(training, "restore_model", restore)
    settings = ex.LayersSettings(probe_size=200, test_size=100, channels=1, patches=2)
    result = ex.layers(settings, run="RUN")
    assert result.source == "lenet5 from RUN (fashion-mnist)"
    assert result.classes[0] == "T-shirt/top" and len(result.test_labels) == 100
    assert [p.name for p in result.points][-1] == "classifier.4"
    assert set(result.patches) == {"features.1", "features.2", "features.4", "features.5"}
    # a linear probe on Fashion-MNIST's pixels beats chance (10 %) by far, trained or not
    assert result.accuracy["input"] > 0.4
