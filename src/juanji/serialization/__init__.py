"""Weights on disk: safetensors and PyTorch files, atomic writes, the pieces of a checkpoint.

* ``juanji.serialization.safetensors``: ``save_file``/``load_file`` for a state_dict, the format
  the ``safetensors`` library (and PyTorch through it) reads; every write is atomic.
* ``juanji.serialization.checkpoint``: the generic pieces of a crash-safe checkpoint: strict
  JSON files, atomic replaces, Ctrl-C held back, an optimiser's state split into safetensors
  and JSON and joined back. The run directory of ``juanji train`` that uses them (its layout,
  config and commit record) is ``juanji.apps.training.run_directory``'s.

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
