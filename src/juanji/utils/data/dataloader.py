"""``torch.utils.data.dataloader``'s names (implemented in ``juanji.data.dataloader``)."""

from __future__ import annotations

from juanji.data.dataloader import DataLoader, default_collate, default_convert

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def get_worker_info() -> None:
    """Information about the current loader worker process: always None here.

    PyTorch returns None in the main process and a ``WorkerInfo`` inside a worker process.
    juanji's loader never starts worker processes (``num_workers`` prefetches in threads of
    this process), so every caller sees the main-process answer, and a dataset that shards its
    samples by worker id reads all of them once, as PyTorch does with ``num_workers=0``.

    Example:
        >>> get_worker_info() is None
        True
    """
    return None
