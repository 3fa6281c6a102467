"""``juanji explain`` for the notes' last questions: numbers checked against torch and by hand."""

from __future__ import annotations

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from juanji.apps.cli import main
from juanji.apps.viz import explain_notes
from juanji.apps.viz.explain import TOPICS, explain

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")

NEW_TOPICS = ("zero-grad", "detach", "resolution", "first-layer", "multi-scale")


def test_the_new_topics_are_registered():
    assert set(NEW_TOPICS) <= set(TOPICS)
    for topic in NEW_TOPICS:
        assert explain(topic).topic == topic


def test_zero_grad_matches_torch_with_and_without_clearing():
    result = explain_notes.explain_zero_grad()
    for column, clear in enumerate((True, False)):
        w = torch.zeros(1, requires_grad=True)
        grads = []
        for _ in range(3):
            if clear:
                w.grad = None
            ((w * 2.0 - 6.0) ** 2).sum().backward()
            with torch.no_grad():
                w -= 0.05 * w.grad
            grads.append(float(w.grad[0]))
        np.testing.assert_allclose(result.engine[:, column], grads, rtol=1e-6)
    # By hand: -24, then at w = 1.2: 2*2*(2.4 - 6) = -14.4; without clearing -24 - 14.4.
    assert result.output[:2, 0].tolist() == pytest.approx([-24.0, -14.4])
    assert result.output[:2, 1].tolist() == pytest.approx([-24.0, -38.4])
    line = next(t for t in result.text.splitlines() if "largest difference" in t)
    assert float(line.split("largest difference ")[1].split(":")[0]) < 1e-6  # the two halves


def test_graph_size_by_hand():
    x = juanji.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * 2).exp().sum()  # three nodes: MulBackward0, ExpBackward0, SumBackward0
    nodes, _ = explain_notes.graph_size(y)
    assert nodes == 3
    assert explain_notes.graph_size(y.detach()) == (0, 0)
    assert explain_notes.graph_size(x) == (0, 0)  # a leaf has no graph


def test_detach_counts():
    result = explain_notes.explain_detach()
    numbers = result.numbers
    nodes, saved = numbers["nodes"], numbers["saved"]
    assert nodes > 3 and saved > 0
    assert numbers["after_detach"] == (0, 0)
    assert numbers["after_backward"] == (1, 0)  # the root node stays, emptied
    # Five graphs and the five additions of the running total, each graph saving as much.
    assert numbers["kept"] == (5 * nodes + 5, 5 * saved)
    assert result.output[0] == result.output[1]  # item() of the loss and of its detached copy


def _sample():
    from juanji.apps.viz import plot

    return plot.read_image(plot.sample_image_path(), gray=True).astype(np.float64)


def test_resolution_aliasing_numbers():
    result = explain_notes.explain_resolution()
    gray = _sample()
    rows, cols = explain_notes.STRIPES
    stripes = gray[rows, cols]
    # Every 4th column of period-4 stripes is the same phase: no contrast left at stride 4.
    contrast, means = result.numbers["contrast"], result.numbers["means"]
    assert contrast[1, 0] == pytest.approx(gray[rows, cols][::4, ::4].std(), abs=1e-9)
    assert contrast[1, 0] == pytest.approx(0.0, abs=1e-6)
    # Average pooling over blocks aligned with the region keeps its mean exactly.
    assert means[1, 2] == pytest.approx(stripes.mean(), abs=1e-6)
    pooled = torch.nn.functional.max_pool2d(torch.tensor(gray)[None, None], 4)[0, 0].numpy()
    part = pooled[rows.start // 4 : rows.stop // 4, cols.start // 4 : cols.stop // 4]
    assert means[1, 1] == pytest.approx(part.mean(), abs=1e-9)


def test_multi_scale_responses_match_torch():
    result = explain_notes.explain_multi_scale()
    responses = result.numbers["responses"]
    gray = torch.tensor(_sample())[None, None]
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float64)[None, None]
    rows, cols = explain_notes.STRIPES
    for i, factor in enumerate((1, 2, 4)):
        x = gray if factor == 1 else torch.nn.functional.avg_pool2d(gray, factor)
        out = torch.nn.functional.conv2d(x, kernel, padding=1)[0, 0].abs().numpy()
        part = out[
            rows.start // factor : rows.stop // factor, cols.start // factor : cols.stop // factor
        ]
        assert responses[i, 0] == pytest.approx(part[1:-1, 1:-1].mean(), abs=1e-9)
    assert responses[0, 0] > responses[0, 1]  # full size: the stripes answer
    assert responses[2, 0] < 0.05 < responses[2, 1]  # quarter: only the disc's edge


def test_oriented_edges():
    kernels = explain_notes.oriented_edges(5)
    assert kernels.shape == (4, 5, 5)
    np.testing.assert_allclose(kernels.sum(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(kernels.reshape(4, -1), axis=1), 1)
    np.testing.assert_allclose(kernels[0][:, ::-1], -kernels[0], atol=1e-12)  # 0 deg: vertical edge
    np.testing.assert_allclose(kernels[2], kernels[0].T[::-1], atol=1e-12)  # 90 deg: rotated
    np.testing.assert_allclose(kernels[0][::-1], kernels[0], atol=1e-12)


def test_first_layer_finds_a_planted_edge_detector():
    model = juanji.models.LeNet5()
    target = explain_notes.oriented_edges(5)[2]  # 90 degrees
    with juanji.no_grad():
        model.features[0].weight[1, 0] = juanji.tensor(3.0 * target + 0.5)  # scaled, offset
    result = explain_notes.explain_first_layer(model, "a planted kernel")
    numbers = result.numbers
    angle, score, chance = numbers["angles"][1], numbers["scores"][1], numbers["chance"]
    assert angle == 90 and score == pytest.approx(1.0)
    assert 0.2 < chance < 0.3  # random 5x5 kernels, the stated baseline
    assert "a planted kernel" in result.text


def test_first_layer_command_uses_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no runs/ here: an untrained LeNet, and the text says so
    assert main(["explain", "first-layer"]) == 0
    assert "UNTRAINED" in capsys.readouterr().out
    assert main(["explain", "first-layer", "--run", str(tmp_path / "nope")]) == 1
    assert "nope" in capsys.readouterr().err


def test_conv2d_used_for_resolution_is_plain_subsampling():
    x = juanji.tensor(np.arange(64.0).reshape(1, 1, 8, 8))
    out = F.conv2d(x, juanji.tensor(np.ones((1, 1, 1, 1))), stride=4).numpy()[0, 0]
    assert out.tolist() == [[0.0, 4.0], [32.0, 36.0]]
