"""``juanji serve`` over HTTP: the JSON API against independent computations, and bad requests.

Oracles: the run's model restored and run here (``pages.model_prediction``), PyTorch for the
playground's convolution, unfold and pooling and for the saliency (LeNet5's weights copied
into the same layers in torch: the keys are PyTorch's), and hand-computed receptive fields.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from contextlib import closing

import numpy as np
import pytest

from apps.serve.pages import drawing, model_prediction, png
from juanji.apps import filters, training
from juanji.apps.serve import App, make_server
from juanji.apps.serve.model import find_run
from juanji.errors import CheckpointError

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")


def _torch_lenet(run_dir):
    """LeNet5 in torch with the run's weights (juanji's keys are torch's Sequential keys)."""
    nn = torch.nn
    model = nn.Module()
    model.features = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    )  # fmt: skip
    model.classifier = nn.Sequential(
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)
    )
    juanji_model, _ = training.restore_model(run_dir)
    state = {k: torch.tensor(v.detach().numpy()) for k, v in juanji_model.state_dict().items()}
    model.load_state_dict(state)
    return lambda x: model.classifier(model.features(x).flatten(1))


# ------------------------------------------------------------------ pages and files
def test_index_has_the_stable_test_hooks(served):
    status, body = served.request("/")
    assert status == 200
    html = body.decode()
    for hook in ("draw", "clear", "prediction", "probabilities", "feature-maps", "playground"):
        assert f'data-testid="{hook}"' in html
    assert "http://" not in html and "https://" not in html  # nothing from the network


def test_static_files_have_their_types(served):
    status, _ = served.request("/static/app.js")
    assert status == 200
    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        c.request("GET", "/static/app.css")
        response = c.getresponse()
        assert response.getheader("Content-Type").startswith("text/css")
        response.read()


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/%2e%2e/model.py",
        "/../../pyproject.toml",
        "/static/../../../../etc/passwd",
        "//etc/passwd",
        "/static/",
        "/static/app.js/",
        "/api/explain/../../etc/passwd",
    ],
)
def test_nothing_outside_the_apps_files_is_served(served, path):
    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        c.request("GET", path)  # sent as written: http.client does not normalise ``..``
        response = c.getresponse()
        body = response.read()
    assert response.status == 404
    assert "error" in json.loads(body)
    assert b"root:" not in body and b"import" not in body


