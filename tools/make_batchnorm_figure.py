"""Draw docs/img/batchnorm.png: a conv layer's outputs per channel before and after BatchNorm.

Usage: JUANJI_DATA=... python tools/make_batchnorm_figure.py (real MNIST digits when the data is
there, else random images). The first convolution of an untrained LeNet-BN gives each channel
its own mean and spread; BatchNorm in train mode makes every channel mean 0, variance 1.
"""

from __future__ import annotations

import pathlib

import numpy as np

import juanji
import juanji.models as models
from juanji.apps.viz.plot import pyplot, save_figure

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "img" / "batchnorm.png"


def main() -> None:
    juanji.manual_seed(0)
    try:
        images = juanji.data.MNIST(train=False, download=False).data.numpy()[:256]
        x = images[:, None].astype(np.float32) / 255
    except juanji.errors.JuanjiError:
        x = np.random.default_rng(0).random((256, 1, 28, 28), dtype=np.float32)
    model = models.LeNetBN()
    conv, bn = model.net[0], model.net[1]
    before = conv(juanji.tensor(x)).detach().numpy()
    after = bn(juanji.tensor(before)).detach().numpy()
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    panels = ((axes[0], before, "conv1 output"), (axes[1], after, "after BatchNorm2d"))
    for ax, values, title in panels:
        for c in range(values.shape[1]):
            ax.hist(values[:, c].ravel(), bins=80, histtype="step", label=f"channel {c}")
        ax.set_title(title)
        ax.set_xlabel("activation")
        ax.set_yscale("log")  # most pixels are background: one spike per channel
    axes[0].set_ylabel("count (log scale)")
    axes[1].legend(fontsize=7, loc="upper right")
    fig.suptitle("BatchNorm gives every channel mean 0 and variance 1 (train mode, 256 digits)")
    fig.tight_layout()
    save_figure(fig, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
