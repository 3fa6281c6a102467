"""juanji.apps.training: the loops, the recipes, and resume = an uninterrupted run."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest

import juanji
from fakes import BarDigits
from juanji.apps import training
from juanji.apps.training import run_directory
from juanji.data import DataLoader, TensorDataset
from juanji.errors import CheckpointError, JuanjiError
from juanji.serialization import load_file


@pytest.fixture
def bar_digits(monkeypatch):
    """``juanji train``'s 'mnist' reads BarDigits instead of the real files."""
    info = replace(training.DATASETS["mnist"], factory=BarDigits)
    monkeypatch.setitem(training.DATASETS, "mnist", info)
    BarDigits.single_fetches = 0
    return BarDigits


def _loader(n=64, batch_size=32):
    data = BarDigits(n=n)
    images = (data.data[:, None].astype(np.float32) / 255 - 0.1) / 0.3
    return DataLoader(TensorDataset(images, data.targets), batch_size=batch_size)


# ---------------------------------------------------------------------- loops
def test_evaluate_refuses_scores_of_another_width_than_the_classes():
    model = juanji.nn.Sequential(juanji.nn.Flatten(), juanji.nn.Linear(784, 12))
    with pytest.raises(ValueError, match=r"scores of shape \[32, 12\], not \(N, 10\)"):
        training.evaluate(model, _loader(n=64), num_classes=10)  # 11 and 12 would be lost
    assert training.evaluate(model, _loader(n=64)).confusion.shape == (12, 12)


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
    hp = config.hyperparameters
    assert (config.model, config.model_kwargs) == ("lenet5", {"num_classes": 10})
    assert (hp.optimizer, hp.batch_size, hp.schedule) == ("sgd", 128, "onecycle")
    assert hp.shift > 0 and hp.seed == 0
    assert config.preprocessing.mean == (0.1307,) and config.preprocessing.pad == 0
    assert config.juanji_version == juanji.__version__
    assert training.make_config("lenet5", augment=False).hyperparameters.shift == 0
    # the JSON view is config.json's layout, and reads back to the same typed config
    assert config["model"] == {"name": "lenet5", "kwargs": {"num_classes": 10}}
    assert config.to_json()["hyperparameters"]["batch_size"] == 128
    assert training.RunConfig.from_json(json.loads(json.dumps(config.to_json()))) == config


