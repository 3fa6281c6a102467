"""``juanji.onnx.export``: the file passes the full checker, onnxruntime gives juanji's outputs
(to 1e-4 relative, at the example's batch size and another), and loading it back gives them too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.helper")
ort = pytest.importorskip("onnxruntime")

import juanji  # noqa: E402
import juanji.nn.functional as F  # noqa: E402
import juanji.onnx  # noqa: E402
from juanji import models, nn  # noqa: E402
from juanji.errors import JuanjiError  # noqa: E402


def _runtime(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def _scaled_error(got, want):
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def _round_trip(model, shape, tmp_path, batches=(2, 3), name="m.onnx", **kwargs):
    """Export at batch batches[0]; compare onnxruntime and load() with juanji at every batch."""
    path = tmp_path / name
    x = juanji.randn(batches[0], *shape)
    proto = juanji.onnx.export(model, x, path, **kwargs)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    model.eval()
    loaded = juanji.onnx.load(path)
    for n in batches:
        xi = juanji.randn(n, *shape)
        want = model(xi).detach().numpy()
        (got,) = _runtime(path, xi.numpy())
        assert got.shape == want.shape
        assert _scaled_error(got, want) < 1e-4
        assert _scaled_error(loaded(xi).detach().numpy(), want) < 1e-4
    return proto


def _perturb_statistics(model):
    rng = np.random.default_rng(1)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            module.running_mean._data[...] = rng.normal(0, 0.2, module.running_mean.shape)
            module.running_var._data[...] = rng.uniform(0.5, 1.5, module.running_var.shape)


@pytest.mark.parametrize(
    ("name", "shape"),
    [("lenet5", (1, 28, 28)), ("lenet5-classic", (1, 32, 32)), ("lenet5-bn", (1, 28, 28)),
     ("resnet18", (3, 64, 64)), ("mobilenet-v2", (3, 64, 64))],
)
def test_models_round_trip_through_onnxruntime_and_back(name, shape, tmp_path):
    juanji.manual_seed(0)
    model = models.get_model(name)
    _perturb_statistics(model)
    proto = _round_trip(model, shape, tmp_path)
    names = {init.name for init in proto.graph.initializer}
    assert set(dict(model.named_parameters())) <= names  # LeNet5Classic's C3 too, by a Gather


def test_training_mode_is_restored_and_eval_is_what_is_written(tmp_path):
    juanji.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5), nn.ReLU())
    _perturb_statistics(model)
    model.train()
    _round_trip(model, (1, 6, 6), tmp_path)
    model.train()
    juanji.onnx.export(model, juanji.randn(2, 1, 6, 6), tmp_path / "again.onnx")
    assert model.training and all(m.training for m in model.modules())


class _Layers(nn.Module):
    """Every op family export writes, in one forward."""

    def __init__(self):
        super().__init__()
        self.conv1d = nn.Conv1d(3, 4, 3, padding="same", dilation=2)
        self.conv = nn.Conv2d(3, 6, (3, 2), stride=(2, 1), padding=((1, 2), (0, 1)), groups=3)
        self.conv3d = nn.Conv3d(1, 2, 2, padding=1)
        self.deconv = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.lrn = nn.LocalResponseNorm(3)
        self.prelu = nn.PReLU(4)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        a = F.max_pool2d(self.conv(x), 2, stride=1, padding=1, dilation=1, ceil_mode=True)
        a = self.prelu(self.lrn(self.bn(self.deconv(a))))
        a = F.avg_pool2d(F.leaky_relu(a, 0.2), 3, stride=2, padding=1, count_include_pad=False)
        a = F.adaptive_avg_pool2d(F.pad(a, (1, 2, 1, 1), mode="reflect"), 4)
        b = F.interpolate(F.hardtanh(a), scale_factor=2, mode="nearest")
        c = F.interpolate(F.gelu(a), size=(8, 8), mode="bilinear")
        d = juanji.cat([b, c], dim=1).mean(dim=(2, 3))
        e = self.conv1d(x[:, :, 0, :]).sigmoid().sum(dim=-1)
        f = self.conv3d(x[:, :1].unsqueeze(1)).tanh().flatten(1).sum(dim=1, keepdim=True)
        g = F.log_softmax(self.fc(F.silu(a).flatten(1)), dim=1)
        return F.softmax(d, dim=1)[:, :5] * 2 + g - e.sum(dim=1, keepdim=True) / 3 + f


def test_every_op_family_round_trips(tmp_path):
    juanji.manual_seed(0)
    model = _Layers()
    _perturb_statistics(model)
    proto = _round_trip(model, (3, 9, 8), tmp_path)
    ops = {node.op_type for node in proto.graph.node}
    assert {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "BatchNormalization", "LRN",
            "PRelu", "Pad", "Resize", "Concat", "Gemm", "Softmax", "LogSoftmax"} <= ops


@st.composite
def _stacks(draw):
    """A random conv/pool/BN stack, its input size and batch sizes."""
    channels = draw(st.integers(1, 3))
    size = draw(st.integers(7, 12))
    layers, c = [], channels
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "pool", "avg", "bn", "relu"]))
        if kind == "conv":
            out = draw(st.integers(1, 4))
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0 and out % g == 0]))
            k = draw(st.integers(1, 3))
            padding = draw(st.sampled_from([0, 1, "same", ((0, 1), (1, 0))]))
            stride = 1 if padding == "same" else draw(st.integers(1, 2))
            layers.append(nn.Conv2d(c, out, k, stride=stride, padding=padding,
                                    dilation=draw(st.integers(1, 2)) if padding != "same" else 1,
                                    groups=groups, bias=draw(st.booleans())))
            c = out
        elif kind in ("pool", "avg"):
            k = draw(st.integers(1, 3))
            pad = draw(st.integers(0, k // 2))
            ceil = draw(st.booleans())
            if kind == "pool":
                layers.append(nn.MaxPool2d(k, stride=draw(st.integers(1, 2)), padding=pad,
                                           ceil_mode=ceil))
            else:
                layers.append(nn.AvgPool2d(k, stride=draw(st.integers(1, 2)), padding=pad,
                                           ceil_mode=False, count_include_pad=draw(st.booleans())))
        elif kind == "bn":
            layers.append(nn.BatchNorm2d(c, affine=draw(st.booleans())))
        else:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers), (channels, size, size)


@settings(max_examples=12, deadline=None)
@given(_stacks())
def test_random_conv_pool_bn_stacks_round_trip(tmp_path_factory, stack):
    model, shape = stack
    _perturb_statistics(model)
    try:
        model.eval()(juanji.randn(1, *shape))
    except ValueError:  # the stack shrinks the image below one pixel: not a valid model
        return
    _round_trip(model, shape, tmp_path_factory.mktemp("stack"), batches=(2, 1, 4))


def test_static_batch_fixes_the_first_axis(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3))
    proto = juanji.onnx.export(model, juanji.randn(2, 1, 4, 4), tmp_path / "s.onnx",
                               dynamic_batch=False, input_names="image", output_names=["logits"])
    (dim,) = proto.graph.input[0].type.tensor_type.shape.dim[:1]
    assert dim.dim_value == 2 and proto.graph.input[0].name == "image"
    assert proto.graph.output[0].name == "logits"
    dynamic = juanji.onnx.export(model, juanji.randn(2, 1, 4, 4), tmp_path / "d.onnx")
    assert dynamic.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_opset_versions(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Softmax(dim=1))
    for opset in (13, 17, 18):
        proto = _round_trip(model, (1, 5, 5), tmp_path, name=f"o{opset}.onnx",
                            opset_version=opset)
        assert proto.opset_import[0].version == opset
    newest = onnx.defs.onnx_opset_version()
    with pytest.raises(JuanjiError, match=rf"opset_version must be an int from 13 to {newest}"):
        juanji.onnx.export(model, juanji.randn(1, 1, 5, 5), tmp_path / "x.onnx", opset_version=9)


def test_ops_onnx_cannot_express_are_all_named(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            a = F.adaptive_avg_pool2d(x, 3)  # 5 is not a multiple of 3
            b = F.max_pool2d(x, 2, return_indices=True)[0]
            return a.flip(-1).sum() + b.sum()

    with pytest.raises(JuanjiError) as caught:
        juanji.onnx.export(Odd(), juanji.randn(1, 1, 5, 5), tmp_path / "odd.onnx")
    message = str(caught.value)
    assert "AdaptiveAvgPoolNd (output_size (3, 3) does not divide the input size (5, 5)" in message
    assert "MaxPoolNd (return_indices" in message and "Flip (no ONNX form)" in message
    assert not (tmp_path / "odd.onnx").exists()


def test_bad_arguments_are_named(tmp_path):
    model = nn.Linear(2, 2)
    x = juanji.randn(1, 2)
    cases = [
        ((object(), x, tmp_path / "a.onnx"), {}, "model must be a juanji Module, got object"),
        ((model, "x", tmp_path / "a.onnx"), {}, "example_input must be a float Tensor"),
        ((model, x, tmp_path / "no" / "a.onnx"), {}, "no such folder"),
        ((model, x, 3), {}, "path must be a path, got 3"),
        ((model, x, tmp_path / "a.onnx"), {"input_names": ["a", "b"]},
         r"input_names must be 1 non-empty string\(s\), got \['a', 'b'\]"),
        ((model, x, tmp_path / "a.onnx"), {"output_names": [""]}, "output_names must be 1"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(JuanjiError, match=message):
            juanji.onnx.export(*args, **kwargs)


def test_the_file_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    import juanji.serialization.safetensors as writer

    def broken(handle, data):
        handle.write(data[:10])
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_write_all", broken)
    with pytest.raises(OSError, match="disk full"):
        juanji.onnx.export(nn.Linear(2, 2), juanji.randn(1, 2), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_float64_models_export_in_float64(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    proto = juanji.onnx.export(model, juanji.randn(2, 3, dtype=juanji.float64), tmp_path / "d.onnx")
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    x = np.random.default_rng(0).standard_normal((5, 3))
    (got,) = _runtime(tmp_path / "d.onnx", x)
    np.testing.assert_allclose(got, model(juanji.tensor(x)).detach().numpy(), rtol=1e-12)


class _Flipped(nn.Module):
    """A kernel computed from a parameter by an op ONNX lacks (flip): folded to a constant."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(juanji.randn(2, 1, 3, 3))

    def forward(self, x):
        return F.conv2d(x, self.weight.flip(-1))


