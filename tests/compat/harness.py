"""Run one compatibility program under PyTorch and under juanji and compare what it returns.

A program is a function ``program(torch)`` written the way public PyTorch CNN code is written,
with the library it runs against passed in as ``torch`` (so ``torch.nn.Conv2d``,
``torch.cuda.is_available()``... read as in the originals). It seeds itself, builds its inputs
and weights from NumPy (``data``, ``fill_parameters``) so both libraries start from the same
numbers, and returns numbers: losses after a few steps, outputs, gradients, shapes, strings.
``compare`` walks both results in step: floats to float32 tolerance (1e-4), everything else equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCE = 1e-4


def data(shape: tuple[int, ...], seed: int = 0, low: float = -1.0, high: float = 1.0) -> Any:
    """float32 inputs, the same for both libraries."""
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(np.float32)


def labels(n: int, classes: int, seed: int = 0) -> Any:
    """int64 class labels."""
    return np.random.default_rng(seed + 1000).integers(0, classes, size=n).astype(np.int64)


def fill_parameters(torch: Any, model: Any, seed: int = 0, scale: float = 0.3) -> None:
    """Overwrite every parameter (in registration order) with the same uniform values."""
    rng = np.random.default_rng(seed + 2000)
    with torch.no_grad():
        for _, parameter in model.named_parameters():
            values = rng.uniform(-scale, scale, size=tuple(parameter.shape)).astype(np.float32)
            parameter.copy_(torch.from_numpy(values))


def _plain(value: Any) -> Any:
    """Tensors and arrays become float64 NumPy arrays; containers are walked."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.asarray(value.detach().numpy(), dtype=np.float64)
    if isinstance(value, np.ndarray | np.generic):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def compare(got: Any, want: Any, where: str = "result") -> None:
    """Assert that ``got`` (juanji) matches ``want`` (PyTorch), naming the first difference."""
    got, want = _plain(got), _plain(want)
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{where}: keys differ"
        for key in want:
            compare(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: lengths differ"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            compare(g, w, f"{where}[{i}]")
    elif isinstance(want, np.ndarray | float):
        np.testing.assert_allclose(
            np.asarray(got, dtype=np.float64),
            want,
            rtol=TOLERANCE,
            atol=TOLERANCE,
            err_msg=where,
        )
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def torchvision(torch: Any) -> Any:
    """The torchvision a program imports next to ``torch``: torchvision itself, or juanji's.

    Under juanji, ``torchvision.models`` is ``juanji.models``, ``torchvision.transforms`` is
    ``juanji.data.transforms`` (with ``.functional``) and ``torchvision.datasets`` is
    ``juanji.data``, the counterparts ``test_import_paths.py`` lists. torchvision's compiled
    ops do not load against the CPU build of torch used here and its models and transforms
    need none of them, so the module that registers them is stubbed (test-only).
    """
    import importlib
    import sys
    import types

    if torch.__name__ == "juanji":
        importlib.import_module("juanji.data.transforms.functional")
        return types.SimpleNamespace(
            models=importlib.import_module("juanji.models"),
            transforms=importlib.import_module("juanji.data.transforms"),
            datasets=importlib.import_module("juanji.data"),
        )
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    importlib.import_module("torchvision.models")
    importlib.import_module("torchvision.transforms.functional")
    return importlib.import_module("torchvision")


def run_both(program: Any) -> None:
    """Run ``program`` with PyTorch, then with juanji, and compare the results."""
    import torch

    import juanji

    torch.manual_seed(0)
    want = program(torch)
    juanji.manual_seed(0)
    got = program(juanji)
    compare(got, want)
