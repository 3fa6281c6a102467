"""Errors that a person (not a programmer) can cause and fix.

The ``juanji`` command prints a ``JuanjiError`` as one line and exits non-zero, never with a
traceback. Argument errors in the library stay ``ValueError``/``TypeError``, as in PyTorch.
"""


class JuanjiError(Exception):
    """A failure a user can act on; its message says what happened and what to do."""


class DataError(JuanjiError):
    """A dataset file is missing, truncated or corrupt, or cannot be fetched."""


class CheckpointError(JuanjiError):
    """A run directory or weights file is missing or does not match the model."""


class MissingDependencyError(JuanjiError, ImportError):
    """An optional package (Pillow, matplotlib, safetensors) is needed and not installed."""
