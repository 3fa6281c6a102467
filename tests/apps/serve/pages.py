"""Helpers for the ``juanji serve`` tests: training data, a server on a free port, drawings.

The run is trained once per session through the page's own ``Trainer``: on the first 4000
images of real MNIST when ``$JUANJI_DATA`` holds them (a few seconds), else on synthetic
digits (vertical bars for 1, rings for 0, crosses for 7) so the tests run anywhere. The tests
never trust the page: they compare what it shows with what the model computes for the same
image, in the test, through ``restore_model``.
"""

from __future__ import annotations

import io
import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from juanji.apps import training
from juanji.apps.serve import App, make_server
from juanji.apps.serve.trainer import Trainer, TrainSettings, mnist_slices
from juanji.data import TensorDataset

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def have_mnist() -> bool:
    base = os.environ.get("JUANJI_DATA")
    if not base:
        return False
    folder = Path(base) / "mnist"
    return all((folder / f).is_file() or (folder / f"{f}.gz").is_file() for f in MNIST_FILES)


def synthetic_digit(label: int, rng: np.random.Generator) -> np.ndarray:
    """A 28 x 28 uint8 'digit' in MNIST's style (light ink on black) for labels 0, 1, 7."""
    ys, xs = np.mgrid[0:28, 0:28]
    cy, cx = 14 + rng.integers(-2, 3), 14 + rng.integers(-2, 3)
    if label == 1:
        ink = (np.abs(xs - cx) < 2) & (np.abs(ys - cy) < 10)
    elif label == 0:
        radius = np.hypot((ys - cy) / 1.3, xs - cx)
        ink = (radius > 4) & (radius < 7)
    else:
        ink = ((np.abs(ys - (cy - 8)) < 2) & (np.abs(xs - cx) < 7)) | (
            (np.abs((xs - cx) + 0.4 * (ys - cy)) < 2) & (ys > cy - 8) & (ys < cy + 10)
        )
    return (ink * rng.uniform(180, 255)).astype(np.uint8)


def synthetic_data(config, settings: TrainSettings):
    """``Trainer``'s data hook: synthetic 0s, 1s and 7s, transformed as MNIST would be."""
    rng = np.random.default_rng(settings.seed)
    transform = training.make_transform(config)

    def make(count: int) -> TensorDataset:
        labels = rng.choice([0, 1, 7], size=count)
        images = np.stack([synthetic_digit(int(label), rng) for label in labels])
        return TensorDataset(transform.batch(images), labels.astype(np.int64))

    return make(settings.images), make(settings.test_images)


def make_trainer(runs_root: Path) -> Trainer:
    return Trainer(runs_root, mnist_slices() if have_mnist() else synthetic_data)


class Served:
    """A running server: its base URL, the App, and small helpers to call it."""

    def __init__(self, app: App, server) -> None:
        self.app, self.server = app, server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def request(self, path: str, data: bytes | None = None, method: str | None = None,
                headers: dict | None = None):  # fmt: skip
        """(status, parsed JSON or bytes) of one request; HTTP errors are returned, not raised."""
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                status, body, kind = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, body, kind = error.code, error.read(), error.headers
        if kind.get("Content-Type", "").startswith("application/json"):
            return status, json.loads(body)
        return status, body

    def predict(self, gray: np.ndarray) -> tuple[int, dict]:
        """``POST /api/predict`` with ``gray`` as a PNG (the page's request)."""
        return self.request("/api/predict", png(gray), "POST", {"Content-Type": "image/png"})

    def post_json(self, path: str, payload) -> tuple[int, dict]:
        body = json.dumps(payload).encode()
        return self.request(path, body, "POST", {"Content-Type": "application/json"})


def start_server(app: App) -> Served:
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return Served(app, server)


def png(gray: np.ndarray) -> bytes:
    """A grayscale array in [0, 1] as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8), "L").save(buffer, "PNG")
    return buffer.getvalue()


def drawing(kind: str) -> np.ndarray:
    """A 280 x 280 page with dark ink on white: a '1' stroke or a '0' loop."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(page)
    if kind == "1":
        pen.line([(140, 40), (140, 240)], fill=0, width=20)
    else:
        pen.ellipse((80, 40, 200, 240), outline=0, width=20)
    return np.asarray(page, dtype=np.float32) / 255


def model_prediction(run_dir: Path, gray: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """What the run's model says for ``gray``, computed here: (index, probabilities, input)."""
    import juanji
    from juanji.apps.serve.model import ENGINE_LOCK
    from juanji.apps.viz.digits import prepare_digit

    with ENGINE_LOCK:  # grad mode is one switch for all threads: take turns with the server
        model, config = training.restore_model(run_dir)
        prep = config.preprocessing
        digit = prepare_digit(gray, 28, prep.box, prep.centre)
        batch = training.make_transform(config).batch(digit[None])
        with juanji.no_grad():
            logits = model(juanji.tensor(batch))
            probabilities = juanji.nn.functional.softmax(logits, dim=1).numpy()[0]
    return int(probabilities.argmax()), probabilities, batch
