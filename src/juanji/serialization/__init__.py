"""Weights and run directories on disk: safetensors files and crash-safe checkpoints.

* ``juanji.serialization.safetensors``: ``save_file``/``load_file`` for a state_dict, the format
  the ``safetensors`` library (and PyTorch through it) reads; every write is atomic.
* ``juanji.serialization.checkpoint``: the run directory of ``juanji train`` (weights, config,
  metrics, and the optimiser/scheduler/RNG state that ``--resume`` needs), JSON and
  safetensors only, never pickle.

Example:
    >>> import tempfile, pathlib, juanji
    >>> from juanji import nn
    >>> model = nn.Linear(3, 2)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "linear.safetensors"
    >>> _ = juanji.serialization.save_file(model.state_dict(), path)
    >>> sorted(juanji.serialization.load_file(path))
    ['bias', 'weight']
"""

from juanji.serialization.safetensors import (
    atomic_write_bytes,
    load_file,
    load_metadata,
    require_safetensors,
    save_file,
)

__all__ = ["save_file", "load_file", "load_metadata", "atomic_write_bytes", "require_safetensors"]
from juanji.serialization.torch_format import load, save  # noqa: E402 - after the safetensors names

__all__ += ["save", "load"]
