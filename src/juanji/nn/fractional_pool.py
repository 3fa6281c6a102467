"""``FractionalMaxPool2d`` and ``FractionalMaxPool3d``: the modules of fractional max pooling."""

from __future__ import annotations

from typing import Any

from juanji.nn.functional import fractional_pool as F
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class _FractionalMaxPoolNd(Module):
    _function: Any = None

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{owner} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if output_ratio is not None:
            ratios = output_ratio if isinstance(output_ratio, (tuple, list)) else [output_ratio]
            if not all(0 < r < 1 for r in ratios):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
        self.kernel_size, self.output_size, self.output_ratio = (
            kernel_size, output_size, output_ratio,
        )  # fmt: skip
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Pool ``input`` (see ``juanji.nn.functional.fractional_pool``)."""
        return type(self)._function(
            input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
            _random_samples=self._random_samples,
        )  # fmt: skip


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling; see ``F.fractional_max_pool2d``.

    Example:
        >>> import juanji
        >>> FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(juanji.zeros(1, 2, 10, 10)).shape
        (1, 2, 5, 5)
    """

    _function = staticmethod(F.fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling; see ``F.fractional_max_pool3d``.

    Example:
        >>> import juanji
        >>> FractionalMaxPool3d(2, output_size=3)(juanji.zeros(1, 1, 6, 6, 6)).shape
        (1, 1, 3, 3, 3)
    """

    _function = staticmethod(F.fractional_max_pool3d)
