"""Fashion-MNIST from Debian's package when no mirror answers: a fake apt-get on PATH builds
the .deb the way Debian does (ar + data.tar.xz, re-gzipped IDX files); success, a package
apt cannot find, a corrupt archive; the real files in $JUANJI_DATA; JUANJI_TEST_NETWORK=1
runs the real apt-get download."""

import gzip
import io
import os
import stat
import tarfile

import pytest

from juanji.data import FashionMNIST, debian
from juanji.data.mnist import FASHION_MNIST_DEBIAN
from juanji.errors import DataError

FOLDER = FASHION_MNIST_DEBIAN[1]


def ar_archive(members):
    out = bytearray(b"!<arch>\n")
    for name, body in members.items():
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode()
        out += body + (b"\n" if len(body) % 2 else b"")
    return bytes(out)


def make_deb(files, folder=FOLDER):
    """A .deb like Debian's: IDX files gzipped again (mtime 0), in data.tar.xz."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for name, data in files.items():
            body = gzip.compress(data, mtime=0)
            info = tarfile.TarInfo(f"./{folder}/{name}.gz")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return ar_archive({"debian-binary": b"2.0\n", "control.tar.xz": b"",
                       "data.tar.xz": buf.getvalue()})


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """Put an ``apt-get`` on PATH that 'downloads' deb_bytes (or fails); returns a setter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    payload = tmp_path / "payload.deb"

    def install(deb_bytes=None, fail=None):
        script = bin_dir / "apt-get"
        if fail:
            body = f"#!/bin/sh\necho '{fail}' >&2\nexit 100\n"
        else:
            payload.write_bytes(deb_bytes)
            body = (f"#!/bin/sh\n[ \"$1\" = download ] || exit 2\n"
                    f"cp '{payload}' \"./$2_1.0_all.deb\"\n")
        script.write_text(body)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return install


@pytest.fixture
def no_mirror(monkeypatch, closed_port, isolated):
    monkeypatch.setattr(FashionMNIST, "mirrors", [f"http://127.0.0.1:{closed_port}/"])
    return isolated


def test_read_ar_walks_members_and_their_padding():
    blob = ar_archive({"a": b"odd", "bb": b"even"})
    assert debian.read_ar(blob) == {"a": b"odd", "bb": b"even"}
    with pytest.raises(DataError, match="not an ar archive"):
        debian.read_ar(b"PK\x03\x04")
    with pytest.raises(DataError, match="truncated"):
        debian.read_ar(blob[:-3])


def test_no_mirror_falls_back_to_the_debian_package(helpers, fake_apt, no_mirror, monkeypatch,
                                                   tmp_path, capsys):
    files = helpers.fake_mnist()
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files))
    fake_apt(make_deb(files))
    ds = FashionMNIST(str(tmp_path / "root"), train=True, download=True)
    assert len(ds) == 12
    assert "Debian package dataset-fashion-mnist" in capsys.readouterr().err
    # Both splits were written, raw, so the test split needs no second download.
    for name, data in files.items():
        assert (tmp_path / "root" / "fashion-mnist" / name).read_bytes() == data
    assert not list((tmp_path / "root").rglob("*.tmp"))


def test_apt_get_that_cannot_find_the_package_says_so_and_what_to_do(
        helpers, fake_apt, no_mirror, monkeypatch, tmp_path):
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(helpers.fake_mnist()))
    fake_apt(fail="E: Unable to locate package dataset-fashion-mnist")
    with pytest.raises(DataError, match=r"Unable to locate package.*apt-get update"):
        FashionMNIST(str(tmp_path / "root"), download=True)


def test_a_corrupt_archive_is_an_error_and_leaves_no_file(helpers, fake_apt, no_mirror,
                                                        monkeypatch, tmp_path):
    files = helpers.fake_mnist()
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files))
    deb = make_deb(files)
    fake_apt(deb[: len(deb) // 2])
    with pytest.raises(DataError, match="truncated|corrupt"):
        FashionMNIST(str(tmp_path / "root"), download=True)
    assert not list((tmp_path / "root").rglob("*-ubyte*"))


def test_a_package_whose_files_differ_from_the_official_ones_is_refused(
        helpers, fake_apt, no_mirror, monkeypatch, tmp_path):
    files = helpers.fake_mnist()
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files))
    fake_apt(make_deb(helpers.fake_mnist(seed=1)))
    with pytest.raises(DataError, match="has MD5"):
        FashionMNIST(str(tmp_path / "root"), download=True)


def test_debians_regzipped_files_pass_by_their_uncompressed_md5():
    base = os.environ.get("JUANJI_DATA")
    if not base or not os.path.isdir(os.path.join(base, "fashion-mnist")):
        pytest.skip("JUANJI_DATA/fashion-mnist is not there")
    test = FashionMNIST(base, train=False, download=False)
    assert len(test) == 10_000
    assert sorted(set(int(y) for y in test.targets.numpy())) == list(range(10))


@pytest.mark.skipif(os.environ.get("JUANJI_TEST_NETWORK") != "1",
                    reason="real apt-get download: set JUANJI_TEST_NETWORK=1")
def test_the_real_debian_package_holds_the_official_files():
    names = list(FashionMNIST.checksums)
    files = debian.fetch_debian_files(*FASHION_MNIST_DEBIAN, names)
    for name in names:
        assert helpers_md5(files[name]) == FashionMNIST.checksums[name].raw


def helpers_md5(data):
    import hashlib

    return hashlib.md5(data).hexdigest()
