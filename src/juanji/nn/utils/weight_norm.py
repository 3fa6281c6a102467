"""``weight_norm``: a weight as a magnitude ``g`` times a direction ``v / ||v||`` (old hook API).

The parameter ``name`` is replaced by ``name_g`` (the norm of each slice along ``dim``, shaped
to broadcast) and ``name_v`` (the direction); a forward pre-hook recomputes
``name = v * (g / ||v||)`` before every call, so gradients reach ``g`` and ``v``. ``dim=None``
(or -1, as in PyTorch) takes one norm over the whole tensor.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from juanji.nn.module import Module
from juanji.nn.parameter import Parameter, UninitializedParameter
from juanji.tensor.tensor import Tensor

__all__ = ["remove_weight_norm", "weight_norm"]

M = TypeVar("M", bound=Module)


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of every slice of ``v`` along ``dim``, keeping ``v``'s rank (-1: all of it)."""
    if dim == -1:
        return v.norm()
    dim %= v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(dim=others, keepdim=True).sqrt()


class WeightNorm:
    """The forward pre-hook that recomputes ``name`` from ``name_g`` and ``name_v``."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        """``v * (g / ||v||)`` from the module's current parameters."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||``, with ``g`` and ``v`` trained.

    Deprecated in PyTorch in favour of ``parametrizations.weight_norm`` (it warns the same way);
    the parameter names ``weight_g`` and ``weight_v`` are PyTorch's, so state dicts match.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension that keeps one norm per slice (0: one per output unit);
            None for one norm over the whole tensor.

    Returns:
        ``module``, with the hook registered.

    Raises:
        RuntimeError: ``name`` already has a weight-norm hook.

    Example:
        >>> from juanji import nn
        >>> import warnings; warnings.simplefilter("ignore", FutureWarning)
        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.weight_g.shape, m.weight_v.shape
        ((40, 1), (40, 20))
    """
    warnings.warn(
        "`torch.nn.utils.weight_norm` is deprecated in favor of "
        "`torch.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    fn = WeightNorm(name, dim)
    weight = getattr(module, name)
    if isinstance(weight, UninitializedParameter):
        raise ValueError(
            "The module passed to `WeightNorm` can't have uninitialized parameters. Make sure "
            "to run the dummy forward before applying weight normalization"
        )
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: M, name: str = "weight") -> M:
    """Undo ``weight_norm``: ``name`` becomes a plain parameter holding ``g * v / ||v||`` again.

    Raises:
        ValueError: ``module`` has no weight-norm hook on ``name``.

    Example:
        >>> from juanji import nn
        >>> import warnings; warnings.simplefilter("ignore", FutureWarning)
        >>> m = remove_weight_norm(weight_norm(nn.Linear(2, 3)))
        >>> sorted(n for n, _ in m.named_parameters())
        ['bias', 'weight']
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            weight = hook.compute_weight(module)
            delattr(module, name)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            setattr(module, name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
