"""Recording the Functions a forward pass applies (ONNX export, summaries); off by default.

``Tensor._apply`` calls ``_recorder(fn, inputs, params, outputs)`` after every Function it
runs, but only while a ``recording`` block is open: when none is, the cost is one attribute
read per op. ``fn`` is the Function instance after ``forward`` (its attributes, e.g. a conv's
``geometry``, are readable), ``inputs`` the Tensors and constants it was given, ``params`` its
keyword parameters and ``outputs`` the Tensor (or tuple of Tensors) it returned.


(Tested in tests/autograd/test_trace.py: a doctest here would run on a second copy of this
module, which pytest's importlib mode imports for it, and record nothing.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Recorder = Callable[[Any, tuple[Any, ...], dict[str, Any], Any], None]

_recorder: Recorder | None = None


@contextmanager
def recording(callback: Recorder) -> Iterator[None]:
    """Call ``callback`` for every Function applied inside the block (one block at a time)."""
    global _recorder
    if _recorder is not None:
        raise RuntimeError("recording: a recording is already open; nest none inside another")
    _recorder = callback
    try:
        yield
    finally:
        _recorder = None
