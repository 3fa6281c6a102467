"""juanji.apps.experiments.structure and `juanji experiment structure`: the permutation, the
MLP's indifference to it (exact, without training), the table, the figure, and a quick run on a
slice of MNIST (skipped when $JUANJI_DATA is not set)."""

import json
import os

import numpy as np
import pytest

import juanji
from juanji.apps.cli import main
from juanji.apps.experiments import structure as ex
from juanji.apps.experiments import translation


def test_permutation_is_a_permutation_and_fixed_by_the_seed():
    order = ex.permutation(3)
    assert sorted(order.tolist()) == list(range(784))
    assert np.array_equal(order, ex.permutation(3)) and not np.array_equal(order, ex.permutation(4))


def test_permute_pixels_moves_pixels_and_can_be_undone():
    images = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    order = ex.permutation(0)
    shuffled = ex.permute_pixels(images, order)
    # the same pixel values per image, moved: pixel i of the result is pixel order[i] of the input
    for image, result in zip(images, shuffled, strict=True):
        assert np.array_equal(np.sort(image.ravel()), np.sort(result.ravel()))
    assert shuffled[1].ravel()[10] == images[1].ravel()[order[10]]
    assert np.array_equal(ex.permute_pixels(shuffled, np.argsort(order)), images)
    with pytest.raises(ValueError, match=r"permute_pixels: order must hold 784 positions"):
        ex.permute_pixels(images, order[:10])


def test_the_shuffled_mlp_is_the_same_function_on_shuffled_pixels():
    # W[:, order] @ x[order] == W @ x: the MLP started from shuffled weights computes on shuffled
    # digits exactly what the original computes on the originals (forward and gradients).
    order = ex.permutation(1)
    juanji.manual_seed(0)
    original = translation.make_mlp()
    juanji.manual_seed(0)
    shuffled = translation.make_mlp()
    ex._permute_first_layer(order)(shuffled)
    images = np.random.default_rng(1).random((4, 28, 28)).astype(np.float32)
    x = juanji.tensor(images[:, None])
    x_shuffled = juanji.tensor(ex.permute_pixels(images, order)[:, None])
    out, out_shuffled = original(x), shuffled(x_shuffled)
    np.testing.assert_allclose(out_shuffled.detach().numpy(), out.detach().numpy(), atol=1e-5)
    out.sum().backward()
    out_shuffled.sum().backward()
    grad, grad_shuffled = original[1].weight.grad.numpy(), shuffled[1].weight.grad.numpy()
    np.testing.assert_allclose(grad_shuffled, grad[:, order], atol=1e-5)
    assert not np.allclose(grad_shuffled, grad)  # the columns did move


def _result(max_shift=2):
    result = ex.StructureResult(ex.StructureSettings(max_shift=max_shift))
    result.accuracy = {
        "MLP": {"original": 0.92, "permuted": 0.92},
        "LeNet5": {"original": 0.96, "permuted": 0.81},
    }
    result.shifted = {"MLP": [0.92, 0.85, 0.6], "LeNet5": [0.96, 0.94, 0.85]}
    result.parameters = {"MLP": 61_225, "LeNet5": 61_706}
    result.originals = np.zeros((6, 28, 28), np.float32)
    result.originals[:, 10:18, 12:16] = 1.0
    result.permuted = ex.permute_pixels(result.originals, ex.permutation(0))
    return result


def test_table_rows():
    lines = _result().table().splitlines()
    assert lines[0].split() == [
        "model",
        "params",
        "original",
        "permuted",
        "change",
        "moved",
        "1",
        "px",
        "moved",
        "2",
        "px",
    ]
    assert lines[2].split() == ["MLP", "61,225", "92.00%", "92.00%", "+0.00", "85.00%", "60.00%"]
    assert lines[3].split() == [
        "LeNet5",
        "61,706",
        "96.00%",
        "81.00%",
        "-15.00",
        "94.00%",
        "85.00%",
    ]
    assert "one fixed random order of the 784 pixels" in _result().report()


def test_draw_structure_writes_a_1000_by_600_png(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    path = ex.draw_structure(_result(), tmp_path / "s.png")
    with Image.open(path) as image:
        assert image.size == (1000, 600)
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]  # no temporary file left


def test_save_numbers_is_strict_json(tmp_path):
    result = _result()
    data = json.loads(ex.save_numbers(result, tmp_path / "s.json").read_text())
    assert data["accuracy"]["LeNet5"]["permuted"] == 0.81 and data["shifted"]["MLP"][2] == 0.6
    result.accuracy["MLP"]["original"] = float("nan")
    with pytest.raises(ValueError, match="not JSON compliant"):
        ex.save_numbers(result, tmp_path / "s.json")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["structure", "--max-shift", "0"], "--max-shift must be >= 1 for structure"),
        (["structure", "--models", "MLP"], "--models is for `juanji experiment translation`"),
        (["structure", "--run", "x"], "--run is for `juanji experiment layers` only"),
        (["structure", "--epochs", "0"], "--epochs must be >= 1"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, message):
    assert main(["experiment", *argv, "-o", str(tmp_path / "s.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji experiment: ") and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_quick_run_on_a_slice_of_mnist(tmp_path, capsys):
    if not os.environ.get("JUANJI_DATA"):
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    png, numbers = tmp_path / "s.png", tmp_path / "s.json"
    argv = ["experiment", "structure", "--quick", "--train-size", "640", "--test-size", "200"]
    assert main([*argv, "--max-shift", "1", "-o", str(png), "--json", str(numbers)]) == 0
    out = capsys.readouterr().out
    data = json.loads(numbers.read_text())
    accuracy = data["accuracy"]
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    for name in ("MLP", "LeNet5"):  # the printed table shows the saved numbers
        row, moved = accuracy[name], data["shifted"][name]
        change = 100 * (row["permuted"] - row["original"])
        expected = [f"{100 * row['original']:.2f}%", f"{100 * row['permuted']:.2f}%"]
        expected += [f"{change:+.2f}", f"{100 * moved[1]:.2f}%"]
        assert rows[name][2:] == expected and len(moved) == 2
    # the shuffled MLP is the original computation with its columns relabelled: same accuracy up
    # to float rounding in 10 steps (LeNet5 has no such symmetry)
    assert abs(accuracy["MLP"]["original"] - accuracy["MLP"]["permuted"]) <= 0.01
    assert accuracy["MLP"]["original"] > 0.3 and accuracy["LeNet5"]["original"] > 0.2
    assert png.stat().st_size > 10_000 and f"wrote {png}" in out
