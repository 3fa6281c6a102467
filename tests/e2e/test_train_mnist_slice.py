"""End to end on real MNIST: LeNet5 learns digits from a slice in a few hundred steps.

Marked ``slow`` (about 10 s here) and skipped unless ``$JUANJI_DATA`` holds ``mnist/`` with the
four official files; nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import juanji
from juanji.apps import training
from juanji.data import MNIST, DataLoader, Subset

pytestmark = pytest.mark.slow

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@pytest.fixture(scope="module")
def mnist():
    base = os.environ.get("JUANJI_DATA")
    if not base:
        pytest.skip("JUANJI_DATA is not set (point it at a folder holding mnist/*.gz)")
    folder = Path(base) / "mnist"
    if not all((folder / f).is_file() or (folder / f"{f}.gz").is_file() for f in FILES):
        pytest.skip(f"MNIST files are not in {folder}")
    config = training.make_config("lenet5")
    generator = juanji.Generator().manual_seed(0)
    train = MNIST(
        train=True, download=False, transform=training.make_transform(config, 1, generator)
    )
    test = MNIST(train=False, download=False, transform=training.make_transform(config))
    return train, test, generator


def test_lenet5_learns_from_a_slice_of_mnist(mnist):
    train, test, generator = mnist
    juanji.manual_seed(0)
    model = juanji.models.get_model("lenet5")
    optimizer = juanji.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    train_loader = DataLoader(
        Subset(train, range(4800)), batch_size=32, shuffle=True, generator=generator
    )
    scheduler = juanji.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.05, epochs=2, steps_per_epoch=len(train_loader)
    )
    held_out = DataLoader(Subset(test, range(1000)), batch_size=1000)  # never trained on

    before = training.evaluate(model, held_out)
    history = training.fit(  # 2 x 150 steps
        model, optimizer, train_loader, 2, scheduler=scheduler, test_loader=held_out
    )
    after = training.evaluate(model, held_out)

    assert before.loss > 2.0 and before.accuracy < 0.3  # untrained: about chance
    assert history[1].train_loss < history[0].train_loss
    assert after.loss < 0.5 * before.loss
    assert after.accuracy > 0.9, after.accuracy  # chance is 0.1
    assert after.confusion.sum() == 1000
