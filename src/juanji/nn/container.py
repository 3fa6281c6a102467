"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (registered holders).

A plain Python list or dict of layers is invisible to ``parameters()`` and ``state_dict()``;
these containers register each entry as a child module, under its index (``"0"``, ``"1"``...)
or key, which is where state-dict keys such as ``features.0.weight`` come from.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from juanji.nn.module import Module, _indent
from juanji.nn.parameter import Parameter
from juanji.tensor.tensor import Tensor


def _index(owner: str, index: Any, size: int) -> int:
    """A non-negative position for ``index`` in ``range(size)``, or PyTorch's IndexError."""
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"{owner} indices must be integers or slices, got {type(index).__name__}")
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range")
    return index % size


class Sequential(Module):
    """Run modules one after another, each on the previous one's output.

    Built from modules (named ``"0"``, ``"1"``...) or from an ``OrderedDict`` of named modules.
    Indexing gives a module; a slice gives a new ``Sequential`` sharing the modules.

    Args:
        *args: the modules in order, or one ``OrderedDict[str, Module]``.

    Shape:
        - Input: what the first module takes
        - Output: what the last module returns

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(juanji.zeros(3, 4)).shape
        (3, 2)
        >>> model[-1]
        Linear(in_features=8, out_features=2, bias=True)
        >>> len(model[:2])
        2
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for position, module in enumerate(args):
                self.add_module(str(position), module)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        position = _index("Sequential", index, len(self._modules))
        return list(self._modules.values())[position]

    def __setitem__(self, index: int, module: Module) -> None:
        position = _index("Sequential", index, len(self._modules))
        self.add_module(list(self._modules)[position], module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        if isinstance(index, slice):
            doomed = keys[index]
        else:
            doomed = [keys[_index("Sequential", index, len(keys))]]
        for key in doomed:
            del self._modules[key]
        # Renumber so that the names stay 0, 1, 2... (as PyTorch does).
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(self._modules.values())}

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns the Sequential."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Add several modules at the end."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise TypeError(f"module should be of type Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        size = len(modules)
        if not -size <= index <= size:
            raise IndexError(f"index {index} is out of range")
        modules.insert(index, module)
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(modules)}
        return self

    def forward(self, input: Any) -> Any:  # noqa: A002
        """Feed ``input`` through each module in turn."""
        output = input
        for module in self._modules.values():
            output = module(output)
        return output


class ModuleList(Module):
    """A list of modules, registered so their parameters are found; has no ``forward``.

    Args:
        modules: an iterable of modules to start with.

    Example:
        >>> from juanji import nn
        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        position = _index("ModuleList", index, len(self._modules))
        return self._modules[str(position)]

    def __setitem__(self, index: int, module: Module) -> None:
        position = _index("ModuleList", index, len(self._modules))
        self.add_module(str(position), module)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_index("ModuleList", index, len(modules))]
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(modules)}

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each module of ``modules`` at the end."""
        if isinstance(modules, Module) or not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable, got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self.__dict__["_modules"] = {}
        for position, item in enumerate(modules):
            self.add_module(str(position), item)

    def __repr__(self) -> str:
        # Runs of identical modules print once, as PyTorch does: "(0-2): 3 x Linear(...)".
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list[Any]] = []
        for position, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        lines = []
        for first, last, text in runs:
            label = f"({first})" if first == last else f"({first}-{last})"
            count = "" if first == last else f"{last - first + 1} x "
            lines.append(_indent(f"{label}: {count}{text}", 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules by name, registered so their parameters are found; no ``forward``.

    Args:
        modules: a mapping (or iterable of pairs) of names to modules.

    Example:
        >>> from juanji import nn
        >>> heads = nn.ModuleDict({"digit": nn.Linear(8, 10), "parity": nn.Linear(8, 2)})
        >>> list(heads), [k for k, _ in heads.named_parameters()][:2]
        (['digit', 'parity'], ['digit.weight', 'digit.bias'])
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every entry."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Iterable[str]:
        """The names."""
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(name, module)`` pairs."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules."""
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace entries from a mapping or an iterable of ``(name, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module


def _as_parameter(value: Any) -> Any:
    """A Tensor that is not yet a Parameter becomes one (PyTorch's containers do the same)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _parameter_line(key: str, value: Any) -> str:
    if isinstance(value, Tensor):
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        size = "x".join(str(n) for n in value.shape)
        return f"    ({key}): {kind} containing: [{value.dtype} of size {size}]"
    return f"    ({key}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``...; Tensors become Parameters.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> params = nn.ParameterList([juanji.zeros(2), nn.Parameter(juanji.ones(3))])
        >>> len(params), [name for name, _ in params.named_parameters()]
        (2, ['0', '1'])
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)([self[i] for i in range(len(self))[index]])
        return getattr(self, str(_index("ParameterList", index, len(self))))

    def __setitem__(self, index: int, value: Any) -> None:
        setattr(self, str(_index("ParameterList", index, len(self))), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end."""
        self.__dict__["_size"] += 1
        self[len(self) - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add each of ``values`` at the end."""
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                f"{type(values).__name__}"
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        """One line per entry, as PyTorch prints them."""
        return "\n".join(_parameter_line(str(i), self[i]) for i in range(len(self)))

    def __repr__(self) -> str:
        return f"{self._get_name()}(\n{self.extra_repr()}\n)" if len(self) else "ParameterList()"


class ParameterDict(Module):
    """A dict of parameters by (string) name; Tensors become Parameters.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> params = nn.ParameterDict({"scale": juanji.ones(1), "shift": juanji.zeros(1)})
        >>> list(params), sorted(name for name, _ in params.named_parameters())
        (['scale', 'shift'], ['scale', 'shift'])
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        """The names."""
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        """``(name, parameter)`` pairs."""
        return [(k, self[k]) for k in self._keys]

    def values(self) -> Iterable[Any]:
        """The parameters."""
        return [self[k] for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter of ``key``, or ``default``."""
        if key in self:
            return self[key]
        return default

    def pop(self, key: str) -> Any:
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every entry."""
        for key in list(self._keys):
            del self[key]

    def update(self, parameters: Any) -> None:
        """Add or replace entries from a mapping or an iterable of ``(name, value)`` pairs."""
        pairs = (
            parameters.items() if isinstance(parameters, (Mapping, ParameterDict)) else parameters
        )
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        """One line per entry, as PyTorch prints them."""
        return "\n".join(_parameter_line(key, self[key]) for key in self._keys)

    def __repr__(self) -> str:
        return f"{self._get_name()}(\n{self.extra_repr()}\n)" if len(self) else "ParameterDict()"


class Container(Module):
    """Deprecated: a Module whose keyword arguments become its children (warns, as PyTorch)."""

    def __init__(self, **kwargs: Module) -> None:
        super().__init__()
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in "
            "`nn.Module`. Subclass that instead.",
            FutureWarning,
            stacklevel=2,
        )
        for key, value in kwargs.items():
            self.add_module(key, value)
