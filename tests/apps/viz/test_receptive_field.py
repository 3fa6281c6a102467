"""juanji.apps.viz.receptive_field and `juanji receptive-field`: every field worked out by hand.

The recurrence (per dimension, from one pixel r = 1, j = 1, c = 0.5):
    j_out = j * s,   r_out = r + (k_eff - 1) * j,   c_out = c + ((k_eff - 1)/2 - p_before) * j
"""

import numpy as np
import pytest
from PIL import Image

from juanji import nn
from juanji.apps.cli import main
from juanji.apps.viz.receptive_field import (
    draw_receptive_field,
    nested_boxes,
    receptive_field_table,
)
from juanji.models import LeNet5, LeNet5Classic


def _fields(table, dim=0):
    return [
        (row.fields[dim].size, row.fields[dim].jump, row.fields[dim].start) for row in table.rows
    ]


def test_lenet5_by_hand():
    # conv 5, pad 2: r = 1 + 4*1 = 5,  j = 1, c = 0.5 + (2 - 2)*1 = 0.5
    # pool 2, s 2:   r = 5 + 1*1 = 6,  j = 2, c = 0.5 + (0.5 - 0)*1 = 1
    # conv 5:        r = 6 + 4*2 = 14, j = 2, c = 1 + 2*2 = 5
    # pool 2, s 2:   r = 14 + 1*2 = 16, j = 4, c = 5 + 0.5*2 = 6
    table = receptive_field_table(LeNet5())
    assert [row.name for row in table.rows] == [
        "features.0",
        "features.2",
        "features.3",
        "features.5",
    ]
    assert [row.type for row in table.rows] == ["Conv2d", "MaxPool2d", "Conv2d", "MaxPool2d"]
    for dim in (0, 1):
        assert _fields(table, dim) == [(5, 1, 0.5), (6, 2, 1.0), (14, 2, 5.0), (16, 4, 6.0)]
    assert [row.output_shape for row in table.rows] == [
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
    ]
    assert table.stopped_at == ("classifier.0", "Linear")
    # unit (0, 0) of the last pool: centre 6, r 16 -> [-2, 14): 2 rows/columns of padding;
    # unit (4, 4): centre 6 + 4*4 = 22 -> [14, 30), 2 past the 28-pixel image
    assert table.rows[-1].unit_window((0, 0)) == [(-2.0, 14.0), (-2.0, 14.0)]
    assert table.rows[-1].unit_window((4, 4)) == [(14.0, 30.0), (14.0, 30.0)]


def test_lenet5_classic_by_hand():
    # conv 5, no pad: r 5, j 1, c = 0.5 + 2 = 2.5; subsampling 2: r 6, j 2, c 3;
    # C3 5x5: r 14, j 2, c 7; S4: r 16, j 4, c 8; C5 5x5: r = 16 + 4*4 = 32, j 4, c = 8 + 2*4 = 16
    table = receptive_field_table(LeNet5Classic())
    assert [row.name for row in table.rows] == ["c1", "s2", "c3", "s4", "c5"]
    assert _fields(table) == [(5, 1, 2.5), (6, 2, 3.0), (14, 2, 7.0), (16, 4, 8.0), (32, 4, 16.0)]
    assert table.rows[2].type == "TableConv2d" and table.rows[1].stride == (2, 2)
    assert table.stopped_at == ("f6", "Linear")


