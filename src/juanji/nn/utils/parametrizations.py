"""``weight_norm`` and ``spectral_norm`` as parametrizations (PyTorch's newer API).

``parametrizations.weight_norm(layer)`` keeps ``layer.weight`` computed from
``parametrizations.weight.original0`` (the magnitude g) and ``original1`` (the direction v);
``spectral_norm`` from ``original`` divided by its largest singular value, estimated by power
iteration on the ``_u`` and ``_v`` buffers of the parametrization (updated in place on every
training-mode read, 15 iterations when registered), PyTorch's rules. ``orthogonal`` keeps a
weight orthogonal (its matrix exponential and Householder maps, not the Cayley one).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from juanji.autograd.grad_mode import no_grad
from juanji.nn.module import Module
from juanji.nn.utils import parametrize
from juanji.nn.utils.weight_norm import _norm_except_dim
from juanji.tensor.functions import cat
from juanji.tensor.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

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


def _tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (from ``diagonal`` down), as a masked product."""
    n, k = x.shape[-2:]
    mask = np.tril(np.ones((n, k), dtype=x._data.dtype), diagonal)
    return x * Tensor(mask)


def _eye_like(x: Tensor, n: int) -> Tensor:
    return Tensor(np.eye(n, dtype=x._data.dtype))


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` of square matrices: scaling by 2**s, a degree-18 Taylor sum, s squarings."""
    n = a.shape[-1]
    norm = float(np.abs(a.detach().numpy()).sum(-2).max()) if a.numel() else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm / 0.25)))) if norm > 0 else 0
    b = a / (2.0**squarings)
    identity = _eye_like(a, n)
    result = identity
    for degree in range(18, 0, -1):  # Horner: I + b/1 (I + b/2 (I + ...))
        result = identity + (b @ result) / degree
    for _ in range(squarings):
        result = result @ result
    return result


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """``H_1 ... H_k`` (first k columns), ``H_i = I - tau_i v_i v_i^T``, LAPACK's reflectors."""
    n, k = a.shape[-2:]
    q = _eye_like(a, n)
    for i in range(k):
        unit = np.zeros(n, dtype=a._data.dtype)
        unit[i] = 1.0
        below = np.zeros(n, dtype=a._data.dtype)
        below[i + 1 :] = 1.0
        v = a[..., :, i] * Tensor(below) + Tensor(unit)  # (..., n)
        qv = q @ v.unsqueeze(-1)  # (..., n, 1)
        q = q - tau[..., i : i + 1].unsqueeze(-1) * (qv @ v.unsqueeze(-2))
    return q[..., :, :k]


def _make_orthogonal(a: Any) -> Any:
    """The Q of the QR decomposition whose R has a positive diagonal (arrays, no gradient)."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, use_trivialization: bool) -> None:
        super().__init__()
        self.shape, self.orthogonal_map = tuple(weight.shape), orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2:]
        transposed = n < k
        if transposed:
            x = x.transpose(-2, -1)
            n, k = k, n
        if self.orthogonal_map == "matrix_exp":
            x = _tril(x)
            if n != k:
                x = cat([x, x.new_zeros((*x.shape[:-2], n, n - k))], -1)
            q = _matrix_exp(x - x.transpose(-2, -1))[..., :, :k]
        else:
            a = _tril(x, -1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            signs = np.diagonal(x.detach().numpy(), axis1=-2, axis2=-1).astype(np.int64)
            q = _householder_product(a, tau) * Tensor(signs.astype(x._data.dtype)).unsqueeze(-2)
        base = self._buffers.get("base")
        if base is not None:
            q = base @ q
        return q.transpose(-2, -1) if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                f"shape {tuple(q.shape)}."
            )
        data = q.detach().numpy()
        n, k = data.shape[-2:]
        if n < k:
            data = np.swapaxes(data, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            raise NotImplementedError(
                "juanji: assigning to an orthogonal parametrization needs use_trivialization=True"
            )
        if n == k:
            gram = np.swapaxes(data, -1, -2) @ data
            orthogonal = np.allclose(gram, np.eye(k), atol=10.0 * n * np.finfo(data.dtype).eps)
            base = data.copy() if orthogonal else _make_orthogonal(data)
        else:
            extra = np.random.default_rng().standard_normal((*data.shape[:-2], n, n - k))
            base = _make_orthogonal(np.concatenate([data, extra.astype(data.dtype)], -1))
        self.base = Tensor(base)
        negative_identity = np.zeros(self.shape, dtype=data.dtype)
        for i in range(k):  # -I: householder(0) and exp(0) are both the identity
            negative_identity[..., i, i] = -1.0
        return Tensor(negative_identity)


def orthogonal(
    module: M,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> M:
    """Keep ``module.<name>`` an orthogonal matrix (orthonormal rows or columns) while it trains.

    ``orthogonal_map``: ``"matrix_exp"`` (the default for square matrices: ``exp`` of a
    skew-symmetric matrix) or ``"householder"`` (default otherwise: a product of
    reflections); ``"cayley"`` is not implemented in juanji. With ``use_trivialization``
    (default) the weight is ``base @ map(original)``, ``base`` (a buffer) the weight
    orthogonalised at registration and ``original`` starting at ``-I``, as PyTorch does.

    Raises:
        ValueError: a tensor with fewer than 2 dimensions, or an unknown map.
        NotImplementedError: ``"cayley"``, or ``use_trivialization=False``.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> layer = orthogonal(nn.Linear(4, 4))
        >>> w = layer.weight
        >>> bool(((w @ w.t() - juanji.eye(4)).abs() < 1e-5).all())
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    n, k = weight.shape[-2:]
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if n == k else "householder"
    if orthogonal_map not in ("matrix_exp", "cayley", "householder"):
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
            f"{orthogonal_map}"
        )
    if orthogonal_map == "cayley" or not use_trivialization:
        raise NotImplementedError(
            f"orthogonal: orthogonal_map={orthogonal_map!r}, use_trivialization="
            f"{use_trivialization}: juanji implements the matrix_exp and householder maps with "
            "use_trivialization=True (the defaults), not cayley"
        )
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization)
    return parametrize.register_parametrization(module, name, parametrization, unsafe=True)
