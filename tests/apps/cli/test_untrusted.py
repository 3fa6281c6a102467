"""Damaged run folders, hostile pictures and sizes: a clear one-line error, never an answer.

Issue 25's classes, each tested as a class: every field of a run's ``config.json`` against its
meaning (a table of damaged configs, each through every command that reads a run); outputs
that are NaN or infinite although the weights are finite; pictures and sizes that would take
gigabytes or minutes; ``train`` flags and ``state.json`` values that used to end in a
traceback. The run folders are made without training (a config and fresh weights), except the
resumable one, trained for two steps on the BarDigits stand-in.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import replace

import numpy as np
import pytest

import fakes
import juanji
from juanji.apps import training
from juanji.apps.cli import _bounds, main
from juanji.apps.cli.export import _config
from juanji.apps.training import run_directory
from juanji.errors import JuanjiError
from juanji.serialization import load_file, save_file

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


class BarDigits(fakes.BarDigits):
    train_size, test_size = 64, 20


@pytest.fixture
def bars(monkeypatch):
    info = replace(training.DATASETS["mnist"], factory=BarDigits)
    monkeypatch.setitem(training.DATASETS, "mnist", info)


def _fake_run(folder, scale=None, model="lenet5", dataset="mnist"):
    """A run folder with fresh weights (all set to ``scale`` if given), no training."""
    config = training.make_config(model, dataset)
    folder.mkdir()
    run_directory.save_config(folder, config)
    juanji.manual_seed(0)
    state = training.build_model(config).state_dict()
    if scale is not None:
        state = {k: v * 0 + scale for k, v in state.items()}
    save_file(state, folder / run_directory.MODEL_FILE)
    return folder


@pytest.fixture
def run_dir(tmp_path):
    return _fake_run(tmp_path / "run")


@pytest.fixture
def digit(tmp_path):
    page = np.full((60, 40), 255, np.uint8)
    page[10:50, 18:23] = 0  # a dark "1" on white paper
    path = tmp_path / "one.png"
    Image.fromarray(page).save(path)
    return path


def _png_header(path, width, height):
    """A PNG that declares ``width`` x ``height`` pixels in a few bytes (no pixel data)."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def _one_line_error(capsys, argv, *fragments, code=1):
    assert main([str(a) for a in argv]) == code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"juanji {argv[0]}: "), err
    for fragment in fragments:
        assert str(fragment) in err, err
    return captured


# ---------------------------------------------------------------------- damaged config.json
def _set(*keys, value):
    """A change to the config: the value at ``config[keys[0]][keys[1]]...`` becomes ``value``."""

    def change(config):
        target = config
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _drop(*keys):
    def change(config):
        target = config
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


def _both(*changes):
    def change(config):
        for one in changes:
            one(config)

    return change


