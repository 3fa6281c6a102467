"""``torch.utils.data.dataset``'s names (implemented in ``juanji.data.dataset``)."""

from juanji.data.dataset import (
    ConcatDataset,
    Dataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)

__all__ = ["ConcatDataset", "Dataset", "StackDataset", "Subset", "TensorDataset", "random_split"]
