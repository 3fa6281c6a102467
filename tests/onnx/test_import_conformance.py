"""``juanji.onnx.load`` against ONNX's own conformance data, counted per op.

Three sets, all from the installed ``onnx`` wheel (test dependencies only):

* the backend node cases that ``onnx.backend.test.case.node.collect_testcases()`` generates, for
  the CNN ops the issue lists (one node per graph; auto_pad SAME_UPPER/SAME_LOWER included);
* the ``pytorch-converted`` and ``pytorch-operator`` models stored with inputs and outputs;
* the ``light`` model zoo graphs (AlexNet ... ZFNet-512), whose stored output comes from the
  input ``arange(n).reshape(shape) / n``; onnxruntime is run on the same input too.

Every case passes or is in ``SKIPS`` with its reason; a listed case that starts passing fails
the test, so the list stays true. docs/onnx.md has the counts.
"""

from __future__ import annotations

import functools
import glob
import os
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
numpy_helper = pytest.importorskip("onnx.numpy_helper")

import juanji.onnx  # noqa: E402

NODE_OPS = [
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "BatchNormalization", "Gemm", "MatMul", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Flatten",
    "Reshape", "Softmax", "LogSoftmax", "Pad", "Add", "Concat", "Dropout",
]

_RANDOM = "Dropout in training mode draws a random mask; the case's mask comes from NumPy's seed"
_UNSIGNED = "juanji has no unsigned 16/32/64-bit dtype (PyTorch has none either)"

#: The other ops ``load`` reads, most of them where ONNX moved arguments between attributes and
#: inputs across opsets (Clip, Squeeze, Unsqueeze, Split, Resize, Reduce*...). Cast is left out:
#: most of its 116 cases convert to float8/float4/int4 types that neither juanji nor NumPy has.
OTHER_OPS = [
    "Abs", "Celu", "Clip", "Constant", "ConstantOfShape", "Div", "Elu", "Erf", "Exp", "Gather",
    "Gelu", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization", "LayerNormalization",
    "LRN", "Log", "Max",
    "Mean", "Min", "Mul", "Neg", "PRelu", "Pow", "Reciprocal", "ReduceMax", "ReduceMean",
    "ReduceSum", "Resize", "Selu", "Shape", "Slice", "Softplus", "Softsign", "Split", "Sqrt",
    "Squeeze", "Sub", "Sum", "Tile", "Transpose", "Unsqueeze", "Upsample",
]

_RESIZE = {
    "align_corners_scales": "align_corners with scales whose output size is rounded: ONNX "
    "divides by the unrounded size, PyTorch by the rounded one",
    "cubic_a": "cubic_coeff_a=-0.5 and exclude_outside: PyTorch's bicubic has A=-0.75 only",
    "asymmetric_cubic": "cubic with 'asymmetric' coordinates: PyTorch has no such mode",
    "crop": "tf_crop_and_resize (a region of interest): PyTorch has no such mode",
    "pytorch_half_pixel": "pytorch_half_pixel to one pixel: ONNX reads pixel 0 there, PyTorch "
    "(and juanji) the centre",
    "antialias": "antialias: juanji's interpolate has no antialiasing filter",
    "aspect": "keep_aspect_ratio_policy: PyTorch's interpolate has no such policy",
    "symmetric": "half_pixel_symmetric: PyTorch has no such coordinate mode",
}

