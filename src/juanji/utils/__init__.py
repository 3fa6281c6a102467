"""``juanji.utils``: PyTorch's ``torch.utils`` import paths.

``from torch.utils.data import DataLoader`` is the first line of most training scripts; here
``juanji.utils.data`` is a real package (``juanji.utils.data.dataset``, ``.dataloader``,
``.sampler`` too), each re-exporting ``juanji.data``, which holds the implementation.
"""

from juanji.utils import data

__all__ = ["data"]
