"""Version counters: how an in-place write is caught when backward still needs the old values.

PyTorch gives every tensor's storage a counter that each in-place operation bumps; a node that
saved a tensor for backward checks at backward that the counter did not move. juanji keeps the
counters beside the arrays: one per *root* array (the array that owns the memory; NumPy views
reach it through ``.base``), so a write through any view bumps the counter its base shares.
Arrays never written in place have no entry and version 0; while no entry exists at all (the
usual training step), saving and checking cost one truthiness test.
"""

from __future__ import annotations

import weakref
from typing import Any

# id(root array) -> [weak reference to the root, version]
_versions: dict[int, list[Any]] = {}


def _root(array: Any) -> Any:
    """The array that owns ``array``'s memory (the end of its ``.base`` chain)."""
    while True:
        base = getattr(array, "base", None)
        if base is None or not hasattr(base, "shape"):
            return array
        array = base


def version(array: Any) -> int:
    """How many in-place writes reached ``array``'s memory (0 if never written)."""
    if not _versions or not hasattr(array, "shape"):
        return 0
    root = _root(array)
    entry = _versions.get(id(root))
    return entry[1] if entry is not None and entry[0]() is root else 0


def bump(array: Any) -> None:
    """Record one in-place write into ``array``'s memory."""
    root = _root(array)
    key = id(root)
    entry = _versions.get(key)
    if entry is not None and entry[0]() is root:
        entry[1] += 1
        return
    try:
        ref = weakref.ref(root, lambda _dead, key=key: _versions.pop(key, None))
    except TypeError:  # an array type without weak references: not tracked
        return
    _versions[key] = [ref, 1]


def snapshot(arrays: tuple[Any, ...]) -> tuple[int, ...] | None:
    """The versions of ``arrays`` at save time; None stands for 'all 0' (nothing written yet)."""
    if not _versions:
        return None
    return tuple(version(a) for a in arrays)


def check(node: Any) -> None:
    """Raise if an array that ``node`` saved for backward was written in place since."""
    saved = node.saved_tensors
    if not saved or (not _versions and node._saved_versions is None):
        return
    expected = node._saved_versions or (0,) * len(saved)
    for array, then in zip(saved, expected, strict=True):
        now = version(array)
        if now != then:
            shape = list(getattr(array, "shape", ()))
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: an array of shape {shape} saved by {node.name()} is at "
                f"version {now}; expected version {then} instead. Hint: use the out-of-place "
                "form (y = y + 1 instead of y.add_(1)) or modify a clone()"
            )
