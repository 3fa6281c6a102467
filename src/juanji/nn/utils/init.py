"""``skip_init``: build a module without spending time on its parameters' initial values."""

from __future__ import annotations

import inspect
from typing import Any

from juanji.nn.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type[Module], *args: Any, **kwargs: Any) -> Module:
    """``module_cls(*args, **kwargs)`` whose parameters are to be overwritten by the caller.

    PyTorch builds the module on the meta device and allocates uninitialised memory. juanji
    has no meta device: the module is built as usual, so the values are its default
    initialisation rather than garbage; either way the caller must assign them.

    Raises:
        RuntimeError: ``module_cls`` is not a Module class or does not take ``device``.

    Example:
        >>> from juanji import nn
        >>> skip_init(nn.Linear, 5, 1).weight.shape
        (1, 5)
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
