"""``juanji train``, ``juanji eval`` and ``juanji predict``: LeNet on MNIST from the command line.

* ``juanji train lenet5 --dataset mnist`` trains with the model's recipe (``juanji.apps.training``)
  into a run directory (``runs/<model>-<dataset>-<time>`` unless ``--out``), printing a table
  row per epoch and writing a checkpoint after each; ``--resume RUN_DIR`` continues one.
* ``juanji eval RUN_DIR`` prints the test accuracy and the confusion matrix.
* ``juanji predict RUN_DIR IMAGE...`` classifies image files, preprocessed as MNIST was built
  (see ``prepare_digit``).

Everything a person can get wrong (unknown model, missing data, a run directory without
weights, an unreadable image) ends in a ``JuanjiError``: one line, exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.cli._bounds import check_image_file
from juanji.apps.cli._data import data_source
from juanji.apps.cli.export import add_model_options, open_model
from juanji.apps.training import parallel, run_directory
from juanji.apps.viz.digits import prepare_digit
from juanji.errors import JuanjiError
from juanji.serialization.safetensors import INSTALL_HINT

__all__ = ["register", "prepare_digit", "prepare_image", "read_image"]


def register(subparsers: Any) -> None:
    """Add the ``train``, ``eval`` and ``predict`` commands."""
    _register_train(subparsers)
    evaluate = subparsers.add_parser(
        "eval", help="test accuracy and confusion matrix of a trained run"
    )
    evaluate.add_argument("run_dir", metavar="RUN_DIR",
                          help="a run directory, an .onnx file, or a .pt state_dict (--model)")
    _data_arguments(evaluate)
    add_model_options(evaluate)
    evaluate.set_defaults(func=run_eval)

    predict = subparsers.add_parser(
        "predict",
        help="classify image files with a trained run",
        description="Classify PNG/JPEG images of up to 25 megapixels, dark-on-light or "
        "light-on-dark: each is centred and scaled as MNIST digits are. Prints "
        "PATH<TAB>LABEL<TAB>PROBABILITY.",
    )
    predict.add_argument("run_dir", metavar="RUN_DIR",
                         help="a run directory, an .onnx file, or a .pt state_dict (--model)")
    predict.add_argument("images", metavar="IMAGE", nargs="+")
    add_model_options(predict)
    predict.add_argument("--json", action="store_true", help="print JSON instead of lines")
    predict.set_defaults(func=run_predict)


def _register_train(subparsers: Any) -> None:
    """``juanji train``: the recipe flags show each model's default, read from RECIPES."""
    from juanji.apps.training import DATASETS, OPTIMIZERS, RECIPES

    def default(field: str) -> str:
        return "default: " + ", ".join(f"{m} {getattr(r, field):g}" for m, r in RECIPES.items())

    train = subparsers.add_parser(
        "train",
        help="train a model on MNIST or Fashion-MNIST into a run directory",
        description="Train MODEL with its default recipe (flags override it), writing "
        "model.safetensors, config.json, metrics.json and curves.png into the run directory "
        "and a checkpoint after every epoch.",
    )
    train.add_argument("model", metavar="MODEL", nargs="?", help=" or ".join(RECIPES))
    train.add_argument("--dataset", help=f"{' or '.join(DATASETS)} (default: mnist)")
    train.add_argument(
        "--epochs", type=int, help=f"passes over the training set ({default('epochs')})"
    )
    train.add_argument("--batch-size", type=int, help=f"images per step ({default('batch_size')})")
    train.add_argument("--lr", type=float, help=f"peak one-cycle learning rate ({default('lr')})")
    optimizers = ", ".join(f"{m} {r.optimizer}" for m, r in RECIPES.items())
    train.add_argument("--optimizer", help=f"{', '.join(OPTIMIZERS)} (default: {optimizers})")
    train.add_argument(
        "--weight-decay", type=float, help=f"decoupled for adamw ({default('weight_decay')})"
    )
    _recipe_arguments(train)
    train.add_argument(
        "--seed",
        type=int,
        help="seeds weights, shuffling, shifts: 0 to 2**64 - 1, the seeds torch.manual_seed "
        "keeps (it takes -1 as 2**64 - 1; here one run has one spelling) (default: 0)",
    )
    shifts = ", ".join(
        f"{m} +-{r.shift} px" + (" and flips" if r.flip else "") for m, r in RECIPES.items()
    )
    train.add_argument(
        "--no-augment", action="store_true", help=f"turn off the random shifts/flips ({shifts})"
    )
    train.add_argument("--out", help="run directory (default runs/MODEL-DATASET-TIME)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    _data_arguments(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--threads", type=int, help="threads for matrix products (default: one per core)"
    )
    train.set_defaults(func=run_train)


