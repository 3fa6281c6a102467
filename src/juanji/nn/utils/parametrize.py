"""``register_parametrization``: a tensor of a module computed from other tensors on each read.

After ``register_parametrization(layer, "weight", P())``, ``layer.weight`` is ``P()(original)``
where ``original`` lives at ``layer.parametrizations.weight.original`` (a Parameter if
``weight`` was one, so optimisers train it and ``state_dict`` saves it under that name).
Reading ``layer.weight`` runs the parametrization (inside ``cached()``, once per block).
Assigning ``layer.weight = t`` stores ``P.right_inverse(t)`` as the original. Several
parametrizations on one tensor run in order; a ``right_inverse`` that returns a sequence makes
``original0``, ``original1``... and ``forward`` then takes them all. The module's class is
swapped for a subclass ``Parametrized<Class>`` holding the properties, as PyTorch does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from juanji.autograd.grad_mode import no_grad
from juanji.nn.container import ModuleDict, ModuleList
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter
from juanji.tensor.tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

_cache: dict[tuple[int, str], Tensor] = {}
_cache_depth = 0


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor once inside the block, then reuse it.

    Example:
        >>> from juanji import nn
        >>> with cached():
        ...     pass
    """
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its ``original`` (or ``original0``, ...)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        with no_grad():
            new = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        self.is_tensor = isinstance(new, Tensor)
        values = [new] if self.is_tensor else list(new)
        self.ntensors = len(values)
        for i, value in enumerate(values):
            name = "original" if self.is_tensor else f"original{i}"
            if isinstance(original, Parameter):
                self.register_parameter(name, Parameter(value.detach(), original.requires_grad))
            else:
                self.register_buffer(name, value.detach())

    def right_inverse(self, value: Tensor) -> None:
        """Store ``value`` by running the right inverses from the last parametrization back."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else list(value)
            for i, new in enumerate(values):
                name = "original" if self.is_tensor else f"original{i}"
                getattr(self, name).copy_(new)

    def forward(self) -> Tensor:
        """The parametrized tensor."""
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _property(name: str) -> property:
    def get(module: Module) -> Tensor:
        parametrization = module.parametrizations[name]
        if not _cache_depth:
            return parametrization()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_(module: Module, value: Tensor) -> None:
        module.parametrizations[name].right_inverse(value)

    return property(get, set_)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name`` when given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return tensor_name is None or tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The module's class before ``register_parametrization`` swapped it."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)


def _check_safe(parametrization: Module, original: Tensor) -> None:
    with no_grad():
        probe = parametrization(original)
    if (
        not isinstance(probe, Tensor)
        or probe.shape != original.shape
        or (probe.dtype != original.dtype)
    ):
        raise ValueError(
            "Registering a parametrization may not change the shape or dtype of the tensor, "
            "unless `unsafe` flag is enabled.\n"
            f"unparametrized shape: {original.shape}, dtype {original.dtype}\n"
            f"parametrized shape: {getattr(probe, 'shape', None)}, "
            f"dtype {getattr(probe, 'dtype', None)}"
        )


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the result of ``parametrization`` (see the module doc).

    Raises:
        ValueError: ``tensor_name`` is neither a parameter nor a buffer of ``module``, or the
            parametrization changes the shape or dtype (unless ``unsafe``).

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> class Symmetric(nn.Module):
        ...     def forward(self, x):
        ...         return (x + x.t()) / 2
        >>> layer = register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
        >>> bool((layer.weight == layer.weight.t()).all())
        True
    """
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_safe(parametrization, getattr(module, tensor_name))
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
            f"with name '{tensor_name}'"
        )
    if not unsafe:
        _check_safe(parametrization, original)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
        cls = type(module)
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``.

    Args:
        module: the parametrized module.
        tensor_name: the tensor to free.
        leave_parametrized: keep the current parametrized value (default) rather than the
            original.

    Raises:
        ValueError: ``module`` has no parametrization on ``tensor_name``, or the original is
            several tensors and ``leave_parametrized`` is False.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
    elif plist.is_tensor:
        value = plist.original
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")  # fmt: skip
    was_parameter = "original" in plist._parameters or "original0" in plist._parameters
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if was_parameter:
        module.register_parameter(tensor_name, Parameter(value.detach()))
    else:
        module.register_buffer(tensor_name, value.detach())
    if not len(module.parametrizations):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Give ``to_module`` the parametrizations of ``from_module`` (all, or ``tensor_name``'s).

    The parametrization modules are shared, and ``to_module``'s originals become the very
    Parameters of ``from_module`` (tied, as PyTorch does); a missing tensor is created first.

    Example:
        >>> from juanji import nn
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> source = register_parametrization(nn.Linear(2, 2), "weight", Double())
        >>> target = transfer_parametrizations_and_params(source, nn.Linear(2, 2))
        >>> target.parametrizations.weight.original is source.parametrizations.weight.original
        True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        source = from_module.parametrizations[name]
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        originals = ["original"] if source.is_tensor else [
            f"original{i}" for i in range(source.ntensors)
        ]  # fmt: skip
        for original in originals:
            setattr(target, original, getattr(source, original))
    return to_module
