"""Reading, writing and laying out pictures: the only place that imports matplotlib and Pillow.

Both are optional (``pip install "juanji[cli]"``) and imported inside the functions that need
them, with the Agg backend so nothing opens a window: every drawing ends in a PNG file whose
path the function returns. Images are float arrays in [0, 1], ``(H, W)`` grayscale or
``(H, W, 3)`` colour.

Signed images (the output of an edge kernel, a learnt feature map) are shown with zero as mid
grey: ``0.5 + x / (2 * max|x|)``, so that "no response" looks the same in every panel and the
sign stays visible.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from juanji.errors import JuanjiError, MissingDependencyError

__all__ = [
    "INSTALL_HINT",
    "pyplot",
    "sample_image_path",
    "read_image",
    "write_image",
    "resize_image",
    "to_unit_range",
    "show_image",
    "save_figure",
    "image_grid",
    "IMAGE_FORMATS",
    "FIGURE_FORMATS",
    "check_output",
    "write_atomic",
    "before_after",
]

INSTALL_HINT = 'pip install "juanji[cli]"'

# What an output file's suffix selects: Pillow's format names for pixel images, matplotlib's
# for figures. A file is always written in the format its name says, never PNG under .jpg.
IMAGE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}
FIGURE_FORMATS = {
    ".png": "png",
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".pdf": "pdf",
    ".svg": "svg",
    ".eps": "eps",
}


def _format_of(path: Path, formats: dict[str, str], option: str) -> str:
    found = formats.get(path.suffix.lower())
    if found is None:
        names = ", ".join(sorted(set(formats)))
        got = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise JuanjiError(f"{option} {path}: {got}; the file name must end in one of {names}")
    return found


def check_output(path: str | os.PathLike, option: str = "-o", figure: bool | None = True) -> Path:
    """Refuse, before any work, an output file that cannot be written or has an unknown suffix.

    Checks the suffix (``FIGURE_FORMATS`` if ``figure``, else ``IMAGE_FORMATS``; pass
    ``figure=None`` for any file, e.g. JSON), that the path is not a folder, and that a file can
    be created in its folder (created if missing, as the writers do); the probe file is removed.

    Raises:
        JuanjiError: one line naming the option, the path and the reason.
    """
    path = Path(path)
    if figure is not None:
        _format_of(path, FIGURE_FORMATS if figure else IMAGE_FORMATS, option)
    if path.is_dir():
        raise JuanjiError(f"{option} {path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise JuanjiError(f"{option} {path}: cannot write there ({reason})") from error
    return path


def write_atomic(path: Path, data: bytes, what: str) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + rename), creating folders."""
    from juanji.serialization.safetensors import atomic_write_bytes

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_bytes(path, data)
    except OSError as error:
        raise JuanjiError(f"{path}: cannot write the {what} ({error.strerror or error})") from error


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (files only, no window).

    Raises:
        JuanjiError: matplotlib is not installed (the message says how to install it).
    """
    try:
        import matplotlib
    except ImportError as error:
        raise MissingDependencyError(
            f"drawing needs matplotlib; install it with {INSTALL_HINT}"
        ) from error
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _pil_image() -> Any:
    try:
        from PIL import Image
    except ImportError as error:
        raise MissingDependencyError(
            f"images need Pillow; install it with {INSTALL_HINT}"
        ) from error
    return Image


def sample_image_path() -> Path:
    """The packaged sample picture (shapes, stripes, a gradient and a word; 160 x 120 RGB).

    Drawn by ``tools/make_sample_image.py``; free of rights by construction.

    Example:
        >>> sample_image_path().name
        'sample.png'
    """
    return Path(str(resources.files("juanji") / "assets" / "sample.png"))


def read_image(path: str | os.PathLike, gray: bool = False) -> np.ndarray:
    """Read a picture as float32 in [0, 1]: ``(H, W)`` if gray (or asked for), else ``(H, W, 3)``.

    The one image reader of the commands (filter, features, predict...). Transparent parts are
    put on white (a drawing saved with an alpha channel stays readable), a phone photo is turned
    upright by its EXIF orientation, and 16-bit images are scaled by 1/65535 instead of 1/255.

    Args:
        path: any format Pillow reads (PNG, JPEG, BMP, ...).
        gray: convert to one channel (ITU-R 601 luma, Pillow's ``'L'``).

    Raises:
        JuanjiError: the file is missing, empty, or not an image (one line naming the file).

    Example:
        >>> read_image(sample_image_path()).shape, read_image(sample_image_path(), True).shape
        ((120, 160, 3), (120, 160))
    """
    Image = _pil_image()
    from PIL import ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode.startswith("I"):  # 16/32-bit integer grayscale
                array = np.asarray(image.convert("F"), dtype=np.float32) / np.float32(65535)
            else:
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    white = Image.new("RGBA", image.size, "white")
                    image = Image.alpha_composite(white, image.convert("RGBA"))
                mode = "L" if gray or image.mode in ("1", "L", "F") else "RGB"
                array = np.asarray(image.convert(mode), dtype=np.float32) / np.float32(255)
    except FileNotFoundError as error:
        raise JuanjiError(f"{path}: no such file") from error
    except IsADirectoryError as error:
        raise JuanjiError(f"{path}: is a folder, not an image") from error
    except UnidentifiedImageError as error:
        raise JuanjiError(f"{path}: not an image Pillow can read (use PNG or JPEG)") from error
    except (OSError, ValueError) as error:
        raise JuanjiError(f"{path}: cannot read the image ({error})") from error
    if array.size == 0:
        raise JuanjiError(f"{path}: the image is empty")
    return np.clip(array, 0.0, 1.0)


def resize_image(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample an image in [0, 1] to ``(height, width)`` (Pillow's anti-aliased Lanczos).

    Example:
        >>> resize_image(np.ones((10, 20, 3)), 4, 6).shape
        (4, 6, 3)
    """
    Image = _pil_image()
    planes = array[:, :, None] if array.ndim == 2 else array
    resized = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(planes[:, :, c], dtype=np.float32)).resize(
                (width, height), Image.Resampling.LANCZOS
            )
        )
        for c in range(planes.shape[2])
    ]
    out = np.clip(np.stack(resized, axis=-1), 0.0, 1.0).astype(np.float32)
    return out[:, :, 0] if array.ndim == 2 else out


