"""``SyncBatchNorm``: batch normalisation with the statistics of the whole global batch.

In training, with more than one rank, each channel's mean and variance are those of all the
ranks' samples together, from two sums over the ranks (``juanji.distributed.functional``):
the per-channel sum with the sample count, then the sum of squared deviations from the global
mean (two passes, so no cancellation). Gradients flow back through the same sums, so both the
output and the gradients equal those of ``BatchNorm`` run by one process on the whole batch.
In evaluation, or alone in the job, it is ``BatchNorm``.
"""

from __future__ import annotations

from typing import Any

from juanji.autograd import grad_mode
from juanji.distributed import group as _group
from juanji.distributed.functional import all_reduce
from juanji.nn.batchnorm import _BatchNorm
from juanji.nn.module import Module
from juanji.tensor import functions
from juanji.tensor.tensor import Tensor

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """``BatchNorm`` over ``(N, C, *)`` whose batch statistics span every rank's batch.

    Arguments as ``BatchNorm2d``; ``process_group`` must be None (the default group).
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` replaces a model's BatchNorm layers.

    Shape:
        - Input: ``(N, C, *)``, at least 2-D
        - Output: the same shape

    Example:
        >>> import juanji
        >>> layer = SyncBatchNorm(3)
        >>> layer(juanji.randn(4, 3, 2, 2)).shape  # without a process group: BatchNorm
        (4, 3, 2, 2)
    """

    _ranks = (2, 3, 4, 5)
    _layout = "(N, C, *)"

    def _check_input(self, input: Tensor) -> None:  # noqa: A002
        if isinstance(input, Tensor) and input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D input)")
        super()._check_input(input)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        if process_group is not None:
            raise ValueError("SyncBatchNorm: process_group must be None (the default group)")
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = None

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        world = _group._world
        if not self.training or world is None or world.size() == 1:
            return super().forward(input)
        self._check_input(input)
        channels = input.shape[1]
        if channels != self.num_features:
            raise ValueError(
                f"SyncBatchNorm: input has {channels} channels (dim 1) but num_features is "
                f"{self.num_features}; input shape {input.shape}"
            )
        axes = (0,) + tuple(range(2, input.ndim))
        shape = (1, channels) + (1,) * (input.ndim - 2)
        local_count = input.new_full((1,), input.numel() // max(channels, 1))
        totals = all_reduce(functions.cat([input.sum(dim=axes), local_count]))
        count = float(totals[channels].item())
        if count <= 1:
            raise ValueError(
                "SyncBatchNorm: Expected more than 1 value per channel when training, got "
                f"{count:g} over all ranks (input size {input.shape} here)"
            )
        mean = totals[:channels] / count
        centered = input - mean.reshape(shape)
        var = all_reduce((centered * centered).sum(dim=axes)) / count
        out = centered * (var + self.eps).rsqrt().reshape(shape)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        momentum = self._momentum()
        if self.running_mean is not None:
            with grad_mode.no_grad():
                self.running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
                unbiased = var.detach() * (count / (count - 1))
                self.running_var.mul_(1 - momentum).add_(unbiased * momentum)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Return ``module`` with every ``BatchNorm1d/2d/3d`` replaced by a ``SyncBatchNorm``.

        The new layers share the old ones' parameters and copy their buffers and mode; a
        ``BatchNorm`` given directly is returned converted, other modules converted in place.
        """
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                converted.weight = module.weight
                if module.bias is not None:
                    converted.bias = module.bias
                else:
                    converted.register_parameter("bias", None)
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._buffers[name] = module._buffers[name]
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
