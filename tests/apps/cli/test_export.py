"""``juanji export``, and ``eval``/``predict``/``summary`` on .onnx files and .pt state_dicts."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import fakes
from juanji.apps import training
from juanji.apps.cli import main

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.helper")
ort = pytest.importorskip("onnxruntime")
PIL = pytest.importorskip("PIL")
from PIL import Image, ImageDraw  # noqa: E402


class BarDigits(fakes.BarDigits):
    train_size, test_size = 96, 60


@pytest.fixture
def bars(monkeypatch):
    info = replace(training.DATASETS["mnist"], factory=BarDigits)
    monkeypatch.setitem(training.DATASETS, "mnist", info)


@pytest.fixture(params=["lenet5", "lenet5-classic"])
def run_dir(request, bars, tmp_path):
    run = tmp_path / "run"
    argv = ["train", request.param, "--epochs", "1", "--batch-size", "32", "--out", str(run)]
    assert main(argv) == 0
    return run


def _one_line_error(capsys, argv, *fragments, code=1):
    capsys.readouterr()
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"juanji {argv[0]}: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


def _export(run_dir, tmp_path, capsys, *options):
    path = tmp_path / "model.onnx"
    capsys.readouterr()
    assert main(["export", str(run_dir), "-o", str(path), *options]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {path}: ") and "output 'logits'" in out
    return path, out


def test_export_writes_a_checked_file_onnxruntime_runs_like_the_run(run_dir, tmp_path, capsys):
    path, out = _export(run_dir, tmp_path, capsys)
    assert "input 'input' (batch x 1 x " in out
    onnx.checker.check_model(onnx.load(path), full_check=True)
    model, config = training.restore_model(run_dir)
    x = np.random.default_rng(0).standard_normal((5, *config.preprocessing.input_size))
    x = x.astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    import juanji

    want = model(juanji.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_static_batch_and_opset(run_dir, tmp_path, capsys):
    path, out = _export(run_dir, tmp_path, capsys, "--static-batch", "--opset", "13")
    assert "opset 13" in out and "input 'input' (1 x 1 x " in out
    assert onnx.load(path).opset_import[0].version == 13


def test_eval_and_predict_give_the_same_answers_from_the_run_its_onnx_and_its_pt(
    run_dir, tmp_path, capsys
):
    path, _ = _export(run_dir, tmp_path, capsys)
    model_name = training.load_run_config(run_dir).model
    weights = tmp_path / "weights.pt"
    torch = pytest.importorskip("torch")
    model, _ = training.restore_model(run_dir)
    torch.save({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}, weights)
    image = tmp_path / "seven.png"
    _draw_seven().save(image)

    accuracies, predictions = [], []
    for source in ([str(run_dir)], [str(path)], [str(weights), "--model", model_name]):
        assert main(["eval", *source]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        accuracies.append(first.split("test accuracy ")[1].split(" %")[0])
        assert main(["predict", *source, str(image), "--json"]) == 0
        predictions.append(json.loads(capsys.readouterr().out)[0])
    assert accuracies[0] == accuracies[1] == accuracies[2]
    for p in predictions[1:]:
        assert p["label"] == predictions[0]["label"]
        np.testing.assert_allclose(p["probabilities"], predictions[0]["probabilities"],
                                   atol=1e-5)


def _draw_seven(size=(120, 90)):
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(int(0.3 * w), int(0.2 * h)), (int(0.7 * w), int(0.2 * h)),
               (int(0.45 * w), int(0.8 * h))], 0, 9)
    return image


def test_summary_of_an_onnx_file_and_of_a_state_dict(run_dir, tmp_path, capsys):
    path, _ = _export(run_dir, tmp_path, capsys)
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["#", "op", "node", "output", "initialiser", "values"]
    assert out[1].split()[1] == "Conv" and out[-2].split()[1] == "Identity"
    floats = [onnx.numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer]
    values = sum(a.size for a in floats if a.dtype.kind == "f")
    assert f"{values:,} initialiser values" in out[-1]
    model, _ = training.restore_model(run_dir)
    total = sum(p.numel() for p in model.parameters())
    weights = tmp_path / "w.pt"
    import juanji

    juanji.save(model.state_dict(), weights)
    name = training.load_run_config(run_dir).model
    assert main(["summary", str(weights), "--model", name]) == 0
    assert f"{total:,}" in capsys.readouterr().out


def test_export_errors_are_one_line(bars, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "1", "--batch-size", "32", "--out", str(run)]) == 0
    out = str(tmp_path / "m.onnx")
    _one_line_error(capsys, ["export", str(tmp_path / "nothing"), "-o", out],
                    "nothing is not a run directory (no such folder)")
    _one_line_error(capsys, ["eval", str(tmp_path / "gone.pt"), "--model", "lenet5"],
                    "gone.pt: no such file")
    _one_line_error(capsys, ["predict", str(tmp_path / "gone.onnx"), out],
                    "juanji.onnx.load: no such file")
    _one_line_error(capsys, ["export", str(run), "-o", str(tmp_path / "no" / "m.onnx")],
                    "no such folder")
    _one_line_error(capsys, ["export", str(run), "-o", str(tmp_path / "m.txt")],
                    "the output file must end in .onnx")
    _one_line_error(capsys, ["export", str(run), "-o", out, "--opset", "7"],
                    "opset_version must be an int from 13 to")
    assert main(["export", str(run), "-o", out]) == 0
    _one_line_error(capsys, ["export", out, "-o", out], "is already an ONNX file")
    with pytest.raises(SystemExit) as usage:  # -o is required: argparse's usage error
        main(["export", str(run), "--opset", "13"])
    assert usage.value.code == 2
    assert "the following arguments are required: -o/--output" in capsys.readouterr().err


def test_file_errors_are_one_line(bars, tmp_path, capsys):
    import juanji
    from juanji.models import get_model

    weights = tmp_path / "w.pt"
    juanji.save(get_model("lenet5").state_dict(), weights)
    _one_line_error(capsys, ["eval", str(weights)], "w.pt is a state_dict", "--model NAME")
    _one_line_error(capsys, ["eval", str(weights), "--model", "lenet5-classic"],
                    "w.pt does not fit the model lenet5-classic")
    _one_line_error(capsys, ["eval", str(weights), "--model", "nosuchnet"], "nosuchnet")
    juanji.save([1, 2], tmp_path / "list.pt")
    _one_line_error(capsys, ["eval", str(tmp_path / "list.pt"), "--model", "lenet5"],
                    "holds no state_dict")
    (tmp_path / "notes.txt").write_text("hi")
    _one_line_error(capsys, ["eval", str(tmp_path / "notes.txt")],
                    "not a run directory, an .onnx file or a .pt/.pth state_dict")
    (tmp_path / "bad.onnx").write_bytes(b"\x00\xff junk")
    _one_line_error(capsys, ["summary", str(tmp_path / "bad.onnx")],
                    "is not a readable ONNX file")
