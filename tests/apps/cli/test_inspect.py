"""``juanji summary`` and ``juanji shape``, run in-process through juanji.apps.cli.main."""

import pytest

from juanji.apps.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


# ---------------------------------------------------------------------- summary
def test_summary_lenet5_classic_shows_the_paper_totals(capsys):
    code, out, err = run(capsys, "summary", "lenet5-classic")
    assert code == 0 and err == ""
    assert out.startswith("LeNet5Classic, input (1, 1, 32, 32)\n")
    assert "Trainable params: 60,000" in out
    assert "Connections: 340,908" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if " (" in line}
    assert rows["c3"][1:] == ["(TableConv2d)", "[1,", "16,", "10,", "10]", "1,516", "151,600",
                              "150,000"]  # fmt: skip
    assert rows["s2"][-3:] == ["12", "5,880", "1,176"]


def test_summary_with_input_option(capsys):
    code, out, _ = run(capsys, "summary", "lenet5", "--input", "1x28x28")
    assert code == 0
    assert out.startswith("LeNet5, input (1, 1, 28, 28)\n")
    assert "Total params: 61,706" in out


def test_summary_input_the_dense_layers_cannot_take(capsys):
    # 32x32 -> conv pad 2 -> 32 -> pool 16 -> conv 12 -> pool 6: 16*6*6 = 576 features, not 400
    err = one_line_error(capsys, "summary", "lenet5", "--input", "1x32x32")
    assert err.startswith("juanji summary: lenet5 cannot take an input of 1x32x32: ")


def test_summary_default_input_and_alias(capsys):
    code, out, _ = run(capsys, "summary", "LeNet-5")
    assert code == 0
    assert "  features.0 (Conv2d)" in out
    assert "[1, 6, 28, 28]" in out


def test_summary_unknown_model_lists_known_ones(capsys):
    err = one_line_error(capsys, "summary", "zfnet")
    import juanji.models

    assert err == (
        "juanji summary: unknown model 'zfnet' (and no such run directory); "
        f"known models: {', '.join(juanji.models.list_models())}"
    )
    assert "lenet5, lenet5-classic, " in err and "resnet18" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1x8x8", "lenet5 cannot take an input of 1x8x8: conv2d: kernel size 5"),
        ("3x28x28", "lenet5 cannot take an input of 3x28x28: conv2d: input has 3 channels"),
        ("1xax28", "--input: expected an integer, got 'a'"),
        ("1x0x28", "--input: expected integers >= 1, got 0"),
        ("28x28", "--input: lenet5 takes 3 sizes without the batch, e.g. 1x28x28; got 28x28"),
    ],
)
def test_summary_bad_input_is_one_line(capsys, value, message):
    err = one_line_error(capsys, "summary", "lenet5", "--input", value)
    assert err.startswith(f"juanji summary: {message}")


# ---------------------------------------------------------------------- shape
def test_shape_notes_example(capsys):
    code, out, err = run(capsys, "shape", "--input", "28x28", "--kernel", "5", "--padding", "2",
                         "--stride", "1")  # fmt: skip
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "convolution: input 28x28 (H x W), kernel 5x5, stride 1x1, dilation 1x1, padding 2x2",
        "n = floor((w + p_total - d*(k-1) - 1) / s) + 1, per dimension:",
        "  H: floor((28 + 4 - 1*(5-1) - 1) / 1) + 1 = 28",
        "  W: floor((28 + 4 - 1*(5-1) - 1) / 1) + 1 = 28",
        "output: 28x28 (H x W)",
    ]


def test_shape_strided_dilated_3d(capsys):
    # D: floor((9 + 3 - 2*2 - 1) / 2) + 1 = 4; H, W: floor((9 - 5) / 2) + 1 = 3
    code, out, _ = run(capsys, "shape", "--input", "9x9x9", "--kernel", "3", "--stride", "2",
                       "--dilation", "2", "--padding", "1,2x0x0")  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("padding 1,2x0,0x0,0")
    assert lines[2] == "  D: floor((9 + 3 - 2*(3-1) - 1) / 2) + 1 = 4"
    assert lines[-1] == "output: 4x3x3 (D x H x W)"


def test_shape_1d(capsys):
    code, out, _ = run(capsys, "shape", "--input", "10", "--kernel", "3")
    assert code == 0
    assert "  L: floor((10 + 0 - 1*(3-1) - 1) / 1) + 1 = 8" in out
    assert out.endswith("output: 8 (L)\n")


def test_shape_same_padding_odd_pixel_goes_after(capsys):
    code, out, _ = run(capsys, "shape", "--input", "28x28", "--kernel", "4", "--padding", "same")
    assert code == 0
    assert "padding 1,2x1,2" in out.splitlines()[0]
    assert (
        "  H: padding 'same' for 28 outputs, as the input: total 3, 1 before and 2 after "
        "(odd total: the extra pixel goes at the end, bottom/right, as PyTorch)"
    ) in out
    assert out.endswith("output: 28x28 (H x W)\n")


def test_shape_same_lower_with_stride(capsys):
    code, out, _ = run(capsys, "shape", "--input", "7x8", "--kernel", "4", "--padding",
                       "same_lower", "--stride", "2")  # fmt: skip
    assert code == 0
    assert (
        "  H: padding 'same_lower' for ceil(7/2) = 4 outputs: total 3, 2 before and 1 after "
        "(odd total: the extra pixel goes at the start, top/left)"
    ) in out
    assert (
        "  W: padding 'same_lower' for ceil(8/2) = 4 outputs: total 2, 1 before and 1 after\n"
        in out
    )
    assert out.endswith("output: 4x4 (H x W)\n")


