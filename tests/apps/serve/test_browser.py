"""The page in a real headless Chromium (Selenium): draw, hover, the playground, live training.

Skipped unless Selenium, /usr/bin/chromium and /usr/bin/chromedriver are all present (Debian:
``apt-get install chromium chromium-driver``; ``.ci/run`` installs them). The tests never take
the page's word: the drawing is read back from the canvas and classified here by the run's
model (``pages.model_prediction``), the playground's grid is compared with ``F.conv2d`` and
torch, the training's run folder is opened with ``restore_model``.

``JUANJI_SCREENSHOTS=DIR`` also writes the screenshots there, as small palette PNGs; the docs'
come from ``JUANJI_DATA=... JUANJI_SCREENSHOTS=docs/img python -m pytest tests/apps/serve``.
"""

from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path

import numpy as np
import pytest

import juanji
import juanji.nn.functional as F
from apps.serve.pages import have_mnist, model_prediction
from juanji.apps import training

pytest.importorskip("PIL")
webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not (CHROMIUM.is_file() and DRIVER.is_file()):
    pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver", allow_module_level=True)

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1300,1400",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)  # fmt: skip
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, served):
    browser.get(served.url + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    WebDriverWait(browser, 30).until(lambda d: body.get_attribute("data-ready") == "1")
    return browser


def _find(driver, testid):
    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]")


def _shoot(driver, element, name, tmp_path):
    """Screenshot one element to tmp_path (and to $JUANJI_SCREENSHOTS, as a small PNG)."""
    from PIL import Image

    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
    path = tmp_path / name
    element.screenshot(str(path))
    folder = os.environ.get("JUANJI_SCREENSHOTS")
    if folder:
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
            small.save(Path(folder) / name, optimize=True)
    return path


def _stroke(driver, canvas, points):
    """Draw through ``points`` (canvas pixels) with the mouse: press, move, release."""
    width, height = canvas.size["width"], canvas.size["height"]
    x0, y0 = points[0]
    actions = ActionChains(driver, duration=10)
    actions.move_to_element_with_offset(canvas, int(x0 - width / 2), int(y0 - height / 2))
    actions.click_and_hold()
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        actions.move_by_offset(int(round(xb - xa)), int(round(yb - ya)))
    actions.release().perform()


ONE = [(146, 40 + 10 * i) for i in range(21)]  # a vertical stroke
ZERO = [(140 + 50 * math.sin(t), 140 - 85 * math.cos(t))
        for t in np.linspace(0, 2 * math.pi, 40)]  # fmt: skip


def _canvas_image(driver) -> np.ndarray:
    from PIL import Image

    data = driver.execute_script(
        "return document.querySelector('[data-testid=draw]').toDataURL('image/png')"
    )
    raw = base64.b64decode(data.split(",", 1)[1])
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255


def _wait_for_prediction(driver, previous="?"):
    def ready(d):
        text = _find(d, "prediction").text
        layers = d.find_elements(By.CSS_SELECTOR, "[data-testid=feature-maps] [data-layer]")
        return text not in ("?", previous) and len(layers) > 0

    WebDriverWait(driver, 30).until(ready)


def test_the_drawing_canvas_is_white_and_big_enough(page):
    canvas = _find(page, "draw")
    assert canvas.size["width"] >= 280 and canvas.size["height"] >= 280
    gray = _canvas_image(page)
    assert gray.min() == 1.0  # white paper before any stroke


@pytest.mark.parametrize(("name", "points"), [("1", ONE), ("0", ZERO)])
def test_drawn_digit_is_predicted_as_the_model_says(page, served, trained_run, name, points):
    _stroke(page, _find(page, "draw"), points)
    _wait_for_prediction(page)
    gray = _canvas_image(page)
    assert gray.min() < 0.2  # ink on the page
    index, probabilities, _ = model_prediction(trained_run, gray)
    assert _find(page, "prediction").text == str(index)
    bars = page.find_elements(By.CSS_SELECTOR, "[data-testid=probabilities] [data-probability]")
    shown = [float(bar.get_attribute("data-probability")) for bar in bars]
    np.testing.assert_allclose(shown, probabilities, atol=2e-6)
    layers = page.find_elements(By.CSS_SELECTOR, "[data-testid=feature-maps] [data-layer]")
    assert [layer.get_attribute("data-layer") for layer in layers] == [
        "features.0", "features.2", "features.3", "features.5"]  # fmt: skip
    maps = layers[0].find_elements(By.TAG_NAME, "canvas")
    assert len(maps) == 6
    if have_mnist():  # a LeNet trained on real digits reads these two strokes right
        assert index == int(name), probabilities


