"""The model the page shows, and what it computes for one drawn digit.

``find_run`` picks the run to serve (the RUN_DIR given, else the newest finished run under
``runs/``); ``ServedModel`` holds it and answers the page: ``analyse`` runs the digit through
the network once with forward hooks (``juanji.apps.viz.features.feature_maps``), adds the
receptive fields (``juanji.apps.viz.receptive_field``), the first layers' kernels, a saliency
map (the input gradient of the top class, through ``input.requires_grad_()``) and what
``zero_grad`` clears; ``unit`` explains one unit of one map (its kernel, the input patch it
sees, its receptive field on the digit).

Every call that runs the engine holds ``ENGINE_LOCK``: juanji's grad mode is one global switch
(as ``torch.no_grad`` would be if it were not thread-local), so the page's requests and the
training thread (``juanji.apps.serve.trainer``) take turns, one step at a time.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from juanji.apps import training
from juanji.apps.training import run_directory as checkpoint
from juanji.apps.training.latest import newest_run
from juanji.apps.viz.digits import prepare_digit
from juanji.apps.viz.features import feature_maps
from juanji.apps.viz.receptive_field import FieldRow, receptive_field_table
from juanji.errors import CheckpointError, JuanjiError
from juanji.nn import functional as F
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor

__all__ = ["ENGINE_LOCK", "MAX_IMAGE_PIXELS", "RequestError", "ServedModel", "find_run",
           "decode_image", "rounded"]  # fmt: skip

ENGINE_LOCK = threading.Lock()
CACHE_SIZE = 16  # analyses kept for hovering (one per drawn digit)


MAX_IMAGE_PIXELS = 4096 * 4096  # a drawing is 280 x 280; a 12-megapixel photo fits


class RequestError(JuanjiError):
    """A request the page (or a script) sent that cannot be used; becomes a 4xx JSON error.

    Args:
        message: the error's text.
        status: the HTTP status (400: not usable; 422: past a limit, or nothing to compute).
        field: the request's setting that is past its limit (the answer names it).
        limit: that setting's largest allowed value.
    """

    def __init__(
        self, message: str, status: int = 400, field: str | None = None, limit: Any = None
    ) -> None:
        super().__init__(message)
        self.status, self.field, self.limit = status, field, limit

    def answer(self) -> dict[str, Any]:
        """The JSON error body: ``error`` and ``status``, with ``field`` and ``limit`` if set."""
        body: dict[str, Any] = {"error": str(self), "status": self.status}
        if self.field is not None:
            body.update(field=self.field, limit=self.limit)
        return body


def rounded(array: Any, digits: int = 4) -> Any:
    """An array as nested lists of floats rounded for JSON (small, and stable to read)."""
    return np.round(np.asarray(array, dtype=np.float64), digits).tolist()


def find_run(run_dir: str | Path | None = None, runs_root: str | Path = "runs") -> Path | None:
    """The run to serve: ``run_dir`` if given, else the newest finished run under ``runs_root``.

    A finished run has a ``config.json`` and at least one committed epoch. Returns None when
    there is none (the page then offers to train one).

    Raises:
        CheckpointError: ``run_dir`` was given and is not a run with a committed epoch.
    """
    if run_dir is not None:
        path = Path(run_dir)
        if not (path / checkpoint.CONFIG_FILE).is_file():
            raise CheckpointError(f"{path}: not a run directory (no {checkpoint.CONFIG_FILE})")
        if checkpoint.committed_epoch(path) < 1:
            raise CheckpointError(f"{path}: the run has no finished epoch yet")
        return path
    return newest_run(runs_root)


def decode_image(body: bytes) -> np.ndarray:
    """A PNG/JPEG body as a grayscale (H, W) float32 array in [0, 1].

    The header is read first: an image of more than ``MAX_IMAGE_PIXELS`` pixels (a few kB of
    compressed zeros can declare gigabytes) is refused before anything is decoded.

    Raises:
        RequestError: empty, not a PNG or JPEG, damaged (400), too many pixels (422), or
            Pillow is missing (500).
    """
    if not body:
        raise RequestError("predict: the request body is empty; send a PNG or JPEG image")
    from juanji.apps.viz import plot

    width, height = _image_size(body)
    if width * height > MAX_IMAGE_PIXELS:
        raise RequestError(
            f"predict: the image is {width} x {height} pixels ({width * height:,}); the limit "
            f"is {MAX_IMAGE_PIXELS:,} pixels",
            422,
            field="image",
            limit=MAX_IMAGE_PIXELS,
        )
    try:
        return plot.read_image(io.BytesIO(body), gray=True)
    except JuanjiError as error:
        status = 500 if isinstance(error, ImportError) else 400
        detail = str(error).split(": ", 1)[-1]  # drop the reader's file name
        raise RequestError(f"predict: the request body: {detail}", status) from None


def _image_size(body: bytes) -> tuple[int, int]:
    """(width, height) from a PNG or JPEG header, nothing decoded (``RequestError`` if not)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        message = "predict: reading images needs Pillow (pip install pillow)"
        raise RequestError(message, 500) from None
    try:
        with Image.open(io.BytesIO(body), formats=("PNG", "JPEG")) as image:
            return image.size
    except UnidentifiedImageError:
        raise RequestError("predict: the request body is not a PNG or JPEG image") from None
    except Image.DecompressionBombError as error:
        raise RequestError(
            f"predict: the image has too many pixels ({error}); the limit is "
            f"{MAX_IMAGE_PIXELS:,} pixels",
            422,
            field="image",
            limit=MAX_IMAGE_PIXELS,
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise RequestError(f"predict: the request body is a damaged image ({error})") from None


@dataclass
class _Analysis:
    """What ``unit`` needs of one analysed digit."""

    digit: np.ndarray  # (28, 28) in [0, 1], the drawing as MNIST shows digits
    model_input: np.ndarray  # (H, W), what the first layer saw (normalised, padded)
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # layer -> (C, H, W)


class ServedModel:
    """One trained run, ready to answer the page.

    Args:
        run_dir: a run directory with a committed epoch (``find_run``).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        with ENGINE_LOCK:
            self.model, self.config = training.restore_model(self.run_dir)
            self.fields = receptive_field_table(self.model).rows
        self.transform = training.make_transform(self.config)
        self._cache: OrderedDict[int, _Analysis] = OrderedDict()
        self._ids = itertools.count(1)
        self._cache_lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """The run's name, folder, model, classes and test accuracy, for the page's header."""
        try:
            metrics = checkpoint.load_metrics(self.run_dir)
        except (CheckpointError, AttributeError):
            metrics = {}
        return {
            "run_dir": str(self.run_dir.resolve()),
            "name": self.run_dir.name,
            "model": self.config.model,
            "dataset": self.config.dataset,
            "classes": list(self.config.classes),
            "input_size": list(self.config.preprocessing.input_size),
            "test_accuracy": metrics.get("test_accuracy"),
            "epochs": metrics.get("epochs_completed"),
        }

    def _model_input(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        prep = self.config.preprocessing
        try:
            digit = prepare_digit(gray, 28, prep.box, prep.centre)
        except JuanjiError as error:
            raise RequestError(f"predict: {error}", 422) from None
        with ENGINE_LOCK:  # the transform makes tensors: keep off the training's steps
            return digit, self.transform.batch(digit[None])  # (28, 28), (1, C, H, W)

    def analyse(self, gray: np.ndarray) -> dict[str, Any]:
        """Prediction, probabilities, every window layer's maps, saliency, zero_grad numbers.

        Args:
            gray: the drawing, (H, W) in [0, 1], any size (dark ink on light paper or the
                reverse: ``prepare_digit`` decides).

        Raises:
            RequestError: (422) the drawing holds no ink.
        """
        digit, batch = self._model_input(gray)
        with ENGINE_LOCK:
            maps, logits = feature_maps(self.model, Tensor(batch))
            probabilities = F.softmax(logits, dim=1).numpy()[0]
            index = int(probabilities.argmax())
            saliency, grads = self._saliency(batch, index)
        analysis = _Analysis(digit, batch[0, 0], {m.name: m.maps for m in maps})
        layers = [self._layer(m.name, m.type, m.maps) for m in maps]
        return {
            "id": self._remember(analysis),
            "label": self.config.classes[index],
            "index": index,
            "probabilities": [round(float(p), 6) for p in probabilities],
            "digit": rounded(digit, 3),
            "model_input": rounded(batch[0, 0], 3),
            "layers": layers,
            "saliency": rounded(saliency, 5),
            "zero_grad": grads,
        }

    def _layer(self, name: str, kind: str, maps: np.ndarray) -> dict[str, Any]:
        row = next((r for r in self.fields if r.name == name), None)
        return {
            "name": name,
            "type": kind,
            "shape": list(maps.shape),
            "maps": rounded(maps, 3),
            "range": [round(float(maps.min()), 4), round(float(maps.max()), 4)],
            "kernel": None if row is None else list(row.kernel),
            "stride": None if row is None else list(row.stride),
            "field": None if row is None else _field(row),
        }

    def _saliency(self, batch: np.ndarray, index: int) -> tuple[np.ndarray, dict[str, Any]]:
        """|d score / d input| of class ``index``, and the first weight's gradient accumulating.

        The input is a leaf with ``requires_grad_()``, so ``backward`` fills ``x.grad`` as it
        fills the weights' ``.grad``. A second backward without ``zero_grad`` adds the same
        gradient again (the norm doubles); ``model.zero_grad()`` sets it back to None.
        """
        self.model.zero_grad()
        first = next(p for p in self.model.parameters() if p.ndim == 4)
        norms = []
        x = Tensor(batch).requires_grad_()
        for _ in range(2):
            scores = self.model(x)
            scores[0, index].backward()
            norms.append(float(np.linalg.norm(first.grad.numpy())))
        input_grad = x.grad.numpy()[0]
        self.model.zero_grad()
        saliency = np.abs(input_grad).max(axis=0)  # strongest channel per pixel
        top = float(saliency.max()) or 1.0
        return saliency / top, {
            "parameter": next(n for n, p in self.model.named_parameters() if p is first),
            "after_one_backward": round(norms[0], 6),
            "after_two_backwards": round(norms[1], 6),
            "ratio": round(norms[1] / norms[0], 6) if norms[0] else None,
            "after_zero_grad": None if first.grad is None else float(first.grad.abs().sum()),
            "input_grad_max": round(top, 6),
        }

    def _remember(self, analysis: _Analysis) -> int:
        with self._cache_lock:
            key = next(self._ids)
            self._cache[key] = analysis
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return key

    def _analysis(self, analysis_id: Any, what: str) -> _Analysis:
        with self._cache_lock:
            analysis = self._cache.get(analysis_id)
        if analysis is None:
            raise RequestError(f"{what}: no drawn digit {analysis_id!r} (draw again)", 404)
        return analysis

    def digit(self, analysis_id: int) -> np.ndarray:
        """The 28 x 28 digit of an earlier ``analyse`` (for the playground)."""
        return self._analysis(analysis_id, "playground").digit

    def unit(self, analysis_id: int, layer: str, channel: int, y: int, x: int) -> dict[str, Any]:
        """One unit of one map: its value, its receptive field, the patch it sees, its kernel.

        For the first convolution the value is also recomputed from the patch and the kernel
        (``sum(patch * kernel) + bias``), so the page can show the multiply-add.

        Raises:
            RequestError: an unknown analysis (404: drawn too long ago), layer or position.
        """
        analysis = self._analysis(analysis_id, "unit")
        maps = analysis.maps.get(layer)
        row = next((r for r in self.fields if r.name == layer), None)
        if maps is None or row is None:
            raise RequestError(f"unit: unknown layer {layer!r}; layers: {', '.join(analysis.maps)}")
        C, H, W = maps.shape
        if not (0 <= channel < C and 0 <= y < H and 0 <= x < W):
            raise RequestError(
                f"unit: {layer} has shape {C}x{H}x{W}; got map {channel} at ({y}, {x})"
            )
        window = row.unit_window((y, x))
        result: dict[str, Any] = {
            "layer": layer,
            "value": round(float(maps[channel, y, x]), 5),
            "window": [[round(lo, 3), round(hi, 3)] for lo, hi in window],
            "patch": rounded(_patch(analysis.model_input, window), 3),
            "kernel": None,
        }
        module = dict(self.model.named_modules()).get(layer)
        weight = getattr(module, "weight", None)
        if isinstance(weight, Tensor) and weight.ndim == 4 and row is self.fields[0]:
            result.update(_first_layer_sum(module, analysis.model_input, row, channel, y, x))
        elif isinstance(weight, Tensor) and weight.ndim == 4:
            result["kernel"] = rounded(weight.detach().numpy()[channel], 4)
        return result


def _field(row: FieldRow) -> dict[str, Any]:
    return {
        "size": [float(f.size) for f in row.fields],
        "jump": [float(f.jump) for f in row.fields],
        "start": [float(f.start) for f in row.fields],
    }


def _patch(image: np.ndarray, window: list[tuple[float, float]]) -> np.ndarray:
    """The pixels of ``image`` whose centres lie in the window (the part inside the image)."""
    (top, bottom), (left, right) = window
    rows = [i for i in range(image.shape[0]) if top <= i + 0.5 < bottom]
    cols = [j for j in range(image.shape[1]) if left <= j + 0.5 < right]
    if not rows or not cols:
        return np.zeros((0, 0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _first_layer_sum(
    module: Module, image: np.ndarray, row: FieldRow, channel: int, y: int, x: int
) -> dict[str, Any]:
    """The first convolution's unit as a multiply-add over its padded input window."""
    (pt, pb), (pl, pr) = row.padding
    kh, kw = row.kernel
    (sh, sw), (dh, dw) = row.stride, row.dilation
    padded = np.pad(image, ((pt, pb), (pl, pr)))
    window = padded[
        y * sh : y * sh + dh * (kh - 1) + 1 : dh, x * sw : x * sw + dw * (kw - 1) + 1 : dw
    ]
    kernel = module.weight.detach().numpy()[channel, 0]
    bias = 0.0 if module.bias is None else float(module.bias.detach().numpy()[channel])
    return {
        "kernel": rounded(kernel[None], 4),
        "bias": round(bias, 5),
        "window_values": rounded(window, 3),
        "multiply_add": round(float((window * kernel).sum() + bias), 5),
    }
