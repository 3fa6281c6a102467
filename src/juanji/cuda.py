"""``juanji.cuda``: what scripts ask before choosing a device (``torch.cuda.is_available()``).

juanji runs on the CPU with NumPy, and on an NVIDIA GPU only through the optional CuPy backend.
``is_available()`` is True only when CuPy imports and sees a GPU, so the usual
``device = 'cuda' if torch.cuda.is_available() else 'cpu'`` picks the CPU everywhere else.
Seeding functions are no-ops (juanji has one generator, seeded by ``juanji.manual_seed``);
questions that need a GPU raise as PyTorch does without CUDA. The legacy type names
(``juanji.cuda.FloatTensor``, ``LongTensor``...) answer ``isinstance`` for tensors of their
dtype on the GPU; constructing one without a GPU raises TypeError, as a CPU-only PyTorch does.
"""

from __future__ import annotations

from typing import Any

import juanji.amp as amp  # noqa: F401 - juanji.cuda.amp, as torch.cuda.amp
from juanji import _dtype
from juanji.backend import cupy_or_none
from juanji.tensor import legacy
from juanji.tensor.tensor import Tensor

_NO_GPU = (
    "juanji.cuda: no GPU is available (juanji uses an NVIDIA GPU only through CuPy: "
    "pip install 'cupy-cuda12x'); check juanji.cuda.is_available() first"
)


def is_available() -> bool:
    """True if CuPy is installed and sees an NVIDIA GPU."""
    return cupy_or_none() is not None


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy)."""
    cupy = cupy_or_none()
    return 0 if cupy is None else int(cupy.cuda.runtime.getDeviceCount())


def is_initialized() -> bool:
    """True once a GPU is in use."""
    return is_available()


def current_device() -> int:
    """The index of the current GPU; raises without one."""
    cupy = cupy_or_none()
    if cupy is None:
        raise RuntimeError(_NO_GPU)
    return int(cupy.cuda.Device().id)


def get_device_name(device: Any = None) -> str:
    """The GPU's name; raises without one."""
    cupy = cupy_or_none()
    if cupy is None:
        raise RuntimeError(_NO_GPU)
    index = current_device() if device is None else int(str(device).rpartition(":")[2] or 0)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed: int) -> None:
    """No-op: juanji draws every random number from the generator ``juanji.manual_seed`` seeds."""


def manual_seed_all(seed: int) -> None:
    """No-op, as ``manual_seed``."""


def seed() -> None:
    """No-op, as ``manual_seed``."""


def seed_all() -> None:
    """No-op, as ``manual_seed``."""


def synchronize(device: Any = None) -> None:
    """Wait for the GPU to finish its work (nothing to wait for on the CPU)."""
    cupy = cupy_or_none()
    if cupy is not None:
        cupy.cuda.Device().synchronize()


def empty_cache() -> None:
    """Release cached GPU memory (nothing to release on the CPU)."""
    cupy = cupy_or_none()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


class _CudaTensorType(type):
    """``isinstance(t, juanji.cuda.FloatTensor)``: a Tensor of the class's dtype on the GPU."""

    _legacy_dtype: _dtype.DType

    def __instancecheck__(cls, obj: Any) -> bool:
        return (
            isinstance(obj, Tensor) and obj.dtype == cls._legacy_dtype and obj.device.type == "cuda"
        )


def _cuda_type(name: str) -> type:
    cpu_type = getattr(legacy, name)

    def __new__(cls: type, *args: Any) -> Tensor:  # noqa: N807 - a class's constructor
        if not is_available():
            raise TypeError(
                f"type torch.cuda.{name} not available. Torch not compiled with CUDA enabled. "
                "(juanji uses an NVIDIA GPU only through CuPy: pip install 'cupy-cuda12x'; use "
                f"juanji.{name} or juanji.tensor(..., device=device) for CPU tensors)"
            )
        return cpu_type(*args).to("cuda")

    doc = f"Legacy constructor of {cpu_type._legacy_dtype} tensors on the GPU (needs CuPy)."
    namespace = {"_legacy_dtype": cpu_type._legacy_dtype, "__new__": __new__, "__doc__": doc}
    return _CudaTensorType(name, (), {**namespace, "__module__": __name__})


FloatTensor = _cuda_type("FloatTensor")
DoubleTensor = _cuda_type("DoubleTensor")
HalfTensor = _cuda_type("HalfTensor")
LongTensor = _cuda_type("LongTensor")
IntTensor = _cuda_type("IntTensor")
ShortTensor = _cuda_type("ShortTensor")
CharTensor = _cuda_type("CharTensor")
ByteTensor = _cuda_type("ByteTensor")
BoolTensor = _cuda_type("BoolTensor")
