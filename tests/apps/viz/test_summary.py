"""juanji.apps.viz.summary: rows and totals checked against hand counts and the LeNet paper."""

import numpy as np
import pytest

import juanji
from juanji import nn
from juanji.apps.viz.summary import layer_counts, summary
from juanji.models import LeNet5, LeNet5Classic

# LeNet-5 (1998), Section II-B, written by hand: (trainable parameters, connections) per layer.
PAPER = {
    "c1": (156, 122_304),
    "s2": (12, 5_880),
    "c3": (1_516, 151_600),
    "s4": (32, 2_000),
    "c5": (48_120, 48_120),
    "f6": (10_164, 10_164),
}


def _n_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def small_net():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),  # 4*(3*9)+4 = 112 params
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, groups=2, dilation=2, bias=False),  # 8*(2*9) = 144 params
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(8 * 2 * 2, 5),  # 5*32+5 = 165 params
    )


def test_small_conv_net_rows_by_hand():
    table = summary(small_net(), (3, 12, 12))
    rows = [(r.name, r.type, r.output_shape, r.params, r.connections, r.multiply_adds)
            for r in table.rows]  # fmt: skip
    assert rows == [
        # conv: 4*12*12 = 576 outputs x (27 weights + 1 bias); MACs 576 x 27
        ("0", "Conv2d", (1, 4, 12, 12), 112, 576 * 28, 576 * 27),
        ("1", "ReLU", (1, 4, 12, 12), 0, 0, 0),
        ("2", "MaxPool2d", (1, 4, 6, 6), 0, 0, 0),
        # grouped, dilated (span 5: 6 -> 2), no bias: 8*2*2 = 32 outputs x (2 channels * 9)
        ("3", "Conv2d", (1, 8, 2, 2), 144, 32 * 18, 32 * 18),
        ("4", "Flatten", (1, 32), 0, 0, 0),
        ("5", "Dropout", (1, 32), 0, 0, 0),
        ("6", "Linear", (1, 5), 165, 5 * 33, 5 * 32),
    ]
    assert table.total_params == table.trainable_params == 112 + 144 + 165
    assert table.connections == 576 * 28 + 32 * 18 + 165
    assert table.multiply_adds == 576 * 27 + 32 * 18 + 160


def test_small_conv_net_memory_by_hand():
    table = summary(small_net(), (3, 12, 12))
    outputs = 576 + 576 + 144 + 32 + 32 + 32 + 5  # every leaf's output, float32
    assert table.activation_bytes == 4 * outputs
    assert table.input_bytes == 4 * 3 * 12 * 12
    assert table.param_bytes == 4 * 421
    assert f"Activations, forward pass (MB): {4 * outputs / 1e6:.3f}" in str(table)


def test_1d_and_3d_layers():
    net = nn.Sequential(nn.Conv1d(2, 3, 4), nn.AvgPool1d(2), nn.Conv3d(3, 1, (1, 1, 2)))
    with pytest.raises(ValueError):  # a 2-D output cannot feed Conv3d: the error passes through
        summary(net, (2, 10))
    table = summary(nn.Sequential(nn.Conv1d(2, 3, 4), nn.AvgPool1d(2)), (2, 10))
    assert table.row("0").output_shape == (1, 3, 7)
    assert table.row("0").connections == 21 * 9
    cube = summary(nn.Conv3d(2, 4, 3), (2, 5, 5, 5))
    assert [(r.name, r.type) for r in cube.rows] == [("", "Conv3d")]  # the model is a leaf
    assert cube.rows[0].connections == 4 * 27 * (2 * 27 + 1)
    assert str(cube).splitlines()[4].startswith("Conv3d ")


def test_lenet5_totals_equal_numel_count():
    model = LeNet5()
    table = summary(model)
    assert table.input_shape == (1, 1, 28, 28)
    assert table.total_params == table.trainable_params == _n_trainable(model) == 61_706
    assert table.row("features.0").params == 156
    assert table.row("features.3").params == 2_416
    assert [table.row(f"classifier.{i}").params for i in (0, 2, 4)] == [48_120, 10_164, 850]


def test_lenet5_hierarchy_is_indented():
    table = summary(LeNet5())
    containers = [r for r in table.rows if not r.is_leaf]
    assert [(r.name, r.depth) for r in containers] == [("features", 0), ("classifier", 0)]
    assert table.row("features").output_shape == (1, 16, 5, 5)
    assert table.row("features.3").depth == 1
    text = str(table)
    assert "\nfeatures (Sequential)" in text
    assert "\n  features.0 (Conv2d)" in text


def test_lenet5_classic_matches_the_paper_layer_by_layer():
    model = LeNet5Classic()
    table = summary(model)
    for name, (params, connections) in PAPER.items():
        row = table.row(name)
        assert (row.params, row.connections) == (params, connections), name
    assert table.row("output").params == 0
    assert table.row("output").connections == 840  # 10 RBF units x 84 inputs, fixed weights
    assert table.trainable_params == _n_trainable(model) == 60_000
    assert table.non_trainable_params == 0
    assert table.buffer_values == 840
    assert table.connections == 340_908
    text = str(table)
    assert "Trainable params: 60,000" in text
    assert "Connections: 340,908" in text
    assert "c3 (TableConv2d)" in text


def test_shared_module_rows_and_totals_count_it_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(4, 4)

        def forward(self, x):
            return self.layer(self.layer(x))

    table = summary(Twice(), (4,))
    assert [(r.name, r.repeated) for r in table.rows] == [("layer", False), ("layer", True)]
    assert table.total_params == 20
    assert table.connections == 2 * 20  # each call's output units have their links
    assert "(shared)" in str(table)


def test_frozen_parameters_are_non_trainable():
    model = LeNet5()
    model.features.requires_grad_(False)
    table = summary(model)
    assert table.non_trainable_params == 156 + 2_416
    assert table.trainable_params == 61_706 - 156 - 2_416


def test_summary_leaves_the_model_as_it_was():
    model = small_net()
    model.train()
    model[5].eval()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    summary(model, (3, 12, 12))
    assert [m.training for m in model.modules()] == [True] * 6 + [False, True]
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    assert all(p.grad is None for p in model.parameters())


def test_float64_model_is_fed_float64():
    table = summary(small_net().double(), (3, 12, 12))
    assert table.input_bytes == 8 * 3 * 12 * 12


def test_custom_layer_reports_its_own_counts():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(juanji.ones(1))

        def forward(self, x):
            return x * self.weight

        def summary_counts(self, input_shape, output_shape):
            return 2 * input_shape[-1], 7

    table = summary(Scale(), (5,))
    assert (table.rows[0].connections, table.rows[0].multiply_adds) == (10, 7)
    assert layer_counts(nn.Tanh(), (1, 3), (1, 3)) == (0, 0)


def test_input_size_errors():
    with pytest.raises(ValueError, match=r"summary: give input_size.*Sequential has no"):
        summary(small_net())
    for bad in [(3, 0, 12), (), (3, 12.0, 12), (True, 2)]:
        with pytest.raises(ValueError, match="summary: input_size must be positive ints"):
            summary(small_net(), bad)


def test_kernel_larger_than_input_passes_the_library_error_through():
    with pytest.raises(ValueError, match="conv2d"):
        summary(LeNet5(), (1, 8, 8))