def test_run_config_from_json_refuses_bad_hyperparameters():
    data = training.make_config("lenet5").to_json()
    data["hyperparameters"]["batch_size"] = "128"
    with pytest.raises(CheckpointError, match="'batch_size' should be a int, got '128'"):
        training.RunConfig.from_json(data, "run/config.json")
    data["hyperparameters"]["batch_size"] = 128
    del data["hyperparameters"]["lr"]
    with pytest.raises(CheckpointError, match="run/config.json: hyperparameter 'lr' is missing"):
        training.RunConfig.from_json(data, "run/config.json")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "zfnet"}, "unknown model 'zfnet'; known models: lenet5"),
        ({"model": "lenet5", "dataset": "svhn"}, "unknown dataset 'svhn'; known"),
        (
            {"model": "lenet5", "dataset": "cifar10"},
            "lenet5 takes 1-channel 28 x 28 images and this dataset's are 3-channel 32 x 32",
        ),
        ({"model": "lenet5", "schedule": "cosine"}, "unknown schedule 'cosine'; choose one of"),
        ({"model": "lenet5", "optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"model": "lenet5", "epochs": 0}, "epochs must be at least 1"),
        ({"model": "lenet5", "batch_size": -4}, "batch_size must be at least 1"),
        ({"model": "lenet5", "lr": 0.0}, "lr must be positive"),
        ({"model": "lenet5", "weight_decay": -1.0}, "weight decay must be >= 0"),
        ({"model": "lenet5", "weight_decay": float("nan")}, "weight_decay must be a finite"),
        ({"model": "lenet5", "lr": float("nan")}, "lr must be a finite number, got nan"),
        ({"model": "lenet5", "lr": float("inf")}, "lr must be a finite number, got inf"),
        ({"model": "lenet5", "weight_decay": float("inf")}, "weight_decay must be a finite"),
        ({"model": "lenet5", "label_smoothing": 1.0}, r"label smoothing must be in \[0, 1\)"),
        ({"model": "lenet5", "label_smoothing": float("nan")}, "label_smoothing must be a fin"),
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
    assert config.hyperparameters.shift > 0  # the augmentation's RNG is part of the state
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    straight.mkdir()
    stopped.mkdir()
    expected = training.train_run(config, straight)

    real = run_directory.save_checkpoint

    def ctrl_c_after_epoch_2(run, **kwargs):
        real(run, **kwargs)
        if kwargs["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(run_directory, "save_checkpoint", ctrl_c_after_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        training.train_run(config, stopped)
    assert run_directory.load_resume_state(stopped).epoch == 2
    monkeypatch.setattr(run_directory, "save_checkpoint", real)
    juanji.manual_seed(1234)  # whatever happened in between must not matter
    resumed = training.train_run(training.load_run_config(stopped), stopped, resume=True)

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
    assert restored.model == "lenet5" and not model.training

    config = config.to_json()
    config["model"]["name"] = "s2d-vgg"  # another network for the same images
    run_directory.write_json(tmp_path / "config.json", config)
    with pytest.raises(CheckpointError, match=r"model.safetensors does not fit the model S2D"):
        training.restore_model(tmp_path)

    config["model"]["name"] = "zfnet"
    run_directory.write_json(tmp_path / "config.json", config)
    with pytest.raises(CheckpointError, match="asks for model 'zfnet'"):
        training.restore_model(tmp_path)


# ---------------------------------------------------------------------- divergence
def test_divergence_stops_training_and_keeps_the_last_good_checkpoint(
    bar_digits, tmp_path, monkeypatch
):
    config = training.make_config("lenet5", epochs=3, batch_size=64)
    real = training.loops.train_one_epoch
    calls = []

    def poison_in_epoch_2(model, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            with juanji.no_grad():
                model.features[0].weight.fill_(float("nan"))
        return real(model, *args, **kwargs)

    monkeypatch.setattr(training.loops, "train_one_epoch", poison_in_epoch_2)
    with pytest.raises(training.DivergenceError) as info:
        training.train_run(config, tmp_path)
    message = str(info.value)
    assert "training diverged: epoch 2: the loss became nan at step 1" in message
    assert "epoch 1 is the last checkpoint" in message and "--lr, now 0.1" in message
    assert info.value.epoch == 2 and info.value.step == 1
    assert run_directory.committed_epoch(tmp_path) == 1
    model, _ = training.restore_model(tmp_path)  # the kept weights are finite
    metrics = json.loads((tmp_path / "metrics.json").read_text())  # strict JSON
    assert metrics["epochs_completed"] == 1


def test_fit_refuses_to_checkpoint_non_finite_weights():
    class WithSpare(juanji.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = juanji.nn.Linear(2, 2)
            self.spare = juanji.nn.Parameter(
                juanji.tensor([float("nan")])
            )  # unused: loss stays finite

        def forward(self, x):
            return self.linear(x)

    model = WithSpare()
    data = DataLoader(TensorDataset(np.ones((4, 2), np.float32), np.array([0, 1, 0, 1])), 2)
    optimizer = juanji.optim.SGD(model.linear.parameters(), lr=0.1)
    saved = []
    with pytest.raises(training.DivergenceError, match=r"epoch 1: the weight 'spare' became NaN"):
        training.fit(model, optimizer, data, 2, on_epoch_end=saved.append)
    assert saved == []


def test_restore_model_refuses_nan_weights_naming_the_tensor(bar_digits, tmp_path):
    from juanji.serialization import save_file

    training.train_run(training.make_config("lenet5", epochs=1, batch_size=64), tmp_path)
    path = tmp_path / "checkpoints" / "e0001" / "model.safetensors"
    state = load_file(path)
    state["classifier.0.bias"] = state["classifier.0.bias"] * float("nan")
    save_file(state, path)
    with pytest.raises(CheckpointError, match=r"tensor 'classifier.0.bias' holds NaN"):
        training.restore_model(tmp_path)


def test_a_batch_larger_than_the_data_is_said(bar_digits, tmp_path):
    out = io.StringIO()
    config = training.make_config("lenet5", epochs=1, batch_size=100_000)
    training.train_run(config, tmp_path, stream=out)
    assert "note: batch size 100000 is larger than the 192 training images" in out.getvalue()
    assert "one step of 192 images" in out.getvalue()


def test_flips_and_label_smoothing_are_recipe_fields_old_configs_lack():
    config = training.make_config("lenet5", label_smoothing=0.1, flip=True)
    data = config.to_json()
    assert data["hyperparameters"]["flip"] is True
    assert data["hyperparameters"]["label_smoothing"] == 0.1
    assert training.make_config("lenet5", flip=True, augment=False).hyperparameters.flip is False
    # a config.json written before these fields existed reads with them off
    for key in ("flip", "label_smoothing"):
        del data["hyperparameters"][key]
    old = training.RunConfig.from_json(data).hyperparameters
    assert (old.flip, old.label_smoothing) == (False, 0.0)


def test_the_flip_mirrors_about_half_the_images_and_nothing_else():
    config = training.make_config("lenet5")
    images = np.zeros((400, 28, 28), np.uint8)
    images[:, :, :5] = 255  # a bar on the left
    flip = training.make_transform(config, 0, juanji.Generator().manual_seed(0), flip=True)
    plain = training.make_transform(config, 0, None)
    out, reference = np.asarray(flip.batch(images)), np.asarray(plain.batch(images))
    pairs = list(zip(out, reference, strict=True))
    mirrored = np.array([np.array_equal(o, r[..., ::-1]) for o, r in pairs])
    kept = np.array([np.array_equal(o, r) for o, r in pairs])
    assert np.all(mirrored | kept) and 150 < mirrored.sum() < 250


def test_label_smoothing_reaches_the_training_loss_only(bar_digits, tmp_path, monkeypatch):
    seen = []
    real = juanji.nn.functional.cross_entropy

    def spy(scores, targets, **kwargs):
        seen.append(kwargs.get("label_smoothing", 0.0))
        return real(scores, targets, **kwargs)

    monkeypatch.setattr(juanji.nn.functional, "cross_entropy", spy)
    config = training.make_config("lenet5", epochs=1, batch_size=64, label_smoothing=0.2)
    training.train_run(config, tmp_path)
    assert 0.2 in seen and 0.0 in seen  # training steps smoothed, the test loss plain


def test_mirror_averaged_is_the_mean_of_the_two_probabilities():
    juanji.manual_seed(0)
    model = juanji.nn.Sequential(juanji.nn.Flatten(), juanji.nn.Linear(12, 3))
    x = juanji.randn(4, 1, 3, 4)
    with juanji.no_grad():
        out = training.MirrorAveraged(model)(x)
        direct = juanji.nn.functional.softmax(model(x), dim=1).numpy()
        mirrored = juanji.nn.functional.softmax(model(x.flip(-1)), dim=1).numpy()
    np.testing.assert_allclose(np.exp(out.numpy()), (direct + mirrored) / 2, rtol=1e-6)
    assert list(training.MirrorAveraged(model).parameters()) == list(model.parameters())
    assert not np.allclose(direct, mirrored)  # the mirror matters for this model


def test_test_flip_is_used_by_training_and_eval(bar_digits, tmp_path, monkeypatch):
    calls = []
    real = training.MirrorAveraged.forward

    def spy(self, x):
        calls.append(x.shape[0])
        return real(self, x)

    monkeypatch.setattr(training.MirrorAveraged, "forward", spy)
    config = training.make_config("lenet5", epochs=1, batch_size=64, test_flip=True)
    metrics = training.train_run(config, tmp_path)
    during_training = len(calls)
    assert during_training > 0
    _, result = training.evaluate_run(tmp_path)
    assert len(calls) > during_training
    assert result.accuracy == pytest.approx(metrics["test_accuracy"])
    assert training.load_run_config(tmp_path).hyperparameters.test_flip
