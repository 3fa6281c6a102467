"""``juanji.onnx.load`` on damaged and hostile models: one ``OnnxImportError``, no huge arrays.

Initialisers and constants whose data disagrees with their dims, negative dims, external data
without a folder, garbage bytes, a declared input too large to feed, and a fuzz test of mutated
models in a subprocess under an address-space limit (``RLIMIT_AS``), so a regression fails
instead of filling the machine (issue 25).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnx.helper")  # not tests/onnx, the folder, when onnx is absent
ort = pytest.importorskip("onnxruntime")

import juanji  # noqa: E402
import juanji.onnx  # noqa: E402
from juanji.errors import JuanjiError  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

OnnxImportError = juanji.onnx.OnnxImportError
RNG = np.random.default_rng(25)
W = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)


def conv_model(input_shape=(1, 3, 8, 8), w=None, extra_nodes=(), extra_inits=()):
    """Conv -> Relu -> Reshape(shape from an int64 initialiser) -> Add(a Constant node)."""
    inits = [numpy_helper.from_array(W, "w"), numpy_helper.from_array(np.array([1, -1]), "s"),
             *extra_inits]
    if w is not None:
        inits[0] = w
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Reshape", ["r", "s"], ["f"]),
        helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(
            np.float32([0.5]), "k")),
        helper.make_node("Add", ["f", "k"], ["y"]),
        *extra_nodes,
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)


def with_dims(tensor, dims):
    tensor.dims[:] = dims
    return tensor


def runtime_refuses(model):
    try:
        ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - onnxruntime's classes are its own
        return True
    return False


def test_the_valid_model_runs_as_onnxruntime_runs_it():
    model = conv_model()
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(juanji.onnx.load(model)(x).numpy(), session.run(None, {"x": x})[0],
                               rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------- data against dims
def _raw(dims):
    return with_dims(numpy_helper.from_array(W, "w"), dims)


def _typed(dims):
    return helper.make_tensor("w", TensorProto.FLOAT, dims, W.ravel().tolist()[: np.prod(dims)])


BAD_TENSORS = {
    "raw data short of the dims": (lambda: _raw([4, 3, 3, 4]), "108 bytes|432 bytes"),
    "raw data past the dims": (lambda: _raw([4, 3, 3, 2]), "holds 432 bytes"),
    "huge dims": (lambda: _raw([100000, 100000, 3, 3]), "90000000000 elements"),
    "typed values short": (
        lambda: with_dims(_typed([4, 3, 3, 3]), [4, 3, 3, 4]), "holds 108 values"),
    "a negative dim": (lambda: _raw([-4, 3, 3, 3]), "negative dimension in \\[-4, 3, 3, 3\\]"),
}


@pytest.mark.parametrize("problem", sorted(BAD_TENSORS))
def test_an_initialiser_whose_data_disagrees_with_its_dims_is_refused(problem):
    make, message = BAD_TENSORS[problem]
    model = conv_model(w=make())
    with pytest.raises(OnnxImportError, match=rf"initialiser 'w' .*({message})"):
        juanji.onnx.load(model)
    if problem != "a negative dim":  # onnxruntime reads -4 x 3 x 3 x 3 as 108 elements too
        assert runtime_refuses(model)
    with pytest.raises(OnnxImportError):  # the same from bytes
        juanji.onnx.load(model.SerializeToString())


def test_a_constant_node_is_checked_like_an_initialiser():
    value = with_dims(numpy_helper.from_array(np.float32([1, 2]), "v"), [3])
    model = conv_model()
    model.graph.node[3].attribute[0].t.CopyFrom(value)
    with pytest.raises(OnnxImportError, match=r"attribute 'value' declares dims \[3\]"):
        juanji.onnx.load(model)


def test_an_unknown_data_type_is_refused():
    tensor = numpy_helper.from_array(W, "w")
    tensor.data_type = 999
    with pytest.raises(OnnxImportError, match=r"initialiser 'w' has no known data type \(999\)"):
        juanji.onnx.load(conv_model(w=tensor))


def test_external_data_without_a_folder_is_refused(tmp_path):
    tensor = numpy_helper.from_array(W, "w")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="weights.bin")
    (tmp_path / "weights.bin").write_bytes(W.tobytes())
    os.chdir(tmp_path)  # the file sits in the working folder: still not read from bytes
    try:
        with pytest.raises(OnnxImportError, match=r"keeps its data in an external file"):
            juanji.onnx.load(conv_model(w=tensor).SerializeToString())
    finally:
        os.chdir(os.path.dirname(__file__))


def test_external_data_next_to_the_file_loads(tmp_path):
    onnx.save(conv_model(), tmp_path / "m.onnx", save_as_external_data=True, size_threshold=0,
              location="m.bin")  # (onnx.save turns the model it is given into external data)
    assert (tmp_path / "m.bin").stat().st_size >= W.nbytes
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(juanji.onnx.load(tmp_path / "m.onnx")(x).numpy(),
                                  juanji.onnx.load(conv_model())(x).numpy())


# ------------------------------------------------------------------- sources and inputs
@pytest.mark.parametrize("data", [b"\xff\x00garbage", bytearray(b"\x0a\xff\xff\xff\xff\x0f"),
                                  b"\x12\x03abc" * 3])
def test_garbage_bytes_are_an_onnx_import_error(data):
    with pytest.raises(OnnxImportError, match=r"juanji.onnx.load: .*not an ONNX model|malformed"
                                              r"|no opset"):
        juanji.onnx.load(data)


def test_a_negative_declared_input_dimension_is_refused():
    model = conv_model()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_value = -8
    with pytest.raises(OnnxImportError, match=r"input 'x' declares a negative dimension"):
        juanji.onnx.load(model)


def test_a_huge_declared_input_is_refused_before_anything_is_padded_to_it(tmp_path):
    from juanji.apps.cli.export import MAX_ONNX_SAMPLE, onnx_input_size, open_model

    path = tmp_path / "huge.onnx"
    onnx.save(conv_model(input_shape=(1, 1, 100000, 100000),
                         w=numpy_helper.from_array(W[:, :1], "w")), path)
    module = juanji.onnx.load(path)  # loading allocates nothing of the input's size
    assert module.input_shapes == [(1, 1, 100000, 100000)]
    with pytest.raises(JuanjiError, match=rf"declares inputs of 1x100000x100000 per image, more "
                                          rf"than the {MAX_ONNX_SAMPLE:,} values"):
        open_model(str(path))  # what eval, predict and summary call first
    assert onnx_input_size(juanji.onnx.load(conv_model(input_shape=(1, 3, 32, 32)))) == (3, 32, 32)


# ------------------------------------------------------------------- fuzz
FUZZ = """
    import json, random, resource, sys, time
    import numpy as np, onnx, juanji, juanji.onnx
    from juanji.errors import JuanjiError
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    limit = pages * resource.getpagesize() + 384 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    seeds = [open(path, "rb").read() for path in json.loads(sys.argv[1])]
    rng, outcomes, started = random.Random(25), {}, time.monotonic()

    def mutate_proto(data):  # a structural change: dims, type or declared input of a tensor
        model = onnx.load_from_string(data)
        tensors = list(model.graph.initializer)
        tensors += [a.t for n in model.graph.node for a in n.attribute if a.HasField("t")]
        tensor = rng.choice(tensors)
        choice = rng.random()
        if choice < 0.4 and tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice(
                [-1, 0, 2, 7, 2**31, 2**40, -2**40])
        elif choice < 0.6:
            tensor.data_type = rng.randrange(0, 30)
        elif choice < 0.8:
            tensor.dims.append(rng.choice([1, 3, 2**20]))
        else:
            dim = model.graph.input[0].type.tensor_type.shape.dim
            dim[rng.randrange(len(dim))].dim_value = rng.choice([-5, 0, 10**9])
        return model.SerializeToString()

    def mutate_bytes(data):
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            kind, at = rng.random(), rng.randrange(len(data))
            if kind < 0.6:
                data[at] = rng.randrange(256)
            elif kind < 0.8:
                del data[at:at + rng.randint(1, 32)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        return bytes(data)

    for index in range(int(sys.argv[2])):
        if time.monotonic() - started > float(sys.argv[3]):
            break
        seed = seeds[index % len(seeds)]
        data = mutate_proto(seed) if index % 3 == 0 else mutate_bytes(seed)
        try:
            juanji.onnx.load(data)
            outcome = "loaded"
        except juanji.onnx.OnnxImportError:
            outcome = "refused"
        except Exception as error:
            outcome = f"{type(error).__name__}: {str(error)[:150]} (mutation {index})"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(json.dumps(outcomes))
"""


def test_mutated_models_load_or_raise_onnx_import_error_under_a_memory_limit(tmp_path):
    seeds = [str(tmp_path / "conv.onnx"), str(tmp_path / "lenet.onnx")]
    onnx.save(conv_model(), seeds[0])
    juanji.manual_seed(0)
    juanji.onnx.export(juanji.models.get_model("lenet5").eval(), juanji.zeros(1, 1, 28, 28),
                       seeds[1])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FUZZ), json.dumps(seeds), "1500", "45"],
        capture_output=True, text=True, timeout=150, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(outcomes) <= {"loaded", "refused"}, outcomes
    assert sum(outcomes.values()) >= 300 and outcomes.get("refused", 0) > 0, outcomes
    assert outcomes.get("loaded", 0) > 0, outcomes


@pytest.mark.parametrize("location", ["../outside.bin", "/tmp/outside.bin",
                                      "sub/../../outside.bin", "link.bin"])
def test_external_data_outside_the_model_folder_is_never_read(tmp_path, location):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "link.bin").symlink_to(tmp_path / "outside.bin")  # a link leaving the folder
    (tmp_path / "outside.bin").write_bytes(W.tobytes())
    tensor = numpy_helper.from_array(W, "w")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value=location.replace(
        "/tmp/outside.bin", str(tmp_path / "outside.bin")))
    (folder / "m.onnx").write_bytes(conv_model(w=tensor).SerializeToString())
    with pytest.raises(OnnxImportError, match=r"m.onnx' is not a readable ONNX file"):
        juanji.onnx.load(folder / "m.onnx")


# ------------------------------------------------------------------- sizes a graph computes
def _runner_model(node, inits):
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, 4, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(a, n) for n, a in inits])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)


def _runner(node, inits):
    return juanji.onnx.load(_runner_model(node, inits))


HUGE_NODES = {
    "ConstantOfShape": (helper.make_node("ConstantOfShape", ["s"], ["y"]),
                        [("s", np.array([100000, 100000], np.int64))]),
    "Tile": (helper.make_node("Tile", ["x", "r"], ["y"]),
             [("r", np.array([1, 1, 30000, 30000], np.int64))]),
    "Pad": (helper.make_node("Pad", ["x", "p"], ["y"]),
            [("p", np.array([0, 0, 50000, 50000, 0, 0, 50000, 50000], np.int64))]),
    "Resize": (helper.make_node("Resize", ["x", "", "sc"], ["y"]),
               [("sc", np.array([1, 1, 20000, 20000], np.float32))]),
}


@pytest.mark.parametrize("op", sorted(HUGE_NODES))
def test_a_node_sized_by_the_graph_creates_at_most_the_stated_limit(op):
    from juanji.onnx._import_ops_nn import MAX_CREATED

    node, inits = HUGE_NODES[op]
    module = _runner(node, inits)
    with pytest.raises(OnnxImportError, match=rf"\({op}\): {op} would create a tensor of shape "
                                              rf".* at most {MAX_CREATED:,} elements"):
        module(np.ones((1, 1, 4, 4), np.float32))
    small = {"ConstantOfShape": [2, 3], "Tile": [1, 1, 2, 3], "Pad": [0, 0, 1, 1, 0, 0, 1, 1],
             "Resize": [1, 1, 2, 2]}[op]
    inits = [(inits[0][0], np.array(small, inits[0][1].dtype))]
    x = RNG.standard_normal((1, 1, 4, 4)).astype(np.float32)
    want = ort.InferenceSession(_runner_model(node, inits).SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(_runner(node, inits)(x).numpy(), want, rtol=1e-6)

