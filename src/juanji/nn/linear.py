"""Dense and shape layers: ``Linear``, ``Bilinear``, ``Identity``, ``Flatten``, ``Unflatten``."""

from __future__ import annotations

import math
from typing import Any

from juanji.nn import functional as F
from juanji.nn import init
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
from juanji.tensor.tensor import Tensor


def _check_size(owner: str, name: str, value: Any) -> None:
    """Raise unless ``value`` is an int >= 0: PyTorch builds empty layers (Linear(3, 0))."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
    if value < 0:
        raise RuntimeError(f"{owner}: Trying to create tensor with negative dimension {value}")


def _check_positive(owner: str, name: str, value: Any) -> None:
    """Raise unless ``value`` is an int >= 1 (a size of a layer)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value}")


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias`` over the last dimension; see ``F.linear``.

    Args:
        in_features: size of each input sample (the input's last dimension).
        out_features: size of each output sample.
        bias: learn an additive bias. Default: True.
        device: where to create the parameters. Default: the CPU.
        dtype: floating dtype of the parameters. Default: the default dtype (float32).

    Attributes:
        weight: ``(out_features, in_features)``, initialised from U(-k, k) with
            ``k = 1 / sqrt(in_features)`` (PyTorch's ``kaiming_uniform_(a=sqrt(5))``).
        bias: ``(out_features,)``, also from U(-k, k); None when ``bias=False``.

    Shape:
        - Input: ``(*, in_features)``, any number of leading dimensions
        - Output: ``(*, out_features)``

    Example:
        >>> import juanji
        >>> layer = Linear(400, 120)
        >>> layer
        Linear(in_features=400, out_features=120, bias=True)
        >>> layer(juanji.zeros(64, 400)).shape
        (64, 120)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_size("Linear", "in_features", in_features)
        _check_size("Linear", "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _uninitialised((out_features, in_features), dtype, device, "Linear")
        if bias:
            self.bias = _uninitialised((out_features,), dtype, device, "Linear")
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights and bias with PyTorch's default initialisation (see Attributes)."""
        init._default_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """Bilinear map ``y_k = x1 @ weight[k] @ x2 + bias_k``; see ``F.bilinear``.

    Args:
        in1_features: size of each first input (its last dimension).
        in2_features: size of each second input.
        out_features: size of each output.
        bias: learn an additive bias. Default: True.
        device: where to create the parameters. Default: the CPU.
        dtype: floating dtype of the parameters. Default: the default dtype.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)`` from U(-k, k) with
            ``k = 1 / sqrt(in1_features)`` (PyTorch's rule).
        bias: ``(out_features,)`` from the same law; None when ``bias=False``.

    Shape:
        - Inputs: ``(*, in1_features)`` and ``(*, in2_features)``, the same leading dimensions
        - Output: ``(*, out_features)``

    Example:
        >>> import juanji
        >>> Bilinear(20, 30, 40)(juanji.zeros(128, 20), juanji.zeros(128, 30)).shape
        (128, 40)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, value in zip(
            ("in1_features", "in2_features", "out_features"),
            (in1_features, in2_features, out_features),
            strict=True,
        ):
            _check_positive("Bilinear", name, value)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        self.weight = _uninitialised(shape, dtype, device, "Bilinear")
        if bias:
            self.bias = _uninitialised((out_features,), dtype, device, "Bilinear")
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias from U(-k, k), ``k = 1 / sqrt(in1_features)``."""
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """Apply the layer (see the class docstring)."""
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    """Return the input unchanged; any constructor arguments are ignored.

    A placeholder, e.g. to remove a layer from a model without changing its code.

    Shape:
        - Input: ``(*)``
        - Output: ``(*)``, the same

    Example:
        >>> import juanji
        >>> Identity(54, unused="argument")(juanji.ones(2)).shape
        (2,)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return input


class Flatten(Module):
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one (keeps the batch by default).

    Args:
        start_dim: first dimension to merge. Default: 1 (the batch dimension stays).
        end_dim: last dimension to merge. Default: -1.

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``
        - Output: ``(*, S_start * ... * S_end, *)``

    Example:
        >>> import juanji
        >>> Flatten()(juanji.zeros(64, 16, 5, 5)).shape
        (64, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (the inverse of ``Flatten``).

    Args:
        dim: the dimension to split.
        unflattened_size: the new sizes; their product must equal the size of ``dim`` (one
            entry may be -1, inferred).

    Shape:
        - Input: ``(*, S_dim, *)``
        - Output: ``(*, U_1, ..., U_n, *)`` with ``U_1 * ... * U_n = S_dim``

    Example:
        >>> import juanji
        >>> Unflatten(1, (16, 5, 5))(juanji.zeros(2, 400)).shape
        (2, 16, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        if (
            not isinstance(unflattened_size, (tuple, list))
            or not all(
                isinstance(n, int) and not isinstance(n, bool) and (n >= 1 or n == -1)
                for n in unflattened_size
            )
            or list(unflattened_size).count(-1) > 1
        ):
            raise ValueError(
                "Unflatten: unflattened_size must be a tuple of positive ints (at most one -1), "
                f"got {unflattened_size!r}"
            )
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(
                f"Unflatten: dim {self.dim} is out of range for a {input.ndim}-D input"
            )
        size = input.shape[self.dim]
        sizes = list(self.unflattened_size)
        known = math.prod(n for n in sizes if n != -1)
        if -1 in sizes and size % known == 0:
            sizes[sizes.index(-1)] = size // known
        if math.prod(sizes) != size or -1 in sizes:
            raise ValueError(
                f"Unflatten: unflattened_size {tuple(self.unflattened_size)} does not fit "
                f"dimension {self.dim} of the input, which has size {size} (shape {input.shape})"
            )
        return input.unflatten(self.dim, sizes)

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
