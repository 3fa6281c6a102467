"""``juanji.onnx.load``: opset forms against onnxruntime, training, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.helper")  # not tests/onnx, the folder, when onnx is absent
ort = pytest.importorskip("onnxruntime")

import juanji  # noqa: E402
import juanji.onnx  # noqa: E402
from juanji.errors import JuanjiError, MissingDependencyError  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _model(nodes, inputs, outputs, opset, initialisers=()):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(a, name) for name, a in initialisers],
    )
    ir = 7 if opset >= 12 else 5 if opset < 9 else 6
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def _runtime(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _same_as_runtime(model, x):
    (want,) = _runtime(model, {"x": x})
    got = juanji.onnx.load(model)(x)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    return got


X = np.random.default_rng(0).standard_normal((2, 3, 4, 6)).astype(np.float32)
I64 = np.int64

# (opset, nodes, initialisers): the same computation where an argument is an attribute in the
# older opset and an input in the newer one.
FORMS = {
    "reshape-attr": (
        7, [helper.make_node("Reshape", ["x", "s"], ["y"])], [("s", np.array([2, -1], I64))]
    ),
    "reshape-input": (
        13, [helper.make_node("Reshape", ["x", "s"], ["y"])], [("s", np.array([0, -1], I64))]
    ),
    "pad-attr": (
        7, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 3, 0], value=1.5)], []
    ),
    "pad-input": (
        13,
        [helper.make_node("Pad", ["x", "p", "v"], ["y"], mode="reflect")],
        [("p", np.array([0, 0, 1, 2, 0, 0, 2, 1], I64)), ("v", np.array(0.0, np.float32))],
    ),
    "pad-edge": (
        11, [helper.make_node("Pad", ["x", "p"], ["y"], mode="edge")],
        [("p", np.array([0, 0, 1, 2, 0, 0, 3, 0], I64))],
    ),
    "clip-attr": (7, [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.7)], []),
    "clip-input": (
        11,
        [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
        [("lo", np.array(-0.5, np.float32)), ("hi", np.array(0.7, np.float32))],
    ),
    "dropout-attr": (7, [helper.make_node("Dropout", ["x"], ["y"], ratio=0.3)], []),
    "dropout-input": (
        12, [helper.make_node("Dropout", ["x", "r"], ["y"])], [("r", np.array(0.3, np.float32))]
    ),
    "squeeze-attr": (
        11,
        [helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0, 3]),
         helper.make_node("Squeeze", ["u"], ["y"], axes=[3])],
        [],
    ),
    "squeeze-input": (
        13,
        [helper.make_node("Unsqueeze", ["x", "a"], ["u"]),
         helper.make_node("Squeeze", ["u", "b"], ["y"])],
        [("a", np.array([0, -2], I64)), ("b", np.array([-2], I64))],
    ),
    "split-attr": (
        11,
        [helper.make_node("Split", ["x"], ["a", "b"], axis=3, split=[2, 4]),
         helper.make_node("Concat", ["b", "a"], ["y"], axis=3)],
        [],
    ),
    "split-input": (
        13,
        [helper.make_node("Split", ["x", "s"], ["a", "b"], axis=-1),
         helper.make_node("Concat", ["b", "a"], ["y"], axis=3)],
        [("s", np.array([1, 5], I64))],
    ),
    "split-count": (
        18,
        [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=3, num_outputs=3),
         helper.make_node("Concat", ["c", "a", "b"], ["y"], axis=3)],
        [],
    ),
    "upsample-9": (
        9, [helper.make_node("Upsample", ["x", "s"], ["y"])],
        [("s", np.array([1, 1, 2, 3], np.float32))],
    ),
    "resize-10": (
        10, [helper.make_node("Resize", ["x", "s"], ["y"])],
        [("s", np.array([1, 1, 2, 2], np.float32))],
    ),
    "resize-13-sizes-linear": (
        13, [helper.make_node("Resize", ["x", "", "", "z"], ["y"], mode="linear")],
        [("z", np.array([2, 3, 7, 9], I64))],
    ),
    "resize-13-scales-nearest": (
        13,
        [helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest",
                          coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
        [("s", np.array([1, 1, 2, 0.5], np.float32))],
    ),
    "resize-cubic-align": (
        13,
        [helper.make_node("Resize", ["x", "", "", "z"], ["y"], mode="cubic",
                          coordinate_transformation_mode="align_corners")],
        [("z", np.array([2, 3, 5, 11], I64))],
    ),
    "softmax-coerced-2d": (11, [helper.make_node("Softmax", ["x"], ["y"], axis=2)], []),
    "softmax-axis": (13, [helper.make_node("Softmax", ["x"], ["y"], axis=2)], []),
    "shape-gather": (
        13,
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Gather", ["s", "i"], ["n"], axis=0),
         helper.make_node("Concat", ["n", "m"], ["t"], axis=0),
         helper.make_node("Reshape", ["x", "t"], ["y"])],
        [("i", np.array([0], I64)), ("m", np.array([-1], I64))],
    ),
    "lrn-odd": (13, [helper.make_node("LRN", ["x"], ["y"], size=3, alpha=0.3, beta=0.6)], []),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_attribute_and_input_forms_match_onnxruntime(form):
    opset, nodes, initialisers = FORMS[form]
    model = _model(nodes, [("x", X.shape)], ["y"], opset, initialisers)
    _same_as_runtime(model, X)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_lrn_follows_the_onnx_formula_for_every_size(size):
    # onnxruntime refuses even sizes, so the oracle is the spec's formula, written as a loop:
    # square_sum[c] = sum of x[i]^2 for i in [c - floor((size-1)/2), c + ceil((size-1)/2)].
    x = np.random.default_rng(1).standard_normal((2, 5, 3, 2))
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.3, beta=0.6, bias=2.0)
    module = juanji.onnx.load(_model([node], [("x", x.shape)], ["y"], 13))
    square_sum = np.zeros_like(x)
    for c in range(5):
        low, high = max(0, c - (size - 1) // 2), min(4, c + size // 2)
        square_sum[:, c] = (x[:, low : high + 1] ** 2).sum(axis=1)
    want = x / (2.0 + 0.3 / size * square_sum) ** 0.6
    np.testing.assert_allclose(module(x).numpy(), want, rtol=1e-6)  # alpha, beta: float32


def _conv_model(rng):
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    fc = rng.standard_normal((5, 4)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 0, 2, 1], strides=[2, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1, alpha=0.5),
    ]
    return _model(nodes, [("x", (2, 3, 7, 6))], ["y"], 13, [("w", w), ("b", b), ("fc", fc)])


def test_trainable_initialisers_are_parameters_with_torch_gradients(rng):
    torch = pytest.importorskip("torch")
    model = _conv_model(rng)
    module = juanji.onnx.load(model, trainable=True)
    names = [name for name, _ in module.named_parameters()]
    assert names == ["w", "b", "fc"]
    assert juanji.onnx.load(model).parameters().__next__ if False else not list(
        juanji.onnx.load(model).parameters()
    )
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    y = module(juanji.tensor(x))
    (y * y).sum().backward()
    tw, tb, tfc = (torch.tensor(p.detach().numpy(), requires_grad=True)
                   for p in module.parameters())
    c = torch.nn.functional.conv2d(torch.nn.functional.pad(torch.tensor(x), (0, 1, 1, 2)),
                                   tw, tb, stride=(2, 1))
    ty = 0.5 * torch.relu(c).mean(dim=(2, 3)) @ tfc.T
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    for p, t in zip(module.parameters(), (tw, tb, tfc), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_batch_norm_statistics_stay_buffers_when_trainable():
    c = 3
    arrays = [("s", np.ones(c, np.float32)), ("b", np.zeros(c, np.float32)),
              ("m", np.full(c, 0.5, np.float32)), ("v", np.full(c, 2.0, np.float32))]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])
    module = juanji.onnx.load(_model([node], [("x", (1, c, 2, 2))], ["y"], 15, arrays),
                              trainable=True)
    assert [n for n, _ in module.named_parameters()] == ["s", "b"]
    assert [n for n, _ in module.named_buffers()] == ["m", "v"]
    x = np.ones((1, c, 2, 2), np.float32)
    np.testing.assert_allclose(module(x).detach().numpy(), (1 - 0.5) / np.sqrt(2 + 1e-5),
                               rtol=1e-6)


def test_loaded_graph_passes_gradcheck_in_float64(rng):
    model = _conv_model(rng)
    for init in model.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float64),
                                              init.name))
    module = juanji.onnx.load(model, trainable=True)
    x = juanji.tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    assert juanji.testing.gradcheck(lambda x, *params: module(x), (x, *module.parameters()))


def test_load_reads_paths_bytes_and_protos(tmp_path, rng):
    model = _conv_model(rng)
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    outputs = [juanji.onnx.load(s)(x).numpy() for s in (path, str(path),
                                                         model.SerializeToString(), model)]
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])
    assert "opset=13" in repr(juanji.onnx.load(model))


def test_unsupported_ops_are_all_named_in_one_error():
    nodes = [
        helper.make_node("Einsum", ["x", "x"], ["a"], equation="ij,ij->ij"),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Hardmax", ["b"], ["y"]),
    ]
    model = _model(nodes, [("x", (2, 2))], ["y"], 13)
    with pytest.raises(JuanjiError, match=r"unsupported ops: Einsum, Hardmax\)?;? ?"):
        juanji.onnx.load(model)


def test_old_opsets_and_other_domains_are_refused():
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [("x", (2,))], ["y"], 5)
    with pytest.raises(JuanjiError, match="opset 5 is older than the oldest juanji reads"):
        juanji.onnx.load(model)
    nodes = [helper.make_node("Gelu", ["x"], ["g"], domain="com.microsoft"),
             helper.make_node("Trilu", ["g"], ["y"])]
    model = _model(nodes, [("x", (2,))], ["y"], 13)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    with pytest.raises(JuanjiError, match=r"unsupported ops: Trilu; ops of other domains: "
                                          r"com\.microsoft\.Gelu\)"):
        juanji.onnx.load(model)


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(JuanjiError, match=r"juanji.onnx.load: no such file '.*nothing.onnx'"):
        juanji.onnx.load(tmp_path / "nothing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\x00 not protobuf")
    with pytest.raises(JuanjiError, match=r"junk.onnx' is not a readable ONNX file"):
        juanji.onnx.load(junk)
    with pytest.raises(TypeError, match=r"path_or_model_proto must be a path, bytes or an "
                                        r"onnx.ModelProto, got int"):
        juanji.onnx.load(3)


def test_wrong_number_of_inputs_is_a_type_error(rng):
    module = juanji.onnx.load(_conv_model(rng))
    with pytest.raises(TypeError, match=r"the graph takes 1 input\(s\) \['x'\], got 2"):
        module(np.zeros((2, 3, 7, 6), np.float32), np.zeros(1, np.float32))


def test_attributes_juanji_cannot_compute_name_the_node():
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear", name="up",
                            coordinate_transformation_mode="tf_crop_and_resize")
    model = _model([node], [("x", X.shape)], ["y"], 13,
                   [("s", np.array([1, 1, 2, 2], np.float32))])
    with pytest.raises(JuanjiError, match=r"node 'up' \(Resize\): Resize linear with "
                                          r"coordinate_transformation_mode 'tf_crop_and_resize'"):
        juanji.onnx.load(model)(X)


def test_missing_onnx_package_gives_the_install_hint(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake(name, *args):
        if name == "onnx":
            raise ImportError("No module named 'onnx'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(MissingDependencyError, match=r"pip install 'juanji\[onnx\]'"):
        juanji.onnx.load(b"")