def test_strided_dilated_and_same_padded_stack_by_hand():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1),  # 64 -> 32
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, padding=1),  # 32 -> 16
        nn.MaxPool2d(3, stride=2, padding=1),  # 16 -> 8
        nn.Conv2d(4, 4, 3, dilation=2),  # k_eff 5: 8 -> 4
        nn.Conv2d(4, 4, 2, padding="same"),  # pads (0, 1): 4 -> 4
        nn.Conv2d(4, 4, 2, padding="same_lower"),  # pads (1, 0)
        nn.Flatten(),
    )
    table = receptive_field_table(model, (1, 64, 64))
    # 1: k3 s2 p1: r = 3,            j = 2, c = 0.5 + (1 - 1)*1 = 0.5
    # 2: k3 s2 p1: r = 3 + 2*2 = 7,   j = 4, c = 0.5 + (1 - 1)*2 = 0.5
    # 3: k3 s2 p1: r = 7 + 2*4 = 15,  j = 8, c = 0.5
    # 4: k_eff 5, s1 p0: r = 15 + 4*8 = 47, j = 8, c = 0.5 + 2*8 = 16.5
    # 5: k2, p_before 0: r = 47 + 8 = 55, j = 8, c = 16.5 + 0.5*8 = 20.5
    # 6: k2, p_before 1: r = 55 + 8 = 63, j = 8, c = 20.5 + (0.5 - 1)*8 = 16.5
    assert _fields(table) == [
        (3, 2, 0.5),
        (7, 4, 0.5),
        (15, 8, 0.5),
        (47, 8, 16.5),
        (55, 8, 20.5),
        (63, 8, 16.5),
    ]
    assert [row.padding[0] for row in table.rows] == [
        (1, 1),
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert table.rows[3].dilation == (2, 2)
    assert table.stopped_at == ("7", "Flatten")
    text = str(table)
    assert "0,1" in text and "1,0" in text and "63" in text and "16.5" in text


def test_rectangular_kernels_and_one_dimension():
    table = receptive_field_table(nn.Conv2d(1, 1, (5, 1), stride=(1, 3)), (1, 9, 9))
    assert _fields(table, 0) == [(5, 1, 2.5)] and _fields(table, 1) == [(1, 3, 0.5)]
    assert "5x1" in str(table) and "1x3" in str(table)
    one_d = nn.Sequential(nn.Conv1d(1, 2, 4, stride=2), nn.MaxPool1d(2))
    # k4 s2: r 4, j 2, c = 0.5 + 1.5 = 2; pool 2: r = 4 + 2 = 6, j 4, c = 2 + 0.5*2 = 3
    assert _fields(receptive_field_table(one_d, (1, 20))) == [(4, 2, 2.0), (6, 4, 3.0)]


def test_layers_that_cannot_be_explained_are_refused():
    class Odd(nn.Module):
        kernel_size = 3

        def forward(self, x):
            return x[:, :, ::2, ::2]  # claims a 3-wide window, shows neither stride 1 nor 3

    with pytest.raises(ValueError, match="cannot read the window of Odd"):
        receptive_field_table(Odd(), (1, 8, 8))
    with pytest.raises(ValueError, match="give input_size"):
        receptive_field_table(nn.Conv2d(1, 1, 3))


def test_draw_marks_the_unit(tmp_path):
    table = receptive_field_table(LeNet5())
    path, window = draw_receptive_field(
        np.zeros((28, 28)), table, tmp_path / "rf.png", layer=2, unit=(2, 7)
    )
    # features.3, unit (2, 7): centres 5 + 2*2 = 9 and 5 + 7*2 = 19, r 14
    assert window == [(2.0, 16.0), (12.0, 26.0)]
    with Image.open(path) as image:
        assert image.size == (550, 500)
    with pytest.raises(ValueError, match="outside features.5's 5x5 output"):
        draw_receptive_field(np.zeros((28, 28)), table, tmp_path / "x.png", unit=(5, 0))


# ---------------------------------------------------------------------------- the command
def test_command_prints_the_table(capsys):
    assert main(["receptive-field", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "features.3  Conv2d     16x10x10  5       1       0        14      2       5" in out
    assert "From classifier.0 (Linear) on, every unit sees the whole 28x28 input." in out


def test_command_draws_on_a_picture(tmp_path, capsys):
    picture = tmp_path / "digit.png"
    Image.fromarray(np.zeros((56, 56), np.uint8)).save(picture)
    out = tmp_path / "rf.png"
    argv = ["receptive-field", "lenet5", "--image", str(picture), "--layer", "features.3"]
    assert main([*argv, "--unit", "2,7", "-o", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (550, 500)
    printed = capsys.readouterr().out
    assert "features.3 unit (2, 7) sees rows 2 to 16 and columns 12 to 26" in printed
    assert f"wrote {out}" in printed
    # no PATH: the packaged sample picture
    assert main(["receptive-field", "lenet5-classic", "--image", "-o", str(out)]) == 0


def test_command_takes_a_run_directory(tmp_path, capsys):
    from juanji.apps import training
    from juanji.apps.training import run_directory

    run_directory.save_config(tmp_path, training.make_config("lenet5"))
    assert main(["receptive-field", str(tmp_path)]) == 0
    assert "features.5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown model 'nope'"),
        (["lenet5", "--image", "--layer", "classifier.0"], "--layer: no window layer"),
        (["lenet5", "--image", "--unit", "9,9"], "unit (9, 9) is outside features.5's 5x5"),
        (["lenet5", "--image", "--unit", "1"], "--unit: expected ROW,COL"),
        (["lenet5", "--image", "missing.png"], "missing.png: no such file"),
        (["lenet5", "--input", "1x8x8"], "lenet5 cannot take an input of 1x8x8: conv2d:"),
    ],
)
def test_command_errors_are_one_line(tmp_path, capsys, argv, message):
    assert main(["receptive-field", *argv, "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji receptive-field: ") and message in err
    assert err.count("\n") == 1


def _contains(outer, inner):
    return all(
        o_lo <= i_lo and i_hi <= o_hi
        for (o_lo, o_hi), (i_lo, i_hi) in zip(outer, inner, strict=False)
    )


@pytest.mark.parametrize("unit", [(0, 0), (2, 3), (4, 4), (1, 2)])
def test_drawn_boxes_are_nested_and_share_the_unit_centre(unit):
    table = receptive_field_table(LeNet5())
    boxes = nested_boxes(table, 3, unit)
    assert len(boxes) == 4
    (top, bottom), (left, right) = table.rows[3].unit_window(unit)
    assert boxes[-1] == [(top, bottom), (left, right)]
    centre = ((top + bottom) / 2, (left + right) / 2)
    for row, box in zip(table.rows, boxes, strict=False):
        assert [(lo + hi) / 2 for lo, hi in box] == list(centre)
        assert [hi - lo for lo, hi in box] == [float(f.size) for f in row.fields]
    for inner, outer in zip(boxes, boxes[1:], strict=False):
        assert _contains(outer, inner)


def test_nested_boxes_hand_example():
    # LeNet5 features.2 (pool 2 after a 5x5 conv, padding 2): r = 6, j = 2, c = 0.5 + 0.5 = 1.0
    # unit (3, 3) is centred at 1 + 3*2 = 7: [4, 10); the conv box (r = 5) is [4.5, 9.5),
    # not the field of conv unit 6 or 7, which would poke out on one side ([4, 9) or [5, 10)).
    table = receptive_field_table(LeNet5())
    assert nested_boxes(table, 1, (3, 3)) == [
        [(4.5, 9.5), (4.5, 9.5)],
        [(4.0, 10.0), (4.0, 10.0)],
    ]


def test_command_layer_and_unit_work_without_image(capsys):
    assert main(["receptive-field", "lenet5", "--layer", "features.3", "--unit", "2,7"]) == 0
    assert (
        "features.3 unit (2, 7) sees rows 2 to 16 and columns 12 to 26" in capsys.readouterr().out
    )


def test_command_accepts_negative_units_counted_from_the_end(capsys):
    assert main(["receptive-field", "lenet5", "--layer", "features.3", "--unit", "-1,0"]) == 0
    assert "features.3 unit (9, 0) sees" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer", "99"], "--layer: no window layer '99'"),
        (["--unit", "-7,0"], "unit (-7, 0) is outside features.5's 5x5 output"),
        (["--image", "-o", "rf.gif"], "-o rf.gif: '.gif'; the file name must end in one of"),
    ],
)
def test_command_refuses_what_it_cannot_show_without_image(capsys, argv, message):
    assert main(["receptive-field", "lenet5", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("juanji receptive-field: ") and message in err and err.count("\n") == 1


def test_command_output_implies_a_picture(tmp_path, capsys):
    out = tmp_path / "rf.pdf"
    assert main(["receptive-field", "lenet5", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")


# ------------------------------------------------- plain stacks only (the modern-CNN models)
@pytest.mark.parametrize(
    ("name", "last", "size"),
    [("vgg11", "features.20", 150), ("alexnet", "features.12", 195), ("nin", "net.7.4", 47)],
)
def test_plain_stacks_of_the_modern_chapter(name, last, size):
    """VGG-11: 3x3 convs and 2x2 pools give 3, 4, 8, 10, 18, 26, 30, 46, 62, 70, 102, 134, 150;
    AlexNet's 11/4, 3/2 pools, 5 and 3x3s give 195; NiN's 11/4 start and 3/2 pools give 47."""
    from juanji.models import get_model

    table = receptive_field_table(get_model(name))
    assert table.rows[-1].name == last
    assert table.rows[-1].fields[0].size == size


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)
        self.after = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        return self.after(x + self.conv(x))


class _FunctionalReLU(nn.Module):
    """A plain stack whose activation is a function call, not a module."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(1, 2, 3), nn.Conv2d(2, 1, 3)

    def forward(self, x):
        return self.b(nn.functional.relu(self.a(x)).flatten(1).reshape(1, 2, 6, 6))


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "densenet121", "mobilenet_v2"])
def test_branching_networks_are_refused_with_the_reason(name):
    from juanji.models import get_model

    with pytest.raises(ValueError, match=r"is not a plain stack: the input of \S+ .*alone"):
        receptive_field_table(get_model(name))


def test_a_shortcut_is_found_and_functional_steps_are_not_branches():
    with pytest.raises(ValueError, match="_Residual is not a plain stack: the input of after"):
        receptive_field_table(_Residual(), (1, 8, 8))
    table = receptive_field_table(_FunctionalReLU(), (1, 8, 8))
    assert [row.fields[0].size for row in table.rows] == [3, 5]
