"""``Embedding`` (vectors looked up by index) and ``EmbeddingBag`` (reduced bags of them)."""

from __future__ import annotations

from typing import Any

from juanji.autograd.grad_mode import no_grad
from juanji.nn import init
from juanji.nn.functional.sparse import embedding, embedding_bag, embedding_padding_idx
from juanji.nn.module import Module
from juanji.nn.parameter import Parameter, _uninitialised
from juanji.tensor.tensor import Tensor


class Embedding(Module):
    """A lookup table: index ``i`` gives row ``i`` of ``weight``.

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        embedding_dim: the length of each row.
        padding_idx: a row that gets no gradient and starts at zero (e.g. the padding token).
        max_norm: rows read with a larger ``norm_type``-norm are rescaled to it, in place.
        norm_type: the p of that norm. Default: 2.
        scale_grad_by_freq: divide gradients by the index's frequency in the batch.
        sparse: sparse gradients are not supported (must be False).
        _weight: initial weight ``(num_embeddings, embedding_dim)`` instead of N(0, 1) draws.
        _freeze: the weight does not require grad. Default: False.
        device: where to create the weight. dtype: its floating dtype.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, from N(0, 1), the padding row zeroed.

    Shape:
        - Input: ``(*)`` integer indices
        - Output: ``(*, embedding_dim)``

    Example:
        >>> import juanji
        >>> table = Embedding(10, 3, padding_idx=0)
        >>> table(juanji.tensor([[0, 2, 4]])).shape
        (1, 3, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = embedding_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = _uninitialised(
                (num_embeddings, embedding_dim), dtype, device, "Embedding"
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    "Embedding: Shape of weight does not match num_embeddings and embedding_dim: "
                    f"{tuple(_weight.shape)} vs ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight.detach())
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self) -> None:
        """Draw the weight from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Look up the rows of ``input``'s indices."""
        return embedding(
            input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.sparse,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """PyTorch's format: the sizes, then the options that differ from their defaults."""
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` holding ``embeddings`` (2-D), frozen unless ``freeze=False``.

        Example:
            >>> import juanji
            >>> table = Embedding.from_pretrained(juanji.tensor([[1.0, 2.0], [3.0, 4.0]]))
            >>> table(juanji.tensor([1])), table.weight.requires_grad
            (tensor([[3., 4.]]), False)
        """
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
            _weight=embeddings, _freeze=freeze,
        )  # fmt: skip


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings, without the ``(B, L, D)`` intermediate.

    See ``F.embedding_bag`` for the bags (2-D input, or 1-D input with offsets). Arguments as
    ``Embedding``'s, plus ``mode`` (``'mean'`` default, ``'sum'``, ``'max'``) and
    ``include_last_offset``.

    Example:
        >>> import juanji
        >>> bags = EmbeddingBag(10, 3, mode="sum")
        >>> bags(juanji.tensor([1, 2, 4, 5, 4, 3, 2, 9]), juanji.tensor([0, 4])).shape
        (2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError("mode has to be one of sum, mean or max")
        table = Embedding(
            num_embeddings, embedding_dim, padding_idx, _weight=_weight, device=device, dtype=dtype
        )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, table.padding_idx
        self.weight = table.weight

    def reset_parameters(self) -> None:
        """Draw the weight from N(0, 1) and zero the padding row."""
        Embedding.reset_parameters(self)  # type: ignore[arg-type]

    def forward(
        self,
        input: Tensor,  # noqa: A002
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        """Reduce each bag of ``input`` (see the class docstring)."""
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
            self.include_last_offset, self.padding_idx,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """PyTorch's format: the sizes, then the options that differ from their defaults."""
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An ``EmbeddingBag`` holding ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bags = cls(
            rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
            include_last_offset, padding_idx,
        )  # fmt: skip
        bags.weight.requires_grad_(not freeze)
        return bags
