"""``juanji bench``: juanji against PyTorch, A/B rounds, each side in its own process."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``bench`` command."""
    from juanji.apps.bench.suite import add_arguments  # noqa: PLC0415

    parser = subparsers.add_parser(
        "bench",
        help="time juanji against PyTorch (A/B rounds, each side in its own process)",
        description="Time LeNet5, convolutions and poolings in juanji and PyTorch, alternating "
        "rounds between two worker processes (--in-process: both in this one), and print "
        "medians, per-round ratios and images/s, with the load average before and after.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    """Run the suite with the parsed options."""
    from juanji.apps.bench.suite import run  # noqa: PLC0415

    run(args)
    return 0
