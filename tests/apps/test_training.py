"""juanji.apps.training: the loops, the recipes, and resume = an uninterrupted run."""

from __future__ import annotations

import io

import numpy as np
import pytest

import juanji
from fakes import BarDigits
from juanji.apps import training
from juanji.data import DataLoader, TensorDataset
from juanji.errors import CheckpointError, JuanjiError
from juanji.serialization import checkpoint, load_file


@pytest.fixture
def bar_digits(monkeypatch):
    """``juanji train``'s 'mnist' reads BarDigits instead of the real files."""
    info = training.replace(training.DATASETS["mnist"], factory=BarDigits)
    monkeypatch.setitem(training.DATASETS, "mnist", info)
    BarDigits.single_fetches = 0
    return BarDigits


def _loader(n=64, batch_size=32):
    data = BarDigits(n=n)
    images = (data.data[:, None].astype(np.float32) / 255 - 0.1) / 0.3
    return DataLoader(TensorDataset(images, data.targets), batch_size=batch_size)


# ---------------------------------------------------------------------- loops
def test_evaluate_counts_and_restores_the_mode():
    model = juanji.nn.Sequential(juanji.nn.Flatten(), juanji.nn.Linear(784, 10))
    model.train()
    result = training.evaluate(model, _loader(n=70), num_classes=10)
    assert model.training
    assert result.count == 70 and result.confusion.shape == (10, 10)
    assert result.confusion.sum() == 70 and result.confusion.dtype == np.int64
    assert result.accuracy == pytest.approx(np.trace(result.confusion) / 70)
    np.testing.assert_array_equal(
        result.confusion.sum(axis=1), np.bincount(BarDigits(n=70).targets, minlength=10)
    )


def test_fit_learns_prints_a_table_and_calls_back():
    juanji.manual_seed(0)
    model = juanji.models.get_model("lenet5")
    optimizer = juanji.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    seen, out = [], io.StringIO()
    history = training.fit(
        model,
        optimizer,
        _loader(n=256, batch_size=16),
        3,
        test_loader=_loader(n=100, batch_size=50),
        on_epoch_end=seen.append,
        stream=out,
    )
    assert [s.epoch for s in history] == [1, 2, 3] and seen == history
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].test_accuracy > 0.5  # chance is 0.1
    lines = out.getvalue().splitlines()
    assert lines[0] == training.EPOCH_HEADER and len(lines) == 4
    assert lines[1].split()[0] == "1" and lines[1].split()[4].endswith("%")
    assert all(s.images_per_second > 0 and s.lr == 0.02 for s in history)


def test_fit_with_nothing_left_does_nothing():
    model = juanji.nn.Linear(2, 2)
    optimizer = juanji.optim.SGD(model.parameters(), lr=0.1)
    out = io.StringIO()
    assert training.fit(model, optimizer, [], 3, start_epoch=3, stream=out) == []
    assert out.getvalue() == ""


def test_format_epoch_row_without_test_data():
    row = training.format_epoch_row(training.EpochStats(2, 0.5, 0.8, None, None, 0.1, 3.0, 100))
    assert row.split()[3:5] == ["-", "-"]
    assert len(row) == len(training.EPOCH_HEADER)


