"""juanji (卷积, "convolution"): a small NumPy CNN engine with PyTorch's API.

``import juanji as torch``-style portability: tensors with autograd, ``juanji.nn``,
``juanji.nn.functional``, ``juanji.optim`` and ``juanji.data`` follow PyTorch's names and
signatures. ``import juanji`` needs NumPy only; the drawing and command-line parts load lazily.

Example:
    >>> import juanji
    >>> x = juanji.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> (x * 2).sum().backward()
    >>> x.grad
    tensor([[2., 2., 2.]])
"""

from juanji import (  # noqa: F401  (imported so juanji.nn works after `import juanji`)
    data,  # noqa: F401
    nn,
    optim,
)
from juanji._dtype import (
    DType,
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from juanji._dtype import float as float  # noqa: PLC0414 - juanji.float is float32, as torch.float
from juanji._dtype import int as int  # noqa: PLC0414
from juanji._version import __version__
from juanji.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from juanji.backend import Device as device
from juanji.backend import get_num_threads, set_num_threads
from juanji.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from juanji.tensor._settings import (
    are_deterministic_algorithms_enabled,
    channels_last,
    channels_last_3d,
    contiguous_format,
    get_default_device,
    is_deterministic_algorithms_warn_only_enabled,
    memory_format,
    preserve_format,
    set_default_device,
    use_deterministic_algorithms,
)
from juanji.tensor.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from juanji.tensor.functions import *  # noqa: F403 - the torch.<name> functions (sin, meshgrid, Size...)
from juanji.tensor.functions import __all__ as _function_names
from juanji.tensor.legacy import *  # noqa: F403 - LongTensor, FloatTensor...
from juanji.tensor.legacy import __all__ as _legacy_names
from juanji.tensor.tensor import Tensor

bool = bool_  # noqa: A001 - juanji.bool, as torch.bool

_LAZY = {
    "testing",
    "models",
    "serialization",
    "autograd",
    "errors",
    "apps",
    "cuda",
    "utils",
    "backends",
    "distributed",
    "accelerator",
    "amp",
}


def __getattr__(name: str):  # noqa: ANN202
    """Load the heavier sub-packages (models, serialization, apps...) on first use."""
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"juanji.{name}")
    if name == "autocast":  # torch.autocast: juanji.amp's, disabled without CUDA
        from juanji import amp

        return amp.autocast
    if name in ("set_float32_matmul_precision", "get_float32_matmul_precision"):
        from juanji import backends

        return getattr(backends, name)
    if name in ("save", "load"):  # torch.save / torch.load, from the serialization layer
        from juanji import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'juanji' has no attribute {name!r}")


__all__ = [
    "Tensor",
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "is_tensor",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "manual_seed",
    "seed",
    "initial_seed",
    "Generator",
    "get_rng_state",
    "set_rng_state",
    "device",
    "DType",
    "float16",
    "float32",
    "float64",
    "half",
    "double",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "short",
    "long",
    "bool",
    "get_default_dtype",
    "set_default_dtype",
    "nn",
    "optim",
    "data",
    "__version__",
    "set_num_threads",
    "are_deterministic_algorithms_enabled",
    "channels_last",
    "channels_last_3d",
    "contiguous_format",
    "get_default_device",
    "is_deterministic_algorithms_warn_only_enabled",
    "memory_format",
    "preserve_format",
    "set_default_device",
    "use_deterministic_algorithms",
    "get_num_threads",
    *_function_names,
    *(name for name in _legacy_names if name != "Variable"),
]
