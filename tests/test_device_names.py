"""Device-selection names answer as a CPU-only PyTorch does: cuda, backends.mps, backends.cudnn."""

import ast
import importlib
import subprocess
import sys

import pytest

import juanji
from juanji.backend import cupy_or_none

torch = pytest.importorskip("torch")

no_gpu = pytest.mark.skipif(cupy_or_none() is not None, reason="CuPy sees a GPU here")
LEGACY = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]


def test_mps_is_neither_available_nor_built_like_torch_on_linux():
    for lib in (juanji, torch):
        assert lib.backends.mps.is_available() is False
        assert lib.backends.mps.is_built() is False
    device = "mps" if juanji.backends.mps.is_available() else "cpu"
    assert juanji.zeros(1, device=device).device.type == "cpu"


def test_backend_submodules_import_as_torch_s_do():
    cudnn = importlib.import_module("juanji.backends.cudnn")
    mps = importlib.import_module("juanji.backends.mps")
    assert cudnn is juanji.backends.cudnn and mps is juanji.backends.mps
    from juanji.backends import cudnn as same

    assert same is cudnn


@no_gpu
def test_cudnn_flags_as_a_cpu_only_torch_has_them():
    cudnn, tcudnn = juanji.backends.cudnn, torch.backends.cudnn
    # The defaults, read in a fresh process: programs in this one (seeding helpers of the
    # compat suite) may have set the flags, as they would in a user's script.
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    probe = (
        "import juanji, torch; print([getattr(m.backends.cudnn, n) for m in (juanji, torch) "
        f"for n in {names!r}])"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    values = ast.literal_eval(found.stdout.strip())
    assert values[:4] == values[4:], (names, values)
    assert cudnn.is_available() is tcudnn.is_available() is False
    assert cudnn.version() is tcudnn.version() is None
    old = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True  # what seeding helpers write
        assert juanji.backends.cudnn.benchmark and juanji.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = old


@no_gpu
def test_cuda_answers_without_a_gpu():
    assert juanji.cuda.is_available() is torch.cuda.is_available() is False
    assert juanji.cuda.device_count() == torch.cuda.device_count() == 0


@no_gpu
@pytest.mark.parametrize("name", LEGACY)
def test_cuda_legacy_types_raise_on_construction_like_torch(name):
    assert hasattr(torch.cuda, name)
    for args in [(), ([1, 0],), (2, 3)]:
        with pytest.raises(TypeError, match=f"type torch.cuda.{name} not available"):
            getattr(torch.cuda, name)(*args)
        with pytest.raises(TypeError, match=f"type torch.cuda.{name} not available.*CuPy"):
            getattr(juanji.cuda, name)(*args)


@pytest.mark.parametrize("name", LEGACY)
def test_cpu_tensors_are_not_instances_of_the_cuda_types(name):
    cpu = getattr(juanji, name)([1, 0])
    assert isinstance(cpu, getattr(juanji, name))
    assert not isinstance(cpu, getattr(juanji.cuda, name))
    assert not isinstance(getattr(torch, name)([1, 0]), getattr(torch.cuda, name))
    assert getattr(juanji.cuda, name).__name__ == name


def test_the_usual_device_line_picks_the_cpu_type():
    dtype = juanji.cuda.FloatTensor if juanji.cuda.is_available() else juanji.FloatTensor
    x = dtype([1.0, 2.0])
    assert x.dtype == juanji.float32 and isinstance(x, dtype)
