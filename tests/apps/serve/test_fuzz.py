"""A bounded fuzz test of ``juanji serve``'s HTTP side (issue 25).

The server runs in a child process on 127.0.0.1 under an address-space limit
(``resource.setrlimit(RLIMIT_AS)``, ``FUZZ_MEMORY``): a request that makes it allocate
gigabytes again fails with a ``MemoryError`` (a 500, which fails the test) instead of filling the
machine. It stops by itself after ``SERVER_SECONDS``. The test sends ``REQUESTS`` seeded random
requests (at most ``BUDGET_SECONDS`` of them): valid ones, ones with extreme settings, wrong
hosts, origins, types and lengths, damaged images and raw garbage, each on its own connection.
Every answer must be a well-formed HTTP response (status line, headers, a body of its
``Content-Length``) with a status below 500, and the server must stay up and answer the page.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time

import pytest

from apps.serve.hostile import MalformedReplyError, png_header, read_reply
from apps.serve.pages import drawing, png

pytest.importorskip("PIL")
if sys.platform != "linux":
    pytest.skip("the address-space limit is Linux's RLIMIT_AS", allow_module_level=True)

REQUESTS = 1000
BUDGET_SECONDS = 60.0
SERVER_SECONDS = 240
FUZZ_MEMORY = 1536 * 1024 * 1024  # address space: a predict at the pixel limit peaks at 0.9 GB
SEED = 25

_SERVER = r"""
import resource, sys, threading
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from juanji.apps.serve import App, make_server
app = App(sys.argv[1], runs_root=sys.argv[2])
server = make_server(app, "127.0.0.1", 0, read_timeout=1.0)
threading.Timer(float(sys.argv[4]), server.shutdown).start()
print(server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
"""


@pytest.fixture(scope="module")
def fuzzed_server(trained_run, tmp_path_factory):
    """(port, process) of a server in a child process under the memory limit."""
    home = tmp_path_factory.mktemp("fuzz-home")
    env = {**os.environ, "JUANJI_DATA": str(home), "XDG_CACHE_HOME": str(home),
           "HOME": str(home), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    command = [sys.executable, "-c", _SERVER, str(trained_run), str(home / "runs"),
               str(FUZZ_MEMORY), str(SERVER_SECONDS)]  # fmt: skip
    errors = home / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        process.wait(30)
        pytest.fail(f"the server did not start: {line}{errors.read_text()}")
    yield int(line), process, errors
    process.terminate()
    process.wait(30)


# ------------------------------------------------------------------ the requests
_EXTREMES = [-1, 0, 1, 2, 3, 9, 33, 64, 127, 128, 129, 3000, 30000, 10**9, 10**30, 2.5, -0.0,
             1e308, "same", "valid", "same_lower", "full", None, True, [], [1], [1, 2, 3],
             [[1, 0], [0, 1]], [[10**9, 0], 0], {"a": 1}, "x" * 300]  # fmt: skip
_SETTINGS = ["padding", "stride", "dilation", "kernel", "grid", "input", "digit", "pool"]
_TRAIN = ["images", "test_images", "epochs", "batch_size", "lr", "seed", "speed"]
_PATHS = ["/", "/static/app.js", "/static/../server.py", "/api/info", "/api/run",
          "/api/train/status?since=-5", "/api/train/status?since=99999999999999999999",
          "/api/unit?id=1&layer=features.0&channel=0&y=0&x=0",
          "/api/unit?id=1&layer=features.9&channel=-1&y=10000000000&x=0",
          "/api/explain/conv", "/api/explain/nope", "/api/explain/%00", "/api/nothing",
          "//[x/api/info", "//evil.example/api/info", "/api/info#x?y", "/" + "a" * 5000,
          "/api/info?" + "&".join(["a=1"] * 500), "*", "http://evil.example/"]  # fmt: skip


def _value(rng: random.Random):
    value = rng.choice(_EXTREMES)
    if rng.random() < 0.1:  # a grid or kernel of extreme numbers
        side = rng.choice([1, 2, 9, 10, 64, 65])
        return [[rng.choice([0, 1, 1e6, 1e7, -1e300]) for _ in range(side)]] * rng.choice(
            [1, 3, 64]
        )
    return value


def _json_body(rng: random.Random, keys: list[str]) -> bytes:
    """Valid settings with one or two set to an extreme (so the extreme is what is tested)."""
    if rng.random() < 0.05:
        depth = rng.choice([8, 9, 50, 5000])
        return b"[" * depth + b"]" * depth
    if rng.random() < 0.05:
        return rng.choice([b"{", b"NaN", b'{"padding": NaN}', b'{"stride": 1e999}', b"\xff\xfe{",
                           b'{"a": 1' + b"9" * 5000 + b"}", b"[]", b'""', b"null"])  # fmt: skip
    if keys is _SETTINGS:
        settings = {"kernel": "sobel-x", "padding": 1, "stride": 1, "dilation": 1,
                    "pool": {"mode": "max", "kernel_size": 2, "stride": 2}}  # fmt: skip
    else:
        settings = {"images": 10, "test_images": 10, "epochs": 1, "batch_size": 8}
    for _ in range(rng.randint(1, 2)):
        key = rng.choice(keys)
        if key == "pool" and rng.random() < 0.7:
            if not isinstance(settings.get("pool"), dict):
                settings["pool"] = {}
            settings["pool"][rng.choice(["mode", "kernel_size", "stride"])] = _value(rng)
        else:
            settings[key] = _value(rng)
    return json.dumps(settings).encode()


def _image_body(rng: random.Random, images: list[bytes]) -> bytes:
    body = rng.choice(images)
    kind = rng.random()
    if kind < 0.2:
        return png_header(
            rng.choice([0, 1, 4097, 65535, 10**6, 2**31 - 1]), rng.choice([1, 4096, 10**5])
        )
    if kind < 0.4:
        return body[: rng.randint(0, len(body))]
    if kind < 0.6:
        flipped = bytearray(body)
        for _ in range(rng.randint(1, 20)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return bytes(flipped)
    if kind < 0.65:
        return os.urandom(rng.randint(1, 3000))
    return body


def _headers(rng: random.Random, port: int, kind: str, body: bytes) -> list[str]:
    own = f"127.0.0.1:{port}"
    host = rng.choices([own, f"localhost:{port}", "evil.example", own.upper(), "127.0.0.1:1", None],
                       [10, 2, 1, 1, 1, 1])[0]  # fmt: skip
    lines = [] if host is None else [f"Host: {host}"]
    origin = rng.choices([None, f"http://{own}", "http://evil.example", "null"], [6, 3, 1, 1])[0]
    if origin:
        lines.append(f"Origin: {origin}")
    if rng.random() < 0.1:
        lines.append(f"Sec-Fetch-Site: {rng.choice(['cross-site', 'same-origin', 'none', '?'])}")
    kinds = [kind, "text/plain", "application/x-www-form-urlencoded", None,
             "application/json; charset=utf-8", "image/jpeg"]  # fmt: skip
    content = rng.choices(kinds, [12, 1, 1, 1, 1, 1])[0]
    if content:
        lines.append(f"Content-Type: {content}")
    length = rng.choices(["right", "short", "long", "bad", "two", "none", "chunked"],
                         [20, 1, 1, 1, 1, 1, 1])[0]  # fmt: skip
    sizes = {"right": len(body), "short": max(0, len(body) - 3), "long": len(body) + 50}
    if length in sizes:
        lines.append(f"Content-Length: {sizes[length]}")
    elif length == "bad":
        lines.append(
            f"Content-Length: {rng.choice(['-1', '1e3', 'x', '+5', '99999999999999999999'])}"
        )
    elif length == "two":
        lines += [f"Content-Length: {len(body)}", f"Content-Length: {len(body) + 1}"]
    elif length == "chunked":
        lines.append("Transfer-Encoding: chunked")
    if rng.random() < 0.05:
        lines.append(rng.choice(["no colon here", "X-Long: " + "y" * 70000, "\x00\x01: \x02"]))
    return lines


def _request(rng: random.Random, port: int, images: list[bytes]) -> bytes:
    """One random request's bytes."""
    if rng.random() < 0.03:
        return os.urandom(rng.randint(1, 200)) + b"\r\n\r\n"
    route = rng.random()
    if route < 0.3:
        method, path, kind, body = (
            "POST",
            "/api/conv",
            "application/json",
            _json_body(rng, _SETTINGS),
        )
    elif route < 0.4:
        method, path, kind, body = "POST", "/api/train", "application/json", _json_body(rng, _TRAIN)
    elif route < 0.6:
        method, path, kind, body = "POST", "/api/predict", "image/png", _image_body(rng, images)
    elif route < 0.65:
        path = rng.choice(["/api/train/stop", "/api/train/use"])
        method, kind, body = "POST", "application/json", b"{}"
    else:
        method, path, kind, body = rng.choice(["GET", "GET", "HEAD"]), rng.choice(_PATHS), "", b""
    if rng.random() < 0.05:
        method = rng.choice(["PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "get", "G\x00T"])
    version = rng.choices(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", ""], [30, 2, 1, 1, 1])[
        0
    ]
    head = f"{method} {path} {version}".rstrip()
    data = "\r\n".join([head, *_headers(rng, port, kind, body)]).encode("utf-8", "replace")
    data += b"\r\n\r\n" + body
    if rng.random() < 0.05:  # a few bytes garbled anywhere
        garbled = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            garbled[rng.randrange(len(garbled))] = rng.randrange(256)
        data = bytes(garbled)
    return data


def _send(port: int, data: bytes) -> int | None:
    """Send one request; the reply's status (None: no reply to a blank request line)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed before all was sent (413, 431...)
            pass
        if not data.split(b"\n", 1)[0].strip():
            assert sock.recv(100) == b"", data[:100]  # nothing to answer: closed, not hung
            return None
        try:
            reply = read_reply(sock, head=data.startswith(b"HEAD "))
        except MalformedReplyError as error:
            raise AssertionError(f"{error} for {data[:300]!r}") from None
    assert reply.status < 500, (reply.status, reply.body[:300], data[:300])
    if reply.status >= 400 and reply.body:  # every error is JSON (a HEAD's has no body)
        assert reply.headers.get("content-type") == "application/json", reply.headers
        assert json.loads(reply.body)["status"] == reply.status
    return reply.status


def _info(port: int) -> int:
    head = f"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    return _send(port, head)


def test_random_and_garbled_requests_get_well_formed_4xx_answers(fuzzed_server):
    port, process, errors = fuzzed_server
    rng = random.Random(SEED)
    big = __import__("PIL.Image", fromlist=["Image"]).new("L", (4096, 4096), 255)  # at the limit
    images = [png(drawing("1")), png(drawing("0")), _png_of(big)]
    start, sent, statuses = time.perf_counter(), 0, {}
    while sent < REQUESTS and time.perf_counter() - start < BUDGET_SECONDS:
        status = _send(port, _request(rng, port, images))
        statuses[status] = statuses.get(status, 0) + 1
        sent += 1
        if sent % 50 == 0:
            assert process.poll() is None and _info(port) == 200, f"after {sent} requests"
    assert process.poll() is None and _info(port) == 200
    assert "Traceback" not in errors.read_text(), errors.read_text()[-3000:]
    assert sent >= 100, f"only {sent} requests in {BUDGET_SECONDS} s"
    assert statuses.get(200, 0) > 20 and sum(n for s, n in statuses.items() if s and s >= 400) > 50
    for status in (403, 405, 411, 415, 421, 422):  # the fuzz reaches every guard
        assert status in statuses, statuses


def _png_of(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_limit_is_real_a_big_allocation_fails_in_the_child(fuzzed_server, trained_run):
    # The same limit on a plain child: 2 GiB of zeros is refused, so a regression in the
    # server (the audit's 5.45 GB for {"padding": 3000}) would be a 500 in the test above.
    code = (
        "import resource, numpy; l = %d; resource.setrlimit(resource.RLIMIT_AS, (l, l))\n"
        "try:\n numpy.ones(2 * 1024**3, dtype=numpy.uint8)\n"
        "except MemoryError:\n print('refused')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code % FUZZ_MEMORY], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "refused", done.stderr
