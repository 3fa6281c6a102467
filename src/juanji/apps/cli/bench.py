"""``juanji bench``: juanji against PyTorch, A/B in one process (see ``juanji.apps.bench``)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``bench`` command."""
    from juanji.apps.bench.suite import add_arguments  # noqa: PLC0415

    parser = subparsers.add_parser(
        "bench",
        help="time juanji against PyTorch (A/B rounds in one process)",
        description="Time LeNet5, convolutions and poolings in juanji and PyTorch, alternating "
        "rounds in one process, and print medians, per-round ratios and images/s.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Run the suite with the parsed options."""
    from juanji.apps.bench.suite import run  # noqa: PLC0415

    run(args)
    return 0
