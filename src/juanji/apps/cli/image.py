"""``juanji filter`` (a classic kernel on a picture) and ``juanji explain`` (worked examples).

``juanji filter [IMAGE] --kernel NAME [--padding same|valid] [--stride S] [-o out.png]`` runs
one kernel of ``juanji.apps.filters`` over a picture with ``conv2d`` (each colour channel on its
own, as one grouped convolution) and writes the result pixel for pixel; ``--grid`` draws the input
next to the output of every kernel. Without IMAGE the packaged sample picture is used.

``juanji explain TOPIC`` prints a worked example on small numbers (see ``juanji.apps.viz.explain``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from juanji.errors import JuanjiError

_PADDINGS = ("same", "valid", "same_lower")


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
            "and write the result as a PNG. Edge kernels (weights summing to 0) give signed "
            "outputs, drawn with 0 as mid grey. Kernels: " + ", ".join(list_kernels()) + "."
        ),
    )
    parser.add_argument(
        "image", nargs="?", help="PNG/JPEG to filter (default: the packaged sample picture)"
    )
    parser.add_argument("-k", "--kernel", help="kernel name, e.g. sobel-x (see the list above)")
    parser.add_argument("--grid", action="store_true", help="draw the output of every kernel")
    parser.add_argument("--padding", choices=_PADDINGS, default="same", help="default: same")
    parser.add_argument("--stride", type=int, default=1, help="default: 1")
    parser.add_argument("--size", type=int, help="size of box/gaussian/identity kernels")
    parser.add_argument("--sigma", type=float, help="sigma of the gaussian kernel")
    parser.add_argument("--gray", action="store_true", help="convert the picture to grayscale")
    parser.add_argument("-o", "--output", help="PNG to write (default: filter-KERNEL.png)")
    parser.set_defaults(func=run_filter)


def _kernel_options(args: argparse.Namespace, name: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.size is not None and name in ("box", "gaussian", "identity"):
        options["size"] = args.size
    if args.sigma is not None and name == "gaussian":
        options["sigma"] = args.sigma
    return options


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


def _format_kernel(weights: np.ndarray) -> str:
    integral = bool(np.all(weights == np.round(weights)))
    cell = "{:>4.0f}" if integral else "{:>7.4f}"
    rows = [" ".join(cell.format(v) for v in row) for row in np.atleast_2d(weights)]
    return "\n".join("  " + row for row in rows)


def run_filter(args: argparse.Namespace) -> int:
    """The ``juanji filter`` command."""
    from juanji.apps.viz import plot

    if args.stride < 1:
        raise JuanjiError(f"--stride must be >= 1, got {args.stride}")
    if not args.grid and not args.kernel:
        from juanji.apps.filters import list_kernels

        raise JuanjiError(f"give --kernel NAME ({', '.join(list_kernels())}) or --grid")
    path = args.image or plot.sample_image_path()
    image = plot.read_image(path, gray=args.gray)
    if args.grid:
        return _run_grid(args, image, str(path))
    name, weights = _kernel(args, args.kernel)
    out = _filter(image, weights, args)
    signed = abs(float(weights.sum())) < 1e-6
    output = plot.write_image(plot.to_unit_range(out, signed), args.output or f"filter-{name}.png")
    print(f"kernel {name} ({weights.shape[0]} x {weights.shape[1]}), sum {weights.sum():.4g}:")
    print(_format_kernel(weights))
    size = f"{image.shape[0]} x {image.shape[1]}"
    print(
        f"{path}: {size} -> {out.shape[0]} x {out.shape[1]} "
        f"(padding {args.padding}, stride {args.stride}"
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
    parser.set_defaults(func=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """The ``juanji explain`` command."""
    from juanji.apps.viz.explain import TOPICS, explain

    topics = list(TOPICS) if args.topic == "all" else [args.topic]
    texts = [explain(topic).text for topic in topics]
    print(("\n\n" + "=" * 80 + "\n\n").join(texts))
    return 0
