"""``juanji experiment``: the notes' experiments on MNIST, each printing a table and drawing it.

* ``translation``: MLP vs CNN, and max vs average vs no pooling, on moved digits.
* ``structure``: MLP vs CNN on digits with one fixed shuffle of their pixels, beside the
  translation result (``juanji.apps.experiments.structure``).
* ``layers``: probes, projections, receptive fields and top patches at every layer of a trained
  LeNet5, trained here or read from ``--run RUN_DIR`` (``juanji.apps.experiments.layers``).
* ``conv1d``, ``conv3d``: Conv1d on digits' row and column profiles against an MLP, and Conv3d
  on moving digits against 2-D on one frame or on the frames as channels
  (``juanji.apps.experiments.dims``).

``translation`` trains the models of ``juanji.apps.experiments.translation`` on centred MNIST
digits, prints one accuracy table per question and draws the curves (``draw_translation``
there). Each default run takes about two minutes on two CPU cores; ``--quick`` trains on a
slice (seconds, for a first look and for tests), and every size can be set.
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
        help="the notes' experiments: translation, structure, layers, conv1d, conv3d",
        description="translation: train an MLP and LeNet5 with matched budgets (the same steps, "
        "images and optimiser; 61,225 vs 61,706 parameters) on centred MNIST digits, then test "
        "them on digits moved by 0..k pixels; a second table compares LeNet5 with max, average "
        "and no pooling. structure: the MLP and LeNet5 on MNIST as given and with one fixed "
        "shuffle of the pixels (train and test alike), beside the translation result. layers: "
        "a linear probe, a PCA projection, the receptive field and the top patches at every "
        "layer of a LeNet5 trained here or of --run RUN_DIR. conv1d: digits as 1-D signals "
        "(ink per row and per column), Conv1d against an MLP. conv3d: digits moving in 8 "
        "directions as 5-frame clips, Conv3d against 2-D networks. MNIST is read from $JUANJI_DATA "
        "or the cache (downloaded if missing).",
    )
    parser.add_argument("name", choices=list(RUNNERS), help="which experiment")
    parser.add_argument("--quick", action="store_true", help="a small slice: seconds, not minutes")
    parser.add_argument(
        "--train-size",
        type=int,
        help=f"training digits ({default.train_size}; conv3d 10000; layers: also the probes')",
    )
    parser.add_argument("--test-size", type=int, help=f"test digits ({default.test_size})")
    parser.add_argument("--epochs", type=int, help=f"epochs ({default.epochs})")
    parser.add_argument("--max-shift", type=int, help=f"largest shift in px ({default.max_shift})")
    parser.add_argument("--seed", type=int, help=f"random seed ({default.seed})")
    parser.add_argument(
        "--models",
        help=f"comma-separated subset of {','.join(MODELS)} (default: all)",
    )
    parser.add_argument("--data", metavar="ROOT", help="folder holding mnist/ (or $JUANJI_DATA)")
    parser.add_argument("--run", metavar="RUN_DIR", help="layers: a `juanji train` run to probe")
    parser.add_argument(
        "-o", "--output", help="PNG to write (default NAME.png; layers: NAME-probe.png...)"
    )
    parser.add_argument("--json", metavar="PATH", help="also save the numbers as JSON")
    parser.set_defaults(func=run_experiment)


def _settings(args: argparse.Namespace) -> Any:
    from juanji.apps.experiments.translation import MODELS, QUICK, TranslationSettings

    settings = QUICK if args.quick else TranslationSettings()
    changes = _common(args)
    if args.models:
        names = tuple(n.strip() for n in args.models.split(",") if n.strip())
        unknown = [n for n in names if n not in MODELS]
        if unknown or not names:
            raise JuanjiError(f"--models: unknown {unknown}; choose from {', '.join(MODELS)}")
        changes["models"] = names
    return replace(settings, **changes)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    """The options every experiment shares, checked; only those given."""
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
    return changes


def run_experiment(args: argparse.Namespace) -> int:
    """The ``juanji experiment`` command."""
    for option, names in (("models", ("translation",)), ("run", ("layers",))):
        if getattr(args, option) is not None and args.name not in names:
            raise JuanjiError(f"--{option} is for `juanji experiment {names[0]}` only")
    if args.name in ("layers", "conv3d") and args.max_shift is not None:
        raise JuanjiError(f"--max-shift is for translation, structure, conv1d; not {args.name}")
    if args.name in ("conv1d", "conv3d") and args.json is not None:
        raise JuanjiError(f"--json is not offered for {args.name}: its table holds every number")
    return RUNNERS[args.name](args)


def _run_translation(args: argparse.Namespace) -> int:
    from juanji.apps.experiments import translation as experiment

    settings = _settings(args)
    png = experiment.check_output(args.output or "translation.png", "-o")  # before training
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


def _run_structure(args: argparse.Namespace) -> int:
    from juanji.apps.experiments import structure as experiment
    from juanji.apps.experiments.translation import check_output

    settings = experiment.QUICK if args.quick else experiment.StructureSettings()
    settings = replace(settings, **_common(args))
    if settings.max_shift < 1:
        raise JuanjiError("--max-shift must be >= 1 for structure (its invariance column)")
    png = check_output(args.output or "structure.png", "-o")
    numbers = check_output(args.json, "--json") if args.json else None
    print(
        f"structure: MLP and LeNet5 on original and pixel-shuffled MNIST, "
        f"{settings.train_size:,} training digits, {settings.epochs} epoch(s)",
        flush=True,
    )
    result = experiment.structure(settings, root=args.data, log=lambda s: print(s, flush=True))
    print()
    print(result.report())
    print(f"\nwrote {experiment.draw_structure(result, png)}")
    if numbers is not None:
        print(f"wrote {experiment.save_numbers(result, numbers)}")
    return 0


def _run_layers(args: argparse.Namespace) -> int:
    from juanji.apps.experiments import layers as experiment
    from juanji.apps.experiments.layers_figures import draw_layers, figure_paths
    from juanji.apps.experiments.translation import check_output

    settings = experiment.QUICK if args.quick else experiment.LayersSettings()
    changes = _common(args)
    if "train_size" in changes:  # the probes are fitted on at most as many as LeNet5 saw
        changes["probe_size"] = min(settings.probe_size, changes["train_size"])
    settings = replace(settings, **changes)
    for path in figure_paths(args.output or "layers.png").values():
        check_output(path, "-o")
    numbers = check_output(args.json, "--json") if args.json else None
    where = f"the run {args.run}" if args.run else "a LeNet5 trained here"
    print(f"layers: probing every layer of {where}", flush=True)
    result = experiment.layers(
        settings, run=args.run, root=args.data, log=lambda s: print(s, flush=True)
    )
    print()
    print(result.report())
    print()
    for path in draw_layers(result, args.output or "layers.png"):
        print(f"wrote {path}")
    if numbers is not None:
        print(f"wrote {experiment.save_numbers(result, numbers)}")
    return 0


def _run_dims(args: argparse.Namespace) -> int:
    from juanji.apps.experiments import dims as experiment
    from juanji.apps.experiments.translation import check_output

    if args.name == "conv1d":
        run, settings = experiment.conv1d_experiment, experiment.QUICK
        settings = settings if args.quick else experiment.DimsSettings()
    else:
        run = experiment.conv3d_experiment
        settings = experiment.CONV3D_QUICK if args.quick else experiment.CONV3D
    settings = replace(settings, **_common(args))
    png = check_output(args.output or f"{args.name}.png", "-o")
    print(f"{args.name}: {settings.train_size:,} training digits, {settings.epochs} epoch(s)")
    result = run(settings, root=args.data, log=lambda s: print(s, flush=True))
    print()
    print(result.table())
    print(f"\nwrote {experiment.draw_dims(result, png)}")
    return 0


RUNNERS = {
    "translation": _run_translation,
    "structure": _run_structure,
    "layers": _run_layers,
    "conv1d": _run_dims,
    "conv3d": _run_dims,
}
