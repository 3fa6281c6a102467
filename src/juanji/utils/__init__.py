"""``juanji.utils.data``: the data package under the name PyTorch scripts import it by.

``from torch.utils import data`` and ``torch.utils.data.DataLoader`` are how PyTorch code reaches
datasets and loaders; in juanji they live in ``juanji.data``, which this module re-exports.
"""

import juanji.data as data

__all__ = ["data"]
