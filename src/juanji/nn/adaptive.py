"""``AdaptiveLogSoftmaxWithLoss``: a softmax over many classes, cheap for the rare ones.

Classes are split by ``cutoffs`` into a shortlist (the frequent ones, ``[0, cutoffs[0])``) and
clusters. The head scores the shortlist plus one entry per cluster; cluster ``i`` has its own
small projection (``in_features // div_value**(i + 1)`` wide) scoring its members, so
``log p(c) = log p_head(cluster of c) + log p_cluster(c)`` for a class outside the shortlist
(Grave et al., 2017). PyTorch's layout, names and parameter shapes.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from juanji.nn.container import ModuleList, Sequential
from juanji.nn.functional.activation import log_softmax
from juanji.nn.linear import Linear
from juanji.nn.module import Module
from juanji.tensor.functions import cat
from juanji.tensor.tensor import Tensor

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: log-probabilities of the targets and their mean negative (the loss).

    Args:
        in_features: size of each input sample.
        n_classes: number of classes.
        cutoffs: increasing class boundaries in ``[1, n_classes - 1]`` splitting the clusters.
        div_value: the ratio between consecutive clusters' projection widths. Default: 4.
        head_bias: give the head a bias. Default: False.
        device, dtype: of the parameters.

    Returns (``forward``):
        ``(output, loss)``: the target's log-probability per sample ``(N,)`` and the mean of
        ``-output``.

    Example:
        >>> import juanji
        >>> asm = AdaptiveLogSoftmaxWithLoss(32, 10, cutoffs=[4, 7])
        >>> out, loss = asm(juanji.randn(3, 32), juanji.tensor([0, 5, 9]))
        >>> out.shape, asm.log_prob(juanji.randn(3, 32)).shape
        ((3,), (3, 10))
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [*cutoffs, n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        options = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **options)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **options),
                    Linear(hidden, size, bias=False, **options),
                )
            )

    def reset_parameters(self) -> None:
        """Draw new parameters for the head and every cluster."""
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> Any:
        """``(output, loss)`` for inputs ``(N, in_features)`` and targets ``(N,)`` (or 1-D/0-D)."""
        batched = _check(input_, target_)
        input = input_ if batched else input_.unsqueeze(0)  # noqa: A001
        target = (target_ if batched else target_.unsqueeze(0)).numpy().astype(np.int64)
        if target.size and (target.min() < 0 or target.max() >= self.n_classes):
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{target.min()}, {target.max()}] were found. "
            )
        bounds = [0, *self.cutoffs]
        cluster = np.searchsorted(np.asarray(self.cutoffs), target, side="right")  # 0: shortlist
        head_index = np.where(cluster == 0, target, self.shortlist_size + cluster - 1)
        head = log_softmax(self.head(input), 1)
        output = head[np.arange(len(target)), head_index]
        rows, parts = [], []
        for i in range(1, len(bounds) - 1):
            members = np.nonzero(cluster == i)[0]
            if members.size:
                local = log_softmax(self.tail[i - 1](input[members]), 1)
                parts.append(local[np.arange(members.size), target[members] - bounds[i]])
                rows.append(members)
        if parts:
            order = np.concatenate(rows)
            others = np.nonzero(cluster == 0)[0]
            extra = cat([*parts, output.new_zeros((others.size,))])
            positions = np.concatenate([order, others])
            inverse = np.empty_like(positions)
            inverse[positions] = np.arange(positions.size)
            output = output + extra[inverse]
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """Log-probabilities of every class: ``(N, n_classes)``."""
        head = log_softmax(self.head(input), 1)
        columns = [head[:, : self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = head[:, self.shortlist_size + i : self.shortlist_size + i + 1]
            columns.append(log_softmax(projection(input), 1) + cluster)
        return cat(columns, 1)

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """The most probable class of each sample: ``(N,)``."""
        return self.log_prob(input).argmax(1)


def _check(inputs: Tensor, target: Tensor) -> bool:
    """PyTorch's shape rules; True for a batch (1-D target), False for one sample."""
    if target.ndim == 1:
        if inputs.shape[0] != target.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        if inputs.ndim != 2:
            raise RuntimeError(
                "1D target tensor expects 2D input tensors, but found inputs with size "
                f"{inputs.shape}"
            )
        return True
    if target.ndim == 0:
        if inputs.ndim != 1:
            raise RuntimeError(
                "0D target tensor expects 1D input tensors, but found inputs with size "
                f"{inputs.shape}"
            )
        return False
    raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
