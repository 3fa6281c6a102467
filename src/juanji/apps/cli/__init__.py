"""The ``juanji`` command: argparse wiring and the one place where errors become one line.

Each topic module (``train``, ``inspect``, ``image``, ``experiment``, ``bench``, ``export``,
``serve``) exposes
``register(subparsers)``, which adds its subcommands and sets ``func`` on each; heavy libraries
(matplotlib, Pillow) are imported inside those functions, so ``juanji --help`` stays fast.

A ``JuanjiError`` (bad file, unknown model, no data...) and argument errors end with one line on
stderr and exit code 1 (2 for usage errors), never a traceback. ``JUANJI_DEBUG=1`` shows the
traceback for bug reports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from juanji._version import __version__
from juanji.errors import JuanjiError

# Topic modules, in the order their commands appear in --help.
_TOPICS = ("train", "inspect", "image", "experiment", "bench", "export", "serve")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every topic's subcommands)."""
    parser = argparse.ArgumentParser(
        prog="juanji",
        description="juanji (卷积): train, inspect and explain convolutional networks with NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"juanji {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for topic in _TOPICS:
        try:
            module = importlib.import_module(f"juanji.apps.cli.{topic}")
        except ModuleNotFoundError as error:
            if error.name != f"juanji.apps.cli.{topic}":
                raise
            continue  # a topic not written yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``juanji`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except JuanjiError as error:
        if os.environ.get("JUANJI_DEBUG"):
            raise
        print(f"juanji {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"juanji {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`juanji summary ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return int(result or 0)