def test_parameter_only_ops_without_onnx_form_become_constants(tmp_path):
    proto = _round_trip(_Flipped(), (1, 6, 6), tmp_path)
    assert [n.op_type for n in proto.graph.node] == ["Conv", "Identity"]
    assert "weight" not in {i.name for i in proto.graph.initializer}


@pytest.mark.parametrize("include", [True, False])
@pytest.mark.parametrize(("size", "kernel", "stride", "padding"),
                         [(7, 2, 2, 0), (8, 3, 2, 1), (6, 3, 3, 1), (5, 2, 2, 1)])
def test_pooling_with_ceil_mode_keeps_pytorch_sizes(tmp_path, include, size, kernel, stride,
                                                     padding):
    pools = nn.Sequential(
        nn.AvgPool2d(kernel, stride, padding, ceil_mode=True, count_include_pad=include),
        nn.MaxPool2d(kernel, stride, padding, ceil_mode=True),
    )
    try:
        _round_trip(pools, (2, size, size), tmp_path)
    except JuanjiError as error:  # the one case ONNX cannot express is refused, by name
        assert include and "ceil_mode with count_include_pad" in str(error)


class _Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.group = nn.GroupNorm(3, 6)
        self.group_plain = nn.GroupNorm(2, 6, affine=False)
        self.instance = nn.InstanceNorm2d(6, affine=True)
        self.tracked = nn.InstanceNorm2d(6, track_running_stats=True)
        self.layer = nn.LayerNorm([5, 5])
        self.layer_plain = nn.LayerNorm(5, elementwise_affine=False)

    def forward(self, x):
        x = self.group(self.conv(x))
        x = self.instance(self.group_plain(x)) + self.tracked(x)
        return self.layer_plain(self.layer(x))