# Each is a config.json a careless edit or a damaged disk could leave; with each, every command
# that reads the run must end in one line naming config.json (exit code 1), never in an answer.
DAMAGED = {
    "format": _set("format", value="juanji-run/0"),
    "no model": _drop("model"),
    "model unknown": _set("model", "name", value="zfnet"),
    "model name a number": _set("model", "name", value=5),
    "kwargs a list": _set("model", "kwargs", value=[]),
    "kwargs num_classes other": _set("model", "kwargs", "num_classes", value=7),
    "kwargs num_classes huge": _set("model", "kwargs", "num_classes", value=10**9),
    "kwargs num_classes text": _set("model", "kwargs", "num_classes", value="10"),
    "kwargs in_channels": _set("model", "kwargs", "in_channels", value=3),
    "kwargs huge width": _set("model", "kwargs", "width", value=10**9),
    "kwargs unknown": _set("model", "kwargs", "activation", value="nope"),
    "dataset unknown": _set("dataset", value="imagenet"),
    "dataset of other images": _set("dataset", value="cifar10"),
    "num_classes 1e9 float": _set("num_classes", value=1e9),
    "num_classes 1e9": _set("num_classes", value=10**9),
    "num_classes 1": _set("num_classes", value=1),
    "num_classes not the dataset's": _both(
        _set("num_classes", value=7),
        _set("classes", value=list("abcdefg")),
        _set("model", "kwargs", "num_classes", value=7),
    ),
    "classes too few": _set("classes", value=list("abc")),
    "classes numbers": _set("classes", value=list(range(10))),
    "classes a string": _set("classes", value="0123456789"),
    "classes twice the same": _set("classes", 3, value="7"),
    "class without a name": _set("classes", 6, value=""),
    "box 0": _set("preprocessing", "box", value=0),
    "box negative": _set("preprocessing", "box", value=-20),
    "box over the field": _set("preprocessing", "box", value=29),
    "box too small for a digit": _set("preprocessing", "box", value=3),
    "box fraction": _set("preprocessing", "box", value=19.5),
    "box true": _set("preprocessing", "box", value=True),
    "box text": _set("preprocessing", "box", value="20"),
    "centre unknown": _set("preprocessing", "centre", value="middle"),
    "centre resize on digits": _set("preprocessing", "centre", value="resize"),
    "input_size huge": _set("preprocessing", "input_size", value=[1, 100000, 100000]),
    "input_size larger": _set("preprocessing", "input_size", value=[1, 32, 32]),
    "input_size other channels": _both(
        _set("preprocessing", "input_size", value=[3, 28, 28]),
        _set("preprocessing", "mean", value=[0.1, 0.1, 0.1]),
        _set("preprocessing", "std", value=[0.3, 0.3, 0.3]),
    ),
    "input_size not square": _set("preprocessing", "input_size", value=[1, 28, 30]),
    "input_size two values": _set("preprocessing", "input_size", value=[28, 28]),
    "input_size zero": _set("preprocessing", "input_size", value=[1, 0, 28]),
    "pad cuts the images": _set("preprocessing", "pad", value=2),
    "pad negative": _set("preprocessing", "pad", value=-1),
    "mean NaN": _set("preprocessing", "mean", value=[float("nan")]),
    "mean text": _set("preprocessing", "mean", value=["0.1"]),
    "mean per channel": _set("preprocessing", "mean", value=[0.1, 0.2]),
    "std zero": _set("preprocessing", "std", value=[0.0]),
    "std negative": _set("preprocessing", "std", value=[-0.3081]),
    "std infinite": _set("preprocessing", "std", value=[float("inf")]),
    "std huge": _set("preprocessing", "std", value=[1e9]),
    "mean over float32": _set("preprocessing", "mean", value=[-1e308]),
    "mean out of the pixel range": _set("preprocessing", "mean", value=[3.0]),
    "shift over the image": _set("hyperparameters", "shift", value=1000),
    "seed negative": _set("hyperparameters", "seed", value=-1),
    "seed over 64 bits": _set("hyperparameters", "seed", value=2**64),
    "pct_start 1": _set("hyperparameters", "pct_start", value=1.0),
    "momentum negative": _set("hyperparameters", "momentum", value=-0.9),
    "lr text": _set("hyperparameters", "lr", value="0.1"),
    "epochs 0": _set("hyperparameters", "epochs", value=0),
    "test_flip text": _set("hyperparameters", "test_flip", value="yes"),
    "hyperparameter unknown": _set("hyperparameters", "dropout", value=0.5),
    "loss unknown": _set("hyperparameters", "loss", value="mse"),
    "hyperparameters missing": _drop("hyperparameters"),
}

