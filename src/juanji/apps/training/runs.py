"""Run folders: create one, open one (the trained model), checkpoint and resume.

``train_run`` trains a ``RunConfig`` into a run directory with a checkpoint after every epoch
(``run_directory`` keeps the directory consistent at every instant) and
continues one with ``resume=True``, tidying what an interrupted checkpoint left. ``restore_model``
and ``evaluate_run`` open a finished run for ``eval``, ``predict`` and ``features``: the
weights are those of the committed epoch, and a run whose weights hold a NaN or an infinity
is refused, naming the tensor. ``checked_run_config`` holds a config to its dataset, and
``check_outputs`` refuses outputs that are NaN or infinite (finite weights can overflow):
what a damaged run folder gives is an error, never a wrong answer.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from juanji.apps.training import parallel, run_directory
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
from juanji.errors import CheckpointError, JuanjiError
from juanji.nn import functional as F
from juanji.nn.module import Module
from juanji.nn.parallel import DistributedDataParallel
from juanji.optim import lr_scheduler
from juanji.optim.optimizer import Optimizer
from juanji.random import Generator, default_generator, manual_seed

__all__ = [
    "load_run_config",
    "checked_run_config",
    "check_outputs",
    "non_finite_outputs",
    "completed_epochs",
    "restore_model",
    "evaluate_run",
    "run_metrics",
    "train_run",
]


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The ``RunConfig`` of a run directory's ``config.json`` (see ``checked_run_config``).

    Raises:
        CheckpointError: the folder or file is missing, or the config is malformed.
    """
    path = run_directory.config_path(run_dir)
    return checked_run_config(run_directory.load_config(run_dir), path)


def checked_run_config(data: Mapping[str, Any], path: str | Path) -> RunConfig:
    """A ``config.json`` object read as a ``RunConfig`` and checked against its dataset.

    Beyond ``RunConfig.from_json``'s checks, the dataset must be known and the config must
    describe its images: their channels, their side once the padding is taken off, their
    number of classes, and a photo (``centre='resize'``) exactly when the dataset has photos.

    Raises:
        CheckpointError: naming ``path`` and the first value that does not fit.
    """
    config = RunConfig.from_json(data, path)
    info = DATASETS.get(config.dataset)
    if info is None:
        raise CheckpointError(
            f"{path}: unknown dataset {config.dataset!r}; known datasets: {', '.join(DATASETS)}"
        )
    prep = config.preprocessing
    channels, side = prep.input_size[0], prep.input_size[1] - 2 * prep.pad
    problem = None
    if (channels, side, side) != tuple(info.size):
        problem = (
            f"input_size {list(prep.input_size)} with pad {prep.pad} does not hold its "
            f"{'x'.join(map(str, info.size))} images"
        )
    elif config.num_classes != len(info.classes):
        problem = f"num_classes is {config.num_classes}, but it has {len(info.classes)} classes"
    elif (prep.centre == "resize") != (info.centre == "resize"):
        problem = f"centre {prep.centre!r} does not suit its images (use {info.centre!r})"
    if problem:
        raise CheckpointError(
            f"{path}: the run trains on {config.dataset}, and {problem}; restore the file or "
            f"train again"
        )
    return config


def check_outputs(scores: Any, model: Module, config: RunConfig, source: str | Path) -> None:
    """Refuse class scores that cannot give an answer: NaN or infinite, or too few or many.

    Finite weights can still overflow float32 (weights of 3e38 give infinite products), and
    then every probability is NaN: that is an error naming ``source``, never an answer.

    Raises:
        CheckpointError: naming ``source`` and what is wrong.
    """
    array = scores.numpy() if hasattr(scores, "numpy") else np.asarray(scores)
    if array.ndim != 2 or array.shape[1] != config.num_classes:
        raise CheckpointError(
            f"{source}: the model gives scores of shape {list(array.shape)}, but the run has "
            f"{config.num_classes} classes; its files come from different runs"
        )
    if not np.isfinite(array).all():
        raise non_finite_outputs(model, source)


