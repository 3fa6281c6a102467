"""Lazy modules: layers whose input size is inferred from the first input they see.

``LazyLinear(10)`` is ``Linear(in_features, 10)`` with ``in_features`` taken from the last
dimension of the first input; ``LazyConv2d``, ``LazyBatchNorm2d`` & co. infer ``in_channels``
or ``num_features`` from dimension 1 (0 for unbatched convolution input). Until then the
parameters are ``UninitializedParameter`` placeholders (buffers ``UninitializedBuffer``). At the
first call ``LazyModuleMixin`` materialises them with PyTorch's initialisation, removes its
hook, and turns the module into its concrete class (``cls_to_become``): afterwards
``type(layer) is Linear``.

As in PyTorch, an optimiser may be built before the first forward: materialising keeps the
same Parameter objects, so the optimiser trains them. ``load_state_dict`` into a lazy module
materialises the placeholders with the checkpoint's shapes (the class changes at the next
forward). Adding a lazy variant of a layer takes one class: the mixin, the concrete class, and
``_lazy_shapes`` (or ``initialize_parameters``).
"""

from __future__ import annotations

import inspect
from typing import Any

from juanji.autograd.grad_mode import no_grad
from juanji.nn.batchnorm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from juanji.nn.conv import Conv1d, Conv2d, Conv3d
from juanji.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from juanji.nn.linear import Linear
from juanji.nn.module import Module
from juanji.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from juanji.tensor.tensor import Tensor


class LazyModuleMixin:
    """Materialise a module's placeholder parameters at its first forward, then change class.

    Subclasses (listed first among the bases, before the concrete layer) set ``cls_to_become``
    and implement ``initialize_parameters(input)``.
    """

    cls_to_become: type | None = None

    def _install_lazy_hook(self) -> None:
        self._lazy_hook = self.register_forward_pre_hook(_infer_parameters)  # type: ignore[attr-defined]

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer of this module is still a placeholder."""
        tensors = [*self._parameters.values(), *self._buffers.values()]  # type: ignore[attr-defined]
        return any(is_lazy(t) for t in tensors)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Materialise the placeholders from the first input; each lazy layer implements it."""
        raise NotImplementedError(f"{type(self).__name__} must implement initialize_parameters")


def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
    """The forward pre-hook: materialise, check, drop the hook, become the concrete class."""
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._lazy_hook.remove()
    del module._lazy_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


def _first_input(owner: str, args: tuple[Any, ...], min_ndim: int) -> Tensor:
    if not args or not isinstance(args[0], Tensor):
        given = type(args[0]).__name__ if args else "nothing"
        raise TypeError(f"{owner}: input must be a Tensor, got {given}")
    if args[0].ndim < min_ndim:
        raise ValueError(
            f"{owner}: cannot infer the input size from a {args[0].ndim}-D input of "
            f"shape {args[0].shape}"
        )
    return args[0]