def _recipe_arguments(train: argparse.ArgumentParser) -> None:
    """The flags of the recipe fields after LeNet's: schedule, test-time flips, smoothing."""
    from juanji.apps.training import RECIPES, SCHEDULES

    def defaults(text: Any) -> str:
        return "(default: " + ", ".join(f"{m} {text(r)}" for m, r in RECIPES.items()) + ")"

    train.add_argument(
        "--schedule",
        help=f"{' or '.join(SCHEDULES)}: one-cycle, or /10 at 1/2 and 3/4 "
        + defaults(lambda r: r.schedule),
    )
    train.add_argument(
        "--test-flip",
        action=argparse.BooleanOptionalAction,
        help="test on each image and its mirror, probabilities averaged "
        + defaults(lambda r: "on" if r.test_flip else "off"),
    )
    train.add_argument(
        "--label-smoothing",
        type=float,
        help="of the training loss " + defaults(lambda r: f"{r.label_smoothing:g}"),
    )
    train.add_argument(
        "--shift",
        type=int,
        metavar="PX",
        help="largest random shift of a training image " + defaults(lambda r: f"{r.shift}"),
    )
    train.add_argument(
        "--flip",
        action=argparse.BooleanOptionalAction,
        help="random left-right flips of training images "
        + defaults(lambda r: "on" if r.flip else "off"),
    )


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="folder holding mnist/ or fashion-mnist/ (default: $JUANJI_DATA, cache)"
    )
    parser.add_argument("--no-download", action="store_true", help="never download data")


# ====================================================================== train
_RECIPE_FLAGS = {
    "dataset": "--dataset",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "lr": "--lr",
    "optimizer": "--optimizer",
    "weight_decay": "--weight-decay",
    "label_smoothing": "--label-smoothing",
    "test_flip": "--test-flip",
    "shift": "--shift",
    "flip": "--flip",
    "schedule": "--schedule",
    "seed": "--seed",
    "no_augment": "--no-augment",
    "out": "--out",
}


def _new_config(args: argparse.Namespace) -> Any:
    from juanji.apps import training

    try:
        return training.make_config(
            args.model,
            args.dataset or "mnist",
            seed=0 if args.seed is None else args.seed,
            augment=not args.no_augment,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            optimizer=args.optimizer,
            weight_decay=args.weight_decay,
            label_smoothing=args.label_smoothing,
            schedule=args.schedule,
            test_flip=args.test_flip,
            shift=args.shift,
            flip=args.flip,
        )
    except ValueError as error:  # a value the model or optimiser refuses
        raise JuanjiError(str(error)) from error
    except TypeError as error:  # a registered network without defaults for every argument
        raise JuanjiError(
            f"{args.model} cannot be built with only num_classes and in_channels ({error}); "
            f"train a model with a recipe (lenet5, lenet5-classic, s2d-vgg, resnet20)"
        ) from None


def _new_run_dir(args: argparse.Namespace, config: Any) -> Path:
    return run_directory.new_run_path(args.out, config.model, config.dataset)


def _resume_config(args: argparse.Namespace) -> tuple[Path, Any]:
    given = [
        flag
        for key, flag in _RECIPE_FLAGS.items()
        if getattr(args, key) is not None
        and (getattr(args, key) is not False or key in ("test_flip", "flip"))  # --no-X: False
    ]
    if given:
        raise JuanjiError(
            f"--resume continues {args.resume} with the settings of its config.json; leave out "
            f"{', '.join(given)}"
        )
    from juanji.apps import training

    run = Path(args.resume)
    config = training.load_run_config(run)
    training.build_model(config, run_directory.config_path(run))  # before anything is printed
    if args.model and training.canonical_model(args.model) != config.model:
        raise JuanjiError(
            f"{run} trains {config.model!r}, not {args.model!r}; leave out MODEL when resuming"
        )
    return run, config


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


