"""`juanji experiment translation` in-process: argument errors (no data needed), and a tiny
real run on a slice of MNIST (slow; skipped when $JUANJI_DATA is not set)."""

import json
import os

import pytest
from PIL import Image

from juanji.apps.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "MLP,ResNet"], "--models: unknown ['ResNet']"),
        (["--max-shift", "20"], "--max-shift must be at most 14"),
        (["--epochs", "0"], "--epochs must be >= 1"),
        (["--train-size", "0"], "--train-size must be >= 1"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, message):
    assert main(["experiment", "translation", *argv, "-o", str(tmp_path / "t.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji experiment: ") and message in err and err.count("\n") == 1


def test_unknown_experiment_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        main(["experiment", "rotation"])
    assert info.value.code == 2


@pytest.mark.slow
def test_quick_run_on_a_slice_of_mnist(tmp_path, capsys):
    if not os.environ.get("JUANJI_DATA"):
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    png, numbers = tmp_path / "t.png", tmp_path / "t.json"
    argv = ["experiment", "translation", "--quick", "--train-size", "512", "--test-size", "100"]
    argv += ["--max-shift", "2", "-o", str(png), "--json", str(numbers)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "1) MLP vs CNN" in out and "2) LeNet5 with max / average / no pooling" in out
    with Image.open(png) as image:
        assert image.size == (1000, 600)
    data = json.loads(numbers.read_text())
    assert data["shifts"] == [0, 1, 2]
    assert data["parameters"] == {
        "MLP": 61_225,
        "LeNet5": 61_706,
        "LeNet5-avg": 61_706,
        "LeNet5-none": 61_706,
    }
    for name, values in data["accuracy"].items():
        assert len(values) == 3 and all(0.0 <= v <= 1.0 for v in values), name
    # the printed table shows the same numbers
    mlp, lenet = data["accuracy"]["MLP"], data["accuracy"]["LeNet5"]
    assert f"         2  {100 * mlp[2]:5.2f}%  {100 * lenet[2]:5.2f}%" in out
    # 512 images in 8 steps of 64 already beat chance (10 %) on centred digits
    assert lenet[0] > 0.2 and mlp[0] > 0.2


@pytest.mark.parametrize("flag", ["--json", "-o"])
def test_unwritable_outputs_are_refused_before_any_training(tmp_path, capsys, monkeypatch, flag):
    from juanji.apps.experiments import translation

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the output paths")

    monkeypatch.setattr(translation, "translation", no_training)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    for bad in ("/proc/x.json", str(blocker / "x.json")):
        argv = ["experiment", "translation", "--quick", "-o", str(tmp_path / "t.png"), flag, bad]
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"juanji experiment: {flag} {bad}: cannot write there"), err
        assert err.count("\n") == 1


def test_sizes_larger_than_mnist_are_refused_naming_the_maximum(tmp_path, capsys, monkeypatch):
    from juanji.apps.experiments import translation

    class Small:
        def __init__(self, root=None, train=True):
            self.n = 600 if train else 100

        def __len__(self):
            return self.n

    monkeypatch.setattr(translation, "MNIST", Small)
    argv = ["experiment", "translation", "--train-size", "100000", "-o", str(tmp_path / "t.png")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--train-size 100,000 is more than the 600 training digits MNIST holds" in err
    assert "use at most 600" in err and not (tmp_path / "t.png").exists()
