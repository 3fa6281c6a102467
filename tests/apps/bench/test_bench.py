"""The benchmark runner works (tiny mode); nothing here asserts anything about time."""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import pytest

from juanji.apps.bench import suite
from juanji.apps.bench.timing import Timing, alternate
from juanji.apps.bench.workloads import WORKLOADS, lenet5
from juanji.apps.cli import main as cli_main


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    suite.add_arguments(parser)
    return parser.parse_args(["--tiny", "--no-mnist", *argv])


def test_tiny_run_writes_every_row_to_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    report = suite.run(_args("--json", str(path)))
    written = json.loads(path.read_text())
    names = [row["name"] for row in written["rows"]]
    assert names == [w.name for w in WORKLOADS]
    for row in written["rows"]:
        for key in ("juanji_ms", "torch_ms", "ratio_median", "ratio_min", "ratio_max"):
            assert row[key] > 0
        assert row["juanji_images_per_s"] > 0
    assert written["memory"]["juanji_bytes"] > 0
    assert written["settings"]["threads"] == 2
    assert report["rows"] == written["rows"]
    out = capsys.readouterr().out
    assert "lenet5 train step" in out and "peak memory" in out


def test_runs_without_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    report = suite.run(_args("--only", "conv2 fwd+bwd", "--only", "memory"))
    (row,) = report["rows"]
    assert row["juanji_ms"] > 0 and "torch_ms" not in row and "ratio_median" not in row
    assert "torch_bytes" not in report["memory"]
    assert "not installed" in capsys.readouterr().out


def test_cli_bench_command(capsys):
    assert cli_main(["bench", "--tiny", "--no-mnist", "--only", "maxpool 2x2"]) == 0
    out = capsys.readouterr().out
    assert "maxpool 2x2" in out and "conv1" not in out


def test_summary_statistics_from_given_times():
    timing = Timing("w", images=10, seconds={"juanji": [2.0, 4.0, 6.0], "torch": [1.0] * 3})
    row = timing.summary()
    assert (row["ratio_median"], row["ratio_min"], row["ratio_max"]) == (4.0, 2.0, 6.0)
    assert row["juanji_ms"] == 4000.0 and row["juanji_images_per_s"] == 2.5


def test_alternate_calls_each_side_once_per_round_after_warm_up():
    order: list[str] = []
    calls = {"juanji": lambda: order.append("j"), "torch": lambda: order.append("t")}
    alternate("w", 1, calls, rounds=3, min_round_seconds=0.0)
    assert "".join(order) == "jt" + "jt" * 3