def non_finite_outputs(model: Module, source: str | Path) -> CheckpointError:
    """The error for a model whose outputs (or loss) came out NaN or infinite."""
    largest = max(
        (float(np.abs(p.detach().numpy()).max()) for p in model.parameters() if p.numel()),
        default=0.0,
    )
    return CheckpointError(
        f"{source}: the model's outputs are NaN or infinite (its weights, as large as "
        f"{largest:.3g}, overflow float32); these weights cannot give an answer, train again"
    )


def completed_epochs(run_dir: str | Path) -> int:
    """Epochs in the run's last committed checkpoint; 0 when it stopped before one ended."""
    return run_directory.committed_epoch(run_dir)


def restore_model(run_dir: str | Path) -> tuple[Module, RunConfig]:
    """The trained model of a run directory, in eval mode, and the run's config.

    The weights are the committed epoch's; when the top-level ``model.safetensors`` was replaced
    by other weights, a one-line note on stderr says which file is read (once the weights are
    accepted). Every error names the file actually read.

    Raises:
        CheckpointError: missing or damaged files, weights that do not fit the model the
            config names, or weights that are NaN or infinite.
    """
    config = load_run_config(run_dir)
    model = build_model(config, run_directory.config_path(run_dir))
    state, path, note = run_directory.read_weights(run_dir)  # errors name the file read
    bad = first_non_finite(state.items())
    if bad is not None:
        raise CheckpointError(
            f"{path}: the tensor {bad!r} holds NaN or infinite values (the training diverged "
            f"or the file was damaged); these weights cannot give an answer, train again"
        )
    _load_weights(model, state, path)
    if note is not None:  # after the checks: an error stays one line that names the file read
        print(note, file=sys.stderr)
    return model.eval(), config


def evaluate_run(
    run_dir: str | Path, *, root: str | Path | None = None, download: bool = True
) -> tuple[RunConfig, Evaluation]:
    """The test-set loss, accuracy and confusion matrix of a trained run."""
    model, config = restore_model(run_dir)
    _, test_loader = build_loaders(config, root=root, download=download, test_only=True)
    tested = for_testing(model, config)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = evaluate(tested, test_loader, num_classes=config.num_classes)
    if not math.isfinite(result.loss):
        raise non_finite_outputs(model, run_dir)
    return config, result


def _load_weights(model: Module, state: Mapping[str, Any], path: Path) -> None:
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as error:
        first = str(error).splitlines()[-1].strip()
        raise CheckpointError(
            f"{path} does not fit the model {type(model).__name__} that config.json names "
            f"({first}); the two files come from different runs"
        ) from error


