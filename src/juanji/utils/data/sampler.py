"""``torch.utils.data.sampler``'s names (implemented in ``juanji.data.dataloader``)."""

from juanji.data.dataloader import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler"]
