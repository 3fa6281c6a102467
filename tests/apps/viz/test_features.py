"""juanji.apps.viz.features and `juanji features`: the maps are the layers' outputs, by hand."""

import numpy as np
import pytest
from PIL import Image

import juanji
from juanji import nn
from juanji.apps.cli import main
from juanji.apps.viz.features import (
    draw_feature_maps,
    feature_maps,
    figure_inches,
    first_layer_kernels,
)
from juanji.models import LeNet5, LeNet5Classic

X3 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]


def _notes_model():
    conv = nn.Conv2d(1, 1, 2, bias=False)
    with juanji.no_grad():
        conv.weight.copy_(juanji.tensor([[[[0.0, 1.0], [2.0, 3.0]]]]))
    return nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())


def test_maps_are_the_outputs_of_conv_and_pool_layers():
    # conv: the notes' [[19, 25], [37, 43]]; ReLU keeps them (not recorded: no window);
    # max pool 2x2: [[43]]; Flatten: not 2-D, not recorded.
    model = _notes_model()
    maps, output = feature_maps(model, juanji.tensor([[X3]]))
    assert [(m.name, m.type) for m in maps] == [("0", "Conv2d"), ("2", "MaxPool2d")]
    assert maps[0].maps.tolist() == [[[19.0, 25.0], [37.0, 43.0]]]
    assert maps[1].maps.tolist() == [[[43.0]]]
    assert output.tolist() == [[43.0]]
    name, weights = first_layer_kernels(model, maps)
    assert name == "0" and weights.tolist() == [[[[0.0, 1.0], [2.0, 3.0]]]]
    assert model.training  # the mode is given back


def test_lenet_maps_and_kernels():
    juanji.manual_seed(0)
    model = LeNet5()
    x = juanji.randn(1, 1, 28, 28)
    maps, output = feature_maps(model, x)
    assert [m.maps.shape for m in maps] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    # the first map is conv2d with the first layer's weights, the third max pool of its ReLU
    expected = juanji.nn.functional.conv2d(
        x, model.features[0].weight, model.features[0].bias, 1, 2
    )
    assert np.allclose(maps[0].maps, expected.detach().numpy()[0], atol=1e-6)
    pooled = expected.relu().detach().numpy()[0].reshape(6, 14, 2, 14, 2).max(axis=(2, 4))
    assert np.allclose(maps[1].maps, pooled, atol=1e-6)
    assert output.shape == (1, 10)
    name, weights = first_layer_kernels(model, maps)
    assert name == "features.0" and weights.shape == (6, 1, 5, 5)


def test_classic_lenet_table_convolution_kernels():
    model = LeNet5Classic()
    maps, _ = feature_maps(model, juanji.zeros(1, 1, 32, 32))
    assert [m.name for m in maps] == ["c1", "s2", "c3", "s4", "c5"]
    assert first_layer_kernels(model, maps)[1].shape == (6, 1, 5, 5)
    # no layer with a 4-D weight: nothing to draw
    assert first_layer_kernels(nn.MaxPool2d(2), [])[0] == ""


def test_figure_size_rule():
    # input + 6 kernels: 1 row; 6, 6 maps: 1 row each; 16, 16 maps: 2 rows each -> 7 rows of
    # 1 inch plus 5 titles of 0.3 = 8.5 inches, 8 wide
    assert figure_inches([7, 6, 6, 16, 16]) == (8.0, 8.5)
    assert figure_inches([1]) == (8.0, 1.3)


def test_draw_writes_the_documented_size(tmp_path):
    model = LeNet5()
    x = juanji.zeros(1, 1, 28, 28)
    maps, _ = feature_maps(model, x)
    path = draw_feature_maps(
        np.zeros((28, 28)), maps, first_layer_kernels(model, maps), tmp_path / "m.png", "t"
    )
    with Image.open(path) as image:
        assert image.size == (800, 850)
    # with at most 4 channels per layer every section has one row: 5 rows + 5 titles = 6.5 in
    path = draw_feature_maps(
        np.zeros((28, 28)),
        maps,
        first_layer_kernels(model, maps),
        tmp_path / "s.png",
        max_channels=4,
    )
    with Image.open(path) as image:
        assert image.size == (800, 650)


