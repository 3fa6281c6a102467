"""``juanji experiment translation``: MLP vs CNN, and max vs average vs no pooling, on moved digits.

Trains the models of ``juanji.apps.experiments.translation`` on centred MNIST digits, prints one
accuracy table per question and draws the curves (``draw_translation`` there). The default run
takes about two minutes on two CPU cores; ``--quick`` trains on a slice (seconds, for a first
look and for tests), and every size can be set.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from juanji.errors import JuanjiError


def register(subparsers: Any) -> None:
    """Add the ``experiment`` command."""
    from juanji.apps.experiments.translation import MODELS, TranslationSettings

    default = TranslationSettings()
    parser = subparsers.add_parser(
        "experiment",
        help="the notes' experiments: translation (MLP vs CNN, pooling on shifted digits)",
        description="translation: train an MLP and LeNet5 with matched budgets (the same steps, "
        "images and optimiser; 61,225 vs 61,706 parameters) on centred MNIST digits, then test "
        "them on digits moved by 0..k pixels; a second table compares LeNet5 with max, average "
        "and no pooling. MNIST is read from $JUANJI_DATA or the cache (downloaded if missing).",
    )
    parser.add_argument("name", choices=["translation"], help="which experiment")
    parser.add_argument("--quick", action="store_true", help="a small slice: seconds, not minutes")
    parser.add_argument("--train-size", type=int, help=f"training digits ({default.train_size})")
    parser.add_argument("--test-size", type=int, help=f"test digits ({default.test_size})")
    parser.add_argument("--epochs", type=int, help=f"epochs ({default.epochs})")
    parser.add_argument("--max-shift", type=int, help=f"largest shift in px ({default.max_shift})")
    parser.add_argument("--seed", type=int, help=f"random seed ({default.seed})")
    parser.add_argument(
        "--models",
        help=f"comma-separated subset of {','.join(MODELS)} (default: all)",
    )
    parser.add_argument("--data", metavar="ROOT", help="folder holding mnist/ (or $JUANJI_DATA)")
    parser.add_argument("-o", "--output", default="translation.png", help="PNG to write")
    parser.add_argument("--json", metavar="PATH", help="also save the numbers as JSON")
    parser.set_defaults(func=run_experiment)


def _settings(args: argparse.Namespace) -> Any:
    from juanji.apps.experiments.translation import MODELS, QUICK, TranslationSettings

    settings = QUICK if args.quick else TranslationSettings()
    changes: dict[str, Any] = {}
    for option, minimum in (("train_size", 1), ("test_size", 1), ("epochs", 1), ("max_shift", 0)):
        value = getattr(args, option)
        if value is not None:
            if value < minimum:
                flag = "--" + option.replace("_", "-")
                raise JuanjiError(f"{flag} must be >= {minimum}, got {value}")
            changes[option] = value
    if args.max_shift is not None and args.max_shift > 14:
        raise JuanjiError(
            f"--max-shift must be at most 14 (half of 28 pixels), got {args.max_shift}"
        )
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.models:
        names = tuple(n.strip() for n in args.models.split(",") if n.strip())
        unknown = [n for n in names if n not in MODELS]
        if unknown or not names:
            raise JuanjiError(f"--models: unknown {unknown}; choose from {', '.join(MODELS)}")
        changes["models"] = names
    return replace(settings, **changes)


def run_experiment(args: argparse.Namespace) -> int:
    """The ``juanji experiment`` command."""
    from juanji.apps.experiments import translation as experiment

    settings = _settings(args)
    png = experiment.check_output(args.output, "-o")  # before minutes of training
    numbers = experiment.check_output(args.json, "--json") if args.json else None
    print(
        f"translation: {len(settings.models)} models, {settings.train_size:,} training digits, "
        f"{settings.epochs} epoch(s), shifts 0..{settings.max_shift} px",
        flush=True,
    )
    result = experiment.translation(
        settings, root=args.data, log=lambda line: print(line, flush=True)
    )
    print()
    print(result.report())
    print(f"\nwrote {experiment.draw_translation(result, png)}")
    if numbers is not None:
        print(f"wrote {experiment.save_numbers(result, numbers)}")
    return 0
