"""``juanji summary`` and ``juanji shape``: look at a network's layers and at window arithmetic.

* ``juanji summary MODEL [--input 1x32x32]`` prints ``juanji.apps.viz.summary``'s layer table for a
  registered model (``juanji.models.list_models()``).
* ``juanji shape --input 28x28 --kernel 5 --padding 2`` works out a convolution's (or, with
  ``--pool``, a pooling window's) output size per dimension, printing the rule
  ``n = floor((w + p_total - d*(k-1) - 1) / s) + 1`` with the numbers filled in.
* ``juanji receptive-field MODEL [--image [PATH]]`` prints ``juanji.apps.viz.receptive_field``'s
  table (size, jump, start per layer) and can draw one unit's field on a picture.
* ``juanji features RUN_DIR IMAGE`` draws ``juanji.apps.viz.features``' maps of a trained model.

One function per command (``run_summary``, ``run_shape``) and one per parser
(``_add_summary``, ``_add_shape``); a mistake in the values a person typed becomes a
``JuanjiError``, printed as one line with exit code 1.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from juanji._shapes import (
    PADDING_STRINGS,
    conv_output_size,
    effective_kernel,
    output_size_formula,
    padding_pairs,
    pool_output_size,
)
from juanji.apps.cli._bounds import check_image_file, check_input_size
from juanji.errors import JuanjiError

__all__ = ["register", "run_summary", "run_shape", "run_receptive_field", "run_features"]

_DIM_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def register(subparsers: Any) -> None:
    """Add the ``summary``, ``shape``, ``receptive-field`` and ``features`` commands."""
    _add_summary(subparsers)
    _add_shape(subparsers)
    _add_receptive_field(subparsers)
    _add_features(subparsers)


# ---------------------------------------------------------------------- juanji summary
def _add_summary(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="layer table of a model: output shapes, parameters, connections, multiply-adds",
        description="Run MODEL once on a zero image and print one row per layer: output shape, "
        "parameters (weights + biases), connections (as the 1998 LeNet paper counts them) and "
        "multiply-adds, with totals and memory.",
    )
    parser.add_argument(
        "model", metavar="MODEL",
        help="a registered model, e.g. lenet5, a RUN_DIR, an .onnx file, or a .pt state_dict",
    )
    parser.add_argument("--model", dest="model_name", metavar="NAME",
                        help="the registered model a .pt state_dict belongs to")
    parser.add_argument(
        "--input",
        metavar="CxHxW",
        help="one image's size without the batch, e.g. 1x32x32 (default: the model's own)",
    )
    parser.set_defaults(func=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    """Print the layer table of ``args.model``, a model name or a RUN_DIR (``args.input``)."""
    from juanji.apps.cli import export
    from juanji.apps.viz.summary import summary

    input_size = None if args.input is None else _sizes("--input", args.input, max_dims=None)
    if input_size is not None:
        check_input_size("--input", input_size)
    if args.model.lower().endswith(".onnx"):
        module, _ = export.open_model(args.model)
        print(export.onnx_summary(module, input_size or export.onnx_input_size(module)))
        return 0
    if args.model.lower().endswith(export.STATE_SUFFIXES):
        model, _ = export.open_model(args.model, args.model_name)
    else:
        model = _model_or_run(args.model)
    expected = getattr(model, "input_size", None)
    if input_size is not None and expected is not None and len(input_size) != len(expected):
        raise JuanjiError(
            f"--input: {args.model} takes {len(expected)} sizes without the batch, e.g. "
            f"{_x(expected)}; got {args.input}"
        )
    try:
        table = summary(model, input_size)
    except ValueError as error:
        shape = "x".join(str(n) for n in input_size or model.input_size)
        reason = str(error).splitlines()[0]
        raise JuanjiError(f"{args.model} cannot take an input of {shape}: {reason}") from None
    print(table)
    return 0


# ---------------------------------------------------------------------- juanji shape
def _add_shape(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "shape",
        help="output size of a convolution or pooling window, with the formula filled in",
        description="Compute n = floor((w + p_total - d*(k-1) - 1) / s) + 1 for every spatial "
        "dimension (1 to 3) and print each step. Sizes per dimension are written in "
        "PyTorch's order, H x W (or D x H x W): --input 28x32 is 28 rows of 32 columns; one "
        "number applies to every dimension.",
        epilog="examples: juanji shape --input 28x28 --kernel 5 --padding 2;  "
        "juanji shape --input 7x7 --kernel 4 --padding same;  "
        "juanji shape --input 5x5 --kernel 2 --pool --ceil-mode",
    )
    parser.add_argument(
        "--input", required=True, metavar="HxW", help="spatial size, height first, e.g. 28x28"
    )
    parser.add_argument(
        "--kernel", required=True, metavar="K", help="kernel size, e.g. 5 or 3x5 (kH x kW)"
    )
    parser.add_argument(
        "--padding",
        default="0",
        metavar="P",
        help="an int, per dimension 2x1, per side 'before,after' (1,2 or 1,2x0,1), or "
        "'same', 'same_lower', 'valid' (default 0)",
    )
    parser.add_argument(
        "--stride", metavar="S", help="step of the window (default 1; the kernel with --pool)"
    )
    parser.add_argument("--dilation", default="1", metavar="D", help="gap between taps (1)")
    parser.add_argument(
        "--pool", action="store_true", help="a pooling window (stride defaults to the kernel)"
    )
    parser.add_argument(
        "--ceil-mode", action="store_true", help="with --pool: round the output size up"
    )
    parser.set_defaults(func=run_shape)


def run_shape(args: argparse.Namespace) -> int:
    """Print the output-size computation for ``args`` (see ``_add_shape``)."""
    sizes = _sizes("--input", args.input, max_dims=3)
    n = len(sizes)
    kernel = _per_dim("--kernel", args.kernel, n)
    stride = (
        kernel if args.pool and args.stride is None else _per_dim("--stride", args.stride or "1", n)
    )
    dilation = _per_dim("--dilation", args.dilation, n)
    if args.ceil_mode and not args.pool:
        raise JuanjiError("--ceil-mode applies to pooling windows: add --pool")
    pads, notes = _padding(args.padding, sizes, kernel, stride, dilation, args.pool)
    names = _DIM_NAMES[n]
    lines, outputs = [], []  # all computed before anything is printed (an error prints alone)
    per_dim = zip(names, sizes, kernel, stride, dilation, pads, strict=True)
    for dim, (name, w, k, s, d, (p_b, p_a)) in enumerate(per_dim):
        if dim in notes:
            lines.append(f"  {name}: {notes[dim]}")
        out, text = _one_dim(name, w, k, s, d, p_b, p_a, args.pool, args.ceil_mode)
        lines.append(f"  {name}: {text}")
        outputs.append(out)
    kind = "pooling window" if args.pool else "convolution"
    print(
        f"{kind}: input {_x(sizes)} ({' x '.join(names)}), kernel {_x(kernel)}, "
        f"stride {_x(stride)}, "
        f"dilation {_x(dilation)}, padding {_padding_text(pads)}"
        + (", ceil_mode" if args.ceil_mode else "")
    )
    rounding = "ceil" if args.ceil_mode else "floor"
    print(f"n = {rounding}((w + p_total - d*(k-1) - 1) / s) + 1, per dimension:")
    print("\n".join(lines))
    print(f"output: {_x(outputs)} ({' x '.join(names)})")
    return 0


def _one_dim(
    name: str, w: int, k: int, s: int, d: int, p_b: int, p_a: int, pool: bool, ceil_mode: bool
) -> tuple[int, str]:
    """The output size along one dimension and its formula text; JuanjiError if none."""
    span = effective_kernel(k, d)
    if w + p_b + p_a < span:
        raise JuanjiError(
            f"{name}: the kernel spans {span} pixels (d*(k-1)+1 = {d}*({k}-1)+1) but the padded "
            f"input has only {w + p_b + p_a} (w + p_total = {w} + {p_b + p_a}); no output"
        )
    if not ceil_mode:
        out = (pool_output_size if pool else conv_output_size)(w, k, s, p_b, p_a, d)
        return out, output_size_formula(w, k, s, p_b, p_a, d)
    out = pool_output_size(w, k, s, p_b, p_a, d, ceil_mode=True)
    rounded_up = -(-(w + p_b + p_a - span) // s) + 1
    text = f"ceil(({w} + {p_b + p_a} - {d}*({k}-1) - 1) / {s}) + 1 = {rounded_up}"
    if out < rounded_up:
        text += (
            f"; minus 1 = {out}: the last window would start at {(rounded_up - 1) * s} "
            f"(counting from the padded start), in the right padding (the input ends at "
            f"{p_b + w - 1}), and is dropped"
        )
    return out, text


# ---------------------------------------------------------------------- parsing helpers
def _x(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


def _int(option: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise JuanjiError(f"{option}: expected an integer, got {text!r}") from None
    if value < minimum:
        raise JuanjiError(f"{option}: expected integers >= {minimum}, got {value}")
    return value


def _sizes(option: str, text: str, max_dims: int | None) -> tuple[int, ...]:
    """``'1x32x32'`` -> ``(1, 32, 32)``, every size >= 1."""
    parts = text.lower().split("x")
    if max_dims is not None and len(parts) > max_dims:
        raise JuanjiError(
            f"{option}: expected 1 to {max_dims} spatial sizes (no batch or channels), e.g. "
            f"28x28; got {text!r}"
        )
    return tuple(_int(option, part, 1) for part in parts)


def _per_dim(option: str, text: str, n: int) -> tuple[int, ...]:
    """One positive int per dimension: ``'5'`` -> ``(5,) * n``; ``'3x5'`` needs ``n == 2``."""
    values = _sizes(option, text, max_dims=None)
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise JuanjiError(
            f"{option}: {len(values)} values for an input of {n} dimension(s); give one value "
            f"or {n}"
        )
    return values


def _padding(
    text: str,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    pool: bool,
) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """``(before, after)`` per dimension, and a note per dimension for ``'same'``."""
    word = text.strip().lower()
    if word in PADDING_STRINGS:
        if pool:
            raise JuanjiError(f"--padding {word!r} is for convolutions; pooling takes an int")
        value: Any = word
    else:  # the command line's syntax: 'p', 'pHxpW', 'before,after' per dimension
        value = []
        for part in text.split("x"):
            sides = part.split(",")
            if len(sides) > 2:
                raise JuanjiError(f"--padding: expected 'before,after' per dimension, got {part!r}")
            pair = tuple(_int("--padding", side, 0) for side in sides)
            value.append(pair[0] if len(pair) == 1 else pair)
    try:  # the rules (one entry per dimension, 'same' for this size) are conv2d's
        spec = value if isinstance(value, str) else tuple(value)
        pads = list(padding_pairs("--padding", spec, sizes, kernel, stride, dilation))
    except (TypeError, ValueError) as error:
        raise JuanjiError(str(error)) from None
    if pool:
        for (p_b, p_a), k in zip(pads, kernel, strict=True):
            if p_b != p_a or p_b > k // 2:
                raise JuanjiError(
                    f"--padding: pooling pads both sides alike, at most half the kernel "
                    f"(kernel_size // 2 = {k // 2}); got {p_b},{p_a}"
                )
    if word in ("same", "same_lower"):
        notes = {
            dim: _same_note(word, pair, sizes[dim], stride[dim]) for dim, pair in enumerate(pads)
        }
        return pads, notes
    return pads, {}


def _same_note(word: str, pair: tuple[int, int], w: int, s: int) -> str:
    before, after = pair
    total = before + after
    target = f"ceil({w}/{s}) = {-(-w // s)} outputs" if s > 1 else f"{w} outputs, as the input"
    text = f"padding {word!r} for {target}: total {total}, {before} before and {after} after"
    if total % 2:
        if word == "same":
            text += " (odd total: the extra pixel goes at the end, bottom/right, as PyTorch)"
        else:
            text += " (odd total: the extra pixel goes at the start, top/left)"
    return text


def _padding_text(pads: Sequence[tuple[int, int]]) -> str:
    if all(p_b == p_a for p_b, p_a in pads):
        return _x([p_b for p_b, _ in pads])
    return "x".join(f"{p_b},{p_a}" for p_b, p_a in pads)


# ---------------------------------------------------------------------- juanji receptive-field
def _add_receptive_field(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "receptive-field",
        help="receptive field size, jump and start after every conv/pool layer",
        description="Apply the receptive-field recurrence (j_out = j*s, r_out = r + (k-1)*j, "
        "c_out = c + ((k-1)/2 - p)*j, from one pixel: r=1, j=1, c=0.5) to every convolution "
        "and pooling layer of MODEL and print the table; with --image, draw the field of one "
        "output unit on a picture.",
        epilog="examples: juanji receptive-field lenet5;  "
        "juanji receptive-field lenet5 --image digit.png --layer features.3 --unit 5,5",
    )
    parser.add_argument("model", metavar="MODEL", help="a registered model or a RUN_DIR")
    parser.add_argument(
        "--input", metavar="CxHxW", help="one image's size (default: the model's own)"
    )
    parser.add_argument(
        "--image",
        nargs="?",
        const="",
        metavar="PATH",
        help="draw the field on this picture (resized to the input; no PATH: the sample)",
    )
    parser.add_argument(
        "--layer",
        help="name or row number of the layer whose unit is shown (default: the last)",
    )
    parser.add_argument(
        "--unit",
        metavar="ROW,COL",
        help="output unit of --layer, e.g. 5,5; negative counts from the end: -1,-1 is the "
        "last (default: the middle)",
    )
    parser.add_argument(
        "-o",
        "--output",
        help="draw the picture into this file (.png, .jpg, .pdf, .svg; default with --image: "
        "receptive-field.png); without --image the sample picture is used",
    )
    # "--unit -1,0" is a value, not an option: argparse's default takes only "-1" for a number.
    parser._negative_number_matcher = re.compile(r"^-\d+([,x]-?\d+)*$")
    parser.set_defaults(func=run_receptive_field)


def _model_or_run(text: str) -> Any:
    """A registered model by name, or the (untrained) model a RUN_DIR's config names."""
    import os

    from juanji.models import get_model, list_models

    if os.path.isdir(text):
        import juanji.apps.training as training
        from juanji.apps.training import run_directory

        path = run_directory.config_path(text)
        return training.build_model(training.load_run_config(text), path)
    try:
        return get_model(text)
    except ValueError:
        known = ", ".join(list_models())
        raise JuanjiError(
            f"unknown model {text!r} (and no such run directory); known models: {known}"
        ) from None