_SCHEDULE_WORDS = {"onecycle": "one-cycle to", "step": "step schedule from"}


def _describe(config: Any, run: Path) -> str:
    hp = config.hyperparameters
    augment = [f"shifts of up to {hp.shift} px"] if hp.shift else []
    augment += ["left-right flips"] if hp.flip else []
    shift = " and ".join(augment) or "no augmentation"
    if hp.label_smoothing:
        shift += f", label smoothing {hp.label_smoothing:g}"
    if hp.test_flip:
        shift += ", tested with flips"
    return (
        f"{config.model} on {config.dataset}: {_plural(hp.epochs, 'epoch')}, batch "
        f"{hp.batch_size}, {hp.optimizer} {_SCHEDULE_WORDS[hp.schedule]} lr {hp.lr:g}, {shift}, "
        f"seed {hp.seed}\nrun directory: {run}"
    )


def run_train(args: argparse.Namespace) -> int:
    """The ``juanji train`` command; data-parallel when started by ``mpiexec -n N``, N > 1.

    Under a launcher every rank trains its shard of each global batch of ``--batch-size``
    images; rank 0 alone prints and writes the run directory (the others' stdout is silenced),
    and a ``JuanjiError`` on any rank ends the whole job with its one-line message.
    """
    world = parallel.join()
    with contextlib.ExitStack() as stack:
        stack.enter_context(parallel.abort_job_on_error("train"))
        if parallel.rank() != 0:
            quiet = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed by stack
            stack.enter_context(contextlib.redirect_stdout(quiet))
        return _train(args, world)
    return 1  # pragma: no cover - the block returns or raises


def _train(args: argparse.Namespace, world: int) -> int:
    """``juanji train`` in one process of a job of ``world`` processes."""
    from juanji.apps import training
    from juanji.serialization import require_safetensors

    require_safetensors()  # before any work: weights are saved after the first epoch
    _set_threads(args.threads if args.threads is not None else parallel.default_threads())
    if args.resume:
        run, config = _resume_config(args)
    elif not args.model:
        raise JuanjiError(
            "give a MODEL to train (lenet5, lenet5-classic, s2d-vgg, resnet20: the ones with a "
            "recipe; any name of juanji.models.list_models() works) or --resume RUN_DIR; see --help"
        )
    else:
        config = _new_config(args)
        run = parallel.from_rank0(lambda: _new_run_dir(args, config))  # one name for all ranks
    parallel.check_global_batch(config.hyperparameters.batch_size)
    source = data_source(args, config.dataset)  # a bad --data-dir fails before any work
    epochs = config.hyperparameters.epochs
    done = training.completed_epochs(run) if args.resume else 0
    if args.resume and done >= epochs:
        print(f"{run}: all {_plural(epochs, 'epoch')} are done; finishing the run's files")
    elif args.resume and done:
        print(f"resuming after epoch {done} of {epochs}")
    elif args.resume:
        print(f"{run}: no epoch was completed; starting the run over")
    print(_describe(config, run) + _ranks(world, config.hyperparameters.batch_size), flush=True)
    if source and parallel.rank() == 0:
        print(source, file=sys.stderr, flush=True)
    try:
        metrics = training.train_run(
            config,
            run,
            resume=done > 0,  # a run stopped in its first epoch starts over
            root=args.data_dir,
            download=not args.no_download,
            progress=not args.no_progress and sys.stderr.isatty(),
            stream=sys.stdout,
            data_parallel=world > 1,
        )
    except KeyboardInterrupt:
        saved = training.completed_epochs(run) if run.is_dir() else 0
        what = f"epoch {saved} is saved in {run}" if saved else "no epoch was completed"
        print(f"\nstopped; {what}. Continue with: juanji train --resume {run}", file=sys.stderr)
        raise
    if parallel.rank() == 0:
        _finish(config, metrics, run)
    return 0


def _ranks(world: int, batch_size: int) -> str:
    """The line that tells a data-parallel run's processes ('' for a run of one)."""
    if world == 1:
        return ""
    from juanji.backend import get_num_threads

    return (
        f"\ndata-parallel on {world} processes: {batch_size / world:g} images per process and "
        f"step, {_plural(get_num_threads(), 'thread')} each"
    )


