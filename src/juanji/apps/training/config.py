"""The typed configuration of a run, and its ``config.json`` form.

``RunConfig`` is what the training code carries from ``make_config`` to the run directory and
back: ``config.hyperparameters.batch_size``, never ``hp["batch_size"]``. On disk it is the JSON
object ``to_json`` gives (the layout ``run_directory.validate_config``
checks); ``from_json`` reads it back and refuses a file it cannot turn into the dataclasses.

A ``RunConfig`` also reads as that JSON object (it is a read-only ``Mapping``: ``config["model"]``
is ``{"name": ..., "kwargs": ...}``), so code that only needs the file's view, such as
``run_directory.save_config``, takes it as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from juanji._version import __version__
from juanji.apps.training import run_directory
from juanji.errors import CheckpointError, JuanjiError

__all__ = ["Hyperparameters", "Preprocessing", "RunConfig", "OPTIMIZERS", "SCHEDULES", "CENTRES"]

OPTIMIZERS = ("sgd", "adam", "adamw")
# 'onecycle': OneCycleLR to ``lr`` (warm-up ``pct_start``, cosine down); 'step': ``lr`` divided
# by 10 after half and after three quarters of the steps (He et al. 2016's CIFAR schedule:
# 0.1, /10 at 32k and 48k of 64k iterations).
SCHEDULES = ("onecycle", "step")
# How ``predict`` places a picture in the image field (see ``Preprocessing.centre``).
CENTRES = ("mass", "box", "resize")
# The largest integer a model keyword argument other than ``num_classes`` and ``in_channels``
# may hold (a width, a depth, a growth rate): a config.json asking for more would build a model
# of gigabytes before a single weight is read. ``juanji train`` writes only those two.
MAX_MODEL_ARGUMENT = 1024


@dataclass(frozen=True)
class Hyperparameters:
    """How a model is trained (every field but ``schedule`` and ``loss`` is a ``train`` flag).

    Attributes:
        epochs: passes over the training set.
        batch_size: images per step.
        optimizer: ``'sgd'`` (with momentum), ``'adam'`` or ``'adamw'``.
        lr: the peak learning rate of the schedule.
        momentum: SGD momentum (cycled 0.85..0.95 by the schedule when > 0).
        nesterov: Nesterov momentum for SGD.
        weight_decay: L2 penalty (decoupled for AdamW).
        pct_start: fraction of the steps spent warming up.
        shift: largest random shift of a training image, in pixels (0: no augmentation);
            smaller than the image (``RunConfig`` checks it against the image side).
        flip: mirror each training image left-right with probability 1/2 (Fashion-MNIST's
            items are symmetric; digits are not, so the LeNet recipes leave it off).
        label_smoothing: the training loss's ``label_smoothing`` (PyTorch's meaning); the test
            loss is always plain cross-entropy.
        test_flip: test-time augmentation: the model sees each test image and its mirror
            image, and their class probabilities are averaged (``eval``/``predict`` too).
        seed: seeds the initial weights, the shuffling and the augmentation; 0 to 2**64 - 1
            (``torch.manual_seed`` also takes -1 for 2**64 - 1: a run keeps one spelling).
        schedule: the learning-rate schedule, one of ``SCHEDULES``.
        loss: the loss (only ``'cross_entropy'``).
    """

    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    momentum: float
    nesterov: bool
    weight_decay: float
    pct_start: float
    shift: int
    flip: bool = False
    label_smoothing: float = 0.0
    test_flip: bool = False
    seed: int = 0
    schedule: str = "onecycle"
    loss: str = "cross_entropy"

    def checked(self) -> Hyperparameters:
        """``self`` if every value is usable, else a JuanjiError naming the first bad one.

        Example:
            >>> from juanji.apps.training import RECIPES
            >>> from dataclasses import replace
            >>> replace(RECIPES["lenet5"], lr=float("inf")).checked()
            Traceback (most recent call last):
            ...
            juanji.errors.JuanjiError: lr must be a finite number, got inf
        """
        if self.optimizer not in OPTIMIZERS:
            raise JuanjiError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if self.loss != "cross_entropy":
            raise JuanjiError(f"unknown loss {self.loss!r}; the recipes train with 'cross_entropy'")
        if self.schedule not in SCHEDULES:
            raise JuanjiError(
                f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}"
            )
        for name in ("lr", "momentum", "weight_decay", "pct_start", "label_smoothing"):
            if not math.isfinite(getattr(self, name)):
                raise JuanjiError(f"{name} must be a finite number, got {getattr(self, name)}")
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise JuanjiError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise JuanjiError(f"lr must be positive, got {self.lr}")
        if not self.weight_decay >= 0:
            raise JuanjiError(f"weight decay must be >= 0, got {self.weight_decay}")
        if self.shift < 0:
            raise JuanjiError(f"shift must be >= 0, got {self.shift}")
        if not 0 <= self.label_smoothing < 1:
            raise JuanjiError(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0 <= self.pct_start < 1:
            raise JuanjiError(f"pct_start must be in [0, 1), got {self.pct_start}")
        if self.momentum < 0:
            raise JuanjiError(f"momentum must be >= 0, got {self.momentum}")
        if not 0 <= self.seed < 2**64:
            raise JuanjiError(f"seed must be an integer from 0 to 2**64 - 1, got {self.seed}")
        return self


@dataclass(frozen=True)
class Preprocessing:
    """How an image becomes the model's input (``juanji.apps.training.make_transform``).

    Attributes:
        input_size: (channels, height, width) of the model's input.
        pad: 28 x 28 images are padded by this on every side to reach ``input_size``.
        mean: per channel, subtracted after scaling to [0, 1] (so in [0, 1]).
        std: per channel, divided by after that (in (0, 1]).
        box: ``predict`` fits the object into ``box`` x ``box`` pixels of the 28 x 28 field
            (half the field's side to all of it).
        centre: ``'mass'`` centres by centre of mass (MNIST), ``'box'`` by bounding box;
            ``'resize'``: a colour photo is resized whole to the input (CIFAR).
    """

    input_size: tuple[int, int, int]
    pad: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    box: int
    centre: str


@dataclass(frozen=True)
class RunConfig(Mapping[str, Any]):
    """Everything a run directory's ``config.json`` says; also a read-only view of that JSON.

    Attributes:
        model: the registry name of the model (``lenet5``...).
        model_kwargs: the keyword arguments it is built with.
        dataset: a key of ``juanji.apps.training.DATASETS``.
        classes: class names, index = label.
        preprocessing: see ``Preprocessing``.
        hyperparameters: see ``Hyperparameters``.
        created: ISO time the run was configured.
        juanji_version: the juanji that wrote it.
    """

    model: str
    model_kwargs: dict[str, Any]
    dataset: str
    classes: tuple[str, ...]
    preprocessing: Preprocessing
    hyperparameters: Hyperparameters
    created: str = ""
    juanji_version: str = __version__
    _json: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_meaning(self)
        object.__setattr__(self, "_json", self.to_json())

    @property
    def num_classes(self) -> int:
        """The number of classes."""
        return len(self.classes)

    def to_json(self) -> dict[str, Any]:
        """The ``config.json`` object (lists, not tuples)."""
        prep = asdict(self.preprocessing)
        prep.update({key: list(prep[key]) for key in ("input_size", "mean", "std")})
        return {
            "format": run_directory.CONFIG_FORMAT,
            "juanji_version": self.juanji_version,
            "created": self.created,
            "model": {"name": self.model, "kwargs": dict(self.model_kwargs)},
            "dataset": self.dataset,
            "num_classes": self.num_classes,
            "classes": list(self.classes),
            "preprocessing": prep,
            "hyperparameters": asdict(self.hyperparameters),
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], path: str | Path = run_directory.CONFIG_FILE
    ) -> RunConfig:
        """Read a ``config.json`` object (checked with ``run_directory.validate_config`` first).

        Raises:
            CheckpointError: naming ``path`` and what is wrong.
        """
        if isinstance(data, RunConfig):
            return data
        data = run_directory.validate_config(dict(data), path)
        try:
            prep = dict(data["preprocessing"])
            hyper = _typed(Hyperparameters, data["hyperparameters"], path)
            config = cls(
                model=data["model"]["name"],
                model_kwargs=dict(data["model"]["kwargs"]),
                dataset=data["dataset"],
                classes=_class_names(data, path),
                preprocessing=Preprocessing(
                    input_size=tuple(prep["input_size"]),
                    pad=prep["pad"],
                    mean=tuple(prep["mean"]),
                    std=tuple(prep["std"]),
                    box=prep.get("box", 20),
                    centre=str(prep.get("centre", "mass")),
                ),
                hyperparameters=hyper,
                created=str(data.get("created", "")),
                juanji_version=str(data.get("juanji_version", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(
                f"{path}: {type(error).__name__} {error}; restore it or train again"
            ) from error
        except CheckpointError:
            raise
        except JuanjiError as error:  # a value that contradicts its meaning (_check_meaning)
            raise CheckpointError(f"{path}: {error}; restore it or train again") from None
        return config

    # the read-only JSON view
    def __getitem__(self, key: str) -> Any:
        return self._json[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)


def _typed(cls: type, values: Any, path: str | Path) -> Any:
    """``cls(**values)`` with every field present and of the field's JSON type."""
    names = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise CheckpointError(f"{path}: unknown hyperparameters {unknown}")
    kinds = {"int": int, "float": (int, float), "str": str, "bool": bool}
    for name, spec in names.items():
        if name not in values:
            if spec.default is MISSING:
                raise CheckpointError(f"{path}: hyperparameter {name!r} is missing")
            continue
        value, kind = values[name], kinds[str(spec.type)]
        if not isinstance(value, kind) or (isinstance(value, bool) and spec.type != "bool"):
            raise CheckpointError(
                f"{path}: hyperparameter {name!r} should be a {spec.type}, got {value!r}"
            )
    try:
        return cls(**values).checked()
    except JuanjiError as error:
        raise CheckpointError(f"{path}: {error}") from error


def _class_names(data: Mapping[str, Any], path: str | Path) -> tuple[str, ...]:
    """The ``classes`` list (names as strings), or ``0 .. num_classes - 1`` in older files."""
    names = data.get("classes", [str(i) for i in range(data["num_classes"])])
    if (
        not isinstance(names, list)
        or not all(isinstance(name, str) and name for name in names)
        or len(set(names)) != len(names)
    ):
        raise CheckpointError(
            f"{path}: 'classes' should be a list of distinct names, got {names!r:.200}"
        )
    if len(names) != data["num_classes"]:
        raise CheckpointError(
            f"{path}: 'classes' names {len(names)} classes but 'num_classes' is "
            f"{data['num_classes']}"
        )
    return tuple(names)


def _check_meaning(config: RunConfig) -> None:
    """Refuse values that would give wrong answers or unbounded work (a JuanjiError).

    What a config says must hold together: the image field left after the padding holds the
    ``box`` and outlasts the training ``shift``, the model's ``num_classes`` and
    ``in_channels`` are the config's own, and the other model arguments are small.
    """
    prep, hyper = config.preprocessing, config.hyperparameters.checked()
    channels, height, width = prep.input_size
    if height != width:
        raise JuanjiError(f"input_size should be square, got {list(prep.input_size)}")
    side = height - 2 * prep.pad  # the dataset's images, before padding
    if prep.centre not in CENTRES:
        raise JuanjiError(f"centre should be one of {', '.join(CENTRES)}, got {prep.centre!r}")
    box, smallest = prep.box, side // 2
    if not isinstance(box, int) or isinstance(box, bool) or not smallest <= box <= side:
        raise JuanjiError(
            f"box should be an integer from {smallest} to the image side {side} (the object "
            f"fills at least half the field in every dataset here), got {box!r}"
        )
    if not all(0 <= m <= 1 for m in prep.mean) or not all(0 < s <= 1 for s in prep.std):
        raise JuanjiError(
            f"mean should lie in [0, 1] and std in (0, 1] (statistics of pixels in [0, 1]), "
            f"got mean {list(prep.mean)} and std {list(prep.std)}"
        )
    if hyper.shift >= side:
        raise JuanjiError(
            f"shift must be smaller than the {side}-pixel images, got {hyper.shift} (a shift as "
            f"large as the image moves it out of the field)"
        )
    own = {"num_classes": config.num_classes, "in_channels": channels}
    for key, value in config.model_kwargs.items():
        if key in own and (type(value) is not int or value != own[key]):
            raise JuanjiError(
                f"the model argument {key}={value!r} contradicts the config's {own[key]}"
            )
        if key not in own and not _small(value):
            raise JuanjiError(
                f"the model argument {key}={value!r} is not a string, bool, finite number, "
                f"integer from 0 to {MAX_MODEL_ARGUMENT} or a short list of them"
            )


def _small(value: Any, depth: int = 0) -> bool:
    """A model argument that cannot ask for a huge model: see ``MAX_MODEL_ARGUMENT``."""
    if value is None or isinstance(value, bool) or isinstance(value, str) and len(value) < 100:
        return True
    if isinstance(value, int):
        return 0 <= value <= MAX_MODEL_ARGUMENT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)) and len(value) <= 64 and depth < 3:
        return all(_small(item, depth + 1) for item in value)
    return False
