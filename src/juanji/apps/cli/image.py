"""``juanji filter`` (a classic kernel on a picture) and ``juanji explain`` (worked examples).

``juanji filter [IMAGE] --kernel NAME [--padding same|valid] [--stride S] [-o out.png]`` runs
one kernel of ``juanji.apps.filters`` over a picture with ``conv2d`` (each colour channel on its
own, as one grouped convolution) and draws the input and the output side by side, labelled;
``--raw`` writes the filtered pixels alone instead, pixel for pixel; ``--grid`` draws the input
next to the output of every kernel. Without IMAGE the packaged sample picture is used.

``juanji explain TOPIC`` prints a worked example on small numbers (see ``juanji.apps.viz.explain``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from juanji.apps.cli._bounds import MAX_FILTER_WORK, check_image_file
from juanji.errors import JuanjiError

_PADDINGS = ("same", "valid", "same_lower")
_SIZED = ("box", "gaussian", "identity")
# The work grows with size**2 per output pixel and channel: a 101 x 101 kernel is already 10,201
# multiply-adds each (2 s on the sample picture); 1000 x 1000 took 75 s and blurs nothing more.
MAX_KERNEL_SIZE = 101
# The kernel table is printed when it fits a screen; a larger one prints its centre.
_TABLE_ROWS, _TABLE_COLUMNS = 15, 100


def register(subparsers: Any) -> None:
    """Add the ``filter`` and ``explain`` commands."""
    _add_filter(subparsers)
    _add_explain(subparsers)


# ============================================================================ filter
def _add_filter(subparsers: Any) -> None:
    from juanji.apps.filters import list_kernels

    parser = subparsers.add_parser(
        "filter",
        help="apply a classic kernel (blur, sharpen, edges...) to a picture",
        description=(
            "Convolve a picture with a hand-made kernel (conv2d, each colour channel on its own) "
            "and draw the input and the output side by side (--raw: write the output pixels "
            "alone). Edge kernels (weights summing to 0) give signed outputs, drawn with 0 as "
            "mid grey and shown on the picture's luma. Pictures of up to 25 megapixels, and up "
            "to 10**10 multiply-adds a run. Kernels: " + ", ".join(list_kernels()) + "."
        ),
    )
    parser.add_argument(
        "image", nargs="?", help="PNG/JPEG to filter (default: the packaged sample picture)"
    )
    parser.add_argument("-k", "--kernel", help="kernel name, e.g. sobel-x (see the list above)")
    parser.add_argument("--grid", action="store_true", help="draw the output of every kernel")
    parser.add_argument("--padding", choices=_PADDINGS, default="same", help="default: same")
    parser.add_argument("--stride", type=int, default=1, help="default: 1")
    parser.add_argument(
        "--size", type=int, help=f"size of box/gaussian/identity kernels (1 to {MAX_KERNEL_SIZE})"
    )
    parser.add_argument("--sigma", type=float, help="sigma of the gaussian kernel")
    parser.add_argument("--gray", action="store_true", help="convert the picture to grayscale")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="write only the filtered pixels, one image pixel per output value (PNG, JPEG, "
        "BMP, TIFF or WebP), instead of the labelled before/after figure",
    )
    parser.add_argument(
        "-o",
        "--output",
        help="file to write, format from its suffix: .png, .jpg, .pdf, .svg (default: "
        "filter-KERNEL.png, kernels-grid.png with --grid)",
    )
    parser.set_defaults(func=run_filter)


def _kernel_options(args: argparse.Namespace, name: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.size is not None and name in _SIZED:
        options["size"] = args.size
    if args.sigma is not None and name == "gaussian":
        options["sigma"] = args.sigma
    return options


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that would be accepted and ignored, or would run for minutes."""
    if args.stride < 1:
        raise JuanjiError(f"--stride must be >= 1, got {args.stride}")
    if args.grid and args.kernel:
        raise JuanjiError(f"--grid draws every kernel; give --grid or -k {args.kernel}, not both")
    if args.grid and args.raw:
        raise JuanjiError("--raw writes one filtered image; it does not go with --grid")
    if not args.grid and not args.kernel:
        from juanji.apps.filters import list_kernels

        raise JuanjiError(f"give --kernel NAME ({', '.join(list_kernels())}) or --grid")
    if args.size is not None and not 1 <= args.size <= MAX_KERNEL_SIZE:
        raise JuanjiError(
            f"--size must be 1 to {MAX_KERNEL_SIZE}, got {args.size} (the work grows with "
            f"size x size per pixel; a {MAX_KERNEL_SIZE} x {MAX_KERNEL_SIZE} box already blurs "
            "away most pictures)"
        )
    if args.kernel:
        import juanji.apps.filters as kernels

        try:
            name = kernels.canonical_name(args.kernel)
        except ValueError as error:
            raise JuanjiError(str(error).removeprefix("get_kernel: ")) from error
        if args.size is not None and name not in _SIZED:
            raise JuanjiError(
                f"--size applies to {', '.join(_SIZED)}; kernel {name} has a fixed size"
            )
        if args.sigma is not None and name != "gaussian":
            raise JuanjiError(f"--sigma applies to the gaussian kernel only, not to {name}")


