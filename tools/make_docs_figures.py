"""Regenerate the 1-D and 3-D convolution figures of docs/notes-questions.md.

The notes name the three ranks: 1-D data (text, speech, time series), 2-D (images), 3-D (video,
medical volumes, weather maps). The 2-D pictures come from the ``juanji`` commands themselves
(see the docs page for each command line); this script makes the other two with
``F.conv1d``/``F.conv3d`` and the kernels of ``juanji.apps.filters`` (``ndim=1`` and ``ndim=3``):

* ``docs/img/conv1d-signal.png``: a noisy step signal, smoothed by a Gaussian, and its
  differences ``[1, -1]`` before and after smoothing (differentiating amplifies noise; smoothing
  first finds the steps).
* ``docs/img/digit-7.png``: a "7" drawn with two strokes on white paper, our own, as the input
  of ``juanji features`` and ``juanji receptive-field --image`` in the docs.
* ``docs/img/conv3d-volume.png``: a 24^3 volume with a ball and a box, blurred by a 3-D Gaussian
  and filtered by the 3-D Laplacian (which answers on the surfaces only), shown as slices.

Run from the repository root: ``python tools/make_docs_figures.py``. ``signal_example()`` and
``volume_example()`` return the arrays behind the pictures (tests check them).
"""

from __future__ import annotations

import pathlib

import numpy as np

import juanji.apps.filters as kernels
import juanji.nn.functional as F
from juanji.apps.viz.plot import pyplot, save_figure, show_image
from juanji.tensor.creation import tensor

DOCS_IMG = pathlib.Path(__file__).resolve().parents[1] / "docs" / "img"
STEPS = (60, 140)  # where the 1-D signal jumps up, then down


def signal_example(seed: int = 0) -> dict[str, np.ndarray]:
    """A noisy step signal and what 1-D convolutions make of it (arrays of length 200)."""
    rng = np.random.default_rng(seed)
    t = np.arange(200)
    clean = np.where((t >= STEPS[0]) & (t < STEPS[1]), 1.0, 0.0) + 0.2 * np.sin(t / 12)
    noisy = (clean + rng.normal(0.0, 0.15, t.shape)).astype(np.float32)
    x = tensor(noisy[None, None])  # (N, C, L) = (1, 1, 200)
    gauss = kernels.gaussian_blur(9, 2.0, ndim=1).reshape(1, 1, 9)
    # replicate the ends instead of padding zeros, so the ends are not pulled towards 0
    smooth = F.conv1d(F.pad(x, (4, 4), mode="replicate"), gauss)
    diff = kernels.edge_x(ndim=1).reshape(1, 1, 2) * -1  # x[t+1] - x[t]: up steps positive
    return {
        "t": t,
        "clean": clean,
        "noisy": noisy,
        "smooth": smooth.numpy()[0, 0],
        "diff_noisy": F.conv1d(x, diff).numpy()[0, 0],
        "diff_smooth": F.conv1d(smooth, diff).numpy()[0, 0],
    }


def volume_example(seed: int = 0) -> dict[str, np.ndarray]:
    """A 24^3 volume (a ball and a box, light noise), blurred and Laplacian-filtered in 3-D."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices((24, 24, 24))
    volume = np.zeros((24, 24, 24), np.float32)
    volume[(z - 12) ** 2 + (y - 8) ** 2 + (x - 8) ** 2 <= 36] = 1.0  # ball, radius 6
    volume[6:18, 13:21, 13:21] = 0.6  # box
    noisy = volume + rng.normal(0.0, 0.05, volume.shape).astype(np.float32)
    v = tensor(noisy[None, None])  # (N, C, D, H, W)
    blur = F.conv3d(v, kernels.gaussian_blur(5, 1.0, ndim=3)[None, None], padding="same")
    clean = tensor(volume[None, None])
    laplace = F.conv3d(clean, kernels.laplacian(ndim=3)[None, None], padding="same")
    return {
        "volume": volume,
        "noisy": noisy,
        "blur": blur.numpy()[0, 0],
        "laplacian": laplace.numpy()[0, 0],
    }


def draw_signal(path: pathlib.Path) -> pathlib.Path:
    data = signal_example()
    plt = pyplot()
    figure, axes = plt.subplots(3, 1, figsize=(8, 5.6), sharex=True)
    axes[0].plot(data["t"], data["noisy"], color="0.6", linewidth=0.8, label="noisy signal x")
    axes[0].plot(data["t"], data["smooth"], color="tab:blue", label="Gaussian (9 taps, sigma 2)")
    axes[0].set_title("conv1d with a Gaussian kernel: smoothing", fontsize=9)
    axes[1].plot(data["t"][:-1], data["diff_noisy"], color="tab:red", linewidth=0.8)
    axes[1].set_title(
        "conv1d with [-1, 1] on the noisy signal: the noise drowns the steps", fontsize=9
    )
    axes[2].plot(data["t"][:-1], data["diff_smooth"], color="tab:green")
    axes[2].set_title("[-1, 1] after smoothing: one peak per step (up +, down -)", fontsize=9)
    for ax in axes:
        for step in STEPS:
            ax.axvline(step, color="black", linewidth=0.5, linestyle=":")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    axes[2].set_xlabel("time step t")
    figure.tight_layout()
    return save_figure(figure, path, dpi=80)


def draw_volume(path: pathlib.Path) -> pathlib.Path:
    data = volume_example()
    plt = pyplot()
    figure, axes = plt.subplots(2, 4, figsize=(8, 4.8), layout="constrained")
    columns = [
        ("volume", "input", False),
        ("noisy", "input + noise", False),
        ("blur", "conv3d: 3-D Gaussian", False),
        ("laplacian", "conv3d: 3-D Laplacian", True),
    ]
    for col, (key, title, signed) in enumerate(columns):
        show_image(axes[0, col], data[key][12], f"{title}\nslice z = 12 (D)", signed)
        show_image(axes[1, col], data[key][:, :, 16], "slice x = 16 (W)", signed)
    figure.suptitle(
        "a 24x24x24 volume filtered with 5x5x5 and 3x3x3 kernels (0 = grey on the right)",
        fontsize=9,
    )
    return save_figure(figure, path, dpi=80)


def draw_digit(path: pathlib.Path) -> pathlib.Path:
    """A hand-drawn-looking 7: dark ink on white paper, 112 x 112, as a phone photo would be."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (112, 112), 245)
    pen = ImageDraw.Draw(page)
    pen.line([(26, 24), (84, 20), (80, 30)], fill=30, width=9, joint="curve")
    pen.line([(80, 30), (62, 62), (50, 94)], fill=30, width=9, joint="curve")
    pen.line([(46, 58), (74, 56)], fill=30, width=7)  # the crossbar of a handwritten 7
    path.parent.mkdir(parents=True, exist_ok=True)
    page.save(path, optimize=True)
    return path


def main() -> None:
    for path in (
        draw_digit(DOCS_IMG / "digit-7.png"),
        draw_signal(DOCS_IMG / "conv1d-signal.png"),
        draw_volume(DOCS_IMG / "conv3d-volume.png"),
    ):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