def test_default_host_is_loopback(trained_run, tmp_path):
    app = App(trained_run, runs_root=tmp_path)
    server = make_server(app, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


# ------------------------------------------------------------------ predict
@pytest.mark.parametrize("kind", ["1", "0"])
def test_predict_matches_the_model_run_here(served, trained_run, kind):
    gray = drawing(kind)
    status, result = served.request(
        "/api/predict", png(gray), "POST", {"Content-Type": "image/png"}
    )
    assert status == 200, result
    index, probabilities, batch = model_prediction(trained_run, gray)
    assert result["index"] == index and result["label"] == str(index)
    np.testing.assert_allclose(result["probabilities"], probabilities, atol=2e-6)
    assert [(layer["name"], layer["type"], layer["shape"]) for layer in result["layers"]] == [
        ("features.0", "Conv2d", [6, 28, 28]),
        ("features.2", "MaxPool2d", [6, 14, 14]),
        ("features.3", "Conv2d", [16, 10, 10]),
        ("features.5", "MaxPool2d", [16, 5, 5]),
    ]
    # Receptive fields by hand: 5; 5 + 1 = 6; 6 + 4*2 = 14; 14 + 1*2 = 16.
    assert [layer["field"]["size"][0] for layer in result["layers"]] == [5, 6, 14, 16]
    assert [layer["field"]["jump"][0] for layer in result["layers"]] == [1, 2, 2, 4]
    # The first layer's maps are conv2d of the input with the run's weights: torch says so.
    model, _ = training.restore_model(trained_run)
    conv = torch.nn.functional.conv2d(
        torch.tensor(batch), torch.tensor(model.features[0].weight.detach().numpy()),
        torch.tensor(model.features[0].bias.detach().numpy()), padding=2,
    )  # fmt: skip
    np.testing.assert_allclose(result["layers"][0]["maps"], conv[0].numpy(), atol=2e-3)


def test_saliency_is_the_input_gradient_torch_computes(served, trained_run):
    gray = drawing("1")
    _, result = served.predict(gray)
    _, _, batch = model_prediction(trained_run, gray)
    forward = _torch_lenet(trained_run)
    x = torch.tensor(batch, requires_grad=True)
    forward(x)[0, result["index"]].backward()
    expected = x.grad[0, 0].abs().numpy()
    np.testing.assert_allclose(result["saliency"], expected / expected.max(), atol=1e-4)


def test_zero_grad_numbers_show_accumulation(served):
    _, result = served.predict(drawing("0"))
    numbers = result["zero_grad"]
    assert numbers["parameter"] == "features.0.weight"
    assert numbers["after_two_backwards"] == pytest.approx(2 * numbers["after_one_backward"], 1e-5)
    assert numbers["after_zero_grad"] is None  # set_to_none, PyTorch's default
    assert all(p.grad is None for p in served.app.model.model.parameters())


def test_unit_of_the_first_layer_is_its_multiply_add(served, trained_run):
    _, result = served.predict(drawing("1"))
    status, unit = served.request(f"/api/unit?id={result['id']}&layer=features.0&channel=3&y=0&x=9")
    assert status == 200, unit
    model, _ = training.restore_model(trained_run)
    image = np.pad(np.array(result["model_input"]), 2)  # padding 2: rows -2..2 around row 0
    window = image[0:5, 9:14]
    weight, bias = (
        model.features[0].weight.detach().numpy()[3, 0],
        float(model.features[0].bias.detach().numpy()[3]),
    )
    assert unit["window"] == [[-2.0, 3.0], [7.0, 12.0]]  # unit y sees rows y-2 .. y+3
    np.testing.assert_allclose(unit["window_values"], window, atol=1e-3)
    assert unit["multiply_add"] == pytest.approx(float((window * weight).sum()) + bias, abs=1e-2)
    assert unit["multiply_add"] == pytest.approx(unit["value"], abs=1e-3)
    assert unit["value"] == pytest.approx(result["layers"][0]["maps"][3][0][9], abs=1e-3)


def test_unit_of_a_deep_layer_has_its_field_and_kernel(served):
    _, result = served.predict(drawing("0"))
    status, unit = served.request(f"/api/unit?id={result['id']}&layer=features.5&channel=0&y=2&x=1")
    assert status == 200, unit
    # The recurrence by hand, c_out = c_in + ((k-1)/2 - p) * j_in from c = 0.5: conv 5 pad 2
    # -> 0.5, pool 2 -> 1, conv 5 (j 2) -> 5, pool 2 -> 6. Unit u of features.5 is centred at
    # 6 + 4u and sees 16 pixels: u = 2 sees [6, 22), u = 1 sees [2, 18).
    assert unit["window"] == [[6.0, 22.0], [2.0, 18.0]]
    assert np.array(unit["patch"]).shape == (16, 16)
    assert unit["kernel"] is None  # a pooling layer has no kernel
    status, conv = served.request(f"/api/unit?id={result['id']}&layer=features.3&channel=5&y=0&x=0")
    assert np.array(conv["kernel"]).shape == (6, 5, 5)


# ------------------------------------------------------------------ playground
CASES = [
    {"padding": 0, "stride": 1, "dilation": 1, "kernel": "sobel-x"},
    {"padding": "same", "stride": 2, "dilation": 1, "kernel": "laplacian"},
    {"padding": "same_lower", "stride": 1, "dilation": 1, "kernel": [[0, 1], [2, 3]]},
    {"padding": [[1, 0], [0, 2]], "stride": [2, 1], "dilation": 2, "kernel": "box"},
    {"padding": "valid", "stride": 1, "dilation": [1, 2], "kernel": [[1, -1, 2]]},
]


def _torch_padding(pairs, image):
    (top, bottom), (left, right) = pairs
    return torch.nn.functional.pad(torch.tensor(image)[None, None], (left, right, top, bottom))


@pytest.mark.parametrize("case", CASES)
def test_playground_matches_torch(served, case):
    grid = np.random.default_rng(1).integers(-5, 6, size=(7, 8)).astype(float)
    settings = {"input": "grid", "grid": grid.tolist(), **case,
                "pool": {"mode": "max", "kernel_size": 2, "stride": 1}}  # fmt: skip
    status, result = served.post_json("/api/conv", settings)
    assert status == 200, result
    named = isinstance(case["kernel"], str)
    kernel = filters.get_kernel(case["kernel"]).numpy() if named else np.array(case["kernel"])
    np.testing.assert_allclose(result["kernel"], kernel, atol=1e-4)
    kernel = kernel.astype(np.float64)
    padded = _torch_padding(result["padding"], grid)
    stride, dilation = result["stride"], result["dilation"]
    weight = torch.tensor(kernel)[None, None]
    expected = torch.nn.functional.conv2d(padded, weight, stride=stride, dilation=dilation)
    np.testing.assert_allclose(result["padded"], padded[0, 0].numpy(), atol=1e-9)
    np.testing.assert_allclose(result["output"], expected[0, 0].numpy(), atol=1e-4)
    columns = torch.nn.functional.unfold(padded, kernel.shape, dilation=dilation, stride=stride)
    np.testing.assert_allclose(result["im2col"], columns[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(result["gemm"], expected[0, 0].numpy(), atol=1e-4)
    assert result["gemm_matches"] is True
    pooled = torch.nn.functional.max_pool2d(expected, 2, 1)
    np.testing.assert_allclose(result["pool"]["output"], pooled[0, 0].numpy(), atol=1e-4)
    rows = expected.shape[2]
    assert result["formulas"]["H"].endswith(f"= {rows}")


def test_playground_same_lower_puts_the_odd_pixel_first(served):
    _, result = served.post_json("/api/conv", {"kernel": [[1, 1], [1, 1]], "padding": "same_lower"})
    assert result["padding"] == [[1, 0], [1, 0]]
    _, upper = served.post_json("/api/conv", {"kernel": [[1, 1], [1, 1]], "padding": "same"})
    assert upper["padding"] == [[0, 1], [0, 1]]


def test_playground_inputs_sample_and_digit(served):
    status, sample = served.post_json("/api/conv", {"input": "sample", "kernel": "sobel-y"})
    assert status == 200 and np.array(sample["input"]).shape == (30, 40)
    assert sample["im2col_shape"] == [9, 28 * 38] and len(sample["im2col"][0]) == 64
    _, drawn = served.predict(drawing("1"))
    status, digit = served.post_json("/api/conv", {"input": "digit", "digit": drawn["id"]})
    assert status == 200
    np.testing.assert_allclose(digit["input"], drawn["digit"], atol=1e-3)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kernel": "nope"}, "unknown kernel"),
        ({"kernel": [[1, 2], [3]]}, "grid of numbers"),
        ({"padding": "full"}, "padding"),
        ({"padding": -1}, "padding"),
        ({"stride": 0}, "stride"),
        ({"grid": [[1, 2], [3, 4]], "kernel": "gaussian"}, "conv2d"),
        ({"grid": np.zeros((70, 2)).tolist()}, "at most 64"),
        ({"input": "digit", "digit": 10**6}, "draw again"),
        ({"pool": {"mode": "median"}}, "max' or 'avg"),
        ({"input": "video"}, "input must be"),
    ],
)
def test_playground_refuses_bad_settings(served, settings, message):
    status, result = served.post_json("/api/conv", settings)
    assert 400 <= status < 500
    assert message in result["error"]
    assert served.request("/api/info")[0] == 200


# ------------------------------------------------------------------ bad requests
def _raw(served, method, path, body=b"", headers=None):
    kind = "image/png" if path == "/api/predict" else "application/json"
    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        c.request(method, path, body=body, headers=headers or {"Content-Type": kind})
        response = c.getresponse()
        return response.status, json.loads(response.read())


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/predict", b"", 400, "empty"),
        ("POST", "/api/predict", b"GIF89a not really", 400, "not a PNG or JPEG"),
        ("POST", "/api/predict", None, 422, "no digit"),  # a blank page
        ("POST", "/api/conv", b"{not json", 400, "not valid JSON"),
        ("POST", "/api/conv", b"[1, 2]", 400, "JSON object"),
        ("GET", "/api/predict", b"", 405, "not allowed"),
        ("POST", "/api/info", b"", 405, "not allowed"),
        ("GET", "/api/nothing", b"", 404, "nothing at"),
        ("GET", "/api/unit?id=x", b"", 400, "integers"),
        ("GET", "/api/unit?id=1&channel=0&y=0&x=0", b"", 400, "layer"),
        ("GET", "/api/explain/nope", b"", 404, "unknown topic"),
        ("POST", "/api/train", b'{"epochs": 0}', 400, "epochs"),
        ("POST", "/api/train", b'{"images": "many"}', 400, "images"),
        ("POST", "/api/train", b'{"speed": 1}', 400, "unknown settings"),
        ("GET", "/api/train/status?since=x", b"", 400, "since"),
    ],
)
def test_bad_requests_get_a_json_error_and_the_server_keeps_serving(
    served, method, path, body, status, message
):
    if body is None:
        body = png(np.ones((280, 280)))
    got, result = _raw(served, method, path, body)
    assert got == status, result
    assert message in result["error"] and result["status"] == status
    assert served.request("/api/info")[0] == 200


