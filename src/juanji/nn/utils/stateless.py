"""``functional_call``: run a module with other tensors in place of its parameters and buffers.

``functional_call(model, {"fc.weight": w}, (x,))`` calls ``model(x)`` with ``w`` standing in for
``model.fc.weight`` (gradients flow to ``w``, not to the parameter), then puts the originals
back, even when the call raises. MAML-style meta-learning and per-sample gradients use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _owner(module: Module, name: str) -> tuple[Module, str]:
    """The submodule holding dotted ``name`` and the last part of the name."""
    *path, leaf = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _swap(module: Module, name: str, value: Any) -> Any:
    """Put ``value`` at ``name`` (registry entry kept); return what was there, or _MISSING."""
    owner, leaf = _owner(module, name)
    for registry in (owner._parameters, owner._buffers):
        if leaf in registry:
            old = registry[leaf]
            registry[leaf] = value
            return old
    old = owner.__dict__.get(leaf, _MISSING)
    if value is _MISSING:
        owner.__dict__.pop(leaf, None)
    else:
        object.__setattr__(owner, leaf, value)
    return old


def _tied_names(module: Module) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for name, tensor in module.named_parameters(remove_duplicate=False):
        names.setdefault(id(tensor), []).append(name)
    for name, tensor in module.named_buffers(remove_duplicate=False):
        names.setdefault(id(tensor), []).append(name)
    return names


def _merged(module: Module, given: Any, tie_weights: bool) -> dict[str, Tensor]:
    dicts = [given] if isinstance(given, Mapping) else list(given)
    merged: dict[str, Tensor] = {}
    for mapping in dicts:
        repeated = set(merged) & set(mapping)
        if repeated:
            raise ValueError(f"{sorted(repeated)} appeared in multiple dictionaries")
        merged.update(mapping)
    if tie_weights:
        for names in _tied_names(module).values():
            present = [n for n in names if n in merged]
            if len({id(merged[n]) for n in present}) > 1:
                raise ValueError(
                    f"functional_call got multiple values for keys {present}, which are tied. "
                    "Consider using tie_weights=False"
                )
            for name in names:
                if present and name not in merged:
                    merged[name] = merged[present[0]]
    return merged


def _check_strict(module: Module, merged: Mapping[str, Tensor]) -> None:
    expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
    missing, unexpected = sorted(expected - set(merged)), sorted(set(merged) - expected)
    if missing or unexpected:
        lines = []
        if unexpected:
            lines.append(f"\tUnexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            lines.append(f"\tMissing key(s): {', '.join(map(repr, missing))}.")
        raise RuntimeError(
            f"Error(s) in reparametrizing for {type(module).__name__}:\n" + "\n".join(lines)
        )


def functional_call(
    module: Module,
    parameters_and_buffers: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module(*args, **kwargs)`` with ``parameters_and_buffers`` replacing its own.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted names (as in ``state_dict``) to tensors, or a sequence
            of such dicts (their keys must not repeat).
        args: the positional arguments (a tuple, or one argument).
        kwargs: the keyword arguments.
        tie_weights: a value given for one of several names of one tensor (tied weights)
            stands in for all of them. Default: True.
        strict: every parameter and buffer must be given, and nothing else. Default: False.

    Returns:
        The module's result.

    Example:
        >>> import juanji
        >>> from juanji import nn
        >>> layer = nn.Linear(1, 1)
        >>> w, b = juanji.tensor([[2.0]]), juanji.tensor([1.0])
        >>> functional_call(layer, {"weight": w, "bias": b}, (juanji.tensor([[3.0]]),))
        tensor([[7.]])
    """
    merged = _merged(module, parameters_and_buffers, tie_weights)
    if strict:
        _check_strict(module, merged)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    originals = {}
    try:
        for name, value in merged.items():
            originals[name] = _swap(module, name, value)
        return module(*args, **(kwargs or {}))
    finally:
        for name, old in originals.items():
            _swap(module, name, old)
