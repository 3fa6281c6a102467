"""Normalisation: ``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm`` and LRN.

The first four standardise ``x`` with a mean and a biased variance over some axes and then apply
an optional per-channel (per-element for layer norm) affine map::

    y = (x - mean) / sqrt(var + eps) * weight + bias

=================  ========================================  ==========================
function           statistics over                           weight / bias shape
=================  ========================================  ==========================
batch_norm         N and every spatial axis, per channel     (C,)
instance_norm      every spatial axis, per sample & channel  (C,)
layer_norm         the trailing ``normalized_shape`` axes    normalized_shape
group_norm         C/G channels and space, per sample/group  (C,)
=================  ========================================  ==========================

In training, ``batch_norm`` and ``instance_norm`` update the running statistics in place with
``running = (1 - momentum) * running + momentum * batch`` using the *unbiased* batch variance,
as PyTorch does; in evaluation ``batch_norm`` normalises with the running statistics instead.
All run as one fused op (``juanji._ops.norm``) with an analytic backward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji._ops import norm
from juanji.nn.functional._checks import check_float, check_same_dtype, check_tensor
from juanji.tensor.tensor import Tensor


def _check_inputs(fn: str, input: Tensor, **tensors: Tensor | None) -> None:
    check_tensor(fn, "input", input)
    for name, value in tensors.items():
        check_tensor(fn, name, value, optional=True)
    check_float(fn, "input", input)
    affine = {k: v for k, v in tensors.items() if k in ("weight", "bias")}
    check_same_dtype(fn, input=input, **affine)


def _check_vector(fn: str, name: str, value: Tensor | None, size: int, what: str) -> None:
    if value is not None and value.shape != (size,):
        raise ValueError(
            f"{fn}: {name} should contain {size} elements ({what}), got shape {value.shape}"
        )


def _data(value: Tensor | None) -> Any:
    return None if value is None else value._data


def _check_batch_norm(
    fn: str,
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
) -> None:
    """batch_norm's argument rules: tensors, at least 2-D, (C,) vectors, buffers in eval."""
    _check_inputs(
        fn, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if input.ndim < 2:
        raise ValueError(
            f"{fn}: input must be at least 2-D (N, C, *), got {input.ndim}-D shape {input.shape}"
        )
    channels = input.shape[1]
    for name, value in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ]:
        _check_vector(fn, name, value, channels, f"input has {channels} channels")
    if not training and (running_mean is None or running_var is None):
        raise ValueError(
            f"{fn}: running_mean and running_var must be defined in evaluation mode "
            "(training=False)"
        )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel over the batch and spatial axes; see the module docstring.

    Args:
        input: ``(N, C, *)``.
        running_mean: ``(C,)`` buffer, updated in place when ``training``; required when not
            ``training``; None to keep no running statistics.
        running_var: ``(C,)`` buffer, as ``running_mean``.
        weight: ``(C,)`` scale, or None.
        bias: ``(C,)`` shift, or None.
        training: use (and record) the batch statistics; else use the running ones.
        momentum: weight of the new batch in the running averages. Default: 0.1.
        eps: added to the variance for stability. Default: 1e-5.

    Raises:
        ValueError: fewer than 2 dimensions, wrong-sized buffers, or a single value per channel
            in training (its variance is undefined).

    Example:
        >>> import juanji
        >>> batch_norm(juanji.tensor([[1.0], [3.0]]), None, None, training=True)
        tensor([[-1.0000],
                [ 1.0000]])
    """
    fn = "batch_norm"
    _check_batch_norm(fn, input, running_mean, running_var, weight, bias, training)
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    if input.numel() == 0:  # an empty batch: PyTorch returns it, the statistics untouched
        return input * 1.0
    if training and input.numel() // channels <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {input.shape}"
        )
    affine_shape = (1, channels) + (1,) * (input.ndim - 2)
    params: dict[str, Any] = {
        "stat_shape": input.shape,
        "axes": axes,
        "affine_shape": affine_shape,
        "eps": float(eps),
    }
    if training:
        if running_mean is not None and running_var is not None:
            params["running"] = (running_mean._data, running_var._data, float(momentum))
    else:
        params["mean"] = running_mean._data.reshape(affine_shape)
        params["var"] = running_var._data.reshape(affine_shape)
    return Tensor._apply(norm.Normalize, input, weight, bias, **params)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) over its spatial axes; see the module docstring.

    With ``use_input_stats=False`` the running statistics are used instead (evaluation of an
    ``InstanceNorm`` that tracks them). Arguments as ``batch_norm``.

    Example:
        >>> import juanji
        >>> instance_norm(juanji.tensor([[[1.0, 3.0]]]))
        tensor([[[-1.0000,  1.0000]]])
    """
    fn = "instance_norm"
    _check_inputs(
        fn, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if input.ndim < 3:
        raise ValueError(
            f"{fn}: input must be at least 3-D (N, C, *), got {input.ndim}-D shape {input.shape}"
        )
    channels = input.shape[1]
    for name, value in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ]:
        _check_vector(fn, name, value, channels, f"input has {channels} channels")
    affine_shape = (1, channels) + (1,) * (input.ndim - 2)
    params: dict[str, Any] = {
        "stat_shape": input.shape,
        "axes": tuple(range(2, input.ndim)),
        "affine_shape": affine_shape,
        "eps": float(eps),
    }
    if use_input_stats:
        if input.numel() // max(channels * input.shape[0], 1) <= 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
        if running_mean is not None and running_var is not None:
            params["running"] = (running_mean._data, running_var._data, float(momentum))
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                f"{fn}: running_mean and running_var must be defined when use_input_stats=False"
            )
        params["mean"] = running_mean._data.reshape(affine_shape)
        params["var"] = running_var._data.reshape(affine_shape)
    return Tensor._apply(norm.Normalize, input, weight, bias, **params)


