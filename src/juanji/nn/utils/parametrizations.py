"""``weight_norm`` and ``spectral_norm`` as parametrizations (PyTorch's newer API).

``parametrizations.weight_norm(layer)`` keeps ``layer.weight`` computed from
``parametrizations.weight.original0`` (the magnitude g) and ``original1`` (the direction v);
``spectral_norm`` from ``original`` divided by its largest singular value, estimated by power
iteration on the ``_u`` and ``_v`` buffers of the parametrization (updated in place on every
training-mode read, 15 iterations when registered), PyTorch's rules. ``orthogonal`` is not
implemented (it needs a differentiable matrix exponential or QR).
"""

from __future__ import annotations

from typing import Any, TypeVar

from juanji.autograd.grad_mode import no_grad
from juanji.nn.module import Module
from juanji.nn.utils import parametrize
from juanji.nn.utils.weight_norm import _norm_except_dim
from juanji.tensor.tensor import Tensor

__all__ = ["spectral_norm", "weight_norm"]

M = TypeVar("M", bound=Module)


class _WeightNorm(Module):
    def __init__(self, dim: int | None) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (``original0`` = g, ``original1`` = v).

    Example:
        >>> from juanji import nn
        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        ((40, 1), (40, 20))
    """
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


def _normalize(x: Tensor, eps: float) -> Tensor:
    return x / x.norm().clamp(min=eps)


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int, dim: int, eps: float) -> None:
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            matrix = self._reshape_weight_to_matrix(weight)
            h, w = matrix.shape
            with no_grad():
                u = _normalize(weight.new_empty(h).normal_(0, 1), eps)
                v = _normalize(weight.new_empty(w).normal_(0, 1), eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, matrix: Tensor, iterations: int) -> None:
        with no_grad():
            for _ in range(iterations):
                self._u.copy_(_normalize(matrix @ self._v, self.eps))
                self._v.copy_(_normalize(matrix.t() @ self._u, self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return _normalize(weight, self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (matrix @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: M,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> M:
    """Divide ``module.<name>`` by its spectral norm on every read (see the module doc).

    ``dim`` defaults to 1 for ``ConvTranspose*d`` and 0 otherwise.

    Example:
        >>> from juanji import nn
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight[0]._u.shape
        (40,)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
        dim = 1 if type(module).__name__ in transposed else 0
    parametrization: Any = _SpectralNorm(weight, n_power_iterations, dim, eps)
    return parametrize.register_parametrization(module, name, parametrization)
