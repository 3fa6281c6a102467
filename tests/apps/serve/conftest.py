"""Fixtures for ``juanji serve``: a run trained once per session, a server per module.

See ``pages.py`` for the data (real MNIST when ``$JUANJI_DATA`` has it, else synthetic digits).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.serve.pages import have_mnist, make_trainer, start_server
from juanji.apps.serve import App
from juanji.apps.serve.trainer import TrainSettings


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A LeNet5 run trained through the page's trainer (MNIST slice or synthetic digits)."""
    runs = tmp_path_factory.mktemp("runs")
    trainer = make_trainer(runs)
    images = 4000 if have_mnist() else 600
    trainer.start(TrainSettings(images=images, test_images=500, epochs=1, batch_size=32))
    assert trainer.wait(timeout=300), "training did not finish"
    status = trainer.status()
    assert status["state"] == "done", status["message"]
    return Path(status["run_dir"])


@pytest.fixture(scope="module")
def served(trained_run, tmp_path_factory):
    """A server on a free port showing ``trained_run``, with a trainer writing to a temp dir."""
    runs = tmp_path_factory.mktemp("page-runs")
    app = App(trained_run, runs_root=runs, trainer=make_trainer(runs))
    running = start_server(app)
    yield running
    app.trainer.stop()
    app.trainer.wait(60)
    running.server.shutdown()
    running.server.server_close()
