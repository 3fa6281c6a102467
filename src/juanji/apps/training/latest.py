"""The newest finished run under a folder (``juanji serve`` and ``juanji explain first-layer``).

A finished run has a ``config.json`` and at least one committed epoch; a damaged one is skipped.

Example:
    >>> newest_run("no-such-folder") is None
    True
"""

from __future__ import annotations

from pathlib import Path

from juanji.apps.training import run_directory
from juanji.errors import CheckpointError

__all__ = ["newest_run"]


def newest_run(runs_root: str | Path = "runs") -> Path | None:
    """The run under ``runs_root`` whose ``config.json`` is newest, or None when there is none."""
    root = Path(runs_root)
    if not root.is_dir():
        return None
    found = []
    for path in root.iterdir():
        config = run_directory.config_path(path)
        try:
            if config.is_file() and run_directory.committed_epoch(path) >= 1:
                found.append((config.stat().st_mtime, str(path)))
        except (CheckpointError, OSError):
            continue  # a damaged or unreadable run is skipped, not served
    return Path(max(found)[1]) if found else None
