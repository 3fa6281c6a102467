"""``PixelShuffle``, ``PixelUnshuffle`` (channels to space and back) and ``ChannelShuffle``."""

from __future__ import annotations

from juanji.nn.functional.upsampling import (
    _check_factor,
    channel_shuffle,
    pixel_shuffle,
    pixel_unshuffle,
)
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class PixelShuffle(Module):
    """``(*, C*r*r, H, W) -> (*, C, H*r, W*r)`` with ``r = upscale_factor``.

    Example:
        >>> import juanji
        >>> PixelShuffle(3)(juanji.zeros(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = _check_factor("PixelShuffle", "upscale_factor", upscale_factor)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Rearrange ``input``."""
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H*r, W*r) -> (*, C*r*r, H, W)`` with ``r = downscale_factor``.

    Example:
        >>> import juanji
        >>> PixelUnshuffle(2)(juanji.zeros(1, 1, 4, 6)).shape
        (1, 4, 2, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = _check_factor(
            "PixelUnshuffle", "downscale_factor", downscale_factor
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Rearrange ``input``."""
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet); see ``F.channel_shuffle``.

    Example:
        >>> import juanji
        >>> ChannelShuffle(2)(juanji.arange(4.0).reshape(1, 4, 1, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Rearrange ``input``."""
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        """PyTorch's format."""
        return f"groups={self.groups}"