def to_unit_range(array: np.ndarray, signed: bool = False) -> np.ndarray:
    """Map values to [0, 1] for display: clip, or (signed) put 0 at mid grey.

    Example:
        >>> to_unit_range(np.array([-2.0, 0.0, 1.0]), signed=True).tolist()
        [0.0, 0.5, 0.75]
        >>> to_unit_range(np.array([-0.5, 0.5, 1.5])).tolist()
        [0.0, 0.5, 1.0]
    """
    array = np.asarray(array, dtype=np.float64)
    if not signed:
        return np.clip(array, 0.0, 1.0)
    peak = float(np.abs(array).max()) if array.size else 0.0
    return 0.5 + array / (2 * peak) if peak > 0 else np.full_like(array, 0.5)


def write_image(array: np.ndarray, path: str | os.PathLike, scale: int = 1) -> Path:
    """Save a ``(H, W)`` or ``(H, W, 3)`` image in [0, 1], pixel for pixel, atomically.

    Args:
        array: the image; values outside [0, 1] are clipped.
        path: where to write, in the format its suffix names (``IMAGE_FORMATS``: PNG, JPEG...);
            missing folders are created.
        scale: enlarge each pixel to ``scale x scale`` (nearest neighbour) for small images.

    Returns:
        The path written.
    """
    Image = _pil_image()
    pixels = np.round(np.clip(np.asarray(array, dtype=np.float64), 0, 1) * 255).astype(np.uint8)
    if scale > 1:
        pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
    path = Path(path)
    image_format = _format_of(path, IMAGE_FORMATS, "output")
    buffer = io.BytesIO()
    options = {"optimize": True} if image_format in ("PNG", "JPEG") else {}
    Image.fromarray(pixels).save(buffer, format=image_format, **options)
    return write_atomic(path, buffer.getvalue(), "image")


