"""Data sets that Debian packages: ``apt-get download`` one ``.deb`` and read it with the stdlib.

Debian ships some data sets as packages (``dataset-fashion-mnist`` holds Fashion-MNIST's four
IDX files under ``usr/share/datasets/fashion-mnist/``, re-gzipped: their ``.gz`` bytes differ
from Zalando's, their uncompressed bytes are the official ones). Where the official mirrors
cannot be reached but Debian's archive can, this is how a fresh machine gets the data:

1. ``apt-get download PACKAGE`` in a temporary folder: it fetches the ``.deb`` and installs
   nothing, and needs no root (only the package lists that ``apt-get update`` made);
2. the ``.deb`` is an ``ar`` archive (``debian-binary``, ``control.tar.*``, ``data.tar.*``):
   ``read_ar`` walks its 60-byte member headers, ``tarfile`` opens ``data.tar.xz``/``.gz``;
3. the wanted members are gunzipped and returned as bytes; the caller checks their MD5s.

Nothing is written outside the temporary folder, which is removed whatever happens.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from juanji.data.idx import gunzip_if_compressed
from juanji.errors import DataError

__all__ = ["apt_get_download", "read_ar", "read_deb_members", "fetch_debian_files"]

_AR_MAGIC = b"!<arch>\n"


def read_ar(data: bytes, source: str = "archive") -> dict[str, bytes]:
    r"""The members of an ``ar`` archive (the container format of a ``.deb``), by name.

    Each member is a 60-byte header (name, dates, mode, size in decimal, the two bytes
    ``"`\n"``) and its bytes, padded to an even length.

    Example:
        >>> header = f"{'hello/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{5:<10}`\n".encode()
        >>> read_ar(_AR_MAGIC + header + b"world\n")
        {'hello': b'world'}
    """
    if not data.startswith(_AR_MAGIC):
        raise DataError(f"{source} is not an ar archive (a .deb starts with '!<arch>')")
    members, pos = {}, len(_AR_MAGIC)
    while pos < len(data):
        header = data[pos : pos + 60]
        if len(header) < 60 or header[58:60] != b"`\n":
            raise DataError(f"{source}: truncated or corrupt ar member header at byte {pos}")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError as error:
            raise DataError(f"{source}: corrupt ar member size at byte {pos}") from error
        body = data[pos + 60 : pos + 60 + size]
        if len(body) < size:
            raise DataError(f"{source}: member {name!r} is truncated ({len(body)} of {size} B)")
        members[name] = body
        pos += 60 + size + (size % 2)  # members are padded to an even length
    return members


def read_deb_members(deb: bytes, folder: str, names: list[str], source: str) -> dict[str, bytes]:
    """Uncompressed bytes of ``folder/NAME`` or ``folder/NAME.gz`` for each of ``names``."""
    members = read_ar(deb, source)
    data_name = next((n for n in members if n.startswith("data.tar")), None)
    if data_name is None:
        raise DataError(f"{source}: no data.tar member; members are {sorted(members)}")
    if data_name.endswith(".zst"):
        raise DataError(f"{source}: {data_name} is zstd-compressed, which Python's tarfile "
                        "cannot read; unpack it with dpkg-deb -x and pass the folder as root=")
    wanted = {f"{folder}/{n}{ext}": n for n in names for ext in ("", ".gz")}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as tar:
            for info in tar:
                name = wanted.get(info.name.lstrip("./"))
                if name is not None and info.isfile():
                    raw = tar.extractfile(info).read()  # type: ignore[union-attr]
                    found[name] = gunzip_if_compressed(raw, Path(info.name))
    except (tarfile.TarError, EOFError, OSError, DataError) as error:
        raise DataError(f"{source}: corrupt {data_name}: {error}") from error
    missing = [n for n in names if n not in found]
    if missing:
        raise DataError(f"{source}: {', '.join(missing)} not found under {folder}/")
    return found


def apt_get_download(package: str, timeout: float = 300.0) -> bytes:
    """The ``.deb`` of ``package`` as bytes, fetched by ``apt-get download`` (installs nothing)."""
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise DataError(f"cannot fetch the Debian package {package}: apt-get is not on PATH")
    with tempfile.TemporaryDirectory(prefix="juanji-deb-") as tmp:
        try:
            done = subprocess.run([apt_get, "download", package], cwd=tmp, capture_output=True,
                                  text=True, timeout=timeout, check=False,
                                  env={**os.environ, "LC_ALL": "C"})
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DataError(f"apt-get download {package} failed: {error}") from error
        debs = sorted(Path(tmp).glob("*.deb"))
        if done.returncode != 0 or not debs:
            said = (done.stderr or done.stdout).strip().splitlines()
            hint = " (run 'apt-get update' once, as root, if the package is not found)"
            raise DataError(f"apt-get download {package} failed: "
                            f"{said[-1] if said else f'exit {done.returncode}'}{hint}")
        return debs[0].read_bytes()


def fetch_debian_files(package: str, folder: str, names: list[str]) -> dict[str, bytes]:
    """``names`` (uncompressed) from ``folder`` inside Debian's ``package``."""
    return read_deb_members(apt_get_download(package), folder, names, f"Debian package {package}")
