"""Training and evaluation loops that work for any classifier.

``train_one_epoch`` (forward, loss, backward, step, scheduler step per batch), ``evaluate``
(loss, accuracy and confusion matrix under ``no_grad``) and ``fit`` (epochs of both, a progress
bar, a per-epoch table and a callback after each epoch, where checkpoints are written). They
never loop over samples in Python: a batch is one array from the ``DataLoader``, and the
running loss and accuracy stay tensors, read only when the progress bar redraws.

Divergence is caught where it happens: a non-finite loss stops ``train_one_epoch`` at that
step, and ``fit`` checks that every parameter is finite before it calls ``on_epoch_end`` (so a
checkpoint never holds NaN weights); both raise ``DivergenceError``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

import numpy as np

from juanji.autograd import no_grad
from juanji.errors import JuanjiError
from juanji.nn import functional as F
from juanji.nn.module import Module
from juanji.optim import lr_scheduler
from juanji.optim.optimizer import Optimizer
from juanji.tensor.tensor import Tensor

__all__ = [
    "EpochStats",
    "Evaluation",
    "EpochResult",
    "DivergenceError",
    "train_one_epoch",
    "evaluate",
    "fit",
    "first_non_finite",
    "format_epoch_row",
    "EPOCH_HEADER",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


class DivergenceError(JuanjiError):
    """The loss or the weights became NaN or infinite; training stopped there.

    Attributes:
        epoch: the epoch in which it happened (1-based).
        step: the batch of that epoch (1-based), or None when the weights were found bad at
            its end.
    """

    def __init__(self, message: str, epoch: int = 0, step: int | None = None) -> None:
        super().__init__(message)
        self.epoch, self.step = epoch, step


def first_non_finite(named: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first tensor or array in ``named`` holding a NaN or an infinity.

    Example:
        >>> first_non_finite([("a", np.ones(2)), ("b", np.array([1.0, np.nan]))])
        'b'
    """
    for name, value in named:
        array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            return name
    return None


# ====================================================================== progress
class _Progress:
    """One redrawing line per epoch on stderr: a tqdm bar when installed, else plain text."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled
        self.bar: Any = None
        self.last_draw = 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm  # optional; a plain line otherwise
        except ImportError:
            return
        self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False, file=sys.stderr)

    def due(self) -> bool:
        """Whether a redraw is due (at most 4 a second, so reading the metrics stays cheap)."""
        return self.enabled and time.monotonic() - self.last_draw >= 0.25

    def draw(self, step: int, loss: float, accuracy: float, images_per_second: float) -> None:
        """Show ``step`` batches done with the running metrics."""
        self.last_draw = time.monotonic()
        text = f"loss {loss:.4f}  acc {100 * accuracy:.2f}%  {images_per_second:,.0f} img/s"
        if self.bar is not None:
            self.bar.n = step
            self.bar.set_postfix_str(text, refresh=True)
        else:
            line = f"{self.desc}  {step}/{self.total}  {text}"
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Remove the line (the epoch table row takes its place)."""
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.last_draw:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


# ====================================================================== loops
@dataclass
class EpochStats:
    """One row of the training table.

    Accuracies are fractions in [0, 1]; the test fields are None without test data; ``lr`` is
    the learning rate of the epoch's last step; ``seconds`` covers training and testing,
    ``images_per_second`` training only.
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float | None
    test_accuracy: float | None
    lr: float
    seconds: float
    images_per_second: float


@dataclass
class Evaluation:
    """What ``evaluate`` returns.

    Attributes:
        loss: mean loss per sample.
        accuracy: fraction of samples classified correctly.
        confusion: (K, K) int64 counts, row = true class, column = predicted class.
        count: number of samples.
    """

    loss: float
    accuracy: float
    confusion: np.ndarray
    count: int


class EpochResult(NamedTuple):
    """What ``train_one_epoch`` returns: means over the epoch, and the last step's lr."""

    loss: float
    accuracy: float
    images: int
    seconds: float
    lr: float