def test_shape_valid_padding(capsys):
    code, out, _ = run(capsys, "shape", "--input", "32x32", "--kernel", "5", "--padding", "valid")
    assert code == 0 and out.endswith("output: 28x28 (H x W)\n")


def test_shape_pool_defaults_stride_to_kernel(capsys):
    code, out, _ = run(capsys, "shape", "--input", "28x28", "--kernel", "2", "--pool")
    assert code == 0
    assert out.splitlines()[0].startswith(
        "pooling window: input 28x28 (H x W), kernel 2x2, stride 2x2"
    )
    assert "  H: floor((28 + 0 - 1*(2-1) - 1) / 2) + 1 = 14" in out
    assert out.endswith("output: 14x14 (H x W)\n")


def test_shape_pool_ceil_mode(capsys):
    code, out, _ = run(capsys, "shape", "--input", "5x5", "--kernel", "2", "--pool",
                       "--ceil-mode")  # fmt: skip
    assert code == 0
    assert "n = ceil((w + p_total - d*(k-1) - 1) / s) + 1, per dimension:" in out
    assert "  W: ceil((5 + 0 - 1*(2-1) - 1) / 2) + 1 = 3" in out
    assert out.endswith("output: 3x3 (H x W)\n")


def test_shape_pool_ceil_mode_drops_a_window_in_the_padding(capsys):
    # Padded length 7, windows at 0, 2, 4, 6: the one at 6 lies wholly in the right padding.
    code, out, _ = run(capsys, "shape", "--input", "5", "--kernel", "2", "--padding", "1",
                       "--pool", "--ceil-mode")  # fmt: skip
    assert code == 0
    assert "ceil((5 + 2 - 1*(2-1) - 1) / 2) + 1 = 4; minus 1 = 3" in out
    assert out.endswith("output: 3 (L)\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "4x4", "--kernel", "5"],
         "H: the kernel spans 5 pixels (d*(k-1)+1 = 1*(5-1)+1) but the padded input has only "
         "4 (w + p_total = 4 + 0); no output"),
        (["--input", "10x10", "--kernel", "3", "--dilation", "5"],
         "H: the kernel spans 11 pixels"),
        (["--input", "28x28", "--kernel", "3", "--stride", "0"],
         "--stride: expected integers >= 1, got 0"),
        (["--input", "28x28", "--kernel", "0"], "--kernel: expected integers >= 1, got 0"),
        (["--input", "28x28", "--kernel", "3x3x3"],
         "--kernel: 3 values for an input of 2 dimension(s); give one value or 2"),
        (["--input", "1x1x28x28", "--kernel", "3"],
         "--input: expected 1 to 3 spatial sizes (no batch or channels)"),
        (["--input", "28x28", "--kernel", "3", "--padding", "-1"],
         "--padding: expected integers >= 0, got -1"),
        (["--input", "28x28", "--kernel", "3", "--padding", "1,2,3"],
         "--padding: expected 'before,after' per dimension, got '1,2,3'"),
        (["--input", "28x28", "--kernel", "3", "--padding", "half"],
         "--padding: expected an integer, got 'half'"),
        (["--input", "28x28", "--kernel", "3", "--ceil-mode"],
         "--ceil-mode applies to pooling windows: add --pool"),
        (["--input", "28x28", "--kernel", "5", "--pool", "--padding", "3"],
         "--padding: pooling pads both sides alike, at most half the kernel"),
        (["--input", "28x28", "--kernel", "2", "--pool", "--padding", "same"],
         "--padding 'same' is for convolutions; pooling takes an int"),
    ],
)  # fmt: skip
def test_shape_errors_are_one_line(capsys, argv, message):
    err = one_line_error(capsys, "shape", *argv)
    assert err.startswith(f"juanji shape: {message}"), err


def test_shape_missing_required_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["shape", "--input", "28x28"])
    assert exit_info.value.code == 2
    assert "--kernel" in capsys.readouterr().err


def test_summary_takes_a_run_directory(tmp_path, capsys):
    from juanji.apps import training
    from juanji.apps.training import run_directory

    run_directory.save_config(tmp_path, training.make_config("lenet5"))
    code, out, err = run(capsys, "summary", str(tmp_path))
    assert code == 0 and err == ""
    assert "  features.0 (Conv2d)" in out and "Total params: 61,706" in out


def test_shape_uses_pytorch_height_width_order_everywhere(capsys):
    from juanji.apps.cli import build_parser

    code, out, _ = run(capsys, "shape", "--input", "20x30", "--kernel", "3x5")
    assert code == 0
    assert out.splitlines()[0].startswith("convolution: input 20x30 (H x W), kernel 3x5")
    assert "  H: floor((20 + 0 - 1*(3-1) - 1) / 1) + 1 = 18" in out
    assert "  W: floor((30 + 0 - 1*(5-1) - 1) / 1) + 1 = 26" in out
    assert out.endswith("output: 18x26 (H x W)\n")
    parser = build_parser()
    shape = parser._subparsers._group_actions[0].choices["shape"]
    text = shape.format_help()
    assert "HxW" in text and "WxH" not in text