#: case name -> why it does not run.
SKIPS = {
    **{f"test_{op}_uint{bits}": _UNSIGNED for op in ("sub", "mul", "div") for bits in (16, 32, 64)},
    "test_pow_types_int64_float32": "integer ** float: ONNX keeps the integer type, juanji and "
    "PyTorch promote to float",
    "test_pow_types_int32_float32": "integer ** float: ONNX keeps the integer type, juanji and "
    "PyTorch promote to float",
    "test_celu_bfloat16": "juanji has no bfloat16 dtype (it reads bfloat16 files as float32)",
    "test_identity_sequence": "sequence values: juanji runs tensor graphs only",
    "test_identity_opt": "optional values: juanji runs tensor graphs only",
    "test_reduce_max_empty_set": "the max of an empty set: juanji raises, as PyTorch's amax does",
    "test_reduce_max_empty_set_bool": "the max of an empty set: juanji raises, as PyTorch's amax",
    "test_resize_downsample_scales_linear_align_corners": _RESIZE["align_corners_scales"],
    "test_resize_downsample_scales_cubic_align_corners": _RESIZE["align_corners_scales"],
    "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside": _RESIZE["cubic_a"],
    "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": _RESIZE["cubic_a"],
    "test_resize_upsample_scales_cubic_asymmetric": _RESIZE["asymmetric_cubic"],
    "test_resize_tf_crop_and_resize": _RESIZE["crop"],
    "test_resize_tf_crop_and_resize_extrapolation_value": _RESIZE["crop"],
    "test_resize_tf_crop_and_resize_axes_2_3": _RESIZE["crop"],
    "test_resize_tf_crop_and_resize_axes_3_2": _RESIZE["crop"],
    "test_resize_downsample_sizes_linear_pytorch_half_pixel": _RESIZE["pytorch_half_pixel"],
    "test_resize_downsample_scales_linear_antialias": _RESIZE["antialias"],
    "test_resize_downsample_sizes_linear_antialias": _RESIZE["antialias"],
    "test_resize_downsample_scales_cubic_antialias": _RESIZE["antialias"],
    "test_resize_downsample_sizes_cubic_antialias": _RESIZE["antialias"],
    "test_resize_upsample_sizes_nearest_not_larger": _RESIZE["aspect"],
    "test_resize_upsample_sizes_nearest_not_smaller": _RESIZE["aspect"],
    "test_resize_downsample_sizes_nearest_not_larger": _RESIZE["aspect"],
    "test_resize_downsample_sizes_nearest_not_smaller": _RESIZE["aspect"],
    "test_resize_downsample_scales_linear_half_pixel_symmetric": _RESIZE["symmetric"],
    "test_resize_upsample_scales_linear_half_pixel_symmetric": _RESIZE["symmetric"],
    "test_add_uint16": _UNSIGNED,
    "test_add_uint32": _UNSIGNED,
    "test_add_uint64": _UNSIGNED,
    "test_training_dropout_default": _RANDOM,
    "test_training_dropout_default_mask": _RANDOM,
    "test_training_dropout": _RANDOM,
    "test_training_dropout_mask": _RANDOM,
}


def _data_dir(*parts: str) -> str:
    import onnx.backend.test as backend_test

    return os.path.join(os.path.dirname(backend_test.__file__), "data", *parts)


@functools.lru_cache(maxsize=1)
def _node_cases() -> dict[str, list]:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Cast cases overflow on purpose
        cases = collect_testcases()
    by_op: dict[str, list] = {op: [] for op in NODE_OPS + OTHER_OPS}
    for case in cases:
        ops = [node.op_type for node in case.model.graph.node]
        if len(ops) == 1 and ops[0] in by_op:
            by_op[ops[0]].append(case)
    return by_op


def _outputs(module, inputs):
    got = module(*inputs)
    return got if isinstance(got, tuple) else (got,)


def _check(module, inputs, expected, rtol, atol):
    for got, want in zip(_outputs(module, inputs), expected, strict=True):
        array = got.detach().numpy()
        assert array.dtype == want.dtype, (array.dtype, want.dtype)
        np.testing.assert_allclose(array, want, rtol=rtol, atol=atol)


def _run_case(case) -> None:
    module = juanji.onnx.load(case.model)
    for inputs, expected in case.data_sets:
        _check(module, inputs, expected, max(case.rtol, 1e-4), max(case.atol, 1e-6))


def _tally(names_and_runs):
    """Run each case; return (passed, skipped) names; fail on an unlisted failure."""
    passed, skipped, failures = [], [], []
    for name, run in names_and_runs:
        try:
            run()
        except Exception as error:  # noqa: BLE001 - collected, then reported together
            if name in SKIPS:
                skipped.append(name)
            else:
                failures.append(f"{name}: {type(error).__name__}: {error}"[:400])
            continue
        if name in SKIPS:
            failures.append(f"{name} passes but SKIPS says: {SKIPS[name]}")
        passed.append(name)
    assert not failures, "\n".join(failures)
    return passed, skipped