def train_one_epoch(
    model: Module,
    optimizer: Optimizer,
    loader: Iterable[Any],
    *,
    scheduler: lr_scheduler.LRScheduler | None = None,
    loss_fn: LossFn = F.cross_entropy,
    desc: str = "train",
    progress: bool = False,
) -> EpochResult:
    """Train ``model`` on every batch of ``loader`` once.

    Each batch: ``loss_fn(model(x), y)``, ``backward()``, ``optimizer.step()``, then
    ``scheduler.step()`` (schedulers here are stepped per batch, as ``OneCycleLR`` expects).

    Args:
        model: a classifier returning (N, K) scores; put in training mode.
        optimizer: updates the model's parameters.
        loader: yields ``(inputs, targets)`` batches.
        scheduler: stepped after every optimiser step, if given.
        loss_fn: ``loss_fn(scores, targets)``, a mean over the batch.
        desc: progress bar label.
        progress: show a progress bar on stderr.

    Returns:
        An ``EpochResult``: mean loss and accuracy over the epoch, images seen, seconds, and
        the learning rate of the last step (first parameter group).
    """
    model.train()
    steps = len(loader) if hasattr(loader, "__len__") else 0
    lr = float("nan")
    bar = _Progress(steps, desc, progress)
    loss_sum: Any = 0.0  # tensors after the first batch; read only when drawing
    correct: Any = 0
    images = 0
    start = time.perf_counter()
    # NumPy's overflow warnings would only repeat, less clearly, what the finiteness check of
    # each loss (and fit's of the weights) reports as a DivergenceError.
    quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    try:
        with quiet:
            for step, batch in enumerate(loader, 1):
                inputs, targets = batch[0], batch[1]
                scores = model(inputs)
                loss = loss_fn(scores, targets)
                if not math.isfinite(float(loss)):
                    raise DivergenceError(
                        f"the loss became {float(loss)} at step {step}", step=step
                    )
                optimizer.zero_grad()
                loss.backward()
                lr = float(optimizer.param_groups[0]["lr"])
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                with no_grad():
                    n = targets.shape[0]
                    loss_sum = loss.detach() * n + loss_sum
                    correct = (scores.argmax(1) == targets).sum() + correct
                images += n
                if bar.due():
                    rate = images / max(time.perf_counter() - start, 1e-9)
                    bar.draw(step, float(loss_sum) / images, float(correct) / images, rate)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    if images == 0:
        raise ValueError("train_one_epoch: the loader yielded no batches")
    return EpochResult(float(loss_sum) / images, float(correct) / images, images, seconds, lr)


def evaluate(
    model: Module,
    loader: Iterable[Any],
    num_classes: int | None = None,
    loss_fn: LossFn = F.cross_entropy,
) -> Evaluation:
    """Loss, accuracy and confusion matrix of ``model`` over ``loader``, under ``no_grad``.

    The model is put in evaluation mode and given back in the mode it had.

    Args:
        model: a classifier returning (N, K) scores.
        loader: yields ``(inputs, targets)`` batches (large ones are fastest, e.g. 1000).
        num_classes: K for the confusion matrix; default: the width of the scores.
        loss_fn: ``loss_fn(scores, targets)``, a mean over the batch.

    Returns:
        An ``Evaluation``.

    Raises:
        ValueError: the scores are not (N, num_classes), or the loader yields no batch.

    Example:
        >>> import numpy as np, juanji
        >>> from juanji.data import DataLoader, TensorDataset
        >>> model = juanji.nn.Linear(2, 2, bias=False)
        >>> with juanji.no_grad():
        ...     _ = model.weight.copy_(juanji.eye(2))
        >>> inputs = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
        >>> data = TensorDataset(inputs, np.array([0, 1, 1]))
        >>> result = evaluate(model, DataLoader(data, batch_size=2))
        >>> round(result.accuracy, 4), result.confusion.tolist()
        (0.6667, [[1, 0], [1, 1]])
    """
    was_training = model.training
    model.eval()
    loss_sum, count = 0.0, 0
    confusion: np.ndarray | None = None
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = batch[0], batch[1]
                scores = model(inputs)
                n = targets.shape[0]
                loss_sum += float(loss_fn(scores, targets)) * n
                k = num_classes or scores.shape[1]
                if scores.ndim != 2 or scores.shape[1] != k:
                    raise ValueError(
                        f"evaluate: the model gives scores of shape {list(scores.shape)}, not "
                        f"(N, {k}) for num_classes={k}"
                    )
                truth = targets.numpy().astype(np.int64)
                predicted = scores.argmax(1).numpy().astype(np.int64)
                counts = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)
                confusion = counts if confusion is None else confusion + counts
                count += n
    finally:
        model.train(was_training)
    if confusion is None:
        raise ValueError("evaluate: the loader yielded no batches")
    return Evaluation(loss_sum / count, float(np.trace(confusion)) / count, confusion, count)


EPOCH_HEADER = (
    f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'test loss':>9}  {'test acc':>8}  "
    f"{'lr':>8}  {'seconds':>7}  {'img/s':>6}"
)


