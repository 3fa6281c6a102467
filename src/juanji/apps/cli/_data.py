"""Where a command's dataset comes from: a strict ``--data-dir``, or the search chain.

A folder a person typed (``--data-dir``) must hold the dataset: a typo, a file, or a folder
lacking one IDX file is an error naming what is missing, never a silent fallback to
``$JUANJI_DATA`` or the cache (the library's ``MNIST(root, download=True)`` downloads into such a
root instead, as torchvision does). Without ``--data-dir`` the chain of ``juanji.data`` applies.
Either way the command prints the folder it reads.
"""

from __future__ import annotations

import argparse

from juanji.data import download
from juanji.errors import DataError


def data_source(
    args: argparse.Namespace, dataset: str, train: bool | None = None
) -> str | None:
    """The ``data: FOLDER`` line for ``dataset`` (a key of ``training.DATASETS``).

    ``train`` is the split the command reads (None: both). Raises ``DataError`` for an
    explicit ``--data-dir`` that does not hold it. Commands print it on stderr, with the other
    notes about the run, so that stdout stays the results. None for a dataset that has no
    folders (an in-memory stand-in): there is nothing to say.
    """
    from juanji.apps.training import DATASETS

    factory = DATASETS[dataset].factory
    if not hasattr(factory, "check_root"):  # a dataset without folders (tests' fakes)
        return None
    if args.data_dir is not None:
        try:
            return f"data: {factory.check_root(args.data_dir, train)}"
        except DataError as error:
            raise DataError(f"--data-dir: {error}") from None
    folder = factory.find_folder(None, train)
    if folder is not None:
        return f"data: {folder}"
    searched = ", ".join(str(d) for d in download.data_dirs(None))
    if args.no_download:
        raise DataError(
            f"{factory.name}: not found in {searched}; drop --no-download to download it, or "
            f"set JUANJI_DATA to a folder holding {factory.folders[0]}/ with the files"
        )
    cache = download.user_cache_dir() / "datasets" / factory.folders[0]
    return f"data: not found in {searched}; downloading into {cache}"
