"""``juanji train`` (``juanji.apps.cli.main``) on the first TRAIN and TEST images of MNIST.

Usage: ``mpiexec -n N python train_command.py TRAIN TEST ARG...``, ARG... being the command's
arguments after ``juanji``. The slice keeps a test run to seconds; everything else is the
command exactly as ``juanji train`` runs it.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from juanji.apps import training
from juanji.apps.cli import main
from juanji.data import MNIST


class MNISTSlice(MNIST):
    """MNIST cut to its first TRAIN training or TEST test images."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = int(sys.argv[1]) if self.train else int(sys.argv[2])
        self.data, self.targets = self.data[:n], self.targets[:n]


if __name__ == "__main__":  # pytest's doctest collection imports this file too
    training.DATASETS["mnist"] = replace(training.DATASETS["mnist"], factory=MNISTSlice)
    sys.exit(main(sys.argv[3:]))