def layer_norm(
    input: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes of each sample.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: the trailing shape to normalise over (an int or a tuple).
        weight: scale of shape ``normalized_shape``, or None.
        bias: shift of shape ``normalized_shape``, or None.
        eps: added to the variance. Default: 1e-5.

    Example:
        >>> import juanji
        >>> layer_norm(juanji.tensor([[1.0, 3.0]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    fn = "layer_norm"
    _check_inputs(fn, input, weight=weight, bias=bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise ValueError(
            f"{fn}: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {input.shape}"
        )
    for name, value in [("weight", weight), ("bias", bias)]:
        if value is not None and value.shape != shape:
            raise ValueError(
                f"{fn}: {name} must have shape normalized_shape={shape}, got {value.shape}"
            )
    axes = tuple(range(input.ndim - k, input.ndim))
    return Tensor._apply(
        norm.Normalize,
        input,
        weight,
        bias,
        stat_shape=input.shape,
        axes=axes,
        affine_shape=shape,
        eps=float(eps),
    )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the channels into ``num_groups`` groups and normalise each group of each sample.

    Args:
        input: ``(N, C, *)`` with ``C`` divisible by ``num_groups``.
        num_groups: number of groups.
        weight: ``(C,)`` scale, or None.
        bias: ``(C,)`` shift, or None.
        eps: added to the variance. Default: 1e-5.

    Example:
        >>> import juanji
        >>> group_norm(juanji.tensor([[1.0, 3.0]]), 1)
        tensor([[-1.0000,  1.0000]])
    """
    fn = "group_norm"
    _check_inputs(fn, input, weight=weight, bias=bias)
    if input.ndim < 2:
        raise ValueError(
            f"{fn}: input must be at least 2-D (N, C, *), got {input.ndim}-D shape {input.shape}"
        )
    channels = input.shape[1]
    if not isinstance(num_groups, int) or num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"{fn}: the number of channels in input ({channels}) must be divisible "
            f"by num_groups ({num_groups}); input shape {input.shape}"
        )
    for name, value in [("weight", weight), ("bias", bias)]:
        _check_vector(fn, name, value, channels, f"input has {channels} channels")
    n = input.shape[0]
    stat_shape = (n, num_groups, input.numel() // max(n * num_groups, 1))
    affine_shape = (1, channels) + (1,) * (input.ndim - 2)
    return Tensor._apply(
        norm.Normalize,
        input,
        weight,
        bias,
        stat_shape=stat_shape,
        axes=(2,),
        affine_shape=affine_shape,
        eps=float(eps),
    )


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each value by a power of the summed squares of ``size`` neighbouring channels.

    ``y_c = x_c / (k + alpha / size * sum_{c'} x_c'^2) ^ beta`` with ``c'`` running over
    ``c - size // 2 .. c + (size - 1) // 2`` (missing channels count as 0): the original
    AlexNet's normalisation.

    Args:
        input: ``(N, C, *)``, at least 3-D.
        size: number of channels in the window.
        alpha: multiplicative constant. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive constant. Default: 1.

    Example:
        >>> import juanji
        >>> local_response_norm(juanji.ones(1, 1, 1), size=1, alpha=1.0, beta=1.0, k=1.0)
        tensor([[[0.5000]]])
    """
    fn = "local_response_norm"
    _check_inputs(fn, input)
    if input.ndim < 3:
        raise ValueError(
            f"{fn}: input must be at least 3-D (N, C, *), got {input.ndim}-D shape {input.shape}"
        )
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"{fn}: size must be a positive integer, got {size!r}")
    return Tensor._apply(
        norm.LocalResponseNorm, input, size=size, alpha=float(alpha), beta=float(beta), k=float(k)
    )


def rms_norm(
    input: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Divide by the root mean square over the trailing ``normalized_shape`` axes (no centring).

    ``y = x / sqrt(mean(x^2) + eps) * weight``; ``eps`` None is the machine epsilon of the
    input's dtype (PyTorch's default).

    Example:
        >>> import juanji
        >>> rms_norm(juanji.tensor([[3.0, -3.0]]), (2,))
        tensor([[ 1., -1.]])
    """
    fn = "rms_norm"
    _check_inputs(fn, input, weight=weight)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise ValueError(
            f"{fn}: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {input.shape}"
        )
    if weight is not None and weight.shape != shape:
        raise ValueError(
            f"{fn}: weight must have shape normalized_shape={shape}, got {weight.shape}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight
