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
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps.cli._data import data_source
from juanji.apps.cli.export import add_model_options, open_model
from juanji.errors import JuanjiError
from juanji.serialization import checkpoint
from juanji.serialization.safetensors import INSTALL_HINT

__all__ = ["register", "prepare_digit", "read_image"]


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
        description="Classify PNG/JPEG images of any size, dark-on-light or light-on-dark: "
        "each is centred and scaled as MNIST digits are. Prints PATH<TAB>LABEL<TAB>PROBABILITY.",
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
    train.add_argument("--seed", type=int, help="seeds weights, shuffling, shifts (default: 0)")
    shifts = ", ".join(f"{m} +-{r.shift} px" for m, r in RECIPES.items())
    train.add_argument(
        "--no-augment", action="store_true", help=f"turn off the random shifts ({shifts})"
    )
    train.add_argument("--out", help="run directory (default runs/MODEL-DATASET-TIME)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    _data_arguments(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--threads", type=int, help="threads for matrix products (default: one per core)"
    )
    train.set_defaults(func=run_train)


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
        )
    except ValueError as error:  # a value the model or optimiser refuses
        raise JuanjiError(str(error)) from error


def _new_run_dir(args: argparse.Namespace, config: Any) -> Path:
    if args.out:
        run = Path(args.out)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        run = Path("runs") / f"{config.model}-{config.dataset}-{stamp}"
    if (run / checkpoint.CONFIG_FILE).exists() or (run / checkpoint.MODEL_FILE).exists():
        raise JuanjiError(
            f"{run} already holds a run; continue it with --resume {run}, or pass another --out"
        )
    if run.exists() and not run.is_dir():
        raise JuanjiError(f"{run} is a file; pass a folder to --out")
    return run  # created by train_run once the data has loaded


def _resume_config(args: argparse.Namespace) -> tuple[Path, Any]:
    given = [
        flag
        for key, flag in _RECIPE_FLAGS.items()
        if getattr(args, key) is not None and getattr(args, key) is not False
    ]
    if given:
        raise JuanjiError(
            f"--resume continues {args.resume} with the settings of its config.json; leave out "
            f"{', '.join(given)}"
        )
    from juanji.apps import training

    run = Path(args.resume)
    config = training.load_run_config(run)
    if args.model and training.canonical_model(args.model) != config.model:
        raise JuanjiError(
            f"{run} trains {config.model!r}, not {args.model!r}; leave out MODEL when resuming"
        )
    return run, config


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _describe(config: Any, run: Path) -> str:
    hp = config.hyperparameters
    shift = f"shifts of up to {hp.shift} px" if hp.shift else "no augmentation"
    return (
        f"{config.model} on {config.dataset}: {_plural(hp.epochs, 'epoch')}, batch "
        f"{hp.batch_size}, {hp.optimizer} one-cycle to lr {hp.lr:g}, {shift}, seed "
        f"{hp.seed}\nrun directory: {run}"
    )


def run_train(args: argparse.Namespace) -> int:
    """The ``juanji train`` command."""
    from juanji.apps import training
    from juanji.serialization import require_safetensors

    require_safetensors()  # before any work: weights are saved after the first epoch
    _set_threads(args.threads)
    if args.resume:
        run, config = _resume_config(args)
    elif not args.model:
        raise JuanjiError(
            "give a MODEL to train (lenet5, lenet5-classic) or --resume RUN_DIR; see --help"
        )
    else:
        config = _new_config(args)
        run = _new_run_dir(args, config)
    source = data_source(args, config.dataset)  # a bad --data-dir fails before any work
    epochs = config.hyperparameters.epochs
    done = training.completed_epochs(run) if args.resume else 0
    if args.resume and done >= epochs:
        print(f"{run}: all {_plural(epochs, 'epoch')} are done; finishing the run's files")
    elif args.resume and done:
        print(f"resuming after epoch {done} of {epochs}")
    elif args.resume:
        print(f"{run}: no epoch was completed; starting the run over")
    print(_describe(config, run), flush=True)
    if source:
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
        )
    except KeyboardInterrupt:
        saved = training.completed_epochs(run) if run.is_dir() else 0
        what = f"epoch {saved} is saved in {run}" if saved else "no epoch was completed"
        print(f"\nstopped; {what}. Continue with: juanji train --resume {run}", file=sys.stderr)
        raise
    _finish(config, metrics, run)
    return 0