def test_hover_shows_the_unit_and_its_field_then_clear(page, tmp_path):
    _stroke(page, _find(page, "draw"), ONE)
    _wait_for_prediction(page)
    first_map = page.find_element(By.CSS_SELECTOR, "[data-layer='features.0'] canvas")
    ActionChains(page).move_to_element(first_map).perform()
    WebDriverWait(page, 10).until(lambda d: "features.0" in d.find_element(By.ID, "unit-body").text)
    text = page.find_element(By.ID, "unit-body").text
    assert "Σ window × kernel + bias" in text
    drawn = page.execute_script(
        "const c = document.getElementById('seen-overlay');"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
        ".filter((v, i) => i % 4 === 3 && v > 0).length"
    )
    assert drawn > 0  # the receptive field's box is drawn on the digit
    _shoot(page, page.find_element(By.ID, "draw-section"), "serve-draw.png", tmp_path)
    _find(page, "clear").click()
    assert _find(page, "prediction").text == "?"
    assert not page.find_elements(By.CSS_SELECTOR, "[data-testid=feature-maps] [data-layer]")
    assert _canvas_image(page).min() == 1.0


def _shown_grid(driver, testid):
    """The numbers of a grid as the page shows them (read in one script: no stale cells)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(`[data-testid=${arguments[0]}] table tr`))"
        ".map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => +td.dataset.value))",
        testid,
    )


def _set_text(element, text):
    element.clear()
    element.send_keys(text)


def test_playground_output_is_conv2d(page, tmp_path):
    section = page.find_element(By.ID, "playground-section")
    page.execute_script("arguments[0].scrollIntoView()", section)
    grid = np.arange(1.0, 49.0).reshape(6, 8) % 5
    _set_text(
        page.find_element(By.ID, "pg-grid"),
        "\n".join(" ".join(f"{v:g}" for v in row) for row in grid),
    )
    Select(page.find_element(By.ID, "pg-kernel")).select_by_value("custom")
    _set_text(page.find_element(By.ID, "pg-custom"), "1 0 -1\n2 0 -2")
    Select(page.find_element(By.ID, "pg-padding")).select_by_value("same_lower")
    _set_text(page.find_element(By.ID, "pg-stride"), "2")
    kernel = np.array([[1.0, 0, -1], [2, 0, -2]])
    x = juanji.tensor(grid[None, None])
    expected = F.conv2d(x, juanji.tensor(kernel[None, None]), stride=2, padding="same_lower")
    expected = expected.numpy()[0, 0]
    torch = pytest.importorskip("torch")
    # same_lower by hand: n = ceil(size / 2) outputs need (n - 1)*2 + k pixels. Rows: 3 need
    # 6, no padding; columns: 4 need 9, one more, and the odd pixel goes first (left).
    padded = torch.nn.functional.pad(torch.tensor(grid)[None, None], (1, 0, 0, 0))
    oracle = torch.nn.functional.conv2d(padded, torch.tensor(kernel)[None, None], stride=2)
    np.testing.assert_allclose(expected, oracle[0, 0].numpy(), atol=1e-12)
    try:
        WebDriverWait(page, 15).until(
            lambda d: (
                np.shape(_shown_grid(d, "conv-output")) == expected.shape
                and np.allclose(_shown_grid(d, "conv-output"), expected, atol=1e-4)
            )
        )
    except TimeoutException:
        pytest.fail(f"the page shows {_shown_grid(page, 'conv-output')}, conv2d gives {expected}")
    assert "same as F.conv2d" in _find(page, "gemm-check").text
    formulas = page.find_element(By.ID, "pg-formulas").text
    assert "H_out = floor((6 + 0 - 1*(2-1) - 1) / 2) + 1 = 3" in formulas
    assert "W_out = floor((8 + 1 - 1*(3-1) - 1) / 2) + 1 = 4" in formulas
    assert "left 1, right 0" in page.find_element(By.ID, "pg-pad-note").text
    pooled = F.max_pool2d(juanji.tensor(expected[None, None]), 2, 2).numpy()[0, 0]
    np.testing.assert_allclose(_shown_grid(page, "pool-output"), pooled, atol=1e-4)
    # Hover output (1, 2): its 2x3 window starts at padded (2, 4) with stride 2.
    cell = page.find_elements(By.CSS_SELECTOR, "#pg-output table tr")[1].find_elements(
        By.TAG_NAME, "td"
    )[2]
    ActionChains(page).move_to_element(cell).perform()
    hot = page.execute_script(
        "return Array.from(document.querySelectorAll('#pg-padded td.hot')).map("
        "(td) => [td.parentElement.rowIndex, td.cellIndex])"
    )
    assert sorted(hot) == [[r, c] for r in (2, 3) for c in (4, 5, 6)]
    column = page.find_elements(By.CSS_SELECTOR, "#pg-im2col td.hot")
    assert len(column) == 6  # column 1*4 + 2 of im2col: the same window, flattened
    _shoot(page, section, "serve-playground.png", tmp_path)
    _set_text(page.find_element(By.ID, "pg-stride"), "9")  # one output fits; then padding none
    Select(page.find_element(By.ID, "pg-padding")).select_by_value("valid")
    _set_text(page.find_element(By.ID, "pg-custom"), "1 2 3 4 5 6 7 8")
    error = _find(page, "playground-error")
    WebDriverWait(page, 15).until(lambda d: error.is_displayed())
    assert "conv2d" in error.text or "kernel" in error.text


def test_start_and_stop_a_training(page, served, tmp_path):
    section = page.find_element(By.ID, "training-section")
    page.execute_script("arguments[0].scrollIntoView()", section)
    state = _find(page, "train-state")
    # For the docs' screenshot (JUANJI_SCREENSHOTS) a run long enough to look like one (~10 s).
    images = "5000" if os.environ.get("JUANJI_SCREENSHOTS") and have_mnist() else "400"
    for field, value in (("tr-images", images), ("tr-epochs", "2"), ("tr-test", "500")):
        _set_text(page.find_element(By.ID, field), value)
    _find(page, "train-start").click()
    WebDriverWait(page, 180).until(lambda d: state.get_attribute("data-state") == "done")
    assert "test accuracy" in state.text
    assert len(_find(page, "train-kernels").find_elements(By.TAG_NAME, "canvas")) == 6
    run = Path(_find(page, "train-run").text)
    model, _ = training.restore_model(run)  # the folder the page names is a real run
    _shoot(page, section, "serve-training.png", tmp_path)
    _find(page, "train-use").click()
    WebDriverWait(page, 30).until(lambda d: str(run) in d.find_element(By.ID, "model-info").text)

    _set_text(page.find_element(By.ID, "tr-images"), "20000")
    _set_text(page.find_element(By.ID, "tr-epochs"), "5")
    _find(page, "train-start").click()
    WebDriverWait(page, 60).until(lambda d: served.app.trainer.status()["step"] >= 2)
    WebDriverWait(page, 10).until(lambda d: _find(d, "train-stop").is_enabled(), state.text)
    _find(page, "train-stop").click()
    WebDriverWait(page, 60).until(lambda d: state.get_attribute("data-state") == "stopped")
    status = served.app.trainer.status()
    assert status["step"] < status["steps_total"]
    assert model is not None


def test_questions_show_the_explain_text(page):
    button = page.find_element(By.CSS_SELECTOR, "[data-topic='detach']")
    page.execute_script("arguments[0].scrollIntoView()", button)
    button.click()
    text = _find(page, "topic-text")
    WebDriverWait(page, 60).until(lambda d: "detach" in text.text and "nodes" in text.text)


# ------------------------------------------------------------------ other sites (issue 25)
_EVIL_PAGE = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="TARGET/api/train">
<input name='{"images": 10, "x": "' value='"}'></form>
<script>
window.attempts = (async () => {
  const results = [];
  const tries = [
    {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
     body: '{"images": 10}'},
    {method: "POST", mode: "cors", headers: {"Content-Type": "application/json"}, body: "{}"},
    {method: "POST", mode: "no-cors", body: "{}"},
  ];
  for (const options of tries) {
    try {
      const r = await fetch("TARGET/api/train", options);
      results.push(r.type + " " + r.status);
    } catch (e) { results.push("blocked"); }
  }
  return results;
})();
</script></body></html>"""