def test_too_large_is_413_without_reading_the_body(served):
    from juanji.apps.serve.server import MAX_IMAGE_BYTES

    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        c.putrequest("POST", "/api/predict")
        c.putheader("Content-Type", "image/png")
        c.putheader("Content-Length", str(MAX_IMAGE_BYTES + 1))
        c.endheaders()
        c.send(b"x" * 1000)  # a little of it: the server answers without waiting for more
        response = c.getresponse()
        result = json.loads(response.read())
    assert response.status == 413 and "limit" in result["error"]
    status, info = served.request("/api/info")
    assert status == 200 and info["model"]["model"] == "lenet5"


def test_bad_content_length(served):
    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        c.putrequest("POST", "/api/conv")
        c.putheader("Content-Length", "ten")
        c.endheaders()
        response = c.getresponse()
        assert response.status == 400 and "Content-Length" in json.loads(response.read())["error"]


def test_explain_topics_are_served(served):
    status, result = served.request("/api/explain/zero-grad")
    assert status == 200 and "zero_grad" in result["text"]
    _, first = served.request("/api/explain/first-layer")
    assert str(served.app.model.run_dir) in first["text"]  # the page's model, not runs/


# ------------------------------------------------------------------ finding the run
def test_find_run_takes_the_newest_finished_run(trained_run, tmp_path):
    assert find_run(None, tmp_path / "none") is None
    assert find_run(None, trained_run.parent) == trained_run
    unfinished = trained_run.parent / "zz-unfinished"
    unfinished.mkdir(exist_ok=True)
    (unfinished / "config.json").write_text("{}")
    assert find_run(None, trained_run.parent) == trained_run  # skipped: no committed epoch
    with pytest.raises(CheckpointError, match="not a run directory"):
        find_run(tmp_path)


