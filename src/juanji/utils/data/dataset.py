"""``torch.utils.data.dataset``'s names (implemented in ``juanji.data.dataset``)."""

from juanji.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = ["ConcatDataset", "Dataset", "Subset", "TensorDataset", "random_split"]