def _layer_index(table: Any, text: str | None) -> int:
    if text is None:
        return len(table.rows) - 1
    names = [row.name for row in table.rows]
    if text in names:
        return names.index(text)
    if text.isdigit() and int(text) < len(names):
        return int(text)
    raise JuanjiError(
        f"--layer: no window layer {text!r}; layers: {', '.join(names)} "
        f"(or their row numbers 0 to {len(names) - 1})"
    )


def _unit(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = text.replace("x", ",").split(",")
    if len(parts) != 2:
        raise JuanjiError(f"--unit: expected ROW,COL, got {text!r}")
    return tuple(_int("--unit", part, -(2**31)) for part in parts)


def run_receptive_field(args: argparse.Namespace) -> int:
    """Print the receptive-field table of ``args.model``; draw it with ``--image``."""
    from juanji.apps.viz.receptive_field import draw_receptive_field, receptive_field_table

    model = _model_or_run(args.model)
    input_size = None if args.input is None else _sizes("--input", args.input, max_dims=None)
    if input_size is not None:
        check_input_size("--input", input_size)
    try:
        table = receptive_field_table(model, input_size)
    except ValueError as error:
        reason = str(error).splitlines()[0]
        if input_size is not None:
            reason = f"{args.model} cannot take an input of {_x(input_size)}: {reason}"
        raise JuanjiError(reason) from None
    if not table.rows:
        raise JuanjiError(f"{args.model} has no convolution or pooling layer")
    draw = args.image is not None or args.output is not None
    if not (draw or args.layer or args.unit):
        print(table)
        return 0
    from juanji.apps.viz import plot
    from juanji.apps.viz.receptive_field import check_unit

    layer = _layer_index(table, args.layer)
    row = table.rows[layer]
    try:
        unit = check_unit(row, _unit(args.unit))
    except ValueError as error:
        raise JuanjiError(str(error).removeprefix("draw_receptive_field: ")) from None
    if draw:
        if len(row.fields) != 2:
            raise JuanjiError(f"{args.model}: only 2-D models can be drawn")
        output = plot.check_output(args.output or "receptive-field.png")
        channels, height, width = table.input_size
        check_image_file(args.image or plot.sample_image_path())
        picture = plot.read_image(args.image or plot.sample_image_path(), gray=channels == 1)
        picture = plot.resize_image(picture, height, width)
        path, _ = draw_receptive_field(picture, table, output, layer, unit)
    print(table)
    axes = {1: ("positions",), 2: ("rows", "columns"), 3: ("depth", "rows", "columns")}
    window = row.unit_window(unit)
    spans = " and ".join(
        f"{axis} {low:g} to {high:g}"
        for axis, (low, high) in zip(axes[len(window)], window, strict=True)
    )
    print(f"\n{row.name} unit {unit} sees {spans} (pixel i covers [i, i+1))")
    if draw:
        print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------- juanji features
def _add_features(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "features",
        help="feature maps of every conv/pool layer of a trained model for one picture",
        description="Run a trained model (a RUN_DIR of juanji train) on one picture, prepared "
        "as juanji predict prepares it, and draw the learnt first-layer kernels and the maps "
        "of every convolution and pooling layer as labelled grids.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory of juanji train")
    parser.add_argument("image", metavar="IMAGE", help="a picture of one digit (PNG, JPEG...)")
    parser.add_argument(
        "-o",
        "--output",
        default="features.png",
        help="file to write, format from its suffix: .png, .jpg, .pdf, .svg (features.png)",
    )
    parser.add_argument(
        "--max-channels", type=int, default=16, help="channels drawn per layer (16)"
    )
    parser.set_defaults(func=run_features)


def run_features(args: argparse.Namespace) -> int:
    """Draw the feature maps of ``args.run_dir``'s model for ``args.image``."""
    import numpy as np

    import juanji.apps.training as training
    from juanji.apps.cli.train import prepare_image
    from juanji.apps.viz import plot
    from juanji.apps.viz.features import draw_feature_maps, feature_maps, first_layer_kernels
    from juanji.nn import functional as F
    from juanji.tensor.tensor import Tensor

    if args.max_channels < 1:
        raise JuanjiError(f"--max-channels must be >= 1, got {args.max_channels}")
    output_path = plot.check_output(args.output)
    model, config = training.restore_model(args.run_dir)
    try:
        picture = prepare_image(args.image, config.preprocessing)  # as predict prepares it
    except JuanjiError as error:
        message = str(error)
        raise JuanjiError(
            message if message.startswith(args.image) else f"{args.image}: {message}"
        ) from None
    x = Tensor(training.make_transform(config).batch(picture[None]))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        maps, output = feature_maps(model, x)
    if not maps:
        raise JuanjiError(f"{args.run_dir}: the model has no convolution or pooling layer")
    training.check_outputs(output, model, config, args.run_dir)
    probabilities = F.softmax(output, dim=1).numpy()[0]
    best = int(np.argmax(probabilities))
    label = config["classes"][best]
    path = draw_feature_maps(
        x.numpy()[0, 0],
        maps,
        first_layer_kernels(model, maps),
        output_path,
        title=f"prediction: {label} ({100 * probabilities[best]:.1f}%)",
        max_channels=args.max_channels,
    )
    for feature in maps:
        shape = "x".join(str(n) for n in feature.maps.shape)
        print(f"{feature.name:<12} {feature.type:<14} {shape}")
    print(f"prediction: {label} ({100 * probabilities[best]:.1f}%)")
    print(f"wrote {path}")
    return 0