def test_the_command_prints_its_address_and_serves(trained_run, tmp_path):
    command = [sys.executable, "-m", "juanji", "serve", str(trained_run), "--port", "0",
               "--runs", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, line = time.time() + 60, ""
        while time.time() < deadline and not line.startswith("serving on"):
            line = process.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:"), line
        url = line.split()[-1]
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert port > 0
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as c:
            c.request("GET", "/api/info")
            info = json.loads(c.getresponse().read())
        assert info["model"]["run_dir"] == str(trained_run.resolve())
    finally:
        process.terminate()
        process.wait(30)


def test_the_command_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    from juanji.apps.cli import main

    assert main(["serve", str(tmp_path), "--port", "0"]) == 1
    assert "not a run directory" in capsys.readouterr().err


def test_bodies_are_read_even_when_unused_so_keep_alive_works(served):
    # One connection, several requests: an unread body would become the next request line.
    with closing(http.client.HTTPConnection(served.url.removeprefix("http://"), timeout=10)) as c:
        for path in ("/api/train/stop", "/api/train/stop", "/api/conv"):
            c.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
            response = c.getresponse()
            assert response.status == 200, response.read()
            assert "error" not in json.loads(response.read())
        c.request("GET", "/api/info")
        assert c.getresponse().status == 200
