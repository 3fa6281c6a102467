"""``juanji serve [RUN_DIR]``: the local page (draw a digit, the playground, live training).

Serves ``juanji.apps.serve`` on the standard library's HTTP server, on 127.0.0.1 unless
``--host`` says otherwise, and prints ``serving on http://HOST:PORT/`` once it listens
(``--port 0`` picks a free port and prints it). Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

__all__ = ["register", "run_serve"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="a local page: draw a digit and watch every layer, a convolution playground, "
        "live training",
        description="Serve a page on this machine that shows a trained model's feature maps "
        "for a digit you draw, a convolution playground and a live LeNet training. RUN_DIR is "
        "the run to show (default: the newest finished run in --runs; none: the page offers "
        "to train one). Everything is computed by juanji on this machine; the page loads "
        "nothing from the network.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", nargs="?", help="a trained run's folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000; 0: any free one)")
    parser.add_argument("--runs", default="runs", help="where runs are found and trained (runs)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """The ``juanji serve`` command: serve until Ctrl-C (exit code 0)."""
    from juanji.apps.serve import App, make_server
    from juanji.errors import JuanjiError

    if not 0 <= args.port <= 65535:
        raise JuanjiError(f"--port must be from 0 to 65535, got {args.port}")
    app = App(args.run_dir, runs_root=args.runs)
    server = make_server(app, args.host, args.port, verbose=args.verbose)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    url = f"http://{shown}:{port}/"
    if app.model is None:
        print(f"no trained run in {args.runs}/: the page offers to train one", flush=True)
    else:
        print(f"model: {app.model.run_dir}", flush=True)
    if not _is_loopback(args.host):
        print(
            f"note: listening on {args.host}: other machines can reach this page",
            file=sys.stderr,
            flush=True,
        )
    print(f"serving on {url}", flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        app.trainer.stop()
        server.server_close()
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
