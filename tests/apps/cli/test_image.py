"""`juanji filter` and `juanji explain`, called in-process through juanji.apps.cli.main."""

import numpy as np
import pytest
from PIL import Image

from juanji.apps.cli import main
from juanji.apps.viz.plot import sample_image_path


def _png(path):
    assert path.is_file() and path.stat().st_size > 0
    with Image.open(path) as image:
        image.load()
        return image.size, np.asarray(image)


def _edge_picture(tmp_path):
    # 6 x 8 grayscale: black columns 0-3, white columns 4-7 (one vertical edge)
    pixels = np.zeros((6, 8), np.uint8)
    pixels[:, 4:] = 255
    path = tmp_path / "edge.png"
    Image.fromarray(pixels, "L").save(path)
    return path


def test_filter_the_sample_image_with_no_argument(tmp_path, capsys):
    out = tmp_path / "sobel.png"
    assert main(["filter", "--kernel", "sobel-x", "--raw", "-o", str(out)]) == 0
    size, _ = _png(out)
    assert size == (160, 120)  # 'same' keeps the sample's 160 x 120
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and str(sample_image_path()) in printed
    assert "    -1    0    1\n    -2    0    2" in printed


def test_filter_values_of_the_written_png(tmp_path):
    # [1, -1] (edge-x), valid: x[j] - x[j+1] is 0 except -1 at j = 3 (black to white);
    # signed display: 0 -> mid grey 128, -1 (the largest magnitude) -> 0.
    out = tmp_path / "e.png"
    assert (
        main(
            [
                "filter",
                str(_edge_picture(tmp_path)),
                "-k",
                "edge-x",
                "--padding",
                "valid",
                "--raw",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    size, pixels = _png(out)
    assert size == (7, 6)
    assert pixels[:, 3].tolist() == [0] * 6
    assert set(np.delete(pixels, 3, axis=1).ravel().tolist()) == {128}


@pytest.mark.parametrize(
    ("options", "size"),
    [
        (["--padding", "valid"], (156, 116)),  # 5x5 gaussian: 160 - 4, 120 - 4
        (["--stride", "2"], (80, 60)),  # same: ceil(160 / 2), ceil(120 / 2)
        (["--padding", "valid", "--stride", "3"], (52, 39)),  # floor(155/3)+1, floor(115/3)+1
    ],
)
def test_filter_output_size_follows_padding_and_stride(tmp_path, options, size):
    out = tmp_path / "g.png"
    assert main(["filter", "-k", "gaussian", "--raw", *options, "-o", str(out)]) == 0
    assert _png(out)[0] == size


def test_filter_colour_and_gray(tmp_path):
    colour, gray = tmp_path / "c.png", tmp_path / "g.png"
    assert main(["filter", "-k", "box", "--size", "5", "--raw", "-o", str(colour)]) == 0
    assert main(["filter", "-k", "box", "--gray", "--raw", "-o", str(gray)]) == 0
    assert _png(colour)[1].shape == (120, 160, 3)
    assert _png(gray)[1].shape == (120, 160)


def test_filter_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["filter", "--grid", "-o", str(out)]) == 0
    size, _ = _png(out)
    assert size == (1000, 640)  # 5 columns x 2 in, 3 rows x 2 in + 0.4, at 100 dpi
    assert "12 kernels" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["filter", "-k", "nope"], "unknown kernel 'nope'; known kernels: identity, box"),
        (["filter", "missing.png", "-k", "box"], "missing.png: no such file"),
        (["filter"], "give --kernel NAME"),
        (["filter", "-k", "box", "--stride", "0"], "--stride must be >= 1"),
        (["filter", "-k", "gaussian", "--size", "4"], "size must be odd"),
    ],
)
def test_filter_errors_are_one_line(tmp_path, capsys, argv, message):
    assert main([*argv, "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji filter: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_filter_refuses_a_file_that_is_not_an_image(tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    assert main(["filter", str(bad), "-k", "box", "-o", str(tmp_path / "x.png")]) == 1
    assert "not an image Pillow can read" in capsys.readouterr().err


def test_filter_kernel_larger_than_the_image(tmp_path, capsys):
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tiny)
    assert (
        main(
            [
                "filter",
                str(tiny),
                "-k",
                "sobel-x",
                "--padding",
                "valid",
                "-o",
                str(tmp_path / "x.png"),
            ]
        )
        == 1
    )
    assert "juanji filter: conv2d:" in capsys.readouterr().err


@pytest.mark.parametrize("topic", ["conv", "pad", "stride", "pool", "channels", "im2col"])
def test_explain_prints_the_worked_example(capsys, topic):
    assert main(["explain", topic]) == 0
    assert "gives the same" in capsys.readouterr().out


def test_explain_conv_output(capsys):
    assert main(["explain", "conv"]) == 0
    out = capsys.readouterr().out
    assert "0*0 + 1*1 + 2*3 + 3*4 = 0 + 1 + 6 + 12 = 19" in out
    assert "F.conv2d gives the same grid: [[19, 25], [37, 43]]" in out


def test_explain_all_and_unknown(capsys):
    assert main(["explain", "all"]) == 0
    assert capsys.readouterr().out.count("gives the same") >= 6
    with pytest.raises(SystemExit) as info:
        main(["explain", "fft"])
    assert info.value.code == 2


_MAGIC = {
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".pdf": b"%PDF-",
    ".svg": b"<?xml",
    ".bmp": b"BM",
}


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".pdf", ".svg"])
def test_filter_writes_the_format_its_suffix_names(tmp_path, suffix):
    out = tmp_path / f"x{suffix}"
    assert main(["filter", "-k", "box", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(_MAGIC[suffix])


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp"])
def test_filter_raw_writes_the_format_its_suffix_names(tmp_path, suffix):
    out = tmp_path / f"x{suffix}"
    assert main(["filter", "-k", "box", "--raw", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(_MAGIC[suffix])
    assert _png(out)[0] == (160, 120)


def test_filter_grid_writes_the_format_its_suffix_names(tmp_path):
    out = tmp_path / "grid.jpg"
    assert main(["filter", "--grid", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(_MAGIC[".jpg"])


def test_filter_default_output_shows_input_and_output_side_by_side(tmp_path, capsys):
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    source = tmp_path / "digit.png"
    Image.fromarray(digit, "L").save(source)
    out = tmp_path / "side.png"
    assert main(["filter", str(source), "-k", "sobel-x", "-o", str(out)]) == 0
    (width, height), pixels = _png(out)
    assert width >= 800 and height >= 400  # two panels, each far larger than 28 x 28
    left, right = pixels[:, : width // 2], pixels[:, width // 2 :]
    assert left.min() < 50 and right.min() < 50  # each half holds a drawn picture


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["-k", "sobel-x", "--size", "5"],
            "--size applies to box, gaussian, identity; kernel sobel-x has a fixed size",
        ),
        (["-k", "sharpen", "--sigma", "2"], "--sigma applies to the gaussian kernel only"),
        (["--grid", "-k", "box"], "--grid draws every kernel; give --grid or -k box, not both"),
        (["--grid", "--raw"], "--raw writes one filtered image"),
        (["-k", "box", "--size", "1000"], "--size must be 1 to 101, got 1000 (the work grows"),
        (["-k", "box", "--size", "0"], "--size must be 1 to 101, got 0"),
        (["-k", "box", "-o", "x.gif"], "-o x.gif: '.gif'; the file name must end in one of"),
        (["-k", "box", "--raw", "-o", "x.pdf"], "-o x.pdf: '.pdf'; the file name must end in"),
        (["-k", "box", "-o", "/proc/juanji/x.png"], "-o /proc/juanji/x.png: cannot write there"),
    ],
)
def test_filter_refuses_options_it_would_ignore(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["filter", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"juanji filter: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_filter_prints_at_most_a_screenful_of_kernel(tmp_path, capsys):
    assert main(["filter", "-k", "box", "--size", "101", "-o", str(tmp_path / "b.png")]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 25 and max(len(line) for line in out.splitlines()) <= 120
    assert "the centre 15 x 12 of 101 x 101" in out
