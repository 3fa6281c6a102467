"""Run folders: create one, open one (the trained model), checkpoint and resume.

``train_run`` trains a ``RunConfig`` into a run directory with a checkpoint after every epoch
(``juanji.serialization.checkpoint`` keeps the directory consistent at every instant) and
continues one with ``resume=True``, tidying what an interrupted checkpoint left. ``restore_model``
and ``evaluate_run`` open a finished run for ``eval``, ``predict`` and ``features``: the
weights are those of the committed epoch, and a run whose weights hold a NaN or an infinity
is refused, naming the tensor.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from juanji.apps.training.build import (
    build_loaders,
    build_model,
    build_optimizer,
    for_testing,
)
from juanji.apps.training.config import RunConfig
from juanji.apps.training.loops import (
    DivergenceError,
    EpochStats,
    Evaluation,
    evaluate,
    first_non_finite,
    fit,
)
from juanji.apps.training.recipes import DATASETS
from juanji.errors import CheckpointError
from juanji.nn import functional as F
from juanji.nn.module import Module
from juanji.optim import lr_scheduler
from juanji.optim.optimizer import Optimizer
from juanji.random import Generator, default_generator, manual_seed
from juanji.serialization import checkpoint

__all__ = [
    "load_run_config",
    "completed_epochs",
    "restore_model",
    "evaluate_run",
    "run_metrics",
    "train_run",
]


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The ``RunConfig`` of a run directory's ``config.json``.

    Raises:
        CheckpointError: the folder or file is missing, or the config is malformed.
    """
    path = Path(run_dir) / checkpoint.CONFIG_FILE
    config = RunConfig.from_json(checkpoint.load_config(run_dir), path)
    if config.dataset not in DATASETS:
        raise CheckpointError(f"{path}: unknown dataset {config.dataset!r}")
    return config


def completed_epochs(run_dir: str | Path) -> int:
    """Epochs in the run's last committed checkpoint; 0 when it stopped before one ended."""
    return checkpoint.committed_epoch(run_dir)


def restore_model(run_dir: str | Path) -> tuple[Module, RunConfig]:
    """The trained model of a run directory, in eval mode, and the run's config.

    Raises:
        CheckpointError: missing or damaged files, weights that do not fit the model the
            config names, or weights that are NaN or infinite.
    """
    config = load_run_config(run_dir)
    model = build_model(config)
    path = Path(run_dir) / checkpoint.MODEL_FILE
    state = checkpoint.load_weights(run_dir)
    bad = first_non_finite(state.items())
    if bad is not None:
        raise CheckpointError(
            f"{path}: the tensor {bad!r} holds NaN or infinite values (the training diverged "
            f"or the file was damaged); these weights cannot give an answer, train again"
        )
    _load_weights(model, state, path)
    return model.eval(), config


def evaluate_run(
    run_dir: str | Path, *, root: str | Path | None = None, download: bool = True
) -> tuple[RunConfig, Evaluation]:
    """The test-set loss, accuracy and confusion matrix of a trained run."""
    model, config = restore_model(run_dir)
    _, test_loader = build_loaders(config, root=root, download=download, test_only=True)
    tested = for_testing(model, config)
    return config, evaluate(tested, test_loader, num_classes=config.num_classes)


def _load_weights(model: Module, state: Mapping[str, Any], path: Path) -> None:
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as error:
        first = str(error).splitlines()[-1].strip()
        raise CheckpointError(
            f"{path} does not fit the model {type(model).__name__} that config.json names "
            f"({first}); the two files come from different runs"
        ) from error


def run_metrics(config: RunConfig, history: list[dict], seconds: float) -> dict[str, Any]:
    """The ``metrics.json`` object of a run: the last epoch's test result and every epoch's row.

    ``history`` holds ``asdict(EpochStats)`` rows; ``seconds`` is the training time in all.
    """
    last = history[-1]
    return {
        "model": config.model,
        "dataset": config.dataset,
        "epochs_completed": len(history),
        "epochs": history,
        "test_accuracy": last["test_accuracy"],
        "test_loss": last["test_loss"],
        "train_seconds": seconds,
    }