def test_torch_lenet_is_juanji_lenet_with_the_same_weights():
    torch = pytest.importorskip("torch")
    import juanji

    juanji.manual_seed(0)
    ours = lenet5(juanji)
    juanji.manual_seed(0)
    theirs = lenet5(torch)
    assert list(theirs.state_dict()) == list(ours.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    logits = ours(juanji.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not os.environ.get("JUANJI_DATA"), reason="needs MNIST in JUANJI_DATA")
def test_mnist_epoch_row_on_a_slice():
    args = _args("--only", "epoch")
    args.no_mnist = False
    report = suite.run(args)
    (row,) = report["rows"]
    assert row["name"].startswith("mnist epoch") and row["juanji_ms"] > 0


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--threads", "0"], "--threads must be an integer >= 1, got 0"),
        (["--rounds", "0"], "--rounds must be an integer >= 1, got 0"),
        (["--min-round", "-1"], "--min-round must be a number of seconds >= 0, got -1.0"),
        (["--settle", "nan"], "--settle must be a number of seconds >= 0, got nan"),
        (["--json", "/proc/juanji/x.json"], "--json /proc/juanji/x.json: cannot write there"),
    ],
)
def test_bad_options_are_refused_in_one_line_before_any_work(option, message, capsys, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the options were checked")

    monkeypatch.setattr(suite, "alternate", no_work)
    assert cli_main(["bench", "--tiny", "--no-mnist", "--only", "conv1", *option]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"juanji bench: {message}")
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


def test_json_into_a_folder_is_refused(tmp_path, capsys):
    assert cli_main(["bench", "--tiny", "--no-mnist", "--json", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_rounds_are_honoured_with_tiny(capsys):
    report = suite.run(_args("--only", "maxpool 2x2", "--only", "nothing-else", "--rounds", "2"))
    assert report["settings"]["rounds"] == 2


def test_tiny_warns_that_its_numbers_mean_nothing(capsys):
    suite.run(_args("--only", "maxpool 2x2"))
    out = capsys.readouterr().out
    assert "--tiny" in out and "mean nothing" in out


@pytest.mark.skipif(not os.environ.get("JUANJI_DATA"), reason="needs Fashion-MNIST in JUANJI_DATA")
def test_fashion_time_to_accuracy_runs_the_same_recipe_on_both_sides(monkeypatch):
    """The Fashion-MNIST main job's row on a slice (two epochs of its recipe): s2d-vgg with its
    flips, label smoothing and test-time flips on both sides, from the same initial weights."""
    torch = pytest.importorskip("torch")
    from dataclasses import replace

    from juanji.apps.bench import mnist
    from juanji.apps.training import RECIPES

    monkeypatch.setitem(RECIPES, "s2d-vgg", replace(RECIPES["s2d-vgg"], epochs=2))
    result = mnist.time_to_accuracy(0.999, torch, tiny=True, job=mnist.FASHION)
    assert result["job"] == ["s2d-vgg", "fashion-mnist"] and result["epochs"] == 2
    for side in ("juanji", "torch"):
        assert len(result[side]["accuracies"]) == 2 and result[side]["seconds"] is None
    # one training step apart at most: the same network, weights and batches on both sides
    np.testing.assert_allclose(result["juanji"]["accuracies"][0],
                               result["torch"]["accuracies"][0], atol=0.05)
    assert suite.format_accuracy(result).startswith("time to 99.9% accuracy")


def test_each_side_runs_in_its_own_process_by_default(monkeypatch):
    started = []
    original = suite.Worker.__init__

    def spy(self, side, threads):
        started.append((side, threads))
        original(self, side, threads)

    monkeypatch.setattr(suite.Worker, "__init__", spy)
    report = suite.run(_args("--only", "maxpool 2x2", "--threads", "1"))
    assert report["settings"]["processes"] == "one per side"
    assert sorted(started) == [("juanji", 1), ("torch", 1)]
    assert "torch" not in sys.modules or report["rows"][0]["torch_ms"] > 0


def test_in_process_mode_starts_no_worker(monkeypatch):
    monkeypatch.setattr(suite.Worker, "__init__", lambda *a: pytest.fail("a worker started"))
    report = suite.run(_args("--only", "maxpool 2x2", "--in-process"))
    assert report["settings"]["processes"] == "one"
    assert report["rows"][0]["juanji_ms"] > 0


def test_a_loaded_machine_is_named_before_the_table(monkeypatch, capsys):
    monkeypatch.setattr(suite.os, "getloadavg", lambda: (3.5, 2.0, 1.0))
    suite.run(_args("--only", "maxpool 2x2", "--no-torch"))
    out = capsys.readouterr().out
    assert "load average is 3.50 (above 1)" in out and "void" in out
    assert "load average at the end: 3.50" in out


def test_a_failing_worker_raises_with_its_message():
    from juanji.apps.bench.processes import BenchError, Worker

    worker = Worker("juanji", 1)
    try:
        with pytest.raises(BenchError, match="juanji worker failed: .*no workload is named"):
            worker.request(cmd="build", row="no such row", tiny=True)
        row = "maxpool 2x2 fwd+bwd (6x28x28)"
        assert worker.request(cmd="build", row=row, tiny=True)["seconds"] > 0
        assert worker.request(cmd="time", reps=2)["seconds"] > 0
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_a_forced_algorithm_stays_with_its_rows_in_the_worker():
    # --algorithm applies to the timed rows; the memory row (LeNet's 5x5 convolutions, which
    # winograd4 does not compute) runs under auto, as it does in one process.
    report = suite.run(_args("--only", "64->64 3x3 p1 fwd (", "--only", "memory",
                             "--algorithm", "winograd4"))
    assert report["memory"]["juanji_bytes"] > 0
