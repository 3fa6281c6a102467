"""Datasets, loaders and transforms: ``torch.utils.data`` and torchvision's MNIST in one package.

* ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``
  (``juanji.data.dataset``);
* ``DataLoader``, ``default_collate`` and the samplers (``juanji.data.dataloader``), and
  ``DistributedSampler``, each rank's share (``juanji.data.distributed``);
* ``juanji.data.transforms``: ``Compose``, ``ToTensor``, ``Normalize``, ``Pad``, ``RandomCrop``,
  ``RandomShift``, ``Lambda``, each for one sample or a whole batch;
* ``MNIST`` and ``FashionMNIST`` with verified, resumable downloads (``juanji.data.mnist``,
  ``juanji.data.download``; Fashion-MNIST also from Debian's package, ``juanji.data.debian``)
  and the IDX format (``juanji.data.idx``);
* ``CIFAR10`` and ``CIFAR100`` from the python-version batches (``juanji.data.cifar``), and
  ``ImageFolder`` for a folder per class (``juanji.data.folder``, Pillow to read images).

Only NumPy is needed: tqdm (progress bars) is used when installed, Pillow only by ImageFolder.

Example:
    >>> import numpy as np
    >>> from juanji.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.zeros((5, 2), np.float32), np.arange(5)), batch_size=2)
    >>> [tuple(x.shape) for x, y in loader]
    [(2, 2), (2, 2), (1, 2)]
"""

from juanji.data import transforms
from juanji.data.cifar import CIFAR10, CIFAR100
from juanji.data.dataloader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
    default_convert,
)
from juanji.data.dataset import (
    ConcatDataset,
    Dataset,
    StackDataset,
    StackedSamples,
    Subset,
    TensorDataset,
    random_split,
)
from juanji.data.distributed import DistributedSampler
from juanji.data.folder import DatasetFolder, ImageFolder
from juanji.data.mnist import MNIST, FashionMNIST

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "StackedSamples",
    "DataLoader",
    "default_collate",
    "default_convert",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
    "WeightedRandomSampler",
    "StackDataset",
    "DistributedSampler",
    "transforms",
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "CIFAR100",
    "ImageFolder",
    "DatasetFolder",
]