def _set_threads(threads: int | None) -> None:
    if threads is None:
        return
    from juanji.backend import set_num_threads

    if threads < 1:
        raise JuanjiError(f"--threads must be at least 1, got {threads}")
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
    written = [checkpoint.MODEL_FILE, checkpoint.CONFIG_FILE, checkpoint.METRICS_FILE]
    if plot_curves(metrics, run / checkpoint.CURVES_FILE) is None:
        print(f"curves.png skipped: matplotlib is not installed ({INSTALL_HINT})")
    else:
        written.append(checkpoint.CURVES_FILE)
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
    result = training.evaluate(model, test_loader, num_classes=config.num_classes)
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


def prepare_digit(
    gray: np.ndarray, size: int = 28, box: int = 20, centre: str = "mass", threshold: float = 0.2
) -> np.ndarray:
    """Make a photo or drawing of one digit look like an MNIST image.

    MNIST's digits were size-normalised to fit a 20 x 20 box, keeping their aspect ratio, and
    centred by their centre of mass in a 28 x 28 field, white ink on black. The same here:

    1. background: the median of the outermost pixels; a light one (> 0.5) means dark ink on
       light paper, so the image is inverted;
    2. contrast: background -> 0, brightest ink -> 1;
    3. crop to the bounding box of the pixels above ``threshold``;
    4. scale so the longer side is ``box`` pixels (anti-aliased), keeping the aspect ratio;
    5. paste into a ``size`` x ``size`` field so the centre of mass (or, with ``centre='box'``,
       the box centre) falls on the field's centre, to the nearest pixel.

    Args:
        gray: (H, W) grayscale in [0, 1], any size.
        size: side of the output field.
        box: side of the box the digit is fitted into.
        centre: ``'mass'`` or ``'box'``.
        threshold: ink level that counts for the bounding box, after step 2.

    Returns:
        (size, size) float32 in [0, 1], light ink on black.

    Raises:
        JuanjiError: the image has no ink (a blank page).

    Example:
        >>> page = np.ones((60, 40), np.float32)
        >>> page[10:50, 18:22] = 0.0  # a dark vertical bar on white paper: a "1"
        >>> digit = prepare_digit(page)
        >>> digit.shape, float(digit.max()), int((digit > 0.5).any(axis=1).sum())
        ((28, 28), 1.0, 20)
    """
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2:
        raise JuanjiError(f"expected a 2-D grayscale image, got shape {gray.shape}")
    if min(gray.shape) < 2:
        height, width = gray.shape
        raise JuanjiError(
            f"the image is {width} x {height} pixels: too small to show a digit (it needs a "
            f"border to tell ink from paper; at least 2 x 2, better 28 x 28 or more)"
        )
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    if np.median(border) > 0.5:
        gray, border = 1.0 - gray, 1.0 - border
    background, peak = float(np.median(border)), float(gray.max())
    if peak - background < 0.1:
        raise JuanjiError("the image shows no digit (no ink stands out from the background)")
    ink = np.clip((gray - background) / (peak - background), 0.0, 1.0)
    rows, cols = np.nonzero(ink > threshold)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = box / max(ink.shape)
    height = max(1, round(ink.shape[0] * scale))
    width = max(1, round(ink.shape[1] * scale))
    from juanji.apps.viz import plot

    digit = np.clip(plot.resize_image(ink, height, width), 0.0, 1.0)
    if centre == "mass" and digit.sum() > 0:
        ys, xs = np.indices(digit.shape)
        cy, cx = (ys * digit).sum() / digit.sum(), (xs * digit).sum() / digit.sum()
    else:
        cy, cx = (height - 1) / 2, (width - 1) / 2
    # Put pixel (cy, cx) of the digit at the field's centre, (size - 1) / 2.
    top, left = round((size - 1) / 2 - cy), round((size - 1) / 2 - cx)
    field = np.zeros((size, size), np.float32)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + height, size), min(left + width, size)
    field[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return field


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
    prep = config.preprocessing
    fields, paths, failed = [], [], 0
    for path in args.images:
        try:
            fields.append(prepare_digit(read_image(path), 28, prep.box, prep.centre))
            paths.append(path)
        except JuanjiError as error:
            message = str(error)
            print(
                f"juanji predict: {message if message.startswith(path) else f'{path}: {message}'}",
                file=sys.stderr,
            )
            failed += 1
    results = []
    if fields:
        batch = training.make_transform(config).batch(np.stack(fields))
        with no_grad():
            probabilities = F.softmax(model(Tensor(batch)), dim=1).numpy()
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