def test_group_instance_and_layer_norm_round_trip(tmp_path):
    juanji.manual_seed(0)
    model = _Norms()
    with juanji.no_grad():
        for p in model.parameters():
            p.add_(juanji.randn(*p.shape) * 0.3)
        model.tracked.running_mean.add_(juanji.randn(6) * 0.2)
    proto = _round_trip(model, (2, 5, 5), tmp_path)
    ops = [n.op_type for n in proto.graph.node]
    assert {"InstanceNormalization", "LayerNormalization", "BatchNormalization"} <= set(ops)
    with pytest.raises(JuanjiError, match="layer norm needs opset 17"):
        juanji.onnx.export(model, juanji.randn(2, 2, 5, 5), tmp_path / "old.onnx",
                           opset_version=16)


class _Interpolate(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, x):
        return F.interpolate(x, **self.kwargs)


@pytest.mark.parametrize(("mode", "align_corners"), [
    ("nearest", None), ("nearest-exact", None), ("bilinear", None), ("bilinear", True),
    ("bicubic", None), ("bicubic", True),
])  # align_corners applies to the interpolating modes only (PyTorch's rule)
@pytest.mark.parametrize("resize", [{"scale_factor": 2}, {"scale_factor": 0.5},
                                    {"size": (7, 3)}, {"scale_factor": (1.5, 3)}])
