"""Downloads against a loopback HTTP server: success, 404, fallback mirror, cut transfers,
resume with Range, bad checksums, progress output, and where files are looked for."""

import gzip
import os
import sys

import numpy as np
import pytest

from juanji.data import MNIST, FashionMNIST
from juanji.data import download as dl
from juanji.data.mnist import FileChecksums
from juanji.errors import DataError

PAYLOAD = bytes(range(256)) * 800  # 200 kB: several chunks


def test_download_success_is_atomic(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    dest = tmp_path / "sub" / "f.bin"
    assert dl.download_url(url, dest, progress=False) == dest
    assert dest.read_bytes() == PAYLOAD
    assert sorted(p.name for p in dest.parent.iterdir()) == ["f.bin"]  # no .part left


def test_download_404(server, tmp_path):
    with pytest.raises(dl.DownloadError, match="HTTP 404") as info:
        dl.download_url(server.base + "/missing", tmp_path / "x", progress=False)
    assert info.value.reachable
    assert not list(tmp_path.iterdir())


def test_download_unreachable(closed_port, tmp_path):
    with pytest.raises(dl.DownloadError, match="cannot connect") as info:
        dl.download_url(f"http://127.0.0.1:{closed_port}/x", tmp_path / "x", progress=False)
    assert not info.value.reachable


def test_cut_transfer_keeps_part_then_resumes_with_range(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    server.cut_after("/f.bin", 70_000)
    dest = tmp_path / "f.bin"
    part = tmp_path / "f.bin.part"
    with pytest.raises(dl.DownloadError, match="transfer cut after 70000 of 204800 bytes"):
        dl.download_url(url, dest, progress=False, resume_attempts=0)
    assert not dest.exists()  # never a half file under the final name
    assert part.stat().st_size == 70_000
    dl.download_url(url, dest, progress=False)
    assert dest.read_bytes() == PAYLOAD and not part.exists()
    assert server.state.requests[-1] == ("/f.bin", "bytes=70000-")


def test_cut_transfer_resumes_within_the_same_call(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    server.cut_after("/f.bin", 1000)
    dl.download_url(url, tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert [r[1] for r in server.state.requests] == [None, "bytes=1000-"]


def test_no_retry_storm_when_nothing_arrives(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    server.cut_after("/f.bin", 0, times=10)
    with pytest.raises(dl.DownloadError, match="cut after 0"):
        dl.download_url(url, tmp_path / "f.bin", progress=False, resume_attempts=3)
    assert len(server.state.requests) == 1  # no progress, no immediate retry


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    server.state.ignore_range.add("/f.bin")
    (tmp_path / "f.bin.part").write_bytes(b"garbage that must not be kept")
    dl.download_url(url, tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_resume_at_the_wrong_byte_discards_the_part(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)
    server.state.wrong_range.add("/f.bin")
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:10])
    with pytest.raises(dl.DownloadError, match="wrong byte"):
        dl.download_url(url, tmp_path / "f.bin", progress=False, resume_attempts=0)
    assert not list(tmp_path.iterdir())
    dl.download_url(url, tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_stale_part_past_the_end_is_discarded(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD[:100])
    (tmp_path / "f.bin.part").write_bytes(b"x" * 500)  # longer than the file: HTTP 416
    dl.download_url(url, tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD[:100]


def test_failed_verification_deletes_the_part(server, tmp_path):
    url = server.serve("/f.bin", PAYLOAD)

    def refuse(path):
        assert path.name == "f.bin.part" and path.read_bytes() == PAYLOAD
        raise DataError("checksum mismatch")

    with pytest.raises(dl.DownloadError, match="checksum mismatch"):
        dl.download_url(url, tmp_path / "f.bin", verify=refuse, progress=False)
    assert not list(tmp_path.iterdir())


def test_progress_with_tqdm_and_plain_fallback(server, tmp_path, capsys, monkeypatch):
    url = server.serve("/data.gz", PAYLOAD)
    pytest.importorskip("tqdm")
    dl.download_url(url, tmp_path / "a", progress=True)
    assert "data.gz" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now fails
    dl.download_url(url, tmp_path / "b", progress=True)
    err = capsys.readouterr().err
    assert "data.gz: downloading 200.0 kB" in err and "data.gz: 200.0 kB done" in err
    dl.download_url(url, tmp_path / "c", progress=False)
    assert capsys.readouterr().err == ""


def test_mirrors_skip_an_unreachable_one_after_the_first_failure(server, closed_port, tmp_path):
    server.serve("/m/a", b"A")
    server.serve("/m/b", b"B")
    mirrors = dl.Mirrors([f"http://127.0.0.1:{closed_port}/", server.base + "/m/"])
    errors = []
    assert mirrors.fetch("a", tmp_path / "a", None, errors, progress=False)
    assert mirrors.fetch("b", tmp_path / "b", None, errors, progress=False)
    assert len(errors) == 1 and "cannot connect" in errors[0]  # tried once, then skipped
    assert mirrors.alive() == [server.base + "/m/"]


def test_data_dirs_order_and_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("JUANJI_DATA", str(tmp_path / "env"))
    assert dl.user_cache_dir() == tmp_path / "xdg" / "juanji"
    assert dl.data_dirs(tmp_path / "root") == [
        tmp_path / "root",
        tmp_path / "env",
        tmp_path / "xdg" / "juanji" / "datasets",
    ]
    monkeypatch.delenv("JUANJI_DATA")
    assert dl.data_dirs() == [tmp_path / "xdg" / "juanji" / "datasets"]


# ------------------------------------------------------------------ MNIST through the mirrors


def serve_mnist(server, files, prefix, compress=True):
    for name, data in files.items():
        server.serve(f"{prefix}{name}.gz", gzip.compress(data) if compress else data)


def test_mnist_downloads_into_root_and_loads(server, isolated, tmp_path, monkeypatch, helpers):
    files = helpers.fake_mnist()
    serve_mnist(server, files, "/good/")
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    monkeypatch.setattr(MNIST, "mirrors", [server.base + "/missing/", server.base + "/good/"])
    monkeypatch.setattr(MNIST, "hub_fallback", False)
    root = tmp_path / "root"
    train = MNIST(root, train=True)
    assert len(train) == 12 and train.data.shape == (12, 28, 28)
    statuses = [path for path, _ in server.state.requests]
    assert statuses[0] == "/missing/train-images-idx3-ubyte.gz"  # 404 first, then mirror 2
    assert statuses[1] == "/good/train-images-idx3-ubyte.gz"
    assert sorted(p.name for p in (root / "mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    count = len(server.state.requests)
    MNIST(root, train=True)  # found on disk now: no request
    assert len(server.state.requests) == count


def test_mnist_download_refuses_a_bad_checksum(server, isolated, tmp_path, monkeypatch, helpers):
    files = helpers.fake_mnist()
    serve_mnist(server, files, "/m/")
    table = helpers.checksums_of(files)
    table["train-labels-idx1-ubyte"] = FileChecksums("0" * 32, None)
    monkeypatch.setattr(MNIST, "checksums", table)
    monkeypatch.setattr(MNIST, "mirrors", [server.base + "/m/"])
    monkeypatch.setattr(MNIST, "hub_fallback", False)
    with pytest.raises(DataError, match="uncompressed MD5 .* expected 0{32}") as info:
        MNIST(tmp_path, train=True)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").exists()
    assert not (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz.part").exists()


def test_mnist_download_truncated_then_resumed(server, isolated, tmp_path, monkeypatch, helpers):
    files = helpers.fake_mnist(n_train=40)
    serve_mnist(server, files, "/m/")
    server.cut_after("/m/train-images-idx3-ubyte.gz", 5000, times=2)  # this call gives up
    monkeypatch.setattr(MNIST, "checksums", helpers.checksums_of(files))
    monkeypatch.setattr(MNIST, "mirrors", [server.base + "/m/"])
    monkeypatch.setattr(MNIST, "hub_fallback", False)
    with pytest.raises(DataError, match="transfer cut after") as info:
        MNIST(tmp_path, train=True)
    assert "check the network" in str(info.value)
    folder = tmp_path / "mnist"
    assert (folder / "train-images-idx3-ubyte.gz.part").exists()
    assert not (folder / "train-images-idx3-ubyte.gz").exists()
    assert len(MNIST(tmp_path, train=True)) == 40  # the next run resumes the .part
    assert ("/m/train-images-idx3-ubyte.gz", "bytes=5000-") in server.state.requests


def test_fashion_mnist_download_checks_gz_md5(server, isolated, tmp_path, monkeypatch, helpers):
    files = helpers.fake_mnist(seed=3)
    packed = {name: gzip.compress(data, mtime=0) for name, data in files.items()}
    for name, data in packed.items():
        server.serve(f"/f/{name}.gz", data)
    monkeypatch.setattr(FashionMNIST, "checksums", helpers.checksums_of(files, packed, raw=False))
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.base + "/f/"])
    test = FashionMNIST(tmp_path, train=False)
    assert len(test) == 5 and (tmp_path / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()
    np.testing.assert_array_equal(
        test.targets.numpy(), np.frombuffer(files["t10k-labels-idx1-ubyte"][8:], np.uint8)
    )


def test_no_network_and_no_data_is_one_clear_line(isolated, closed_port, monkeypatch, tmp_path):
    monkeypatch.setattr(FashionMNIST, "mirrors", [f"http://127.0.0.1:{closed_port}/"])
    # Debian's archive is unreachable too: an apt-get that fails as it does offline.
    fake = tmp_path / "bin" / "apt-get"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'E: Failed to fetch: Temporary failure resolving' >&2\n"
                    "exit 100\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    with pytest.raises(DataError) as info:
        FashionMNIST(train=True)
    text = str(info.value)
    assert "\n" not in text
    assert "cannot connect" in text and "Set JUANJI_DATA" in text and "check the network" in text
    assert "apt-get download dataset-fashion-mnist failed" in text
    assert text.count("cannot connect") == 1  # the dead mirror is not retried for file 2


def test_unwritable_download_folder_is_a_data_error(isolated, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot create .* pass root= a writable folder"):
        MNIST(blocker / "sub", train=False)


def test_download_false_and_missing(isolated, tmp_path):
    with pytest.raises(DataError, match="not found in .*download=True"):
        MNIST(tmp_path, download=False)
