"""Live training through the API: start, progress, stop, the run directory, using the result.

The training data is a slice of real MNIST when ``$JUANJI_DATA`` has it, else synthetic digits
(``pages.synthetic_data``); runs are a few hundred images, seconds each.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from apps.serve.pages import drawing, model_prediction
from juanji.apps import training
from juanji.apps.serve.trainer import warm_up
from juanji.apps.training import run_directory

pytest.importorskip("PIL")


def _wait(served, until, timeout=180.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, status = served.request("/api/train/status")
        if until(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"training did not reach the state in {timeout} s: {status}")


def _finished(status):
    return status["state"] in ("done", "stopped", "failed")


def test_a_short_training_reports_every_step_and_writes_a_run(served):
    settings = {"images": 300, "test_images": 100, "epochs": 2, "batch_size": 32}
    code, started = served.post_json("/api/train", settings)
    assert code == 200 and started["state"] in ("starting", "running")
    status = _wait(served, _finished)
    assert status["state"] == "done", status["message"]
    steps = 2 * math.ceil(300 / 32)
    assert status["steps_total"] == steps and status["step"] == steps
    assert len(status["points"]) == steps
    assert all(0 <= p["accuracy"] <= 1 and p["loss"] > 0 for p in status["points"])
    assert [e["epoch"] for e in status["epochs"]] == [1, 2]
    run = status["run_dir"]
    assert run_directory.committed_epoch(run) == 2
    model, config = training.restore_model(run)  # an ordinary run: juanji predict opens it
    assert config.model == "lenet5"
    weight = model.features[0].weight.detach().numpy()[:, 0]
    np.testing.assert_allclose(status["kernels"], weight, atol=1e-4)  # the kernels shown, now
    metrics = run_directory.load_metrics(run)
    assert metrics["trained_by"] == "juanji serve" and metrics["stopped_early"] is False
    later = served.request(f"/api/train/status?since={steps - 3}")[1]
    assert later["points"] == status["points"][-3:]
    _, files = served.request("/api/run")
    names = {f["name"] for f in files["files"]}
    assert {"config.json", "model.safetensors", "metrics.json"} <= names


def test_stop_ends_the_run_and_keeps_its_weights(served):
    code, _ = served.post_json("/api/train", {"images": 6000, "test_images": 100, "epochs": 5})
    assert code == 200
    code, again = served.post_json("/api/train", {})
    assert code == 409 and "already running" in again["error"]
    _wait(served, lambda s: s["step"] >= 3 or _finished(s))
    code, stopping = served.post_json("/api/train/stop", {})
    assert code == 200 and stopping["state"] in ("stopping", "stopped")
    status = _wait(served, _finished, timeout=60)
    assert status["state"] == "stopped"
    assert status["step"] < status["steps_total"]
    assert run_directory.committed_epoch(status["run_dir"]) == 1  # the shortened first epoch
    assert run_directory.load_metrics(status["run_dir"])["stopped_early"] is True


def test_the_page_keeps_answering_while_training(served, trained_run):
    gray = drawing("1")
    expected, probabilities, _ = model_prediction(trained_run, gray)
    code, _ = served.post_json("/api/train", {"images": 1200, "test_images": 100, "epochs": 1})
    assert code == 200
    answers = []
    while not _finished(served.request("/api/train/status")[1]):
        code, result = served.predict(gray)
        assert code == 200, result
        answers.append(result)
    status = served.request("/api/train/status")[1]
    assert status["state"] == "done", status["message"]  # the lock kept grad mode consistent
    assert answers, "the training ended before the first request"
    for result in answers:
        assert result["index"] == expected
        np.testing.assert_allclose(result["probabilities"], probabilities, atol=2e-6)


def test_use_the_trained_model(served, trained_run):
    status = served.request("/api/train/status")[1]
    assert status["epochs"], "an earlier test trained a run"
    code, info = served.post_json("/api/train/use", {})
    assert code == 200 and info["model"]["run_dir"] == status["run_dir"]
    gray = drawing("0")
    code, result = served.predict(gray)
    from pathlib import Path

    assert result["index"] == model_prediction(Path(status["run_dir"]), gray)[0]


def test_the_trainer_switches_grad_mode_only_under_the_engine_lock(tmp_path, monkeypatch):
    # juanji's grad mode is global: a no_grad() entered by the training thread without the
    # lock could flip it under a request the page is serving (and the reverse).
    import threading

    from apps.serve.pages import synthetic_data
    from juanji.apps.serve.model import ENGINE_LOCK
    from juanji.apps.serve.trainer import Trainer, TrainSettings
    from juanji.autograd import grad_mode

    unlocked = []
    for cls in (grad_mode.no_grad, grad_mode.enable_grad, grad_mode.set_grad_enabled):
        original = cls.__enter__

        def enter(self, original=original):
            if threading.current_thread().name == "juanji-serve-train" and not ENGINE_LOCK.locked():
                unlocked.append(type(self).__name__)
            return original(self)

        monkeypatch.setattr(cls, "__enter__", enter)
    trainer = Trainer(tmp_path, synthetic_data)
    trainer.start(TrainSettings(images=100, test_images=50, epochs=2, batch_size=16))
    assert trainer.wait(120)
    assert trainer.status()["state"] == "done", trainer.status()["message"]
    assert unlocked == []


@pytest.mark.parametrize(
    ("images", "epochs", "batch_size"),
    [(100, 1, 32), (100, 2, 32), (10, 1, 1024), (64, 1, 32), (96, 1, 32), (128, 1, 32)],
)
def test_short_runs_inside_the_documented_range_train(tmp_path, images, epochs, batch_size):
    # {"images": 100} at one epoch is 4 steps: LeNet5's one-cycle warm-up (pct_start 0.25) ended
    # at step 0, where it starts, and OneCycleLR refused the run (PyTorch divides by zero).
    from apps.serve.pages import synthetic_data
    from juanji.apps.serve.trainer import Trainer, TrainSettings

    trainer = Trainer(tmp_path, synthetic_data)
    settings = TrainSettings.from_json(
        {"images": images, "epochs": epochs, "batch_size": batch_size, "test_images": 10}
    )
    trainer.start(settings)
    assert trainer.wait(120)
    status = trainer.status()
    assert status["state"] == "done", status["message"]
    assert status["step"] == settings.steps()
    _, config = training.restore_model(status["run_dir"])  # the warm-up used is on record
    assert config.hyperparameters.pct_start == pytest.approx(
        warm_up(0.25, settings.steps()), abs=1e-9
    )


def test_warm_up_gives_torchs_one_cycle_a_schedule_it_can_run():
    torch = pytest.importorskip("torch")

    def torch_lrs(pct_start, steps):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.1, total_steps=steps, pct_start=pct_start
        )
        lrs = []
        for _ in range(steps):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            schedule.step()
        return lrs

    with pytest.raises(ZeroDivisionError):  # the recipe's pct_start on 4 steps: torch fails too
        torch_lrs(0.25, 4)
    for steps in range(1, 30):
        pct = warm_up(0.25, steps)
        lrs = torch_lrs(pct, steps)  # runs, and rises for two steps when there are 3 or more
        if steps >= 3:
            assert lrs[1] > lrs[0] and max(lrs) == pytest.approx(0.1, rel=0.05)
        if steps >= 8:
            assert pct == 0.25  # long enough: the recipe unchanged


def test_a_status_answer_carries_a_bounded_number_of_points(tmp_path):
    from juanji.apps.serve.trainer import MAX_POINTS, Trainer

    trainer = Trainer(tmp_path)
    trainer.points = [{"loss": 1.0, "accuracy": 0.5}] * (2 * MAX_POINTS + 7)
    first = trainer.status(since=0)
    assert len(first["points"]) == MAX_POINTS  # the page asks again from where it got to
    assert len(trainer.status(since=2 * MAX_POINTS)["points"]) == 7