COMMANDS = {
    "predict": lambda run, image: ["predict", run, image],
    "features": lambda run, image: ["features", run, image, "-o", run.parent / "f.png"],
    "summary": lambda run, image: ["summary", run],
    "receptive-field": lambda run, image: ["receptive-field", run],
    "export": lambda run, image: ["export", run, "-o", run.parent / "m.onnx"],
    "train": lambda run, image: ["train", "--resume", run],
    "explain": lambda run, image: ["explain", "first-layer", "--run", run],
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_config_is_one_line_naming_it_in_every_command(
    damage, run_dir, digit, capsys, bars
):
    config = json.loads((run_dir / "config.json").read_text())
    damage(config)
    (run_dir / "config.json").write_text(json.dumps(config))
    for argv in [make(run_dir, digit) for make in COMMANDS.values()]:
        captured = _one_line_error(capsys, argv, run_dir / "config.json")
        assert captured.out == "", (argv, captured.out)  # no answer, not even a partial one
    _one_line_error(capsys, ["eval", run_dir], run_dir / "config.json")


def test_the_config_as_written_passes_every_check(run_dir, digit, capsys):
    """The table above is not refused for some other reason: the undamaged run answers."""
    assert main(["predict", str(run_dir), str(digit)]) == 0
    assert capsys.readouterr().out.startswith(f"{digit}\t")


@pytest.mark.parametrize(
    "name, dataset", [(m, d) for m in training.RECIPES for d in training.DATASETS]
)
def test_every_config_make_config_writes_reads_back(name, dataset):
    try:
        config = training.make_config(name, dataset)
    except JuanjiError:
        return  # a model and a dataset that do not go together
    read = training.checked_run_config(config.to_json(), "config.json")
    assert read.to_json() == config.to_json()


# ---------------------------------------------------------------------- non-finite outputs
@pytest.mark.parametrize("scale", [3e38, float("nan"), float("inf")], ids=["3e38", "nan", "inf"])
def test_weights_that_cannot_answer_are_an_error_naming_the_run(
    scale, tmp_path, digit, capsys, bars
):
    run = _fake_run(tmp_path / "huge", scale)
    what = "overflow float32" if np.isfinite(scale) else "NaN or infinite values"
    for argv in (
        ["predict", run, digit],
        ["predict", run, digit, "--json"],
        ["features", run, digit, "-o", tmp_path / "f.png"],
        ["eval", run],
        ["explain", "first-layer", "--run", run],
    ):
        captured = _one_line_error(capsys, argv, run, what)
        assert captured.out == "", captured.out
    with pytest.raises(JuanjiError, match="overflow float32" if np.isfinite(scale) else "NaN"):
        training.evaluate_run(run)


def test_features_and_predict_prepare_a_photo_for_a_cifar_run(tmp_path, digit, capsys):
    run = _fake_run(tmp_path / "cifar", model="resnet20", dataset="cifar10")
    assert main(["features", str(run), str(digit), "-o", str(tmp_path / "f.png")]) == 0
    assert main(["predict", str(run), str(digit)]) == 0
    out = capsys.readouterr().out
    assert "layer3.2.conv2 Conv2d         64x8x8" in out
    label = out.splitlines()[-1].split("\t")[1]
    assert label in training.DATASETS["cifar10"].classes


def test_check_outputs_refuses_scores_of_the_wrong_width(run_dir):
    model, config = training.restore_model(run_dir)
    with pytest.raises(JuanjiError, match="scores of shape \\[1, 7\\], but the run has 10"):
        training.check_outputs(np.zeros((1, 7), np.float32), model, config, run_dir)
    training.check_outputs(np.zeros((1, 10), np.float32), model, config, run_dir)


# ---------------------------------------------------------------------- pictures and sizes
@pytest.mark.parametrize(
    "side, says",
    [(6000, "6000 x 6000 pixels is more than"), (15000, "possible decompression bomb")],
    ids=["over juanji's bound", "over Pillow's bomb limit"],
)
def test_a_huge_picture_is_refused_from_its_header(side, says, run_dir, tmp_path, capsys):
    image = _png_header(tmp_path / "huge.png", side, side)
    for argv in (
        ["predict", run_dir, image],
        ["features", run_dir, image, "-o", tmp_path / "f.png"],
        ["filter", image, "-k", "sobel-x", "-o", tmp_path / "f.png"],
        ["filter", image, "--grid", "-o", tmp_path / "g.png"],
        ["receptive-field", "lenet5", "--image", image, "-o", tmp_path / "r.png"],
    ):
        captured = _one_line_error(capsys, argv, image, says)
        assert captured.out == ""
    assert not (tmp_path / "f.png").exists()


def test_check_image_file_passes_what_the_reader_reports(tmp_path):
    _bounds.check_image_file(tmp_path / "missing.png")
    (tmp_path / "text.png").write_text("not a picture")
    _bounds.check_image_file(tmp_path / "text.png")
    _bounds.check_image_file(_png_header(tmp_path / "ok.png", 5000, 5000))  # 25 MP: the bound


def test_filter_refuses_work_beyond_its_bound(tmp_path, capsys):
    picture = tmp_path / "p.png"
    Image.fromarray(np.zeros((1200, 1000, 3), np.uint8)).save(picture)
    says = "multiply-adds, more than 10,000,000,000"
    for argv in (
        ["filter", picture, "-k", "gaussian", "--size", "101"],
        ["filter", picture, "--grid", "--size", "101"],
    ):
        _one_line_error(capsys, [*argv, "-o", tmp_path / "o.png"], says)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("command", ["summary", "receptive-field"])
def test_a_huge_input_size_is_refused_before_the_model_runs(command, capsys):
    _one_line_error(
        capsys, [command, "lenet5", "--input", "1x100000x100000"], "10,000,000,000 values"
    )
    assert main([command, "lenet5", "--input", "1x28x28"]) == 0


def test_an_onnx_input_shape_is_named_even_without_image_axes():
    with pytest.raises(JuanjiError, match="inputs of no axis but the batch \\(without"):
        _config("lenet5", "mnist", ())
    with pytest.raises(JuanjiError, match="inputs of 1x29x29 \\(without the batch\\)"):
        _config("lenet5", "mnist", (1, 29, 29))
    with pytest.raises(JuanjiError, match="1x100000x100000 is 10,000,000,000 values"):
        _config("lenet5", "mnist", (1, 100000, 100000))
    assert _config("lenet5", "mnist", (1, 32, 32)).preprocessing.pad == 2


# ---------------------------------------------------------------------- train's flags
@pytest.mark.parametrize(
    "flags, says",
    [
        (["--shift", "28"], "shift must be smaller than the 28-pixel images, got 28"),
        (["--shift", "1000"], "shift must be smaller than the 28-pixel images, got 1000"),
        (["--seed", "-1"], "seed must be an integer from 0 to 2**64 - 1, got -1"),
        (["--seed", str(2**64)], f"got {2**64}"),
        (["--epochs", "4", "--batch-size", "64"], "cannot schedule 4 epochs of 1 steps"),
        (["--threads", "100000"], "--threads must be 1 to "),
        (["--threads", "0"], "--threads must be 1 to "),
    ],
)
def test_train_refuses_flags_it_cannot_honour_in_one_line(flags, says, bars, tmp_path, capsys):
    run = tmp_path / "run"
    _one_line_error(capsys, ["train", "lenet5", *flags, "--out", run], says)


def test_train_bounds_are_the_last_values_refused(bars):
    """One less than each refused value is accepted (the bounds are not off by one)."""
    config = training.make_config("lenet5", shift=27, seed=2**64 - 1)
    assert (config.hyperparameters.shift, config.hyperparameters.seed) == (27, 2**64 - 1)


def test_a_network_without_defaults_is_one_line(capsys, monkeypatch):
    def like_vgg11(*args, **kwargs):  # building the real VGG-11 takes 20 s and 500 MB
        raise TypeError("VGG.__init__() missing 1 required positional argument: 'features'")

    monkeypatch.setattr(training, "make_config", like_vgg11)
    _one_line_error(capsys, ["train", "vgg11"], "vgg11 cannot be built with only num_classes")


# ---------------------------------------------------------------------- --resume's state.json
@pytest.fixture
def stopped_run(bars, tmp_path, monkeypatch):
    """A 2-epoch run of 4 steps an epoch, stopped (Ctrl-C) after epoch 1."""
    run = tmp_path / "stopped"
    config = training.make_config("lenet5", epochs=2, batch_size=16)
    real = run_directory.save_checkpoint

    def stop_after_epoch_1(folder, **kwargs):
        real(folder, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", stop_after_epoch_1)
    with pytest.raises(KeyboardInterrupt):
        training.train_run(config, run)
    monkeypatch.setattr(run_directory, "save_checkpoint", real)
    return run


def _state(run, name="state.json"):
    return run / "checkpoints" / "e0001" / name


DAMAGED_STATE = {
    "optimizer a list": _set("optimizer", value=[]),
    "optimizer state a list": _set("optimizer", "state", value=[]),
    "groups a dict": _set("optimizer", "param_groups", value={}),
    "lr text": _set("optimizer", "param_groups", 0, "lr", value="0.1"),
    "momentum null": _set("optimizer", "param_groups", 0, "momentum", value=None),
    "nesterov a number": _set("optimizer", "param_groups", 0, "nesterov", value=1),
    "params reordered": _set("optimizer", "param_groups", 0, "params", value=[1, 0, *range(2, 10)]),
    "params too few": _set("optimizer", "param_groups", 0, "params", value=[0]),
    "maximize flipped": _set("optimizer", "param_groups", 0, "maximize", value=True),
    "weight decay other": _set("optimizer", "param_groups", 0, "weight_decay", value=0.5),
    "step count off": _set("scheduler", "_step_count", value=10**9),
    "scheduler missing": _drop("scheduler"),
    "scheduler a list": _set("scheduler", value=[1]),
    "total_steps other": _set("scheduler", "total_steps", value=10**9),
    "total_steps text": _set("scheduler", "total_steps", value="8"),
    "step ahead": _set("scheduler", "last_epoch", value=3),
    "step NaN": _set("scheduler", "last_epoch", value=float("nan")),
    "phases text": _set("scheduler", "_schedule_phases", value="cos"),
    "anneal other": _set("scheduler", "_anneal_func_type", value="linear"),
    "rng missing": _drop("rng"),
    "rng seed text": _set("rng", "default", "seed", value="0"),
    "rng seed negative": _set("rng", "data", "seed", value=-5),
    "rng state negative": _set("rng", "data", "bit_generator", "state", "state", value=-1),
    "rng generator other": _set("rng", "default", "bit_generator", "bit_generator", value="MT"),
    "rng state a list": _set("rng", "default", "bit_generator", "state", value=[1, 2]),
}


@pytest.mark.parametrize("damage", DAMAGED_STATE.values(), ids=DAMAGED_STATE.keys())
def test_resume_refuses_a_damaged_state_json_in_one_line(damage, stopped_run, capsys):
    state = json.loads(_state(stopped_run).read_text())
    damage(state)
    _state(stopped_run).write_text(json.dumps(state))
    _one_line_error(capsys, ["train", "--resume", stopped_run], stopped_run, "cannot be resumed")
    assert run_directory.committed_epoch(stopped_run) == 1  # nothing was trained or overwritten


DAMAGED_METRICS = {
    "epochs a dict": _set("epochs", value={}),
    "epochs empty": _set("epochs", value=[]),
    "row text": _set("epochs", 0, value="fast"),
    "accuracy text": _set("epochs", 0, "test_accuracy", value="99%"),
    "speed missing": _drop("epochs", 0, "images_per_second"),
    "seconds text": _set("train_seconds", value="12 s"),
    "seconds negative": _set("train_seconds", value=-1),
    "epoch number other": _set("epochs", 0, "epoch", value=2**130),
    "speed zero": _set("epochs", 0, "images_per_second", value=0),
    "accuracy over 1": _set("epochs", 0, "train_accuracy", value=1.5),
    "loss beyond float": _set("epochs", 0, "train_loss", value=10**400),
}


@pytest.mark.parametrize("damage", DAMAGED_METRICS.values(), ids=DAMAGED_METRICS.keys())
@pytest.mark.parametrize("finished", [False, True], ids=["stopped", "finished"])
def test_resume_refuses_damaged_metrics_in_one_line(damage, finished, stopped_run, capsys):
    if finished:  # a run whose epochs are all done only prints its summary: from these rows
        path = stopped_run / "config.json"
        config = json.loads(path.read_text())
        config["hyperparameters"]["epochs"] = 1
        path.write_text(json.dumps(config))
    metrics = json.loads(_state(stopped_run, "metrics.json").read_text())
    damage(metrics)
    _state(stopped_run, "metrics.json").write_text(json.dumps(metrics))
    _one_line_error(capsys, ["train", "--resume", stopped_run], stopped_run, "damaged")


def test_resume_refuses_a_config_changed_after_the_run_started(stopped_run, capsys):
    path = stopped_run / "config.json"
    config = json.loads(path.read_text())
    config["hyperparameters"]["epochs"] = 3  # the schedule of 3 epochs is not the one saved
    path.write_text(json.dumps(config))
    _one_line_error(capsys, ["train", "--resume", stopped_run], "total_steps", "changed")


def test_the_undamaged_stopped_run_resumes(stopped_run, capsys):
    assert main(["train", "--resume", str(stopped_run), "--no-progress"]) == 0
    assert run_directory.committed_epoch(stopped_run) == 2
    assert len(load_file(stopped_run / "model.safetensors")) == 10


def test_an_onnx_file_s_run_config_is_checked_as_a_run_folder_s(run_dir, digit, tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    assert main(["export", str(run_dir), "-o", str(path)]) == 0
    assert main(["predict", str(path), str(digit)]) == 0
    capsys.readouterr()
    proto = onnx.load(path)
    (entry,) = [p for p in proto.metadata_props if p.key == "juanji.run_config"]
    config = json.loads(entry.value)
    config["preprocessing"]["box"] = 0
    entry.value = json.dumps(config)
    onnx.save(proto, path)
    captured = _one_line_error(capsys, ["predict", path, digit], "metadata is damaged", "box")
    assert captured.out == ""


@pytest.mark.parametrize(
    "sigma, bell",
    [(1e308, [1 / 3] * 3), (1e-300, [0.0, 1.0, 0.0]), (5e-324, [0.0, 1.0, 0.0])],
    ids=["huge: a box", "tiny: the identity", "subnormal"],
)
def test_gaussian_sigma_at_the_float_limits_is_its_limit_kernel(sigma, bell, tmp_path, capsys):
    from juanji.apps.filters import gaussian_blur

    with np.errstate(over="raise", invalid="raise", divide="raise"):  # it raised, or gave NaN
        np.testing.assert_allclose(gaussian_blur(3, sigma=sigma, ndim=1).numpy(), bell)
    argv = ["filter", "-k", "gaussian", "--sigma", str(sigma), "-o", str(tmp_path / "o.png")]
    assert main(argv) == 0
    assert "sum 1:" in capsys.readouterr().out
