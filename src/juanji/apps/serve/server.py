"""The HTTP side of ``juanji serve``: the page's files and its JSON API, on the standard library.

``App`` holds what the page talks to (the served model, the trainer); ``make_server`` puts it
behind a ``ThreadingHTTPServer``. The routes (documented in docs/serve.md):

======  ==========================  ==================================================
GET     ``/``, ``/static/NAME``     the page's own files (a fixed list read from the
                                    package at start: nothing else can be named)
GET     ``/api/info``               the served run, the kernels, padding modes, topics
POST    ``/api/predict``            body: a PNG/JPEG -> label, probabilities, layers...
GET     ``/api/unit?id=&layer=...`` one unit of one map: kernel, patch, field
POST    ``/api/conv``               JSON settings -> the playground's numbers
POST    ``/api/train``              JSON settings -> starts a short LeNet training
POST    ``/api/train/stop``         stops it after the current step
GET     ``/api/train/status``       ``?since=N``: progress since step N
POST    ``/api/train/use``          serve the run just trained
GET     ``/api/run``                the served or trained run's files and metrics
GET     ``/api/explain/TOPIC``      a worked example (``juanji explain TOPIC``)
======  ==========================  ==================================================

Before any route runs, ``juanji.apps.serve.guard`` checks the request: the ``Host`` it names
(421 for a name the server was not started for: DNS rebinding), the ``Origin`` of a POST or an
API GET (403 for another site's page), the body's framing (one ``Content-Length``; 411 for
chunked) and its ``Content-Type`` (415). A body is read within ``read_timeout`` seconds (408
otherwise).

Every error is JSON ``{"error": message, "status": N}`` with a 4xx status, plus ``field`` and
``limit`` when a setting is past its limit (422); 413 past ``MAX_IMAGE_BYTES`` or
``MAX_JSON_BYTES``, the body left unread and the connection closed. ``http.server``'s own
refusals (a garbled request line, too many headers, an unknown method: 405) are JSON too. An
unexpected exception is a 500 and the server keeps serving.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs

from juanji._shapes import PADDING_STRINGS
from juanji._version import __version__
from juanji.apps.serve import guard, playground
from juanji.apps.serve.model import RequestError, ServedModel, decode_image, find_run
from juanji.apps.serve.trainer import Trainer, TrainSettings
from juanji.apps.training import run_directory as checkpoint
from juanji.errors import JuanjiError

__all__ = ["App", "make_server", "MAX_IMAGE_BYTES", "MAX_JSON_BYTES", "static_files"]

MAX_IMAGE_BYTES = 2 * 1024 * 1024  # a drawing is a few kB; a phone photo fits
MAX_JSON_BYTES = 256 * 1024
READ_TIMEOUT = 10.0  # seconds a connection may keep the server waiting for its next bytes
_EXPLAIN_SEPARATOR = "\n\n" + "=" * 80 + "\n\n"  # between topics, as `juanji explain all`
_IMAGE_TYPES = ("image/png", "image/jpeg")
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".png": "image/png",
          ".svg": "image/svg+xml"}  # fmt: skip


def static_files() -> dict[str, bytes]:
    """The page's files by URL path (``/`` is ``index.html``), read once from the package."""
    folder = resources.files("juanji.apps.serve") / "static"
    files = {}
    for entry in folder.iterdir():
        suffix = Path(entry.name).suffix
        if entry.is_file() and suffix in _TYPES:
            files[f"/static/{entry.name}"] = entry.read_bytes()
    files["/"] = files["/static/index.html"]
    return files


