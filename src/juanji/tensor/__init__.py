"""The Tensor and the ``torch.<name>`` functions built on it.

``tensor.py`` holds the class and its arithmetic; ``_shape``, ``_reduce`` and ``_inplace`` hold the
method families it inherits; ``_args`` turns PyTorch-style arguments (dims, dtypes, ``to()``)
into arrays; ``creation`` has the factories (``zeros``, ``randn``...) and ``functions`` the
free functions (``cat``, ``where``...). Everything here runs on ``juanji._ops`` Functions.
"""

from juanji.tensor.tensor import Tensor

__all__ = ["Tensor"]
