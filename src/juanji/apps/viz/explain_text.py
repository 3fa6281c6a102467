"""The text of a worked example: ``Explanation`` and the grid and layout helpers.

Every ``explain_*`` module builds its lines with these; ``explain.py`` keeps the registry of
topics and imports the topic modules, never the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Explanation", "format_grid", "indent", "number", "side_by_side"]


@dataclass
class Explanation:
    """A worked example.

    Attributes:
        topic: the topic's name.
        text: the explanation, ready to print.
        output: the final grid of the example, computed step by step as the text shows.
        engine: what juanji's own function returns for the same computation (equal to
            ``output``; kept so tests and readers can check).
    """

    topic: str
    text: str
    output: np.ndarray
    engine: np.ndarray


def number(value: float) -> str:
    """A number as the grids show it: integers without a decimal point, else 4 digits."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def format_grid(
    array: np.ndarray, marked: set[tuple[int, int]] | None = None, width: int | None = None
) -> list[str]:
    r"""Lines of a 2-D grid, numbers right-aligned; ``marked`` cells are shown in brackets.

    Example:
        >>> print("\n".join(format_grid(np.arange(9.0).reshape(3, 3), marked={(0, 0), (0, 1)})))
        [0][1] 2
         3  4  5
         6  7  8
    """
    array = np.asarray(array)
    cells = [[number(v) for v in row] for row in array]
    width = width or max((len(c) for row in cells for c in row), default=1)
    lines = []
    for i, row in enumerate(cells):
        parts = []
        for j, cell in enumerate(row):
            text = cell.rjust(width)
            parts.append(f"[{text}]" if marked and (i, j) in marked else f" {text} ")
        lines.append("".join(parts).rstrip())
    return lines


def side_by_side(blocks: Sequence[tuple[str, list[str]]], gap: int = 6) -> list[str]:
    """Put titled blocks of lines next to each other.

    Example:
        >>> for line in side_by_side([("a", ["1 2"]), ("b", ["3"])], gap=2):
        ...     print(line)
        a    b
        1 2  3
    """
    widths = [max([len(title), *map(len, lines)]) for title, lines in blocks]
    height = max(len(lines) for _, lines in blocks)
    rows = []
    for r in range(-1, height):
        parts = []
        for (title, lines), width in zip(blocks, widths, strict=True):
            text = title if r < 0 else (lines[r] if r < len(lines) else "")
            parts.append(text.ljust(width))
        rows.append((" " * gap).join(parts).rstrip())
    return rows


def indent(lines: list[str], spaces: int = 2) -> list[str]:
    """The lines moved right by ``spaces`` (empty lines stay empty)."""
    return [" " * spaces + line if line else line for line in lines]
