"""``juanji.utils.data``: ``torch.utils.data``'s names, implemented in ``juanji.data``.

Example:
    >>> from juanji.utils.data import DataLoader, TensorDataset
    >>> import juanji
    >>> len(DataLoader(TensorDataset(juanji.zeros(5, 2)), batch_size=2))
    3
"""

from juanji.utils.data import dataloader, dataset, sampler
from juanji.utils.data.dataloader import DataLoader, default_collate, default_convert
from juanji.utils.data.dataloader import get_worker_info as get_worker_info
from juanji.utils.data.dataset import (
    ConcatDataset,
    Dataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from juanji.utils.data.sampler import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "dataloader",
    "dataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "sampler",
]
