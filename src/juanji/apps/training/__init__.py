"""Training for ``juanji train`` and the experiments: loops, recipes, typed config, run folders.

* ``loops``: ``train_one_epoch``, ``evaluate`` and ``fit`` for any classifier (no argparse, no
  files); divergence raises ``DivergenceError``.
* ``config``: ``RunConfig`` (with ``Hyperparameters`` and ``Preprocessing``), the typed form of
  a run's ``config.json``.
* ``recipes``: each model's default hyperparameters (``RECIPES``), the datasets (``DATASETS``),
  and ``make_config``.
* ``build``: a config turned into a model, an optimiser with its schedule, and data loaders.
* ``runs``: run directories: ``train_run`` (new or resumed), ``restore_model``,
  ``evaluate_run``; ``checked_run_config`` and ``check_outputs`` refuse a config or an output
  that would give a wrong answer.
"""

from juanji.apps.training.build import (
    MirrorAveraged,
    build_loaders,
    build_model,
    build_optimizer,
    for_testing,
    make_transform,
)
from juanji.apps.training.config import (
    OPTIMIZERS,
    SCHEDULES,
    Hyperparameters,
    Preprocessing,
    RunConfig,
)
from juanji.apps.training.loops import (
    EPOCH_HEADER,
    DivergenceError,
    EpochResult,
    EpochStats,
    Evaluation,
    evaluate,
    fit,
    format_epoch_row,
    train_one_epoch,
)
from juanji.apps.training.recipes import (
    DATASETS,
    RECIPES,
    DatasetInfo,
    canonical_model,
    make_config,
)
from juanji.apps.training.runs import (
    check_outputs,
    checked_run_config,
    completed_epochs,
    evaluate_run,
    load_run_config,
    non_finite_outputs,
    restore_model,
    run_metrics,
    train_run,
)

__all__ = [
    "EPOCH_HEADER",
    "DivergenceError",
    "EpochResult",
    "EpochStats",
    "Evaluation",
    "evaluate",
    "fit",
    "format_epoch_row",
    "train_one_epoch",
    "OPTIMIZERS",
    "SCHEDULES",
    "Hyperparameters",
    "Preprocessing",
    "RunConfig",
    "DATASETS",
    "RECIPES",
    "DatasetInfo",
    "canonical_model",
    "make_config",
    "build_loaders",
    "build_model",
    "build_optimizer",
    "for_testing",
    "make_transform",
    "MirrorAveraged",
    "check_outputs",
    "checked_run_config",
    "completed_epochs",
    "evaluate_run",
    "load_run_config",
    "non_finite_outputs",
    "restore_model",
    "run_metrics",
    "train_run",
]
