"""The most a command may be asked to read or compute, checked before the work starts.

A file or a size typed on the command line decides how much memory and time a command takes;
without a bound, a small PNG that declares 144 megapixels (a "decompression bomb") or
``--input 1x100000x100000`` ends in a ``MemoryError`` after minutes. Each bound is refused
with one line naming the value, the limit and what to do instead.

* ``MAX_IMAGE_PIXELS``: pictures read by ``predict``, ``features``, ``filter`` and
  ``receptive-field --image``; the size is read from the file's header, before any pixel is
  decoded (Pillow's own limit, about 179 megapixels, raises ``DecompressionBombError``, which
  is told the same way).
* ``MAX_INPUT_VALUES``: one input of ``summary`` (it runs the model once on zeros of that
  size): ResNet-18 at 3 x 1024 x 1024 takes 14 s here.
* ``MAX_FILTER_WORK``: multiply-adds of one ``filter`` run (about 30 s here).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence

from juanji.errors import JuanjiError

__all__ = [
    "MAX_IMAGE_PIXELS",
    "MAX_INPUT_VALUES",
    "MAX_FILTER_WORK",
    "check_image_file",
    "check_input_size",
]

# 25 megapixels, e.g. 5000 x 5000: more than phone cameras save by default (12 to 24), and a
# picture the commands read in well under a gigabyte (filtering 12 megapixels took 1.7 GB).
MAX_IMAGE_PIXELS = 25_000_000
MAX_INPUT_VALUES = 2**22
MAX_FILTER_WORK = 10**10


def check_image_file(path: str | os.PathLike, limit: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse a picture of more than ``limit`` pixels, from its header alone.

    A file that is missing or not an image passes: the reader that follows says so.

    Raises:
        JuanjiError: naming the file, its size and the limit.

    Example:
        >>> from juanji.apps.viz.plot import sample_image_path
        >>> check_image_file(sample_image_path())  # 160 x 120: fine
        >>> check_image_file(sample_image_path(), limit=100)
        Traceback (most recent call last):
        ...
        juanji.errors.JuanjiError: ...: 160 x 120 pixels is more than this command reads (100 ...
    """
    try:
        from PIL import Image
    except ImportError:
        return  # the reader reports the missing Pillow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                width, height = image.size
        except Image.DecompressionBombError:
            raise JuanjiError(
                f"{path}: over {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels (Pillow refuses it "
                f"as a possible decompression bomb), more than this command reads ({limit:,} "
                f"pixels)"
            ) from None
        except (OSError, ValueError):
            return
    if width * height > limit:
        raise JuanjiError(
            f"{path}: {width} x {height} pixels is more than this command reads ({limit:,} "
            f"pixels); scale the picture down first"
        )


def check_input_size(option: str, sizes: Sequence[int], limit: int = MAX_INPUT_VALUES) -> None:
    """Refuse one input of more than ``limit`` values (``summary --input``).

    Raises:
        JuanjiError: naming the option, the size and the limit.
    """
    count = math.prod(sizes)
    if count > limit:
        raise JuanjiError(
            f"{option}: {'x'.join(map(str, sizes))} is {count:,} values, more than the "
            f"{limit:,} this command runs a model on"
        )
