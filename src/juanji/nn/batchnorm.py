"""Batch and instance normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``.

Both keep per-channel ``weight`` (initialised to 1) and ``bias`` (0) when ``affine``, and the
buffers ``running_mean`` (0), ``running_var`` (1) and ``num_batches_tracked`` (an int64 count)
when ``track_running_stats``: the same ``state_dict`` keys as PyTorch. The formulas and the
running-average rule are in ``juanji.nn.functional.normalization``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from juanji import _dtype
from juanji.backend import as_device, to_device
from juanji.nn import init
from juanji.nn.functional import normalization as F
from juanji.nn.module import Module
from juanji.nn.parameter import _uninitialised
from juanji.tensor.tensor import Tensor


def _buffer(values: Any, dtype: Any, device: Any, owner: str) -> Tensor:
    kind = _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype, owner)
    array = np.asarray(values, dtype=kind.np_dtype if values.dtype.kind == "f" else values.dtype)
    if device is not None:
        array = to_device(array, as_device(device))
    return Tensor(array)


class _NormBase(Module):
    """Parameters, buffers, ``reset_*`` and ``repr`` shared by batch and instance norm."""

    _ranks: tuple[int, ...] = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features < 0:
            raise ValueError(
                f"{owner}: num_features must be a positive integer, got {num_features!r}"
            )
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._make_state(owner, bias, device, dtype)
        self.reset_parameters()

    def _make_state(self, owner: str, bias: bool, device: Any, dtype: Any) -> None:
        c = self.num_features
        if self.affine:
            self.weight = _uninitialised((c,), dtype, device, owner)
            if bias:
                self.bias = _uninitialised((c,), dtype, device, owner)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", _buffer(np.zeros(c), dtype, device, owner))
            self.register_buffer("running_var", _buffer(np.ones(c), dtype, device, owner))
            count = np.zeros((), dtype=np.int64)
            self.register_buffer("num_batches_tracked", _buffer(count, None, device, owner))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Set the running mean to 0, the running variance to 1 and the count to 0."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, ``weight`` to 1 and ``bias`` to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input(self, input: Tensor) -> None:  # noqa: A002
        owner = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{owner}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in self._ranks:
            wanted = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(
                f"{owner}: expected {wanted} input {self._layout}, got "
                f"{input.ndim}D input of shape {input.shape}"
            )

    def _momentum(self) -> float:
        """The running-average weight of this step (``1 / count`` when momentum is None)."""
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                return 1.0 / float(self.num_batches_tracked._data)
        return 0.0 if self.momentum is None else self.momentum

    def _upgrade_state_dict(self, state_dict: dict[str, Any], prefix: str) -> None:
        """Load checkpoints saved before ``num_batches_tracked`` existed, as PyTorch does.

        A missing count keeps this layer's own value (PyTorch's ``_load_from_state_dict`` for
        version < 2, which is every plain dict); the running statistics stay required.
        """
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked.detach()

    def extra_repr(self) -> str:
        """The settings shown by ``repr``, in PyTorch's format."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Batch normalisation; see ``BatchNorm2d`` for the documentation."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        self._check_input(input)
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input has {input.shape[1]} channels (dim 1) but "
                f"num_features is {self.num_features}; input shape {input.shape}"
            )
        momentum = self._momentum()
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch,
            momentum,
            self.eps,
        )


class BatchNorm2d(_BatchNorm):
    """Normalise each channel of ``(N, C, H, W)`` over the batch and the image, then scale.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with ``mean`` and the biased ``var``
    of the batch in training, and of the running averages in evaluation (``model.eval()``).
    The running averages follow ``running = (1 - momentum) * running + momentum * batch`` with
    the unbiased batch variance; ``momentum=None`` makes them cumulative averages
    (``momentum = 1 / num_batches_tracked``). Without ``track_running_stats`` the batch
    statistics are used in both modes.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of each new batch in the running averages, or None. Default: 0.1.
        affine: learn ``weight`` and ``bias``. Default: True.
        track_running_stats: keep running averages for evaluation. Default: True.
        device, dtype: of the parameters and buffers.
        bias: learn ``bias`` (with ``affine``). Default: True.

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: ``(N, C, H, W)``, the same shape

    Example:
        >>> import juanji
        >>> bn = BatchNorm2d(3)
        >>> bn
        BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> bn(juanji.randn(4, 3, 5, 5)).shape
        (4, 3, 5, 5)
    """

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm1d(_BatchNorm):
    """``BatchNorm2d`` for ``(N, C)`` or ``(N, C, L)`` input; see ``BatchNorm2d``."""

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm3d(_BatchNorm):
    """``BatchNorm2d`` for ``(N, C, D, H, W)`` input; see ``BatchNorm2d``."""

    _ranks = (5,)
    _layout = "(N, C, D, H, W)"


class _InstanceNorm(_NormBase):
    """Instance normalisation; see ``InstanceNorm2d`` for the documentation."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Apply the layer (see the class docstring)."""
        self._check_input(input)
        unbatched = input.ndim == self._ranks[0]
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features:
            message = (
                f"{type(self).__name__}: input has {x.shape[1]} channels but "
                f"num_features is {self.num_features}; input shape {input.shape}"
            )
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(message + " (not used because affine=False)", UserWarning, stacklevel=2)
        # PyTorch's instance norm never counts batches (num_batches_tracked stays 0).
        momentum = 0.1 if self.momentum is None else self.momentum
        use_input = self.training or not self.track_running_stats
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input,
            momentum,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each image over its pixels, ``(N, C, H, W)`` or ``(C, H, W)``.

    As ``BatchNorm2d`` but with statistics per sample, and with PyTorch's other defaults:
    ``affine=False`` and ``track_running_stats=False`` (then both modes use the input's own
    statistics). Arguments as ``BatchNorm2d``.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: the same shape

    Example:
        >>> InstanceNorm2d(3)  # doctest: +NORMALIZE_WHITESPACE
        InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False,
                       track_running_stats=False)
    """

    _ranks = (3, 4)
    _layout = "(C, H, W) or (N, C, H, W)"


class InstanceNorm1d(_InstanceNorm):
    """``InstanceNorm2d`` for ``(N, C, L)`` or ``(C, L)``; see ``InstanceNorm2d``."""

    _ranks = (2, 3)
    _layout = "(C, L) or (N, C, L)"


class InstanceNorm3d(_InstanceNorm):
    """``InstanceNorm2d`` for ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see ``InstanceNorm2d``."""

    _ranks = (4, 5)
    _layout = "(C, D, H, W) or (N, C, D, H, W)"
