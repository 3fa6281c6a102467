"""``juanji train`` killed (SIGKILL) or interrupted (SIGINT) at every rename of a checkpoint.

Each case runs the command in a subprocess on the BarDigits stand-in (192 images, so a run takes
about a second) with the test seam ``run_directory.before_rename`` replaced, before the command
starts, by a function that stops the process at the moment named ``SIGNAL:POINT:EPOCH``; then
it checks every file of the run directory, that readers see one consistent epoch, and that
``--resume`` finishes the run: the same weights as an uninterrupted run, every file
present (``curves.png`` too), no temporary file left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from juanji.apps.training import run_directory
from juanji.serialization import load_file, load_metadata

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

pytest.importorskip("matplotlib")

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"
# A two-epoch run of `juanji train` on the BarDigits stand-in, through the real command.
# argv[1] is the fault, SIGNAL:POINT:EPOCH (e.g. kill:commit:2: SIGKILL just before the rename
# "commit" of epoch 2; the points are run_directory.FAULT_POINTS), or "-" for none.
SCRIPT = """
import os, signal, sys
from dataclasses import replace
import fakes
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even if launched
                                                          # from a shell that ignores Ctrl-C
from juanji.apps import training
from juanji.apps.cli import main
from juanji.apps.training import run_directory
training.DATASETS["mnist"] = replace(training.DATASETS["mnist"], factory=fakes.BarDigits)
if sys.argv[1] != "-":
    kind, point, epoch = sys.argv[1].split(":")
    assert point in run_directory.FAULT_POINTS, point

    def stop(at, number):
        if at == point and str(number) == epoch:
            os.kill(os.getpid(), signal.SIGKILL if kind == "kill" else signal.SIGINT)

    run_directory.before_rename = stop
sys.exit(main(sys.argv[2:]))
"""
TRAIN = ["train", "lenet5", "--epochs", "2", "--batch-size", "64", "--no-progress"]
FINAL_TREE = [
    "checkpoints",
    "checkpoints/e0002",
    "checkpoints/e0002/metrics.json",
    "checkpoints/e0002/model.safetensors",
    "checkpoints/e0002/state.json",
    "checkpoints/e0002/state.safetensors",
    "config.json",
    "curves.png",
    "metrics.json",
    "model.safetensors",
    "training_state.json",
]


def _juanji(*argv: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(TESTS)]))
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, fault or "-", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _tree(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The weights of an uninterrupted run."""
    run = tmp_path_factory.mktemp("straight") / "run"
    done = _juanji(*TRAIN, "--out", str(run))
    assert done.returncode == 0, done.stderr
    assert _tree(run) == FINAL_TREE
    return load_file(run / "model.safetensors")


def _check_consistent(run: Path, epoch: int) -> None:
    """Every reader sees epoch ``epoch`` whole: weights, metrics and resume state agree."""
    assert run_directory.committed_epoch(run) == epoch
    folder = run / "checkpoints" / f"e{epoch:04d}"
    assert load_metadata(folder / "model.safetensors") == {"epoch": str(epoch)}
    metrics = run_directory.load_metrics(run)
    assert metrics["epochs_completed"] == epoch
    state = run_directory.load_resume_state(run)
    assert state.epoch == epoch and state.metrics == metrics
    weights = run_directory.load_weights(run)
    for key, value in weights.items():
        np.testing.assert_array_equal(value.numpy(), state.model_state[key].numpy())
    for name in ("metrics.json", "config.json", "training_state.json"):
        path = run / name
        if path.exists():
            json.loads(path.read_text(), parse_constant=pytest.fail)  # strict JSON


@pytest.mark.parametrize(
    ("fault", "committed", "left_behind"),
    [
        # killed before the epoch folder is renamed into place: the epoch-1 state stands
        ("kill:folder:2", 1, {"checkpoints/.e0002.partial"}),
        # killed with the new record written but not yet renamed over the old one
        ("kill:commit:2", 1, {"checkpoints/e0002", ".training_state.json.*.tmp"}),
        # killed after the commit, before the top-level copies were refreshed
        ("kill:publish-model:2", 2, {".model.safetensors.*.link.tmp"}),
        ("kill:publish-metrics:2", 2, {".metrics.json.*.link.tmp"}),
        # the same in the first epoch: nothing was committed before
        ("kill:commit:1", 0, {"checkpoints/e0001", ".training_state.json.*.tmp"}),
        # Ctrl-C during the last checkpoint: held back until the last rename, then raised
        ("int:commit:2", 2, set()),
    ],
)
def test_interrupted_checkpoint_then_resume(tmp_path, reference, fault, committed, left_behind):
    run = tmp_path / "run"
    stopped = _juanji(*TRAIN, "--out", str(run), fault=fault)
    if fault.startswith("kill"):
        assert stopped.returncode == -9, stopped.stderr
    else:
        assert stopped.returncode == 130, stopped.stderr
        assert f"epoch 2 is saved in {run}. Continue with: juanji train --resume" in stopped.stderr
    tree = _tree(run)
    assert "curves.png" not in tree  # the run never reached its end
    for pattern in left_behind:
        assert list(run.glob(pattern)), (pattern, tree)
    if committed:
        _check_consistent(run, committed)
    else:
        assert not (run / "training_state.json").exists()
        assert not (run / "model.safetensors").exists()

    resumed = _juanji("train", "--resume", str(run), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    if committed == 2:
        assert "all 2 epochs are done; finishing the run's files" in resumed.stdout
    assert "curves.png" in resumed.stdout.splitlines()[-1]
    assert _tree(run) == FINAL_TREE  # nothing missing, no temporary file or stray folder left
    _check_consistent(run, 2)
    assert os.path.samefile(run / "model.safetensors", run / "checkpoints/e0002/model.safetensors")
    weights = load_file(run / "model.safetensors")
    for key, value in reference.items():
        np.testing.assert_array_equal(weights[key].numpy(), value.numpy(), err_msg=key)