def _replace(module: Module, names: tuple[str, ...], kind: type, dtype: Any, device: Any) -> None:
    """Swap the registered tensors ``names`` (those not None) for placeholders."""
    registry = module._parameters if kind is UninitializedParameter else module._buffers
    for name in names:
        if registry.get(name) is not None:
            registry[name] = kind(device=device, dtype=dtype)


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` with ``in_features`` inferred from the first input's last dimension.

    Example:
        >>> import juanji
        >>> layer = LazyLinear(3)
        >>> layer
        LazyLinear(in_features=0, out_features=3, bias=True)
        >>> _ = layer(juanji.zeros(2, 5)); layer
        Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(1, out_features, bias, device, dtype)
        self.in_features = 0
        _replace(self, ("weight", "bias"), UninitializedParameter, dtype, device)
        self._install_lazy_hook()

    def reset_parameters(self) -> None:
        """Initialise as ``Linear`` once the parameters have shapes (a no-op before)."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialise ``weight`` as ``(out_features, input.shape[-1])`` and initialise it."""
        if not self.has_uninitialized_params():
            return
        x = _first_input(type(self).__name__, (input,), 1)
        self.in_features = x.shape[-1]
        with no_grad():
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """Shared by the lazy convolutions (and, by ``transposed``, transposed convolutions)."""

    def _make_lazy(self, dtype: Any, device: Any) -> None:
        self.in_channels = 0
        _replace(self, ("weight", "bias"), UninitializedParameter, dtype, device)  # type: ignore[arg-type]
        self._install_lazy_hook()

    def reset_parameters(self) -> None:
        """Initialise as the concrete layer once the parameters have shapes."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialise ``weight`` from the channels of ``input`` and initialise it."""
        if not self.has_uninitialized_params():
            return
        owner, n = type(self).__name__, self._spatial_dims  # type: ignore[attr-defined]
        x = _first_input(owner, (input,), n + 1)
        in_channels = x.shape[0] if x.ndim == n + 1 else x.shape[1]
        groups, out = self.groups, self.out_channels  # type: ignore[attr-defined]
        if in_channels % groups:
            raise ValueError(
                f"{owner}: in_channels ({in_channels}, inferred from the input) must "
                f"be divisible by groups ({groups})"
            )
        self.in_channels = in_channels
        kernel = self.kernel_size  # type: ignore[attr-defined]
        if self.transposed:  # type: ignore[attr-defined]
            shape = (in_channels, out // groups, *kernel)
        else:
            shape = (out, in_channels // groups, *kernel)
        with no_grad():
            self.weight.materialize(shape)  # type: ignore[attr-defined]
            if self.bias is not None:  # type: ignore[attr-defined]
                self.bias.materialize((out,))  # type: ignore[attr-defined]
            self.reset_parameters()


def _lazy_conv(concrete: type) -> type:
    """The lazy variant of a convolution class: ``in_channels`` comes from the first input."""
    signature = inspect.signature(concrete.__init__)
    # The lazy signature: the concrete one without in_channels (shown by help() and inspect).
    lazy_params = [p for name, p in signature.parameters.items() if name != "in_channels"]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        # Bind as the concrete layer would, with a placeholder in_channels equal to groups
        # (always valid), so positional and keyword arguments mean what they mean there.
        bound = signature.bind(self, 1, *args, **kwargs)
        bound.arguments["in_channels"] = bound.arguments.get("groups", 1)
        concrete.__init__(*bound.args, **bound.kwargs)
        self._make_lazy(bound.arguments.get("dtype"), bound.arguments.get("device"))

    init.__signature__ = signature.replace(parameters=lazy_params)  # type: ignore[attr-defined]
    doc = f"""``{concrete.__name__}`` with ``in_channels`` inferred from the first input.

    Takes ``{concrete.__name__}``'s arguments without ``in_channels``; see ``LazyLinear``.
    """
    return type(
        f"Lazy{concrete.__name__}",
        (_LazyConvMixin, concrete),
        {"cls_to_become": concrete, "__init__": init, "__doc__": doc, "__module__": __name__},
    )


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d)


class _LazyNormMixin(LazyModuleMixin):
    """Shared by the lazy batch and instance norms: ``num_features`` from dimension 1."""

    def _make_lazy(self, dtype: Any, device: Any) -> None:
        self.num_features = 0
        _replace(self, ("weight", "bias"), UninitializedParameter, dtype, device)  # type: ignore[arg-type]
        _replace(self, ("running_mean", "running_var"), UninitializedBuffer, dtype, device)  # type: ignore[arg-type]
        self._install_lazy_hook()

    def reset_parameters(self) -> None:
        """Initialise as the concrete layer once the parameters have shapes."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialise the per-channel parameters and buffers and initialise them."""
        if not self.has_uninitialized_params():
            return
        ranks = self._ranks  # type: ignore[attr-defined]
        x = _first_input(type(self).__name__, (input,), 2)
        unbatched = isinstance(self, _InstanceLazy) and x.ndim == ranks[0]
        self.num_features = x.shape[0] if unbatched else x.shape[1]
        with no_grad():
            for tensor in [*self._parameters.values(), *self._buffers.values()]:  # type: ignore[attr-defined]
                if is_lazy(tensor):
                    tensor.materialize((self.num_features,))
            self.reset_parameters()


class _InstanceLazy:
    """Marks the lazy instance norms (their unbatched input has channels in dimension 0).

    Their defaults are PyTorch's lazy ones, ``affine=True`` and ``track_running_stats=True``
    (unlike ``InstanceNorm2d``'s).
    """


def _lazy_norm(concrete: type, *extra: type) -> type:
    def init(
        self: Any,
        eps: float = 1e-5,
        momentum: Any = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        concrete.__init__(
            self, 1, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self._make_lazy(dtype, device)

    doc = f"""``{concrete.__name__}`` with ``num_features`` inferred from the first input.

    Takes ``{concrete.__name__}``'s arguments without ``num_features``; see ``LazyLinear``.
    """
    return type(
        f"Lazy{concrete.__name__}",
        (*extra, _LazyNormMixin, concrete),
        {"cls_to_become": concrete, "__init__": init, "__doc__": doc, "__module__": __name__},
    )


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, _InstanceLazy)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, _InstanceLazy)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, _InstanceLazy)