def run_metrics(
    config: RunConfig, history: list[dict], seconds: float, world_size: int | None = None
) -> dict[str, Any]:
    """The ``metrics.json`` object of a run: the last epoch's test result and every epoch's row.

    ``history`` holds ``asdict(EpochStats)`` rows; ``seconds`` is the training time in all;
    ``world_size``, the processes of a data-parallel run, is recorded when given.
    """
    last = history[-1]
    world = {} if world_size is None else {"world_size": world_size}
    return {
        "model": config.model,
        "dataset": config.dataset,
        "epochs_completed": len(history),
        "epochs": history,
        "test_accuracy": last["test_accuracy"],
        "test_loss": last["test_loss"],
        "train_seconds": seconds,
    } | world


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
    world_size: int | None = None  # the processes of a data-parallel run; None: a plain run

    @property
    def writes(self) -> bool:
        """Whether this process writes the run directory: rank 0 of a data-parallel run."""
        return parallel.rank() == 0

    def create(self) -> None:
        """Make the run directory and write its config (a new run); the other ranks wait."""
        if self.writes:
            extra = {} if self.world_size is None else {"world_size": self.world_size}
            run_directory.create_run(self.run, self.config.to_json() | extra)
        parallel.barrier()

    def restore(self, state: run_directory.ResumeState, steps_per_epoch: int) -> None:
        """Load weights, optimiser, scheduler, both generators and the history of ``state``.

        Every saved value must have the type and layout of the one this run's config builds
        (``_same_layout``), and the schedule must stand at the epoch's step: a damaged
        state.json is refused here, not half-way through the next epoch.
        """
        path = run_directory.state_path(self.run)
        weights = run_directory.weights_path(self.run)  # the committed file read for state
        _load_weights(self.model, state.model_state, weights)
        saved = {"scheduler": state.extra.get("scheduler"), "rng": state.extra.get("rng")}
        fresh = {
            "scheduler": self.scheduler.state_dict(),
            "rng": {
                "default": default_generator.get_state(),
                "data": self.data_generator.get_state(),
            },
        }
        if state.optimizer_state is not None:
            saved["groups"] = state.optimizer_state["param_groups"]
            fresh["groups"] = self.optimizer.state_dict()["param_groups"]
        try:
            _same_layout(fresh, saved, "state")
            _same_schedule(fresh, saved)
            step, expected = saved["scheduler"]["last_epoch"], state.epoch * steps_per_epoch
            if step != expected:
                raise ValueError(
                    f"the schedule stands at step {step}, not at the {expected} steps of "
                    f"{state.epoch} epochs"
                )
            if state.optimizer_state is not None:
                self.optimizer.load_state_dict(state.optimizer_state)
            self.scheduler.load_state_dict(saved["scheduler"])
            default_generator.set_state(saved["rng"]["default"])
            self.data_generator.set_state(saved["rng"]["data"])
            self.history = list(state.metrics["epochs"])
            self.seconds = float(state.metrics["train_seconds"])
        except (KeyError, ValueError, TypeError, OverflowError) as error:
            raise CheckpointError(
                f"{path} does not match this run's config ({type(error).__name__}: {error}); "
                f"the run cannot be resumed"
            ) from error

    def save(self, stats: EpochStats) -> None:
        """Checkpoint after the epoch of ``stats`` (``fit``'s ``on_epoch_end``), on rank 0."""
        self.history.append(asdict(stats))
        self.seconds += stats.seconds
        if self.writes:
            self._write_checkpoint(stats)
        parallel.barrier()  # the other ranks go on once the checkpoint is committed

    def metrics(self) -> dict[str, Any]:
        """The run's ``metrics.json`` object so far."""
        return run_metrics(self.config, self.history, self.seconds, self.world_size)

    def _write_checkpoint(self, stats: EpochStats) -> None:
        run_directory.save_checkpoint(
            self.run,
            epoch=stats.epoch,
            model_state=self.model.state_dict(),
            metrics=self.metrics(),
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
    data_parallel: bool = False,
) -> dict[str, Any]:
    """Train ``config`` into ``run_dir``, with a checkpoint after every epoch.

    A new run writes ``config.json`` first. With ``resume``, the run is tidied
    (``run_directory.tidy_run``) and its last checkpoint loaded: weights, optimiser and scheduler
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
        data_parallel: train as one rank of the initialised process group (``mpiexec``):
            ``batch_size`` is the global batch, each rank draws its shard
            (``build_loaders(shard=...)``) and ``DistributedDataParallel`` averages the
            gradients; rank 0 alone writes the run directory and evaluates, the other ranks
            wait for it. In a job of one it trains on the shard order of one rank.

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
    shard = _tidy(run, hp.batch_size, data_parallel)
    state = _resume_state(run) if resume else None
    if state is not None and state.epoch >= hp.epochs:
        return run_metrics(config, state.metrics["epochs"], state.metrics["train_seconds"])
    manual_seed(hp.seed)
    data_generator = Generator().manual_seed((hp.seed + 1) % 2**64)  # seeds are 64-bit
    model = build_model(config, run_directory.config_path(run))
    train_loader, test_loader = _loaders(config, data_generator, root, download, shard)
    assert train_loader is not None
    _note_batch_size(hp.batch_size, len(train_loader.dataset), stream)
    optimizer, scheduler = _optimizer(config, model, len(train_loader))
    session = _Session(run, config, model, optimizer, scheduler, data_generator)
    session.world_size = None if shard is None else shard[1]
    session.create() if state is None else session.restore(state, len(train_loader))
    sampler = getattr(train_loader, "sampler", None)
    try:
        fit(
            DistributedDataParallel(model) if shard and shard[1] > 1 else model,
            optimizer,
            train_loader,
            hp.epochs,
            scheduler=scheduler,
            test_loader=test_loader if session.writes else None,  # rank 0 evaluates
            start_epoch=0 if state is None else state.epoch,
            loss_fn=_training_loss(hp.label_smoothing),
            test_loss_fn=F.cross_entropy,
            test_model=for_testing(model, config),
            on_epoch_end=session.save,
            on_epoch_start=None if shard is None else lambda epoch: sampler.set_epoch(epoch - 1),
            progress=progress and session.writes,
            stream=stream if session.writes else None,  # rank 0 prints the table
            world_size=1 if shard is None else shard[1],
        )
    except DivergenceError as error:
        raise _diverged(error, run, hp.lr) from None
    return session.metrics()


def _tidy(run: Path, batch_size: int, data_parallel: bool) -> tuple[int, int] | None:
    """Tidy a run directory that exists (rank 0); this rank's ``(rank, world)`` shard or None."""
    shard = (parallel.rank(), parallel.world_size()) if data_parallel else None
    if shard is not None:
        parallel.check_global_batch(batch_size)
    parallel.barrier()  # every rank has read the run directory before rank 0 tidies it
    if run.is_dir() and parallel.rank() == 0:  # resumed, or started over after a stop
        run_directory.tidy_run(run)
    parallel.barrier()
    return shard