@pytest.fixture
def evil_site(served):
    """Another origin (127.0.0.1 on another port) serving a page that attacks the API."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    html = _EVIL_PAGE.replace("TARGET", served.url).encode()

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_another_sites_page_cannot_start_a_training(browser, served, evil_site):
    # The audit's attack from a real browser: fetch (no-cors text/plain, cors JSON) and a form
    # posting text/plain. None may start a training or write a run folder.
    served.app.trainer.wait(120)
    before = sorted(served.app.runs_root.iterdir())
    steps_before = served.app.trainer.status()["step"]
    browser.get(evil_site)
    results = browser.execute_async_script("const done = arguments[0]; window.attempts.then(done)")
    assert results[0] == "opaque 0" and results[1] == "blocked" and results[2] == "opaque 0"
    browser.execute_script("document.getElementById('f').submit()")
    WebDriverWait(browser, 15).until(lambda d: "another site" in d.page_source)  # the 403
    status = served.app.trainer.status()
    assert status["state"] not in ("starting", "running") and status["step"] == steps_before
    assert sorted(served.app.runs_root.iterdir()) == before


def test_the_page_works_under_localhost_too(browser, served):
    port = served.server.server_address[1]
    browser.get(f"http://localhost:{port}/")
    body = browser.find_element(By.TAG_NAME, "body")
    WebDriverWait(browser, 30).until(lambda d: body.get_attribute("data-ready") == "1")
    result = browser.execute_async_script(
        "const done = arguments[0]; postJSON('/api/conv', {kernel: [[1]]})"
        ".then(r => done(r.output_shape), e => done(String(e)))"
    )
    assert result == [6, 6]