def save_figure(figure: Any, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Write a figure in the format its suffix names (``FIGURE_FORMATS``), atomically; close it.

    Missing folders are created; returns the path.
    """
    plt = pyplot()
    path = Path(path)
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, dpi=dpi, format=_format_of(path, FIGURE_FORMATS, "output"))
    finally:
        plt.close(figure)
    return write_atomic(path, buffer.getvalue(), "figure")


def show_image(axes: Any, image: np.ndarray, title: str = "", signed: bool = False) -> None:
    """Draw one image on ``axes`` (gray colour map for one channel), without ticks."""
    shown = to_unit_range(image, signed)
    if shown.ndim == 2:
        axes.imshow(shown, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axes.imshow(shown, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    if title:
        axes.set_title(title, fontsize=8)


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    path: str | os.PathLike,
    *,
    columns: int = 4,
    signed: Sequence[bool] | bool = False,
    title: str = "",
    panel_inches: float = 2.0,
) -> Path:
    """Lay out images in a grid with a caption each and save it as a PNG.

    Args:
        images: ``(H, W)`` or ``(H, W, 3)`` arrays (sizes may differ).
        titles: one caption per image.
        path: the PNG to write.
        columns: panels per row.
        signed: per image (or for all), show 0 as mid grey (see the module docstring).
        title: a heading above the grid.
        panel_inches: width of one panel.

    Returns:
        The path written.
    """
    plt = pyplot()
    count = len(images)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    flags = [signed] * count if isinstance(signed, bool) else list(signed)
    figure, axes = plt.subplots(
        rows, columns, figsize=(panel_inches * columns, panel_inches * rows + 0.4), squeeze=False
    )
    for index, ax in enumerate(axes.ravel()):
        if index < count:
            show_image(ax, images[index], titles[index], flags[index])
        else:
            ax.axis("off")
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path)


# ITU-R 601 luma, as Pillow's 'L': a convolution is linear, so the luma of the filtered colour
# planes is the filtered luma, and a signed (edge) response shows as one grey scale, not as
# three colour planes each mapped around its own zero.
_LUMA = np.array([0.299, 0.587, 0.114])


def before_after(
    image: np.ndarray,
    output: np.ndarray,
    path: str | os.PathLike,
    *,
    titles: tuple[str, str],
    signed: bool = False,
    caption: str = "",
    panel_inches: float = 4.5,
) -> Path:
    """Draw an image and its filtered version side by side, labelled, and save the figure.

    A signed output (an edge kernel's) is drawn on the luma with 0 as mid grey and a colour bar
    of the response; an unsigned one is clipped to [0, 1]. Each panel is ``panel_inches`` wide,
    so a 28 x 28 digit shows its pixels as squares you can count.

    Returns:
        The path written (format from its suffix, ``FIGURE_FORMATS``).
    """
    plt = pyplot()
    height = panel_inches * max(image.shape[0] / image.shape[1], output.shape[0] / output.shape[1])
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(2 * panel_inches + 1.2, height + 1.0), squeeze=True, layout="constrained"
    )
    show_image(left, image, titles[0])
    if signed:
        response = output @ _LUMA if output.ndim == 3 else output
        peak = float(np.abs(response).max()) or 1.0
        shown = right.imshow(response, cmap="gray", vmin=-peak, vmax=peak, interpolation="nearest")
        right.set_xticks([])
        right.set_yticks([])
        luma = " (luma)" if output.ndim == 3 else ""
        right.set_title(f"{titles[1]}{luma}", fontsize=10)
        # the bar takes its room from both panels, so they stay the same size
        bar = figure.colorbar(shown, ax=[left, right], fraction=0.03, pad=0.01)
        bar.set_label("response (0 = mid grey)", fontsize=8)
    else:
        show_image(right, np.clip(output, 0.0, 1.0), titles[1])
    left.title.set_fontsize(10)
    right.title.set_fontsize(10)
    if caption:
        figure.suptitle(caption, fontsize=10)
    return save_figure(figure, path)
