"""Draw src/juanji/assets/sample.png, the picture `juanji filter` uses when given no image.

Made from nothing but shapes, stripes, a gradient and a word, so it is free of anyone's rights
and small (a few KB). Each part shows one kernel at work: the hard edges of the shapes (edge,
Sobel, Prewitt, Laplacian), the fine stripes and checkerboard (blur wipes them out, sharpen keeps
them), the smooth gradient (edge kernels give almost nothing there), the letters (emboss).

Run once from the repository root: ``python tools/make_sample_image.py``.
"""

from __future__ import annotations

import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 160, 120
OUT = pathlib.Path(__file__).resolve().parents[1] / "src" / "juanji" / "assets" / "sample.png"


def draw() -> Image.Image:
    x = np.linspace(0.0, 1.0, WIDTH)[None, :]
    y = np.linspace(0.0, 1.0, HEIGHT)[:, None]
    # A sky-like gradient: dark blue at the top left, pale at the bottom right.
    red = 40 + 150 * (0.6 * x + 0.4 * y)
    green = 60 + 150 * (0.5 * x + 0.5 * y)
    blue = 120 + 120 * (0.3 * x + 0.7 * y)
    pixels = np.stack([red + 0 * y, green + 0 * y, blue + 0 * x], axis=-1)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    pen = ImageDraw.Draw(image)
    pen.ellipse((10, 10, 56, 56), fill=(220, 50, 40))  # red disc
    pen.rectangle((70, 14, 108, 52), fill=(40, 170, 70))  # green square
    pen.polygon([(120, 54), (150, 54), (135, 14)], fill=(240, 210, 40))  # yellow triangle
    for i in range(6):  # vertical stripes, 2 px wide
        pen.rectangle((12 + 4 * i, 70, 13 + 4 * i, 108), fill=(250, 250, 250))
    for i in range(5):  # horizontal stripes, 3 px
        pen.rectangle((42, 70 + 8 * i, 72, 72 + 8 * i), fill=(20, 20, 20))
    for row in range(4):  # a 4x4 checkerboard of 6 px cells
        for col in range(4):
            shade = 245 if (row + col) % 2 else 15
            cell = (80 + 6 * col, 72 + 6 * row, 85 + 6 * col, 77 + 6 * row)
            pen.rectangle(cell, fill=(shade, shade, shade))
    font = ImageFont.load_default(size=16)
    pen.text((134, 86), "juanji", fill=(10, 10, 10), font=font, anchor="mm")
    pen.line((114, 102, 154, 102), fill=(10, 10, 10), width=2)
    return image


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw().save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
