"""A ``RunConfig`` turned into objects: the model, its optimiser and schedule, the data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from juanji._version import __version__
from juanji.apps.training.config import RunConfig
from juanji.apps.training.recipes import DATASETS
from juanji.data import DataLoader, DistributedSampler, transforms
from juanji.errors import CheckpointError
from juanji.models import get_model, list_models
from juanji.nn import functional as F
from juanji.nn.module import Module
from juanji.optim import SGD, Adam, AdamW, lr_scheduler
from juanji.optim.optimizer import Optimizer
from juanji.random import Generator

__all__ = ["build_model", "build_optimizer", "make_transform", "build_loaders"]


def build_model(
    config: RunConfig | Mapping[str, Any], path: str | Path = "config.json"
) -> Module:
    """A freshly initialised model as the config describes (seed first for repeatability).

    Args:
        config: a ``RunConfig``, or the object of a ``config.json`` (read as one).
        path: the file the config came from, named in errors.

    Raises:
        CheckpointError: the config names a model this juanji does not know, bad kwargs, or an
            ``input_size`` other than the model's own.
    """
    config = RunConfig.from_json(config, path)
    try:
        model = get_model(config.model, **config.model_kwargs)
    except (ValueError, TypeError) as error:
        raise CheckpointError(
            f"{path} asks for model {config.model!r} with {config.model_kwargs}, which this "
            f"juanji {__version__} cannot build ({error}); known models: {', '.join(list_models())}"
        ) from error
    expected = getattr(model, "input_size", None)
    given = tuple(config.preprocessing.input_size)
    if expected is not None and tuple(expected) != given:
        raise CheckpointError(
            f"{path} gives {config.model} inputs of {'x'.join(map(str, given))}, but it "
            f"takes {'x'.join(map(str, expected))}; restore the file or train again"
        )
    return model


class MirrorAveraged(Module):
    """``model`` applied to an image and to its mirror image, probabilities averaged.

    The output is the log of the averaged probabilities, so ``argmax`` is the prediction,
    ``softmax`` gives the averaged probabilities back and ``cross_entropy`` is their negative
    log-likelihood. It holds no parameters of its own (``model``'s are shared).
    """

    def __init__(self, model: Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Any) -> Any:
        probabilities = F.softmax(self.model(x), dim=1) + F.softmax(self.model(x.flip(-1)), dim=1)
        return (probabilities * 0.5).log()


def for_testing(model: Module, config: RunConfig) -> Module:
    """The model as the run is tested: ``MirrorAveraged`` when ``test_flip`` is set."""
    return MirrorAveraged(model) if config.hyperparameters.test_flip else model


def build_optimizer(
    config: RunConfig, model: Module, steps_per_epoch: int
) -> tuple[Optimizer, lr_scheduler.LRScheduler]:
    """The optimiser and learning-rate schedule of ``config.hyperparameters``.

    Both schedules are stepped after every batch: ``'onecycle'`` is ``OneCycleLR``, ``'step'``
    a ``MultiStepLR`` dividing by 10 at half and three quarters of the steps.

    Example:
        >>> from juanji.apps.training import make_config
        >>> config = make_config("lenet5", epochs=2)
        >>> optimizer, scheduler = build_optimizer(config, build_model(config), 10)
        >>> type(optimizer).__name__, scheduler.total_steps
        ('SGD', 20)
    """
    hp = config.hyperparameters
    params = model.parameters()
    if hp.optimizer == "sgd":
        optimizer: Optimizer = SGD(
            params,
            lr=hp.lr,
            momentum=hp.momentum,
            nesterov=hp.nesterov and hp.momentum > 0,
            weight_decay=hp.weight_decay,
        )
        cycle_momentum = hp.momentum > 0
    else:
        cls = AdamW if hp.optimizer == "adamw" else Adam
        optimizer = cls(params, lr=hp.lr, weight_decay=hp.weight_decay)
        cycle_momentum = True
    if hp.schedule == "step":
        total = hp.epochs * steps_per_epoch
        return optimizer, lr_scheduler.MultiStepLR(
            optimizer, milestones=[total // 2, total * 3 // 4], gamma=0.1
        )
    scheduler = lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=hp.lr,
        epochs=hp.epochs,
        steps_per_epoch=steps_per_epoch,
        pct_start=hp.pct_start,
        cycle_momentum=cycle_momentum,
    )
    return optimizer, scheduler


def make_transform(
    config: RunConfig | Mapping[str, Any],
    shift: int = 0,
    generator: Generator | None = None,
    *,
    flip: bool = False,
) -> transforms.Compose:
    """The preprocessing of a run: to [0, 1], pad to the model's input, flip, shift, normalise.

    Works on one image (28, 28) or a batch (N, 28, 28), uint8 (scaled by 1/255) or float in
    [0, 1] (kept), as ``juanji.data.transforms`` does.

    Args:
        config: a run's config (its ``preprocessing``).
        shift: largest random shift in pixels (training augmentation); 0 for none.
        generator: the random source of the flips and shifts.
        flip: mirror half the images left-right (training augmentation).

    Example:
        >>> import numpy as np
        >>> from juanji.apps.training import make_config
        >>> t = make_transform(make_config("lenet5"))
        >>> t.batch(np.zeros((2, 28, 28), np.uint8)).shape
        (2, 1, 28, 28)
    """
    prep = RunConfig.from_json(config).preprocessing
    steps: list[Any] = [transforms.ToTensor()]
    if prep.pad:
        steps.append(transforms.Pad(prep.pad))
    if flip:
        steps.append(transforms.RandomHorizontalFlip(generator=generator))
    if shift:
        steps.append(transforms.RandomShift(shift, generator=generator))
    steps.append(transforms.Normalize(list(prep.mean), list(prep.std)))
    return transforms.Compose(steps)


def build_loaders(
    config: RunConfig,
    generator: Generator | None = None,
    *,
    root: str | Path | None = None,
    download: bool = True,
    test_only: bool = False,
    shard: tuple[int, int] | None = None,
) -> tuple[DataLoader | None, DataLoader]:
    """The shuffled, augmented training loader and the test loader (batches of 1000).

    Args:
        config: a run's config.
        generator: draws the shuffling and the shifts.
        root: the data folder (else ``$JUANJI_DATA`` and the cache, see ``juanji.data``).
        download: fetch missing files.
        test_only: skip the training set (for ``juanji eval``).
        shard: ``(rank, world_size)`` of a data-parallel run: the training loader then draws
            this rank's shard (a ``DistributedSampler`` seeded with the run's seed; call its
            ``set_epoch`` each epoch) in batches of ``batch_size / world_size``, so the ranks'
            batches together make one global batch of ``batch_size``.

    Raises:
        DataError: the dataset cannot be found or fetched, or a file is corrupt.
    """
    info = DATASETS[config.dataset]
    hp = config.hyperparameters
    test_set = info.factory(
        root=root, train=False, download=download, transform=make_transform(config, 0, None)
    )
    test_loader = DataLoader(test_set, batch_size=1000)
    if test_only:
        return None, test_loader
    train_set = info.factory(
        root=root,
        train=True,
        download=download,
        transform=make_transform(config, hp.shift, generator, flip=hp.flip),
    )
    if shard is None:
        train_loader = DataLoader(
            train_set, batch_size=hp.batch_size, shuffle=True, generator=generator
        )
        return train_loader, test_loader
    rank, world = shard
    sampler = DistributedSampler(train_set, world, rank, shuffle=True, seed=hp.seed % 2**63)
    train_loader = DataLoader(train_set, batch_size=hp.batch_size // world, sampler=sampler)
    return train_loader, test_loader
