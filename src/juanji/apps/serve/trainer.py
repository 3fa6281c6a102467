"""Live training for the page: a short LeNet run in a background thread, watched by polling.

``Trainer.start(settings)`` trains ``lenet5`` on a slice of MNIST with juanji's own training
code (``make_config``, ``build_model``, ``build_optimizer``, ``train_one_epoch``,
``evaluate``) into a new run directory under ``runs/``, with a checkpoint after every epoch
(``juanji.apps.training.run_directory``), so the run opens with ``juanji serve RUN_DIR``,
``juanji predict`` or ``juanji eval`` like any other. ``status(since)`` gives the loss and
accuracy of each step after ``since``, the epochs' test results and the first layer's kernels
as they are now; ``stop()`` ends the run after the current step (the weights so far are saved
as a last, shorter epoch).

Bounds: every setting has a range (``TrainSettings.LIMITS``) and a run has at most
``MAX_STEPS`` optimiser steps (the page keeps one point per step); a status answer carries at
most ``MAX_POINTS`` points (the page asks again from where it got to). A run too short for the
recipe's one-cycle warm-up (4 steps at LeNet5's ``pct_start`` of 0.25 made it end where it
starts) gets a warm-up of two steps (``warm_up``), recorded in its ``config.json``.

Each step holds ``ENGINE_LOCK`` from reading its batch to the end of its optimiser step, and so
do the evaluation and the checkpoint: the page's own requests run between steps and never see
the grad mode the training switched (juanji's grad mode is one switch for all threads).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from juanji.apps import training
from juanji.apps.serve.model import ENGINE_LOCK, RequestError, rounded
from juanji.apps.training import run_directory as checkpoint
from juanji.apps.training.config import RunConfig
from juanji.data import MNIST, DataLoader, Subset
from juanji.errors import JuanjiError
from juanji.nn import functional as F
from juanji.random import Generator, manual_seed

__all__ = ["Trainer", "TrainSettings", "mnist_slices", "warm_up", "MAX_STEPS", "MAX_POINTS"]

MAX_STEPS = 50_000  # optimiser steps of one run (60,000 images, batch 32, 20 epochs: 37,500)
MAX_POINTS = 2_000  # step points in one status answer

Datasets = tuple[Any, Any]  # (train, test), images already transformed for the model


@dataclass(frozen=True)
class TrainSettings:
    """What the page may choose (the rest is LeNet5's recipe, ``juanji train lenet5``).

    Attributes:
        images: training images, the first ones of MNIST's training set.
        test_images: test images evaluated after each epoch.
        epochs: passes over those images.
        batch_size: images per step.
        lr: peak learning rate of the one-cycle schedule (None: the recipe's).
        seed: seeds the weights and the shuffling.
    """

    images: int = 5000
    test_images: int = 1000
    epochs: int = 2
    batch_size: int = 32
    lr: float | None = None
    seed: int = 0

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "images": (10, 60000), "test_images": (10, 10000), "epochs": (1, 20),
        "batch_size": (1, 1024), "seed": (0, 2**31 - 1),
    }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> TrainSettings:
        """Settings from the page's JSON, every value checked (``RequestError`` otherwise)."""
        if not isinstance(data, dict):
            raise RequestError("train: the body must be a JSON object of settings")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise RequestError(f"train: unknown settings {unknown}; known: {known}")
        for name, (low, high) in cls.LIMITS.items():
            value = data.get(name, getattr(cls, name))
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise RequestError(
                    f"train: {name} must be an integer from {low} to {high}, got {value!r}"
                )
            if value > high:
                raise RequestError(
                    f"train: {name} is {value}; at most {high}", 422, field=name, limit=high
                )
        lr = data.get("lr")
        if lr is not None and (not isinstance(lr, (int, float)) or not 0 < lr < 10):
            raise RequestError(f"train: lr must be a number in (0, 10), got {lr!r}")
        settings = cls(**data)
        if settings.steps() > MAX_STEPS:
            raise RequestError(
                f"train: {settings.images} images in batches of {settings.batch_size} for "
                f"{settings.epochs} epochs is {settings.steps():,} steps; at most {MAX_STEPS:,} "
                "(a larger batch_size or fewer epochs)",
                422,
                field="steps",
                limit=MAX_STEPS,
            )
        return settings

    def steps(self) -> int:
        """The optimiser steps these settings ask for (``ceil(images / batch_size) * epochs``)."""
        return math.ceil(self.images / self.batch_size) * self.epochs


def mnist_slices(root: str | Path | None = None) -> Callable[[RunConfig, TrainSettings], Datasets]:
    """The page's data: the first images of MNIST's training and test sets (never downloaded)."""

    def load(config: RunConfig, settings: TrainSettings) -> Datasets:
        generator = Generator().manual_seed(settings.seed + 1)
        shift = config.hyperparameters.shift
        train_t = training.make_transform(config, shift, generator)
        train = MNIST(root=root, train=True, download=False, transform=train_t)
        test = MNIST(
            root=root, train=False, download=False, transform=training.make_transform(config)
        )
        return (
            Subset(train, range(min(settings.images, len(train)))),
            Subset(test, range(min(settings.test_images, len(test)))),
        )

    return load


def warm_up(pct_start: float, steps: int) -> float:
    """A one-cycle ``pct_start`` whose warm-up is not empty on a run of ``steps`` steps.

    ``OneCycleLR`` warms up until step ``pct_start * steps - 1``: at exactly step 0 the phase
    has no steps (PyTorch divides by zero there, juanji refuses). Runs of 3 steps or more get a
    warm-up of at least two steps; shorter ones none (it ends before step 0, as in PyTorch).

    Example:
        >>> warm_up(0.25, 4), warm_up(0.25, 1000), warm_up(0.25, 2)
        (0.5, 0.25, 0.25)
    """
    if steps >= 3 and pct_start * steps < 2:
        return 2 / steps
    if steps < 3 and pct_start * steps >= 1:
        return 0.5 / steps
    return pct_start


class Trainer:
    """One training at a time, in a daemon thread.

    Args:
        runs_root: where new run directories go.
        data: ``data(config, settings) -> (train, test)`` datasets (default: MNIST slices).
    """

    def __init__(
        self,
        runs_root: str | Path = "runs",
        data: Callable[[RunConfig, TrainSettings], Datasets] | None = None,
    ) -> None:
        self.runs_root = Path(runs_root)
        self.data = data or mnist_slices()
        self._lock = threading.Lock()  # guards the fields below
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._holding = False  # this trainer's thread holds ENGINE_LOCK (one step)
        self._reset("idle")

    def _reset(self, state: str) -> None:
        self.state, self.message, self.run_dir = state, "", None
        self.points: list[dict[str, float]] = []
        self.epochs: list[dict[str, Any]] = []
        self.kernels: Any = None
        self.steps_total, self.started, self.finished = 0, 0.0, 0.0

    # ------------------------------------------------------------------ the page's calls
    def start(self, settings: TrainSettings) -> dict[str, Any]:
        """Start a training (``RequestError`` 409 if one is running)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RequestError("train: a training is already running; stop it first", 409)
            self._reset("starting")
            self.started = time.time()
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(settings,), name="juanji-serve-train", daemon=True
            )
            self._thread.start()
        return self.status()

    def stop(self) -> dict[str, Any]:
        """Ask the running training to stop after its current step."""
        with self._lock:
            if self.state in ("starting", "running"):
                self._stop.set()
                self.state = "stopping"
        return self.status()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (for tests and shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def status(self, since: int = 0) -> dict[str, Any]:
        """State, step points after index ``since``, epochs, current kernels, the run folder."""
        with self._lock:
            return {
                "state": self.state,
                "message": self.message,
                "run_dir": None if self.run_dir is None else str(self.run_dir.resolve()),
                "step": len(self.points),
                "steps_total": self.steps_total,
                "since": since,
                "points": self.points[since : since + MAX_POINTS],
                "epochs": list(self.epochs),
                "kernels": self.kernels,
                "seconds": round((self.finished or time.time()) - self.started, 2)
                if self.started
                else 0.0,
            }

    # ------------------------------------------------------------------ the thread
    def _run(self, settings: TrainSettings) -> None:
        try:
            final = self._train(settings)
        except (JuanjiError, ValueError, OSError) as error:
            final, message = "failed", str(error)
        else:
            message = ""
        finally:
            self._release()
        with self._lock:
            self.state, self.finished = final, time.time()
            self.message = message or self.message

    def _train(self, settings: TrainSettings) -> str:
        with ENGINE_LOCK:  # make_config builds the model once (initialisers use no_grad)
            config = self._config(settings)
        with ENGINE_LOCK:  # building the data may run transforms (tensors, grad mode)
            train_set, test_set = self.data(config, settings)
        generator = Generator().manual_seed(settings.seed + 2)
        loader = DataLoader(
            train_set, batch_size=settings.batch_size, shuffle=True, generator=generator
        )
        test_loader = DataLoader(test_set, batch_size=500)
        steps = len(loader) * settings.epochs
        pct = warm_up(config.hyperparameters.pct_start, steps)
        if pct != config.hyperparameters.pct_start:
            with ENGINE_LOCK:
                config = self._config(settings, pct_start=pct)
        with ENGINE_LOCK:
            manual_seed(settings.seed)
            model = training.build_model(config)
            optimizer, scheduler = training.build_optimizer(config, model, len(loader))
        run = self._new_run_dir(config)
        checkpoint.save_config(run, config.to_json())
        with self._lock:
            self.run_dir, self.state = run, "running"
            self.steps_total = len(loader) * settings.epochs
        self._snapshot(model)
        history: list[dict[str, Any]] = []
        for epoch in range(1, settings.epochs + 1):
            if self._stop.is_set():
                break
            start = time.perf_counter()
            try:
                result = training.train_one_epoch(
                    model, optimizer, self._batches(loader), scheduler=scheduler,
                    loss_fn=self._recording_loss(model),
                )  # fmt: skip
            except ValueError:
                if self._stop.is_set():  # stopped before this epoch's first step
                    break
                raise
            with ENGINE_LOCK:
                test = training.evaluate(model, test_loader)
            stats = training.EpochStats(
                epoch, result.loss, result.accuracy, test.loss, test.accuracy, result.lr,
                time.perf_counter() - start, result.images / max(result.seconds, 1e-9),
            )  # fmt: skip
            history.append(asdict(stats))
            self._save(run, config, model, history)
            self._snapshot(model)
        return "stopped" if self._stop.is_set() else "done"

    @staticmethod
    def _config(settings: TrainSettings, pct_start: float | None = None) -> RunConfig:
        return training.make_config(
            "lenet5", epochs=settings.epochs, batch_size=settings.batch_size, lr=settings.lr,
            seed=settings.seed, pct_start=pct_start,
        )  # fmt: skip

    def _new_run_dir(self, config: RunConfig) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for suffix in [""] + [f"-{i}" for i in range(2, 100)]:
            run = self.runs_root / f"{config.model}-{config.dataset}-page-{stamp}{suffix}"
            try:
                run.mkdir(parents=True)
                return run
            except FileExistsError:
                continue
            except OSError as error:
                raise JuanjiError(f"cannot create {run}: {error.strerror or error}") from error
        raise JuanjiError(f"cannot find a free run folder name under {self.runs_root}")

    def _batches(self, loader: Iterable[Any]) -> Iterator[Any]:
        """The loader's batches, each step under ENGINE_LOCK; ends early when stopped.

        The lock is held from reading a batch (transforms may switch grad mode too) to the
        end of its step; the page's requests run in between.
        """
        batches = iter(loader)
        while not self._stop.is_set():
            ENGINE_LOCK.acquire()
            self._holding = True
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                yield batch  # forward, backward and the optimiser step run now
            finally:
                self._release()

    def _release(self) -> None:
        """Give ENGINE_LOCK back if this trainer holds it (once, whoever ends the step)."""
        if self._holding:
            self._holding = False
            ENGINE_LOCK.release()

    def _recording_loss(self, model: Any) -> Callable[[Any, Any], Any]:
        def loss_fn(scores: Any, targets: Any) -> Any:
            loss = F.cross_entropy(scores, targets)
            accuracy = float((scores.argmax(1) == targets).float().mean())
            with self._lock:
                self.points.append({"loss": round(float(loss), 5), "accuracy": round(accuracy, 4)})
            if len(self.points) % 5 == 1:
                self._snapshot(model)
            return loss

        return loss_fn

    def _snapshot(self, model: Any) -> None:
        weight = next(p for p in model.parameters() if p.ndim == 4)
        kernels = rounded(weight.detach().numpy()[:, 0], 4)  # (C_out, kH, kW), first channel
        with self._lock:
            self.kernels = kernels

    def _save(self, run: Path, config: RunConfig, model: Any, history: list[dict]) -> None:
        seconds = float(np.sum([h["seconds"] for h in history]))
        metrics = {
            **training.run_metrics(config, history, seconds),
            "trained_by": "juanji serve",
            "stopped_early": self._stop.is_set(),
        }
        with ENGINE_LOCK:
            state = model.state_dict()
        checkpoint.save_checkpoint(run, epoch=len(history), model_state=state, metrics=metrics)
        with self._lock:
            self.epochs = list(history)
