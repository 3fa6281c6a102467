"""``CosineSimilarity`` and ``PairwiseDistance``: modules of ``nn.functional.distance``."""

from __future__ import annotations

from juanji.nn.functional.distance import cosine_similarity, pairwise_distance
from juanji.nn.module import Module
from juanji.tensor.tensor import Tensor


class CosineSimilarity(Module):
    """Cosine similarity along ``dim`` (default 1), each norm floored at ``eps`` (1e-8).

    Example:
        >>> import juanji
        >>> CosineSimilarity()(juanji.tensor([[1.0, 0.0]]), juanji.tensor([[0.0, 2.0]]))
        tensor([0.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Apply the layer (see the class docstring)."""
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dimension; see ``F.pairwise_distance``.

    Example:
        >>> import juanji
        >>> PairwiseDistance(eps=0.0)(juanji.zeros(1, 2), juanji.tensor([[3.0, 4.0]]))
        tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Apply the layer (see the class docstring)."""
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
