"""Autograd: the ``Function`` base class, the backward engine, and the grad-mode switches."""

from juanji.autograd.function import Function
from juanji.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "gradcheck",
    "Variable",
    "grad",
    "backward",
]


def __getattr__(name: str):  # noqa: ANN202 - a lazy alias (docs/architecture.md)
    if name == "gradcheck":
        import importlib

        return importlib.import_module("juanji.testing").gradcheck
    if name in ("grad", "backward"):  # they build Tensors, which live above this layer
        import importlib

        return getattr(importlib.import_module("juanji.tensor._grad"), name)
    if name == "Variable":  # legacy; it returns a Tensor, which lives above this layer
        import importlib

        return importlib.import_module("juanji.tensor.legacy").Variable
    raise AttributeError(f"module 'juanji.autograd' has no attribute {name!r}")
