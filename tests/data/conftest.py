"""Fixtures of the data tests: isolated data folders, small generated IDX files, a loopback server.

Nothing here touches the network or the user's cache: ``isolated`` points ``XDG_CACHE_HOME``
at a temporary folder and removes ``JUANJI_DATA``; the HTTP server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from juanji.data.idx import encode_idx
from juanji.data.mnist import FileChecksums

MNIST_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def fake_mnist(n_train: int = 12, n_test: int = 5, seed: int = 0) -> dict[str, bytes]:
    """Uncompressed IDX bytes of a tiny MNIST-shaped dataset (the four official file names)."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return {name: encode_idx(array) for name, array in arrays.items()}


def checksums_of(
    files: dict[str, bytes], gz: dict[str, bytes] | None = None, raw: bool = True
) -> dict[str, FileChecksums]:
    """A checksum table for generated files (raw MD5s, and gz MD5s when ``gz`` is given)."""
    return {
        name: FileChecksums(md5(data) if raw else None, md5(gz[name]) if gz is not None else None)
        for name, data in files.items()
    }


@pytest.fixture
def helpers():
    """The helper functions above, for tests (conftest modules are not importable by name)."""
    return SimpleNamespace(
        md5=md5, fake_mnist=fake_mnist, checksums_of=checksums_of, names=MNIST_NAMES
    )


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $JUANJI_DATA and a private cache folder; returns the cache root."""
    monkeypatch.delenv("JUANJI_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache / "juanji"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """$JUANJI_DATA/mnist with the four official files; skips when it is not there."""
    base = os.environ.get("JUANJI_DATA")
    if not base:
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    folder = Path(base) / "mnist"
    if not all(
        (folder / f"{name}.gz").is_file() or (folder / name).is_file() for name in MNIST_NAMES
    ):
        pytest.skip(f"MNIST files are not in {folder}")
    return folder


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.files``; supports ``Range: bytes=N-``; can cut or refuse responses."""

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        state = self.server.state  # type: ignore[attr-defined]
        range_header = self.headers.get("Range")
        state.requests.append((self.path, range_header))
        data = state.files.get(self.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        if range_header and self.path not in state.ignore_range:
            start = int(range_header.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                self.send_error(416, "Range Not Satisfiable")
                return
            if self.path in state.wrong_range:
                start = 0  # a broken server: 206 but from another byte than asked
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = state.cut.get(self.path)
        if cut is not None and state.cut_times.get(self.path, 0) > 0:
            state.cut_times[self.path] -= 1
            self.wfile.write(body[:cut])  # promise len(body), deliver less, close
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class _ServerState:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.cut: dict[str, int] = {}
        self.cut_times: dict[str, int] = {}
        self.ignore_range: set[str] = set()
        self.wrong_range: set[str] = set()


class LocalServer:
    """A loopback HTTP server; ``url(path)`` is its address for a served path."""

    def __init__(self):
        self.state = _ServerState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.state = self.state
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, data: bytes) -> str:
        self.state.files[path] = data
        return self.base + path

    def cut_after(self, path: str, nbytes: int, times: int = 1) -> None:
        """The next ``times`` responses for ``path`` stop after ``nbytes`` body bytes."""
        self.state.cut[path] = nbytes
        self.state.cut_times[path] = times

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    """A running loopback HTTP server, shut down after the test."""
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused at once)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