@dataclass
class _Session:
    """The objects of one run of ``train_run``, and how they are saved and restored."""

    run: Path
    config: RunConfig
    model: Module
    optimizer: Optimizer
    scheduler: lr_scheduler.LRScheduler
    data_generator: Generator
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def create(self) -> None:
        """Make the run directory and write its config (a new run)."""
        try:
            self.run.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CheckpointError(f"cannot create {self.run}: {error.strerror or error}") from error
        checkpoint.save_config(self.run, self.config.to_json())

    def restore(self, state: checkpoint.ResumeState) -> None:
        """Load weights, optimiser, scheduler, both generators and the history of ``state``."""
        path = self.run / checkpoint.STATE_FILE
        _load_weights(self.model, state.model_state, path)
        try:
            if state.optimizer_state is not None:
                self.optimizer.load_state_dict(state.optimizer_state)
            self.scheduler.load_state_dict(state.extra["scheduler"])
            default_generator.set_state(state.extra["rng"]["default"])
            self.data_generator.set_state(state.extra["rng"]["data"])
        except (KeyError, ValueError, TypeError) as error:
            raise CheckpointError(
                f"{path} does not match this run's config ({type(error).__name__}: {error}); "
                f"the run cannot be resumed"
            ) from error
        self.history = list(state.metrics.get("epochs", []))[: state.epoch]
        self.seconds = float(state.metrics.get("train_seconds", 0.0))

    def save(self, stats: EpochStats) -> None:
        """Checkpoint after the epoch of ``stats`` (``fit``'s ``on_epoch_end``)."""
        self.history.append(asdict(stats))
        self.seconds += stats.seconds
        checkpoint.save_checkpoint(
            self.run,
            epoch=stats.epoch,
            model_state=self.model.state_dict(),
            metrics=run_metrics(self.config, self.history, self.seconds),
            optimizer_state=self.optimizer.state_dict(),
            training_state={
                "scheduler": self.scheduler.state_dict(),
                "rng": {
                    "default": default_generator.get_state(),
                    "data": self.data_generator.get_state(),
                },
            },
        )


def train_run(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    root: str | Path | None = None,
    download: bool = True,
    progress: bool = False,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Train ``config`` into ``run_dir``, with a checkpoint after every epoch.

    A new run writes ``config.json`` first. With ``resume``, the run is tidied
    (``checkpoint.tidy_run``) and its last checkpoint loaded: weights, optimiser and scheduler
    state, and both random generators, so the result equals an uninterrupted run. A run whose
    epochs are all done is only tidied, and its metrics returned.

    Args:
        config: from ``make_config`` (or ``load_run_config`` when resuming).
        run_dir: the run's folder; a new run creates it once the data has loaded.
        resume: continue from the run's last checkpoint.
        root: data folder, see ``build_loaders``.
        download: fetch missing data files.
        progress: show a progress bar per epoch.
        stream: where the per-epoch table and notes go (None: nowhere).

    Returns:
        The final content of ``metrics.json``.

    Raises:
        CheckpointError: resuming from a missing or damaged checkpoint, or writing fails.
        DataError: the data cannot be loaded.
        DivergenceError: the loss or the weights became non-finite; the run directory keeps
            the last good checkpoint.
    """
    run = Path(run_dir)
    hp = config.hyperparameters
    if run.is_dir():  # resumed, or started over after a stop in the first epoch
        checkpoint.tidy_run(run)
    state = checkpoint.load_resume_state(run) if resume else None
    if state is not None and state.epoch >= hp.epochs:
        return state.metrics
    manual_seed(hp.seed)
    data_generator = Generator().manual_seed(hp.seed + 1)
    model = build_model(config)
    train_loader, test_loader = build_loaders(config, data_generator, root=root, download=download)
    assert train_loader is not None
    _note_batch_size(hp.batch_size, len(train_loader.dataset), stream)
    optimizer, scheduler = build_optimizer(config, model, len(train_loader))
    session = _Session(run, config, model, optimizer, scheduler, data_generator)
    session.create() if state is None else session.restore(state)
    try:
        fit(
            model,
            optimizer,
            train_loader,
            hp.epochs,
            scheduler=scheduler,
            test_loader=test_loader,
            start_epoch=0 if state is None else state.epoch,
            loss_fn=_training_loss(hp.label_smoothing),
            test_loss_fn=F.cross_entropy,
            test_model=for_testing(model, config),
            on_epoch_end=session.save,
            progress=progress,
            stream=stream,
        )
    except DivergenceError as error:
        raise _diverged(error, run, hp.lr) from None
    return run_metrics(config, session.history, session.seconds)


def _diverged(error: DivergenceError, run: Path, lr: float) -> DivergenceError:
    """``error`` told with what the run directory kept and what to change."""
    kept = error.epoch - 1
    what = f"epoch {kept} is the last checkpoint in {run}" if kept else "nothing was saved"
    return DivergenceError(
        f"training diverged: {error}; {what}. Lower the learning rate (--lr, now {lr:g})",
        error.epoch,
        error.step,
    )


def _training_loss(label_smoothing: float) -> Any:
    """The training loss: cross-entropy, with ``label_smoothing`` when it is not 0."""
    if not label_smoothing:
        return F.cross_entropy
    return functools.partial(F.cross_entropy, label_smoothing=label_smoothing)


def _note_batch_size(batch_size: int, images: int, stream: TextIO | None) -> None:
    if batch_size > images and stream is not None:
        print(
            f"note: batch size {batch_size} is larger than the {images:,} training images; "
            f"each epoch is one step of {images:,} images",
            file=stream,
            flush=True,
        )
