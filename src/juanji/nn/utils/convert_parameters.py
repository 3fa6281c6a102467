"""``parameters_to_vector`` and ``vector_to_parameters``: all parameters as one flat vector."""

from __future__ import annotations

from collections.abc import Iterable

from juanji.tensor.functions import cat
from juanji.tensor.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Flatten ``parameters`` and join them into one 1-D tensor (differentiable).

    Example:
        >>> import juanji
        >>> parameters_to_vector([juanji.ones(2, 2), juanji.zeros(1)])
        tensor([1., 1., 1., 1., 0.])
    """
    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got: {type(parameters).__name__}")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy slices of the 1-D ``vec`` into ``parameters``, in order (their ``.data``).

    Raises:
        TypeError: ``vec`` is not a Tensor.

    Example:
        >>> import juanji
        >>> a, b = juanji.zeros(2), juanji.zeros(1)
        >>> vector_to_parameters(juanji.tensor([1.0, 2.0, 3.0]), [a, b]); a, b
        (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer : pointer + n].reshape(param.shape).detach()
        pointer += n