# ---------------------------------------------------------------------- recipes
def test_default_lenet5_recipe():
    config = training.make_config("LeNet5")
    hp = config["hyperparameters"]
    assert config["model"] == {"name": "lenet5", "kwargs": {"num_classes": 10}}
    assert (hp["optimizer"], hp["batch_size"], hp["schedule"]) == ("sgd", 128, "onecycle")
    assert hp["shift"] > 0 and hp["seed"] == 0
    assert config["preprocessing"]["mean"] == [0.1307] and config["preprocessing"]["pad"] == 0
    assert config["juanji_version"] == juanji.__version__
    assert training.make_config("lenet5", augment=False)["hyperparameters"]["shift"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "resnet50"}, "unknown model 'resnet50'; known models: lenet5"),
        ({"model": "lenet5", "dataset": "cifar10"}, "unknown dataset 'cifar10'; known"),
        ({"model": "lenet5", "optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"model": "lenet5", "epochs": 0}, "epochs must be at least 1"),
        ({"model": "lenet5", "batch_size": -4}, "batch_size must be at least 1"),
        ({"model": "lenet5", "lr": 0.0}, "lr must be positive"),
        ({"model": "lenet5", "weight_decay": -1.0}, "weight decay must be >= 0"),
        ({"model": "lenet5", "weight_decay": float("nan")}, "weight decay must be >= 0"),
        ({"model": "lenet5", "lr": float("nan")}, "lr must be positive"),
    ],
)
def test_make_config_refuses_bad_settings(kwargs, message):
    with pytest.raises(JuanjiError, match=message):
        training.make_config(**kwargs)


@pytest.mark.parametrize(
    ("name", "momentum", "cls"),
    [("sgd", 0.9, "SGD"), ("sgd", 0.0, "SGD"), ("adam", 0.9, "Adam"), ("adamw", 0.9, "AdamW")],
)
def test_build_optimizer(name, momentum, cls):
    config = training.make_config("lenet5", optimizer=name, momentum=momentum, epochs=2)
    optimizer, scheduler = training.build_optimizer(config, training.build_model(config), 5)
    assert type(optimizer).__name__ == cls and scheduler.total_steps == 10
    assert scheduler.cycle_momentum == (momentum > 0)
    if name == "sgd":
        assert optimizer.param_groups[0]["nesterov"] == (momentum > 0)


def test_training_fetches_whole_batches_only(bar_digits, tmp_path):
    config = training.make_config("lenet5", epochs=1, batch_size=64)
    metrics = training.train_run(config, tmp_path)
    assert bar_digits.single_fetches == 0
    assert metrics["epochs_completed"] == 1 and 0 <= metrics["test_accuracy"] <= 1


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(bar_digits, tmp_path, monkeypatch):
    config = training.make_config("lenet5", epochs=3, batch_size=64, seed=3)
    assert config["hyperparameters"]["shift"] > 0  # the augmentation's RNG is part of the state
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    straight.mkdir()
    stopped.mkdir()
    expected = training.train_run(config, straight)

    real = checkpoint.save_checkpoint

    def ctrl_c_after_epoch_2(run, **kwargs):
        real(run, **kwargs)
        if kwargs["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save_checkpoint", ctrl_c_after_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        training.train_run(config, stopped)
    assert checkpoint.load_resume_state(stopped).epoch == 2
    monkeypatch.setattr(checkpoint, "save_checkpoint", real)
    juanji.manual_seed(1234)  # whatever happened in between must not matter
    resumed = training.train_run(checkpoint.load_config(stopped), stopped, resume=True)

    a, b = load_file(straight / "model.safetensors"), load_file(stopped / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)

    def without_time(metrics):
        return [
            {k: v for k, v in row.items() if k not in ("seconds", "images_per_second")}
            for row in metrics["epochs"]
        ]

    assert without_time(resumed) == without_time(expected)
    assert resumed["epochs_completed"] == 3


def test_restore_model_refuses_weights_of_another_model(bar_digits, tmp_path):
    config = training.make_config("lenet5", epochs=1, batch_size=64)
    training.train_run(config, tmp_path)
    model, restored = training.restore_model(tmp_path)
    assert restored["model"]["name"] == "lenet5" and not model.training

    config["model"]["kwargs"]["num_classes"] = 7  # the config now says another shape
    checkpoint.write_json(tmp_path / "config.json", config)
    with pytest.raises(CheckpointError, match=r"model.safetensors does not fit the model LeNet5"):
        training.restore_model(tmp_path)

    config["model"]["name"] = "alexnet"
    checkpoint.write_json(tmp_path / "config.json", config)
    with pytest.raises(CheckpointError, match="asks for model 'alexnet'"):
        training.restore_model(tmp_path)