def _set_threads(threads: int | None) -> None:
    if threads is None:
        return
    from juanji.backend import set_num_threads

    most = 4 * (os.cpu_count() or 1)  # every thread takes a slice of each op's work
    if not 1 <= threads <= most:
        raise JuanjiError(
            f"--threads must be 1 to {most} (4 per core of this machine), got {threads}"
        )
    if not set_num_threads(threads):
        print("--threads ignored: NumPy's BLAS is not an OpenBLAS juanji can configure")


def _finish(config: Any, metrics: dict[str, Any], run: Path) -> None:
    from juanji.apps.viz.curves import plot_curves

    rows = metrics["epochs"]
    # Every epoch sees the same images, so total images / total time is the harmonic mean.
    rate = len(rows) / sum(1 / r["images_per_second"] for r in rows)
    accuracy = metrics["test_accuracy"]
    print(
        f"test accuracy {100 * accuracy:.2f} % after {_plural(len(rows), 'epoch')}; "
        f"{metrics['train_seconds']:.1f} s of training and testing ({rate:,.0f} images/s)"
    )
    chance = 1 / config.num_classes
    if accuracy < 1.5 * chance:
        print(
            f"note: that is chance level ({100 * chance:.0f} % for {config.num_classes} "
            f"classes): the model did not learn; try a lower --lr (now "
            f"{config.hyperparameters.lr:g})"
        )
    written = list(run_directory.PUBLISHED_FILES)
    curves = run_directory.curves_path(run)
    if plot_curves(metrics, curves) is None:
        print(f"curves.png skipped: matplotlib is not installed ({INSTALL_HINT})")
    else:
        written.append(curves.name)
    print(f"wrote {', '.join(written)} in {run}")


# ====================================================================== eval
def run_eval(args: argparse.Namespace) -> int:
    """The ``juanji eval`` command."""
    from juanji.apps import training

    model, config = open_model(args.run_dir, args.model, args.dataset)
    source = data_source(args, config.dataset, train=False)
    if source:
        print(source, file=sys.stderr, flush=True)
    _, test_loader = training.build_loaders(
        config, root=args.data_dir, download=not args.no_download, test_only=True
    )
    tested = training.for_testing(model, config)  # with the run's test-time flips
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = training.evaluate(tested, test_loader, num_classes=config.num_classes)
    except ValueError as error:  # scores of another width than the classes
        raise JuanjiError(f"{args.run_dir}: {error}") from None
    if not np.isfinite(result.loss):  # finite weights whose products overflow float32
        raise training.non_finite_outputs(model, args.run_dir)
    correct = int(np.trace(result.confusion))
    name = "ONNX graph" if args.run_dir.lower().endswith(".onnx") else config.model
    print(
        f"{name} on {config.dataset} ({args.run_dir}): test accuracy "
        f"{100 * result.accuracy:.2f} % ({correct} / {result.count}), loss {result.loss:.4f}"
    )
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(result.confusion))
    classes = list(config.classes)
    if classes != [str(i) for i in range(len(classes))]:
        print("classes: " + ", ".join(f"{i} {name}" for i, name in enumerate(classes)))
    return 0


def format_confusion(confusion: np.ndarray) -> str:
    """A right-aligned text table of a confusion matrix, class indices as headers.

    Example:
        >>> print(format_confusion(np.array([[5, 0], [1, 12]])))
               0   1
            0  5   0
            1  1  12
    """
    width = max(len(str(int(confusion.max()))), len(str(len(confusion) - 1)))
    label_width = len(str(len(confusion) - 1)) + 4
    header = " " * label_width + " ".join(f"{j:>{width + 1}}" for j in range(len(confusion)))
    lines = [header]
    for i, row in enumerate(confusion):
        cells = " ".join(f"{int(v):>{width + 1}}" for v in row)
        lines.append(f"{i:>{label_width}}{cells}")
    return "\n".join(lines)