def _loaders(
    config: RunConfig,
    generator: Generator,
    root: str | Path | None,
    download: bool,
    shard: tuple[int, int] | None,
) -> tuple[Any, Any]:
    """``build_loaders``; in a data-parallel run rank 0 fetches the data first.

    The other ranks wait for it, then read the files it left.
    """

    def build() -> tuple[Any, Any]:
        return build_loaders(config, generator, root=root, download=download, shard=shard)

    if shard is None or shard[1] == 1:
        return build()
    loaders = build() if shard[0] == 0 else None
    parallel.barrier()
    return loaders if loaders is not None else build()


def _optimizer(
    config: RunConfig, model: Module, steps: int
) -> tuple[Optimizer, lr_scheduler.LRScheduler]:
    """``build_optimizer``, with a schedule it cannot build told as a JuanjiError."""
    try:
        return build_optimizer(config, model, steps)
    except ValueError as error:  # e.g. a one-cycle schedule too short for its warm-up
        raise JuanjiError(
            f"cannot schedule {config.hyperparameters.epochs} epochs of {steps} steps: {error} "
            f"(more epochs or a smaller batch size give more steps)"
        ) from None


def _resume_state(run: Path) -> run_directory.ResumeState:
    """``run_directory.load_resume_state``, with a state.json of the wrong layout refused."""
    try:
        state = run_directory.load_resume_state(run)
        state.metrics["epochs"] = _checked_history(state.metrics, state.epoch)
        state.metrics.setdefault("train_seconds", 0.0)
        return state
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as error:
        raise CheckpointError(
            f"{run}: the last checkpoint's state.json or metrics.json is damaged "
            f"({type(error).__name__}: "
            f"{error}); the run cannot be resumed, start it again"
        ) from None