def format_epoch_row(stats: EpochStats) -> str:
    """One line of the per-epoch table, aligned under ``EPOCH_HEADER``.

    Example:
        >>> print(format_epoch_row(EpochStats(1, 0.25, 0.925, 0.06, 0.9812, 0.004, 61.2, 980)))
            1      0.2500     92.50%     0.0600    98.12%  4.00e-03     61.2     980
    """
    test_loss = "-" if stats.test_loss is None else f"{stats.test_loss:.4f}"
    test_acc = "-" if stats.test_accuracy is None else f"{100 * stats.test_accuracy:.2f}%"
    return (
        f"{stats.epoch:>5}  {stats.train_loss:>10.4f}  {100 * stats.train_accuracy:>8.2f}%  "
        f"{test_loss:>9}  {test_acc:>8}  {stats.lr:>8.2e}  {stats.seconds:>7.1f}  "
        f"{stats.images_per_second:>6.0f}"
    )


def _checked_evaluation(
    model: Module, tested: Module, loader: Iterable[Any] | None, loss_fn: LossFn, epoch: int
) -> Evaluation | None:
    """Check ``model``'s weights, then evaluate ``tested``; a DivergenceError if either fails."""
    bad = first_non_finite(model.state_dict().items())
    if bad is not None:
        raise DivergenceError(f"epoch {epoch}: the weight {bad!r} became NaN or infinite", epoch)
    if loader is None:
        return None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        test = evaluate(tested, loader, loss_fn=loss_fn)
    if not math.isfinite(test.loss):
        raise DivergenceError(f"epoch {epoch}: the test loss became {test.loss}", epoch)
    return test


def _epoch_stats(
    epoch: int, result: EpochResult, test: Evaluation | None, seconds: float, world_size: int = 1
) -> EpochStats:
    """One row of the table; ``seconds`` counts the training and the test pass together.

    The images per second are those of all ``world_size`` processes training in step.
    """
    return EpochStats(
        epoch=epoch,
        train_loss=result.loss,
        train_accuracy=result.accuracy,
        test_loss=None if test is None else test.loss,
        test_accuracy=None if test is None else test.accuracy,
        lr=result.lr,
        seconds=seconds,
        images_per_second=world_size * result.images / max(result.seconds, 1e-9),
    )


def fit(
    model: Module,
    optimizer: Optimizer,
    train_loader: Iterable[Any],
    epochs: int,
    *,
    scheduler: lr_scheduler.LRScheduler | None = None,
    test_loader: Iterable[Any] | None = None,
    start_epoch: int = 0,
    loss_fn: LossFn = F.cross_entropy,
    test_loss_fn: LossFn | None = None,
    test_model: Module | None = None,
    on_epoch_end: Callable[[EpochStats], None] | None = None,
    on_epoch_start: Callable[[int], None] | None = None,
    progress: bool = False,
    stream: TextIO | None = None,
    world_size: int = 1,
) -> list[EpochStats]:
    """Train for epochs ``start_epoch + 1 .. epochs``, evaluating after each.

    Args:
        model: the classifier.
        optimizer: its optimiser.
        train_loader: training batches (shuffled by the loader, if wanted).
        epochs: the last epoch number to train.
        scheduler: stepped after every batch.
        test_loader: evaluated after every epoch, if given.
        start_epoch: epochs already done (when resuming).
        loss_fn: ``loss_fn(scores, targets)``.
        test_loss_fn: the loss reported on ``test_loader`` (default: ``loss_fn``).
        test_model: what is evaluated (default: ``model``; e.g. ``MirrorAveraged(model)``).
        on_epoch_end: called with each epoch's ``EpochStats`` (to write a checkpoint).
        on_epoch_start: called with each epoch's number before it trains (e.g. a
            ``DistributedSampler``'s ``set_epoch``).
        progress: show a progress bar per epoch on stderr.
        stream: where to print the per-epoch table (None: print nothing).
        world_size: the processes training in step on their shards (data-parallel): the
            images per second count all of theirs. The loss and accuracy are this process's.

    Returns:
        The stats of the epochs trained here.
    """
    history = []
    if stream is not None and start_epoch < epochs:
        print(EPOCH_HEADER, file=stream, flush=True)
    for epoch in range(start_epoch + 1, epochs + 1):
        epoch_start = time.perf_counter()
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        try:
            result = train_one_epoch(
                model,
                optimizer,
                train_loader,
                scheduler=scheduler,
                loss_fn=loss_fn,
                desc=f"epoch {epoch}/{epochs}",
                progress=progress,
            )
        except DivergenceError as error:
            raise DivergenceError(f"epoch {epoch}: {error}", epoch, error.step) from None
        test = _checked_evaluation(
            model, test_model or model, test_loader, test_loss_fn or loss_fn, epoch
        )
        seconds = time.perf_counter() - epoch_start
        stats = _epoch_stats(epoch, result, test, seconds, world_size)
        history.append(stats)
        if stream is not None:
            print(format_epoch_row(stats), file=stream, flush=True)
        if on_epoch_end is not None:
            on_epoch_end(stats)
    return history