# ====================================================================== predict
def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as grayscale float32 in [0, 1] (``juanji.apps.viz.plot.read_image``).

    A 32-bit float image (Pillow's ``'F'`` mode, e.g. a TIFF) is taken as it is when its values
    lie in [0, 1] and scaled by 1/255 when they lie in [0, 255]; other ranges are refused.

    Raises:
        JuanjiError: Pillow is missing, the file is missing or not an image, or a float image
            holds NaN or values outside both ranges.
    """
    from juanji.apps.viz import plot

    check_image_file(path)
    gray = plot.read_image(path, gray=True)  # checks the file, and Pillow's presence
    from PIL import Image

    with Image.open(path) as image:
        if image.mode != "F":
            return gray
        values = np.asarray(image, dtype=np.float32)
    if not np.isfinite(values).all():
        raise JuanjiError(f"{path}: the float image holds NaN or infinite pixels")
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:
        return values
    if low >= 0 and high <= 255:
        return values / np.float32(255)
    raise JuanjiError(
        f"{path}: a float image with values from {low:g} to {high:g}; expected [0, 1] or [0, 255]"
    )


def prepare_photo(path: str | os.PathLike, side: int) -> np.ndarray:
    """A colour picture resized whole to ``side`` x ``side`` (H, W, 3) in [0, 1], as CIFAR's.

    The whole picture is squeezed to a square (torchvision's ``Resize((side, side))``): CIFAR's
    images are whole photos, so there is no object to find and centre as for digits.
    """
    from juanji.apps.viz import plot

    check_image_file(path)
    picture = plot.read_image(path)  # checks the file and Pillow; gray pictures get 3 planes
    if picture.ndim == 2:
        picture = np.repeat(picture[:, :, None], 3, axis=2)
    return np.clip(plot.resize_image(picture, side, side), 0.0, 1.0).astype(np.float32)


def prepare_image(path: str | os.PathLike, prep: Any) -> np.ndarray:
    """One picture as the run's dataset shows it: a whole photo (CIFAR) or a centred digit.

    Args:
        path: the picture.
        prep: the run's ``Preprocessing``.
    """
    side = prep.input_size[1] - 2 * prep.pad  # the dataset's image side (28, CIFAR's 32)
    if prep.centre == "resize":  # a colour photo, taken whole (CIFAR)
        return prepare_photo(path, side)
    return prepare_digit(read_image(path), side, prep.box, prep.centre)


def _prepared_images(images: list[str], prep: Any) -> tuple[list[np.ndarray], list[str]]:
    """Each readable image as the model's dataset shows it, and its path (bad ones: stderr)."""
    fields, paths = [], []
    for path in images:
        try:
            fields.append(prepare_image(path, prep))
            paths.append(path)
        except JuanjiError as error:
            message = str(error)
            print(
                f"juanji predict: {message if message.startswith(path) else f'{path}: {message}'}",
                file=sys.stderr,
            )
    return fields, paths


def run_predict(args: argparse.Namespace) -> int:
    """The ``juanji predict`` command.

    Every readable image is classified; each bad one is reported on stderr, and the exit code
    is 1 if there was any.
    """
    from juanji.apps import training
    from juanji.autograd import no_grad
    from juanji.nn import functional as F
    from juanji.tensor.tensor import Tensor

    model, config = open_model(args.run_dir, args.model, args.dataset)
    fields, paths = _prepared_images(args.images, config.preprocessing)
    failed = len(args.images) - len(paths)
    results = []
    if fields:
        batch = training.make_transform(config).batch(np.stack(fields))
        tested = training.for_testing(model, config)  # with the run's test-time flips
        with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            scores = tested(Tensor(batch))
            training.check_outputs(scores, model, config, args.run_dir)
            probabilities = F.softmax(scores, dim=1).numpy()
        for path, row in zip(paths, probabilities, strict=True):
            index = int(row.argmax())
            results.append(
                {
                    "path": path,
                    "label": config.classes[index],
                    "index": index,
                    "probability": round(float(row[index]), 6),
                    "probabilities": [round(float(p), 6) for p in row],
                }
            )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(f"{result['path']}\t{result['label']}\t{result['probability']:.4f}")
    if failed and len(args.images) > 1:
        print(
            f"juanji predict: {failed} of {len(args.images)} images could not be read",
            file=sys.stderr,
        )
    return 1 if failed else 0