# ---------------------------------------------------------------------------- the command
@pytest.fixture
def run_dir(tmp_path):
    from juanji.apps import training
    from juanji.apps.training import run_directory
    from juanji.serialization import save_file

    config = training.make_config("lenet5")
    run = tmp_path / "run"
    run.mkdir()
    run_directory.save_config(run, config)
    juanji.manual_seed(0)
    save_file(training.build_model(config).state_dict(), run / run_directory.MODEL_FILE)
    return run


@pytest.fixture
def digit(tmp_path):
    # a dark "1" on white paper, as a phone photo of a drawing would be
    page = np.full((60, 40), 255, np.uint8)
    page[10:50, 18:23] = 0
    path = tmp_path / "one.png"
    Image.fromarray(page).save(path)
    return path


def test_command_draws_the_maps(run_dir, digit, tmp_path, capsys):
    out = tmp_path / "maps.png"
    assert main(["features", str(run_dir), str(digit), "-o", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (800, 850)
    printed = capsys.readouterr().out
    assert "features.3   Conv2d         16x10x10" in printed
    assert "prediction: " in printed and f"wrote {out}" in printed


def test_command_errors_are_one_line(run_dir, digit, tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((20, 20), 255, np.uint8)).save(blank)
    (tmp_path / "empty").mkdir()
    cases = [
        ([str(run_dir), str(tmp_path / "missing.png")], "missing.png: no such file"),
        ([str(run_dir), str(blank)], "blank.png: the image shows no digit"),
        ([str(tmp_path / "empty"), str(digit)], "config.json is missing"),
        ([str(run_dir), str(digit), "--max-channels", "0"], "--max-channels must be >= 1"),
    ]
    for argv, message in cases:
        assert main(["features", *argv, "-o", str(tmp_path / "x.png")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("juanji features: ") and message in err, err
        assert err.count("\n") == 1
    (run_dir / "model.safetensors").unlink()
    assert main(["features", str(run_dir), str(digit), "-o", str(tmp_path / "x.png")]) == 1
    assert "model.safetensors is missing" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".jpg", b"\xff\xd8\xff"), (".pdf", b"%PDF-"), (".svg", b"<?xml")]
)
def test_command_writes_the_format_its_suffix_names(run_dir, digit, tmp_path, suffix, magic):
    out = tmp_path / f"maps{suffix}"
    assert main(["features", str(run_dir), str(digit), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_command_refuses_an_unknown_suffix_before_any_work(run_dir, digit, tmp_path, capsys):
    out = tmp_path / "maps.gif"
    assert main(["features", str(run_dir), str(digit), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"juanji features: -o {out}: '.gif'; the file name must end in")
    assert not out.exists()


def test_scale_caption_hand_examples():
    from juanji.apps.viz.features import scale_caption

    assert scale_caption(np.array([[-0.5, 2.0]])) == (
        "signed (before the activation): black -2, mid grey 0, white +2"
    )
    assert scale_caption(np.array([0.0, 0.25])) == "non-negative (after ReLU): black 0, white 0.25"


def test_every_row_of_maps_says_how_its_greys_read(run_dir, digit, tmp_path, monkeypatch):
    from juanji.apps.viz import plot

    headings = []

    def capture(figure, path, dpi=100):
        for sub in figure.subfigs:
            headings.append(sub._suptitle.get_text())
        plot.pyplot().close(figure)
        return path

    monkeypatch.setattr(plot, "save_figure", capture)
    assert main(["features", str(run_dir), str(digit), "-o", str(tmp_path / "m.png")]) == 0
    assert len(headings) == 5
    assert "input (black " in headings[0] and "0 = grey" in headings[0]
    conv, pool = headings[1], headings[2]
    assert conv.startswith("features.0 Conv2d") and "black -" in conv and "mid grey 0" in conv
    assert pool.startswith("features.2 MaxPool2d") and "black 0, white " in pool