def test_interpolate_modes_round_trip(tmp_path, mode, resize, align_corners):
    model = _Interpolate(mode=mode, align_corners=align_corners, **resize)
    proto = _round_trip(model, (2, 6, 5), tmp_path)
    assert [n.op_type for n in proto.graph.node] == ["Resize", "Identity"]


def test_reflect_padded_convolution_and_circular_padding(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=2, padding_mode="reflect"),
                          nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"))
    _round_trip(model, (1, 6, 7), tmp_path, opset_version=19)
    with pytest.raises(JuanjiError, match="circular padding needs opset 19"):
        juanji.onnx.export(model, juanji.randn(1, 1, 6, 7), tmp_path / "c.onnx")


@pytest.mark.parametrize(("layers", "shape"), [
    ([nn.Conv1d(2, 3, 3, stride=2, padding=(1,)), nn.BatchNorm1d(3),
      nn.MaxPool1d(2, ceil_mode=True), nn.AvgPool1d(2, padding=1), nn.AdaptiveMaxPool1d(1)],
     (2, 11)),
    ([nn.Conv3d(1, 2, (2, 3, 3), dilation=(1, 2, 1), padding=(0, 2, 1)), nn.BatchNorm3d(2),
      nn.MaxPool3d(2, stride=1, dilation=(1, 2, 1)), nn.AvgPool3d(2, ceil_mode=True),
      nn.AdaptiveAvgPool3d((1, 2, 1))], (1, 5, 9, 8)),
])
def test_one_and_three_dimensional_stacks_round_trip(tmp_path, layers, shape):
    model = nn.Sequential(*layers)
    _perturb_statistics(model)
    _round_trip(model, shape, tmp_path)


class _PartlyNoGrad(nn.Module):
    """A forward that computes a branch under no_grad: still traced, not baked in."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        with juanji.no_grad():
            scale = x.abs().mean(dim=(1, 2, 3), keepdim=True) + 1.0
        return self.conv(x) / scale


def test_values_computed_under_no_grad_stay_in_the_graph(tmp_path):
    proto = _round_trip(_PartlyNoGrad(), (1, 5, 5), tmp_path)
    assert {"Abs", "ReduceMean", "Div"} <= {n.op_type for n in proto.graph.node}