@pytest.mark.parametrize("op", NODE_OPS)
def test_backend_node_cases(op):
    cases = _node_cases()[op]
    assert cases, f"no backend node case for {op}"
    passed, skipped = _tally((c.name, functools.partial(_run_case, c)) for c in cases)
    print(f"{op}: {len(passed)} passed, {len(skipped)} skipped")
    assert passed


@pytest.mark.parametrize("op", OTHER_OPS)
def test_backend_node_cases_of_the_other_ops(op):
    cases = _node_cases()[op]
    assert cases, f"no backend node case for {op}"
    passed, skipped = _tally((c.name, functools.partial(_run_case, c)) for c in cases)
    print(f"{op}: {len(passed)} passed, {len(skipped)} skipped")


def test_backend_node_cases_cover_both_same_placements():
    names = {c.name for op in ("Conv", "MaxPool", "AveragePool") for c in _node_cases()[op]}
    assert any("same_upper" in n for n in names) and any("same_lower" in n for n in names)


def _read_tensor(path: str) -> np.ndarray:
    proto = onnx.TensorProto()
    with open(path, "rb") as file:
        proto.ParseFromString(file.read())
    return numpy_helper.to_array(proto)


def _run_stored(folder: str) -> None:
    module = juanji.onnx.load(os.path.join(folder, "model.onnx"))
    for data in sorted(glob.glob(os.path.join(folder, "test_data_set_*"))):
        inputs = [_read_tensor(p) for p in sorted(glob.glob(os.path.join(data, "input_*.pb")))]
        expected = [_read_tensor(p) for p in sorted(glob.glob(os.path.join(data, "output_*.pb")))]
        with np.errstate(invalid="ignore"):  # sqrt and pow cases hold negative inputs: NaN
            _check(module, inputs, expected, 1e-3, 1e-5)


@pytest.mark.parametrize("kind", ["pytorch-converted", "pytorch-operator"])
def test_stored_pytorch_models(kind):
    folders = sorted(glob.glob(_data_dir(kind, "*")))
    assert len(folders) > 30
    runs = ((os.path.basename(f), functools.partial(_run_stored, f)) for f in folders)
    passed, skipped = _tally(runs)
    print(f"{kind}: {len(passed)} passed, {len(skipped)} skipped")


LIGHT = sorted(
    os.path.basename(p)[: -len(".onnx")] for p in glob.glob(_data_dir("light", "*.onnx"))
)

#: Zoo graphs whose final Softmax amplifies float32 rounding: their constant ("light") weights
#: give logits near 9.5e9 whose ulp is 1024, so the order of a sum decides the probabilities.
#: For these the test compares the logits (the Softmax's input) with onnxruntime instead.
ILL_CONDITIONED = {
    "light_squeezenet": "logits near 9.5e9: the softmax of float32 rounding noise",
}


def _light_input(model, module):
    (name,) = module.input_names
    graph_input = next(i for i in model.graph.input if i.name == name)
    shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    n = int(np.prod(shape))
    return name, (np.arange(n, dtype=np.float32).reshape(shape) / n)


def _without_last_softmax(model):
    trimmed = onnx.ModelProto()
    trimmed.CopyFrom(model)
    last = trimmed.graph.node[-1]
    assert last.op_type == "Softmax"
    logits = last.input[0]
    trimmed.graph.node.pop()
    del trimmed.graph.output[:]
    logits_info = onnx.helper.make_tensor_value_info(logits, onnx.TensorProto.FLOAT, None)
    trimmed.graph.output.append(logits_info)
    return trimmed


@pytest.mark.parametrize("name", LIGHT)
def test_light_model_zoo(name):
    path = _data_dir("light", name + ".onnx")
    model = onnx.load(path)
    module = juanji.onnx.load(model)
    input_name, x = _light_input(model, module)
    expected = _read_tensor(_data_dir("light", name + "_output_0.pb"))
    if name not in ILL_CONDITIONED:
        (got,) = _outputs(module, [x])
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-6)
        return
    ort = pytest.importorskip("onnxruntime")
    trimmed = _without_last_softmax(model)
    session = ort.InferenceSession(trimmed.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = session.run(None, {input_name: x})
    (got,) = _outputs(juanji.onnx.load(trimmed), [x])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)


def test_light_model_zoo_is_all_there():
    assert len(LIGHT) == 9
