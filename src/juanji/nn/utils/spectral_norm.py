"""``spectral_norm``: a weight divided by its largest singular value, by power iteration.

The weight, reshaped to a matrix ``W`` (``dim`` first, the rest flattened), is divided by
``sigma = u . (W v)``, where ``u`` and ``v`` approximate its top singular vectors. In training
mode each forward call first runs ``n_power_iterations`` steps ``v = normalize(W^T u)``,
``u = normalize(W v)`` without gradients, updating the ``name_u`` and ``name_v`` buffers in
place (PyTorch's rule); in eval mode the stored vectors are used as they are. Gradients reach
``name_orig`` through both ``W`` and ``sigma``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from juanji.autograd.grad_mode import no_grad
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter, UninitializedParameter
from juanji.tensor.tensor import Tensor

__all__ = ["remove_spectral_norm", "spectral_norm"]

M = TypeVar("M", bound=Module)

_TRANSPOSED = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")


def _normalize(x: Tensor, eps: float) -> Tensor:
    return x / x.norm().clamp(min=eps)


class SpectralNorm:
    """The forward pre-hook that sets ``name`` to ``name_orig / sigma``."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` as a matrix of ``weight.shape[dim]`` rows."""
        if self.dim != 0:
            order = (self.dim, *(d for d in range(weight.ndim) if d != self.dim))
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """``name_orig / sigma``, after the power iteration when asked."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(matrix.t() @ u, self.eps))
                    u.copy_(_normalize(matrix @ v, self.eps))
            u, v = u.clone(), v.clone()
        sigma = (u * (matrix @ v)).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: M,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> M:
    """Divide ``module.<name>`` by its spectral norm before every forward call (GAN critics).

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        n_power_iterations: power-iteration steps per training forward call. Default: 1.
        eps: the floor of the norms in the normalisations. Default: 1e-12.
        dim: the dimension of the output units; default 0, or 1 for ``ConvTranspose*d``.

    Returns:
        ``module``, with ``name_orig`` (parameter), ``name_u`` and ``name_v`` (buffers,
        initialised from normal draws of the default generator) and the hook.

    Raises:
        RuntimeError: ``name`` already has a spectral-norm hook.
        ValueError: ``n_power_iterations <= 0`` or the parameter is None or uninitialised.

    Example:
        >>> from juanji import nn
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape, m.weight_v.shape
        ((40,), (20,))
    """
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two spectral_norm hooks on the same parameter {name}"
            )
    if dim is None:
        dim = 1 if type(module).__name__ in _TRANSPOSED else 0
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    if isinstance(weight, UninitializedParameter):
        raise ValueError(
            "The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure "
            "to run the dummy forward before applying spectral normalization"
        )
    with no_grad():
        h, w = fn.reshape_weight_to_matrix(weight).shape
        u = _normalize(weight.new_empty(h).normal_(0, 1), eps)
        v = _normalize(weight.new_empty(w).normal_(0, 1), eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: M, name: str = "weight") -> M:
    """Undo ``spectral_norm``: ``name`` becomes a plain parameter holding the normalised weight.

    Raises:
        ValueError: ``module`` has no spectral-norm hook on ``name``.
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            for suffix in ("", "_u", "_v", "_orig"):
                delattr(module, name + suffix)
            module.register_parameter(name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
