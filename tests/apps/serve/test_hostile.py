"""``juanji serve`` against hostile and careless requests (issue 25), one test per class.

Other sites' pages (``Origin``, ``Sec-Fetch-Site``, the body types a form can send), DNS
rebinding (``Host``), the body's framing (chunked, two lengths, short bodies, a silent client),
sizes that imply gigabytes (the playground, the trainer, images that declare more pixels than
they hold, nested JSON), and the methods and request lines ``http.server`` refuses itself. Each
answer must be a well-formed JSON error with its status, and the server must keep serving.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from apps.serve.hostile import exchange, png_header, read_reply, request
from apps.serve.pages import png
from juanji.apps.serve import App, guard, make_server, playground
from juanji.apps.serve.model import MAX_IMAGE_PIXELS
from juanji.apps.serve.trainer import MAX_STEPS

pytest.importorskip("PIL")
JSON = {"Content-Type": "application/json"}


def _port(served) -> int:
    return served.server.server_address[1]


def _ask(served, method, path, body=b"", headers=None, **options):
    return exchange(_port(served), request(_port(served), method, path, body, headers, **options))


def _still_serving(served) -> None:
    reply = _ask(served, "GET", "/api/info")
    assert reply.status == 200 and reply.json()["model"]["model"] == "lenet5"


def _error(reply, status: int, words: str) -> dict:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers["content-type"] == "application/json"
    result = reply.json()
    assert result["status"] == status and words in result["error"], result
    return result


# ------------------------------------------------------------------ Host: DNS rebinding
@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}", "127.0.0.1:1",
     "localhost:{port}0", "[::2]:{port}", "127.0.0.1:{port}, evil.example"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/"), ("GET", "/api/run"), ("POST", "/api/train")]
)
def test_a_host_the_server_was_not_started_for_is_421(served, host, method, path):
    host = host.format(port=_port(served))
    reply = _ask(served, method, path, b"{}", JSON, host=host)
    _error(reply, 421, "this server answers to")
    assert b"runs" not in reply.body  # nothing about the machine leaks
    assert served.app.trainer.status()["state"] in ("idle", "done", "stopped", "failed")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_the_servers_own_names_are_answered(served, host):
    assert _ask(served, "GET", "/api/info", host=host.format(port=_port(served))).status == 200


def test_no_host_or_two_hosts_is_400(served):
    port = _port(served)
    reply = exchange(port, b"GET /api/info HTTP/1.0\r\n\r\n")
    _error(reply, 400, "no Host header")
    two = request(port, "GET", "/api/info", headers={"Host": "evil.example"})
    _error(exchange(port, two), 400, "2 Host headers")


def test_hosts_of_a_server_on_every_address():
    hosts = guard.allowed_hosts("0.0.0.0", 8000)
    assert "localhost:8000" in hosts and "0.0.0.0:8000" not in hosts
    guard.check_host("192.168.1.20:8000", hosts, "0.0.0.0", 8000)  # an address: no rebinding
    guard.check_host("[fe80::1]:8000", hosts, "0.0.0.0", 8000)
    for refused in ("my-laptop.evil.example:8000", "192.168.1.20:9000", "192.168.1.20"):
        with pytest.raises(guard.RequestError) as caught:
            guard.check_host(refused, hosts, "0.0.0.0", 8000)
        assert caught.value.status == 421
    named = guard.allowed_hosts("my-laptop", 80)  # --host my-laptop, port 80 left out
    guard.check_host("my-laptop", named, "my-laptop", 80)
    with pytest.raises(guard.RequestError):
        guard.check_host("192.168.1.20:80", named, "my-laptop", 80)


# ------------------------------------------------------------------ Origin: other sites
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Origin": "http://127.0.0.1:1"},
        {"Origin": "https://127.0.0.1:{port}"},
        {"Origin": "http://127.0.0.1:{port}.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_post_from_another_sites_page_is_403_and_does_nothing(served, tmp_path, headers):
    # The audit's request: a page on evil.example posting text/plain starts a training.
    headers = {k: v.format(port=_port(served)) for k, v in headers.items()}
    before = sorted(served.app.runs_root.iterdir())
    for path, kind in (("/api/train", "text/plain"), ("/api/train", "application/json"),
                       ("/api/train/use", "application/json")):  # fmt: skip
        reply = _ask(served, "POST", path, b'{"images": 10}', {**headers, "Content-Type": kind})
        _error(reply, 403, "another site's page")
    assert served.app.trainer.status()["state"] in ("idle", "done", "stopped", "failed")
    assert sorted(served.app.runs_root.iterdir()) == before  # no run folder written


@pytest.mark.parametrize("path", ["/api/explain/all", "/api/info", "/api/run"])
def test_an_api_get_from_another_sites_page_is_403_but_the_pages_files_are_not(served, path):
    # <img src=.../api/explain/all> on any site would keep the server computing otherwise.
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        _error(_ask(served, "GET", path, headers=headers), 403, "another site's page")
        assert _ask(served, "GET", "/static/app.css", headers=headers).status == 200
    same = {"Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{_port(served)}"}
    assert _ask(served, "GET", "/api/info", headers=same).status == 200


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://127.0.0.1:{port}"}, {"Origin": "http://localhost:{port}"},
     {"Sec-Fetch-Site": "same-origin"}, {}],  # {}: curl, a script: no browser involved
)  # fmt: skip
def test_a_post_from_the_page_itself_or_a_script_is_served(served, headers):
    headers = {k: v.format(port=_port(served)) for k, v in headers.items()}
    reply = _ask(served, "POST", "/api/train/stop", b"{}", {**headers, **JSON})
    assert reply.status == 200, reply.body


# ------------------------------------------------------------------ Content-Type
@pytest.mark.parametrize(
    ("path", "kind"),
    [("/api/conv", "text/plain"), ("/api/conv", "application/x-www-form-urlencoded"),
     ("/api/train", "multipart/form-data; boundary=x"), ("/api/train/stop", None),
     ("/api/conv", "application/jsonp"), ("/api/predict", "application/json"),
     ("/api/predict", "multipart/form-data; boundary=x")],
)  # fmt: skip
def test_a_body_of_another_type_than_the_route_reads_is_415(served, path, kind):
    headers = {} if kind is None else {"Content-Type": kind}
    _error(_ask(served, "POST", path, b"{}", headers), 415, "Content-Type must be")
    assert served.app.trainer.status()["state"] in ("idle", "done", "stopped", "failed")


def test_json_with_a_charset_is_json(served):
    reply = _ask(
        served, "POST", "/api/conv", b"{}", {"Content-Type": "Application/JSON; charset=utf-8"}
    )
    assert reply.status == 200 and reply.json()["output_shape"] == [4, 4]


# ------------------------------------------------------------------ framing and time
@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({"Transfer-Encoding": "chunked"}, 411, "Transfer-Encoding"),
        ({"Transfer-Encoding": "gzip, chunked", "Content-Length": "2"}, 411, "Transfer-Encoding"),
        ({"Content-Length": "2"}, 400, "2 Content-Length headers"),  # a second one
    ],
)
def test_chunked_or_twice_sized_bodies_are_refused_and_the_connection_closed(
    served, extra, status, words
):
    # The chunked body's bytes look like a request: read as the next one they would be smuggled.
    smuggled = b"2\r\n{}\r\n0\r\n\r\nPOST /api/train HTTP/1.1\r\nHost: x\r\n\r\n"
    lines = ["POST /api/conv HTTP/1.1", f"Host: 127.0.0.1:{_port(served)}", *JSON_LINES,
             *[f"{k}: {v}" for k, v in extra.items()]]  # fmt: skip
    if "Content-Length" in extra:
        lines.append(f"Content-Length: {len(smuggled)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + smuggled
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(data)
        reply = read_reply(sock)
        _error(reply, status, words)
        assert reply.closed and sock.recv(100) == b""  # nothing more is read or answered
    _still_serving(served)


JSON_LINES = ["Content-Type: application/json"]


@pytest.mark.parametrize("length", ["+2", "2_0", "0x2", "-1", "2, 2", "9" * 30, ""])
def test_a_content_length_that_is_not_plain_digits_is_400(served, length):
    data = request(_port(served), "POST", "/api/conv", b"{}", {**JSON, "Content-Length": length},
                   length=False)  # fmt: skip
    _error(exchange(_port(served), data), 400, "Content-Length")


def test_a_body_shorter_than_its_length_is_400_when_the_client_stops(served):
    data = request(_port(served), "POST", "/api/conv", b'{"padding": 1}', JSON)[:-5]
    _error(exchange(_port(served), data), 400, "the body ended after")


def test_a_silent_client_is_answered_408_within_the_read_timeout(trained_run, tmp_path):
    server = make_server(App(trained_run, runs_root=tmp_path), "127.0.0.1", 0, read_timeout=0.5)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        start = time.perf_counter()
        reply = exchange(
            port, request(port, "POST", "/api/conv", b"{}" * 50, JSON)[:-60], end=False
        )
        _error(reply, 408, "did not arrive within 0.5 s")
        assert reply.closed and time.perf_counter() - start < 5
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
            time.sleep(1.0)  # an idle keep-alive connection is closed too
            assert idle.recv(100) == b""
    finally:
        server.shutdown()
        server.server_close()


def test_a_get_with_a_body_closes_the_connection_instead_of_reading_it_as_a_request(served):
    smuggled = request(_port(served), "POST", "/api/train", b"{}", JSON)
    length = {"Content-Length": str(len(smuggled))}
    data = request(_port(served), "GET", "/api/info", smuggled, length, length=False)
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(data)
        reply = read_reply(sock)
        assert reply.status == 200 and reply.closed
        assert sock.recv(100) == b""
    assert served.app.trainer.status()["state"] in ("idle", "done", "stopped", "failed")


# ------------------------------------------------------------------ methods and garbage
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
def test_other_methods_are_a_json_405(served, method):
    reply = _ask(served, method, "/api/conv", b"{}", JSON)
    _error(reply, 405, "not allowed")
    assert reply.headers["allow"] == "GET, HEAD, POST" and reply.closed


@pytest.mark.parametrize(
    "data",
    [b"GET\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n", b"GET / HTTP/1.1 extra\r\n\r\n",
     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),  # a TLS hello
     b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
     b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 120 + b"\r\n"],
)  # fmt: skip
def test_requests_http_server_refuses_itself_get_a_json_4xx(served, data):
    reply = exchange(_port(served), data)
    assert 400 <= reply.status < 500 and reply.headers["content-type"] == "application/json"
    assert reply.json()["status"] == reply.status
    _still_serving(served)


# ------------------------------------------------------------------ sizes: the playground
@pytest.mark.parametrize(
    ("settings", "field", "limit"),
    [
        ({"padding": 3000}, "padding", playground.MAX_PADDED),  # the audit's 5.45 GB
        ({"padding": 30000}, "padding", playground.MAX_PADDED),
        ({"padding": [[0, 10**12], [0, 0]]}, "padding", playground.MAX_PADDED),
        ({"padding": 33, "grid": np.zeros((64, 64)).tolist()}, "padding", playground.MAX_PADDED),
        ({"dilation": 10**9}, "dilation", playground.MAX_PADDED),
        ({"dilation": 64, "padding": "same"}, "dilation", playground.MAX_PADDED),
        ({"stride": [1, 10**15]}, "stride", playground.MAX_PADDED),
        ({"pool": {"kernel_size": 1, "stride": 10**18}}, "pool stride", playground.MAX_PADDED),
        ({"pool": {"kernel_size": 10**18}}, "pool kernel_size", playground.MAX_PADDED),
        ({"grid": [[1e300, 1], [1, 1]], "kernel": [[1e300]]}, "grid", playground.MAX_VALUE),
        ({"kernel": [[-1e7]]}, "kernel", playground.MAX_VALUE),
    ],
)
def test_playground_sizes_past_their_limit_are_422_fast(served, settings, field, limit):
    start = time.perf_counter()
    status, result = served.post_json("/api/conv", settings)
    assert (status, result["field"], result["limit"]) == (422, field, limit), result
    assert time.perf_counter() - start < 2.0
    _still_serving(served)


def test_playground_sizes_at_their_limit_are_computed(served):
    grid = np.ones((64, 64)).tolist()
    status, result = served.post_json("/api/conv", {"grid": grid, "padding": 32, "kernel": [[1]]})
    assert status == 200 and result["output_shape"] == [128, 128]
    assert result["im2col_shape"] == [1, 128 * 128] and len(result["im2col"][0]) == 64
    kernel = [[1, 1]]  # dilated: d + 1 columns
    status, result = served.post_json("/api/conv", {"grid": grid, "dilation": 63, "kernel": kernel})
    assert status == 200 and result["output_shape"] == [64, 1]
    status, result = served.post_json(
        "/api/conv", {"grid": grid, "dilation": 128, "kernel": kernel}
    )
    assert status == 422 and result["field"] == "dilation"


# ------------------------------------------------------------------ sizes: the trainer
@pytest.mark.parametrize(
    ("settings", "field", "limit"),
    [
        ({"images": 60001}, "images", 60000),
        ({"epochs": 10**40}, "epochs", 20),
        ({"batch_size": 4096}, "batch_size", 1024),
        ({"test_images": 10**6}, "test_images", 10000),
        ({"images": 60000, "batch_size": 1, "epochs": 20}, "steps", MAX_STEPS),
    ],
)
def test_training_sizes_past_their_limit_are_422(served, settings, field, limit):
    status, result = served.post_json("/api/train", settings)
    assert (status, result["field"], result["limit"]) == (422, field, limit), result
    assert served.app.trainer.status()["state"] in ("idle", "done", "stopped", "failed")


# ------------------------------------------------------------------ sizes: images and JSON
@pytest.mark.parametrize(
    ("width", "height"),
    [(4097, 4096), (100_000, 100_000), (2**31 - 1, 2**31 - 1)],  # the last two: Pillow's bomb
)
def test_images_declaring_more_pixels_than_the_limit_are_422_before_decoding(served, width, height):
    start = time.perf_counter()
    reply = _ask(
        served, "POST", "/api/predict", png_header(width, height), {"Content-Type": "image/png"}
    )
    result = _error(reply, 422, "pixels")
    assert (result["field"], result["limit"]) == ("image", MAX_IMAGE_PIXELS)
    assert time.perf_counter() - start < 2.0


def test_damaged_images_are_400_in_words(served):
    whole = png(np.random.default_rng(0).random((40, 40)))  # noise: a long IDAT to cut
    unreadable = "predict: the request body: cannot read the image"
    for body, words in ((whole[:60], unreadable), (whole[: len(whole) // 2], unreadable),
                        (b"BM" + bytes(60), "not a PNG or JPEG image")):  # fmt: skip
        reply = _ask(served, "POST", "/api/predict", body, {"Content-Type": "image/png"})
        result = _error(reply, 400, words)
        assert " is cannot" not in result["error"]


def test_json_null_is_not_nested(served):
    reply = _ask(served, "POST", "/api/conv", b"null", JSON)
    _error(reply, 400, "JSON object")


@pytest.mark.parametrize("depth", [9, 1000, 100_000])
def test_deeply_nested_json_is_422(served, depth):
    body = b'{"grid": ' + b"[" * depth + b"]" * depth + b"}"
    if len(body) > 256 * 1024:
        body = b"[" * depth + b"]" * depth
    result = _error(_ask(served, "POST", "/api/conv", body, JSON), 422, "levels deep")
    assert (result["field"], result["limit"]) == ("body", guard.MAX_JSON_DEPTH)
    _still_serving(served)


def test_json_depth_counts_lists_and_objects():
    assert guard.json_depth(1) == 0
    assert guard.json_depth({"grid": [[1, 2], [3]], "pool": {"mode": "max"}}) == 3
    assert guard.json_depth([[[[[]]]]]) == 5


# ------------------------------------------------------------------ explain all, the docs
def test_explain_all_is_every_topic_as_the_command_prints_them(served):
    from juanji.apps.viz.explain import TOPICS, explain

    status, result = served.request("/api/explain/all")
    assert status == 200 and result["topic"] == "all"
    texts = result["text"].split("\n\n" + "=" * 80 + "\n\n")
    assert len(texts) == len(TOPICS) and all(texts)
    for topic in ("conv", "pad", "zero-grad"):  # the others print timings or the page's model
        assert texts[list(TOPICS).index(topic)] == explain(topic).text, topic


def test_the_docs_show_what_explain_prints():
    import re
    from pathlib import Path

    from juanji.apps.viz.explain import explain

    docs = (Path(__file__).parents[3] / "docs" / "serve.md").read_text()
    blocks = re.findall(r"```text\n\$ juanji explain (\S+)\n(.*?)```", docs, re.S)
    assert [topic for topic, _ in blocks] == ["zero-grad", "detach"]
    for topic, text in blocks:
        assert text.rstrip("\n") == explain(topic).text.rstrip("\n"), topic