def _kernel(args: argparse.Namespace, name: str) -> tuple[str, np.ndarray]:
    """The canonical name and weights of kernel ``name``; user errors become JuanjiError."""
    import juanji.apps.filters as kernels

    try:
        canonical = kernels.canonical_name(name)
        weights = kernels.get_kernel(canonical, **_kernel_options(args, canonical))
    except ValueError as error:
        raise JuanjiError(str(error).removeprefix("get_kernel: ")) from error
    return canonical, weights.numpy()


def _filter(image: np.ndarray, weights: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    from juanji.apps.filters import filter_image

    try:
        return filter_image(image, weights, padding=args.padding, stride=args.stride)
    except ValueError as error:  # a kernel larger than the picture, a bad stride
        raise JuanjiError(str(error)) from error


def _check_work(image: np.ndarray, weights: np.ndarray, stride: int, path: str) -> None:
    """Refuse a filter of more than ``MAX_FILTER_WORK`` multiply-adds, before it runs."""
    planes = 1 if image.ndim == 2 else image.shape[2]
    outputs = -(-image.shape[0] // stride) * -(-image.shape[1] // stride) * planes
    work = outputs * weights.size
    if work > MAX_FILTER_WORK:
        raise JuanjiError(
            f"{path}: a {weights.shape[0]} x {weights.shape[1]} kernel over {image.shape[0]} x "
            f"{image.shape[1]} pixels is {work:,} multiply-adds, more than {MAX_FILTER_WORK:,}; "
            f"use a smaller --size, a larger --stride or a smaller picture"
        )


def _format_kernel(weights: np.ndarray) -> str:
    """The kernel as a table if it fits a screen, else its centre and a note saying so."""
    weights = np.atleast_2d(weights)
    integral = bool(np.all(weights == np.round(weights)))
    cell, width = ("{:>4.0f}", 5) if integral else ("{:>7.4f}", 8)
    rows, columns = (
        min(weights.shape[0], _TABLE_ROWS),
        min(weights.shape[1], (_TABLE_COLUMNS - 2) // width),
    )
    shown, note = weights, ""
    if (rows, columns) != weights.shape:
        top, left = (weights.shape[0] - rows) // 2, (weights.shape[1] - columns) // 2
        shown = weights[top : top + rows, left : left + columns]
        note = (
            f"  (the centre {rows} x {columns} of {weights.shape[0]} x {weights.shape[1]}; "
            f"weights from {weights.min():.4g} to {weights.max():.4g})\n"
        )
    lines = [" ".join(cell.format(v) for v in row) for row in shown]
    return note + "\n".join("  " + line for line in lines)


def run_filter(args: argparse.Namespace) -> int:
    """The ``juanji filter`` command."""
    from juanji.apps.viz import plot

    _check_options(args)
    path = args.image or plot.sample_image_path()
    check_image_file(path)
    image = plot.read_image(path, gray=args.gray)
    if args.grid:
        plot.check_output(args.output or "kernels-grid.png")
        return _run_grid(args, image, str(path))
    name, weights = _kernel(args, args.kernel)
    _check_work(image, weights, args.stride, str(path))
    target = plot.check_output(args.output or f"filter-{name}.png", figure=not args.raw)
    out = _filter(image, weights, args)
    signed = abs(float(weights.sum())) < 1e-6
    size = f"{image.shape[0]} x {image.shape[1]}"
    describe = f"padding {args.padding}, stride {args.stride}"
    if args.raw:
        output = plot.write_image(plot.to_unit_range(out, signed), target)
    else:
        output = plot.before_after(
            image,
            out,
            target,
            titles=(
                f"input, {size}",
                f"{name} {weights.shape[0]}x{weights.shape[1]}, {out.shape[0]} x {out.shape[1]}",
            ),
            signed=signed,
            caption=f"{describe}; kernel weights sum to {weights.sum():.4g}",
        )
    print(f"kernel {name} ({weights.shape[0]} x {weights.shape[1]}), sum {weights.sum():.4g}:")
    print(_format_kernel(weights))
    print(
        f"{path}: {size} -> {out.shape[0]} x {out.shape[1]} (H x W; {describe}"
        + (", signed: 0 is mid grey)" if signed else ")")
    )
    print(f"wrote {output}")
    return 0


def _run_grid(args: argparse.Namespace, image: np.ndarray, source: str) -> int:
    from juanji.apps.filters import list_kernels
    from juanji.apps.viz import plot

    images, titles, signed = [image], [f"input {image.shape[0]}x{image.shape[1]}"], [False]
    for name in list_kernels():
        _, weights = _kernel(args, name)
        _check_work(image, weights, args.stride, source)
        images.append(_filter(image, weights, args))
        total = float(weights.sum())
        titles.append(f"{name} {weights.shape[0]}x{weights.shape[1]}, sum {total:.3g}")
        signed.append(abs(total) < 1e-6)
    output = plot.image_grid(
        images,
        titles,
        args.output or "kernels-grid.png",
        columns=5,
        signed=signed,
        title=f"classic kernels, padding {args.padding}, stride {args.stride} "
        "(edge kernels: 0 = grey)",
    )
    print(f"{source}: {len(images) - 1} kernels, padding {args.padding}, stride {args.stride}")
    print(f"wrote {output}")
    return 0


# ============================================================================ explain
def _add_explain(subparsers: Any) -> None:
    from juanji.apps.viz.explain import TOPICS

    parser = subparsers.add_parser(
        "explain",
        help="worked examples on small numbers: conv, pad, stride, pool, channels, im2col",
        description=(
            "Print a step-by-step example computed with juanji's own pad, unfold and conv2d: "
            "the input, the padded grid, the kernel, each output as its sum of products."
        ),
    )
    parser.add_argument("topic", choices=[*TOPICS, "all"], help="what to explain")
    parser.add_argument(
        "--run",
        metavar="RUN_DIR",
        help="for first-layer: the trained run whose kernels to show (default: newest in runs/)",
    )
    parser.set_defaults(func=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """The ``juanji explain`` command."""
    from juanji.apps.viz.explain import TOPICS, explain

    topics = list(TOPICS) if args.topic == "all" else [args.topic]
    texts = [_first_layer(args.run) if t == "first-layer" else explain(t).text for t in topics]
    print(("\n\n" + "=" * 80 + "\n\n").join(texts))
    return 0


def _first_layer(run_dir: str | None) -> str:
    """``explain first-layer`` on a trained run: ``--run``, else the newest under runs/."""
    from juanji.apps import training
    from juanji.apps.training.latest import newest_run
    from juanji.apps.viz.explain_notes import explain_first_layer

    run = run_dir if run_dir is not None else newest_run("runs")
    if run is None:
        return explain_first_layer().text  # an untrained LeNet5, as the text says
    model, config = training.restore_model(run)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return explain_first_layer(model, f"{config.model} from {run}").text
    except OverflowError:  # finite weights too large for float32 (the text shows infinity)
        raise training.non_finite_outputs(model, run) from None
