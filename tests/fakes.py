"""Stand-ins shared by several test files (small, fast, no real data)."""

from __future__ import annotations

import numpy as np

from juanji.data.dataset import Dataset, StackedSamples
from juanji.data.transforms import batch_apply
from juanji.tensor.tensor import Tensor


class BarDigits(Dataset):
    """A tiny learnable stand-in for MNIST: class c is a bright bar at rows 3c..3c+2.

    It takes MNIST's constructor arguments and, like MNIST, answers whole batches in
    ``__getitems__``; ``__getitem__`` counts its calls, so a test can see that training
    never fetched samples one by one.
    """

    single_fetches = 0
    train_size, test_size = 192, 100

    def __init__(self, root=None, train=True, download=True, transform=None, n=None):
        rng = np.random.default_rng(0 if train else 1)
        n = n or (self.train_size if train else self.test_size)
        self.targets = rng.integers(0, 10, n)
        self.data = np.zeros((n, 28, 28), np.uint8)
        for i, c in enumerate(self.targets):
            self.data[i, 3 * c : 3 * c + 3, 5:23] = 255
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        type(self).single_fetches += 1
        image = Tensor(self.data[index])
        return (self.transform(image) if self.transform else image), int(self.targets[index])

    def __getitems__(self, indices):
        index = np.asarray(indices)
        images = batch_apply(self.transform, Tensor(self.data[index]))
        return StackedSamples([images._data, self.targets[index]], ["tensor", "int"])