def _same_layout(fresh: Any, saved: Any, where: str) -> None:
    """Raise ValueError unless ``saved`` has ``fresh``'s keys, lengths and kinds of values.

    Numbers stand for numbers (finite, not bools), and strings and parameter indices must be
    equal: they name the schedule's phases and the parameters, which the config decides.
    """
    if isinstance(fresh, dict):
        fresh = {str(key): value for key, value in fresh.items()}  # JSON's keys are strings
        if not isinstance(saved, dict) or set(saved) != set(fresh):
            raise ValueError(f"{where} should hold the keys {sorted(fresh)}, got {saved!r:.200}")
        for key, value in fresh.items():
            _same_layout(value, saved[key], f"{where}.{key}")
    elif isinstance(fresh, (list, tuple)):
        if not isinstance(saved, list) or len(saved) != len(fresh):
            raise ValueError(f"{where} should be a list of {len(fresh)}, got {saved!r:.200}")
        if where.endswith(".params") and list(saved) != list(fresh):
            raise ValueError(f"{where} should be {list(fresh)}, got {saved!r:.200}")
        for index, (value, item) in enumerate(zip(fresh, saved, strict=True)):
            _same_layout(value, item, f"{where}[{index}]")
    elif isinstance(fresh, bool) or fresh is None or isinstance(fresh, str):
        if type(saved) is not type(fresh) or isinstance(fresh, str) and saved != fresh:
            raise ValueError(f"{where} should be {fresh!r}, got {saved!r:.200}")
    elif isinstance(fresh, (int, float)) and (
        not isinstance(saved, (int, float)) or isinstance(saved, bool) or not math.isfinite(saved)
    ):
        raise ValueError(f"{where} should be a number, got {saved!r:.200}")


# The entries of a scheduler's state that change as it steps; the others follow from the config.
# The same for an optimiser's groups: what the schedule sets at each step.
_SCHEDULE_POSITION = ("last_epoch", "_step_count", "_last_lr")
_GROUP_POSITION = ("lr", "momentum", "betas")


def _same_settings(fresh: dict[str, Any], saved: dict[str, Any], moving: tuple, what: str) -> None:
    """Raise ValueError unless ``saved`` holds ``fresh``'s values but for the ``moving`` keys."""
    for key, value in fresh.items():
        if key not in moving and json.loads(json.dumps(value)) != saved[key]:
            raise ValueError(
                f"the saved {what}'s {key} is {saved[key]!r:.200}, but the config's is "
                f"{value!r:.200} (was config.json changed after the run started?)"
            )


def _same_schedule(fresh: dict[str, Any], saved: dict[str, Any]) -> None:
    """Raise ValueError unless ``saved`` is ``fresh``'s schedule and optimiser (at any step)."""
    _same_settings(fresh["scheduler"], saved["scheduler"], _SCHEDULE_POSITION, "schedule")
    for group, saved_group in zip(fresh.get("groups", []), saved.get("groups", []), strict=True):
        _same_settings(group, saved_group, _GROUP_POSITION, "optimizer")
    steps = saved["scheduler"]["last_epoch"], saved["scheduler"]["_step_count"]
    if steps[1] != steps[0] + 1:
        raise ValueError(f"the schedule's step count {steps[1]} is not its step {steps[0]} + 1")


def _checked_history(metrics: Mapping[str, Any], epochs: int) -> list[dict[str, Any]]:
    """The first ``epochs`` rows of ``metrics['epochs']``, each an ``EpochStats`` of numbers."""
    rows = metrics.get("epochs", [])
    if not isinstance(rows, list) or len(rows) < epochs:
        raise ValueError(f"metrics 'epochs' should list {epochs} epochs, got {rows!r:.200}")
    for epoch, row in enumerate(rows[:epochs], 1):
        if not _epoch_row(row, epoch):
            raise ValueError(f"metrics row {row!r:.200} is not the row of epoch {epoch}")
    seconds = metrics.get("train_seconds", 0.0)
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds >= 0:
        raise ValueError(f"train_seconds should be a number, got {metrics['train_seconds']!r}")
    return list(rows[:epochs])


def _epoch_row(row: Any, epoch: int) -> bool:
    """Whether ``row`` is ``asdict(EpochStats)`` of epoch ``epoch``: finite numbers in range."""
    names = set(EpochStats.__dataclass_fields__)
    if not isinstance(row, dict) or set(row) != names or row["epoch"] != epoch:
        return False
    values = {n: v for n, v in row.items() if not (n.startswith("test") and v is None)}
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        for v in values.values()
    ):
        return False
    fractions = [values.get(n, 0) for n in ("train_accuracy", "test_accuracy")]
    return all(f <= 1 for f in fractions) and row["images_per_second"] > 0


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