class App:
    """What the page talks to: the served model (if any) and the trainer.

    Args:
        run_dir: the run to serve (else the newest under ``runs_root``, else none).
        runs_root: where runs are looked for and trained into.
        trainer: a ``Trainer`` (tests pass one with small synthetic data).
    """

    def __init__(
        self,
        run_dir: str | Path | None = None,
        runs_root: str | Path = "runs",
        trainer: Trainer | None = None,
    ) -> None:
        self.runs_root = Path(runs_root)
        found = find_run(run_dir, self.runs_root)
        self.model: ServedModel | None = None if found is None else ServedModel(found)
        self.trainer = trainer or Trainer(self.runs_root)
        self.files = static_files()
        self._swap = threading.Lock()

    # ------------------------------------------------------------------ API handlers
    def info(self) -> dict[str, Any]:
        """The page's start-up data."""
        from juanji.apps.viz.explain import TOPICS

        model = self.model
        return {
            "version": __version__,
            "model": None if model is None else model.describe(),
            "runs_root": str(self.runs_root.resolve()),
            "kernels": playground.KERNELS,
            "padding_strings": list(PADDING_STRINGS),
            "default_grid": playground.DEFAULT_GRID,
            "topics": list(TOPICS),
            "training": self.trainer.status(since=10**9),
        }

    def need_model(self) -> ServedModel:
        """The served model, or a 409 error saying how to get one."""
        if self.model is None:
            raise RequestError(
                "no trained model yet: train one on this page (Live training), or run "
                "`juanji train lenet5` and restart `juanji serve`",
                409,
            )
        return self.model

    def predict(self, body: bytes) -> dict[str, Any]:
        """``POST /api/predict``."""
        gray = decode_image(body)
        return self.need_model().analyse(gray)

    def unit(self, query: dict[str, str]) -> dict[str, Any]:
        """``GET /api/unit``."""
        try:
            numbers = {k: int(query[k]) for k in ("id", "channel", "y", "x")}
        except (KeyError, ValueError):
            raise RequestError(
                "unit: give id, layer, channel, y and x (integers but layer)"
            ) from None
        if "layer" not in query:
            raise RequestError("unit: give the layer's name (layer=features.0)")
        model = self.need_model()
        return model.unit(
            numbers["id"], query["layer"], numbers["channel"], numbers["y"], numbers["x"]
        )

    def conv(self, settings: Any) -> dict[str, Any]:
        """``POST /api/conv``."""
        if not isinstance(settings, dict):
            raise RequestError("playground: the body must be a JSON object of settings")
        model = self.model
        return playground.convolve(settings, None if model is None else model.digit)

    def use_trained(self) -> dict[str, Any]:
        """``POST /api/train/use``: serve the run the trainer wrote."""
        status = self.trainer.status(since=10**9)
        if status["run_dir"] is None or not status["epochs"]:
            raise RequestError("train: no trained run to use yet (wait for the first epoch)", 409)
        with self._swap:
            self.model = ServedModel(status["run_dir"])
        return self.info()

    def run_files(self) -> dict[str, Any]:
        """``GET /api/run``: the trained (else served) run's files and metrics."""
        run = self.trainer.status(since=10**9)["run_dir"]
        if run is None and self.model is not None:
            run = str(self.model.run_dir.resolve())
        if run is None:
            raise RequestError("run: no run yet", 404)
        path = Path(run)
        paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        files = [{"name": str(p.relative_to(path)), "bytes": p.stat().st_size} for p in paths]
        try:
            metrics = checkpoint.load_metrics(path)
        except JuanjiError:
            metrics = None
        return {"run_dir": run, "files": files, "metrics": metrics}

    def explain(self, topic: str) -> dict[str, Any]:
        """``GET /api/explain/TOPIC``: the text ``juanji explain TOPIC`` prints (also ``all``)."""
        from juanji.apps.serve.model import ENGINE_LOCK
        from juanji.apps.viz.explain import TOPICS, explain

        if topic != "all" and topic not in TOPICS:
            raise RequestError(
                f"explain: unknown topic {topic[:100]!r}; topics: {', '.join(TOPICS)}, all", 404
            )
        texts = []
        for name in TOPICS if topic == "all" else [topic]:
            with ENGINE_LOCK:  # one topic at a time: a training steps in between
                model = self.model
                if name == "first-layer" and model is not None:  # the model on the page
                    from juanji.apps.viz.explain_notes import explain_first_layer

                    source = f"{model.config.model} from {model.run_dir}"
                    texts.append(explain_first_layer(model.model, source).text)
                else:
                    texts.append(explain(name).text)
        return {"topic": topic, "text": _EXPLAIN_SEPARATOR.join(texts)}


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to ``App``; every failure becomes a JSON error."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = f"juanji/{__version__}"
    _unread = 0  # bytes of this request's body not read yet (then the connection closes)

    def setup(self) -> None:
        """Give the connection's socket the server's read timeout."""
        self.timeout = self.server.read_timeout
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        if self.server.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ replies
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        if self._unread:  # the body left would start the next request on this connection
            self.close_connection = True
        if self.request_version == "HTTP/0.9":  # a request line http.server could not parse
            self.request_version = "HTTP/1.0"  # (0.9 has no status line: answer with one)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, HEAD, POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data, allow_nan=False).encode()
        self._send(status, body, "application/json")

    def _refuse(self, error: RequestError) -> None:
        self._json(error.answer(), error.status)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own refusals as JSON errors (an unknown method: 405, not 501)."""
        self.close_connection = True  # the request was not understood: nothing more is read
        if code == HTTPStatus.NOT_IMPLEMENTED:  # no do_METHOD
            method = str(self.command)[:20]
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"{method!r} is not allowed here"
        elif code >= 500:  # 505: a version other than HTTP/1.0 or 1.1 is the request's fault
            code = HTTPStatus.BAD_REQUEST
        status = HTTPStatus(code)
        self._refuse(RequestError(message or status.phrase, status))

    def _body(self, size: int, limit: int) -> bytes:
        if size > limit:
            raise RequestError(f"the body is {size:,} bytes; the limit is {limit:,}", 413)
        try:
            body = self.rfile.read(size)
        except TimeoutError:
            raise RequestError(
                f"the body's {size:,} bytes did not arrive within {self.timeout:g} s", 408
            ) from None
        if len(body) < size:
            raise RequestError(
                f"the body ended after {len(body):,} of the {size:,} bytes its Content-Length "
                "announced"
            )
        self._unread = 0
        return body

    @staticmethod
    def _parse(body: bytes) -> Any:
        if not body:
            return {}
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise RequestError(f"the body is not valid JSON ({error})") from None
        except RecursionError:  # deeper than the parser goes: far past the limit
            depth = "more than a thousand"
        else:
            depth = guard.json_depth(data)
            if depth <= guard.MAX_JSON_DEPTH:
                return data
        raise RequestError(
            f"the JSON body nests {depth} levels deep; at most {guard.MAX_JSON_DEPTH}",
            422,
            field="body",
            limit=guard.MAX_JSON_DEPTH,
        )

    # ------------------------------------------------------------------ routing
    def _handle(self, method: str) -> None:
        # The target is a path and a query (no scheme or host: urlsplit would read "//x/y" as
        # host x), without a fragment.
        path, _, query = self.path.partition("#")[0].partition("?")
        self._unread = 0
        try:
            self._unread = self._check(method, path)
            route = self._route(method, path)
            if route is None:
                return
            self._json(route(parse_qs(query)))
        except RequestError as error:
            self._refuse(error)
        except JuanjiError as error:
            self._refuse(RequestError(str(error), HTTPStatus.UNPROCESSABLE_ENTITY))
        except Exception as error:  # a bug: answer, log it, keep serving
            traceback.print_exc(file=self.server.stream)
            self._refuse(RequestError(f"internal error ({type(error).__name__}: {error})", 500))

    def _check(self, method: str, path: str) -> int:
        """The guards every request passes (see ``guard``); the body's length."""
        server, headers = self.server, self.headers
        try:
            self._unread = length = guard.body_length(headers)  # first: how much is unread
        except RequestError:
            self.close_connection = True  # a body of unknown length: nothing more is read
            raise
        guard.check_host(guard.single(headers, "Host"), server.hosts, server.host, server.port)
        if method not in ("GET", "HEAD") or path.startswith("/api/"):  # not the page's files
            origin, site = guard.single(headers, "Origin"), guard.single(headers, "Sec-Fetch-Site")
            guard.check_origin(origin, site, server.hosts)
        return length

    def _route(self, method: str, path: str) -> Any:
        app = self.server.app
        if method in ("GET", "HEAD") and path in app.files:
            suffix = Path(path if path != "/" else "/index.html").suffix
            self._send(200, app.files[path], _TYPES[suffix])
            return None
        single = {"id", "layer", "channel", "y", "x", "since"}

        def flat(query: dict[str, list[str]]) -> dict[str, str]:
            return {k: v[-1] for k, v in query.items() if k in single}

        get = {
            "/api/info": lambda q: app.info(),
            "/api/unit": lambda q: app.unit(flat(q)),
            "/api/train/status": lambda q: app.trainer.status(_since(flat(q))),
            "/api/run": lambda q: app.run_files(),
        }
        post = {
            "/api/predict": lambda body: app.predict(body),
            "/api/conv": lambda body: app.conv(self._parse(body)),
            "/api/train": lambda body: app.trainer.start(
                TrainSettings.from_json(self._parse(body))
            ),
            "/api/train/stop": lambda body: app.trainer.stop(),
            "/api/train/use": lambda body: app.use_trained(),
        }
        if method in ("GET", "HEAD") and path.startswith("/api/explain/"):
            topic = path.removeprefix("/api/explain/")
            return lambda q: app.explain(topic)
        if method == "POST" and path in post:
            image = path == "/api/predict"
            guard.check_type(guard.single(self.headers, "Content-Type"),
                             _IMAGE_TYPES if image else ("application/json",))  # fmt: skip
            # Read every POST body, used or not: left unread it would start the next request
            # on this connection.
            body = self._body(self._unread, MAX_IMAGE_BYTES if image else MAX_JSON_BYTES)
            return lambda q: post[path](body)
        if method in ("GET", "HEAD") and path in get:
            return get[path]
        if path in get or path in post:
            raise RequestError(f"{method} is not allowed on {path}", 405)
        raise RequestError(f"nothing at {path[:200]}", 404)

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        """Answer a GET."""
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        """Answer a HEAD (a GET without the body)."""
        self._handle("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        """Answer a POST."""
        self._handle("POST")


def _since(query: dict[str, str]) -> int:
    try:
        return max(0, int(query.get("since", "0")))
    except ValueError:
        raise RequestError(
            f"train status: since must be an integer, got {query['since']!r}"
        ) from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: App, stream: TextIO, verbose: bool, timeout: float
    ) -> None:
        self.app, self.stream, self.verbose, self.read_timeout = app, stream, verbose, timeout
        super().__init__(address, _Handler)
        self.host, self.port = address[0], self.server_address[1]
        self.hosts = guard.allowed_hosts(self.host, self.port)  # the port bound, for port 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer is no error of ours; the rest is logged."""
        if isinstance(sys.exc_info()[1], ConnectionError) and not self.verbose:
            return
        super().handle_error(request, client_address)


def make_server(
    app: App,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    stream: TextIO | None = None,
    verbose: bool = False,
    read_timeout: float = READ_TIMEOUT,
) -> ThreadingHTTPServer:
    """A server for ``app`` bound to ``host:port`` (port 0: a free one, in ``server_address``).

    It answers requests whose ``Host`` is ``127.0.0.1``, ``localhost``, ``[::1]`` or ``host``,
    with the bound port (``guard.allowed_hosts``).

    Args:
        app: what the routes call.
        host: the address to listen on.
        port: the port (0: a free one).
        stream: where tracebacks of unexpected errors go (stderr).
        verbose: log every request on ``stream``.
        read_timeout: seconds a connection may stay silent (an idle keep-alive connection, or
            a body shorter than its ``Content-Length``) before it is answered and closed.

    Raises:
        JuanjiError: the address cannot be bound (in use, or not this machine's).
    """
    try:
        return _Server((host, port), app, stream or sys.stderr, verbose, read_timeout)
    except OSError as error:
        raise JuanjiError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
