"""Raw HTTP for the hostile-request tests: bytes out, one parsed response back.

``http.client`` and ``urllib`` fix up what they send (one ``Host``, one ``Content-Length``, no
bare garbage); these helpers send exactly the bytes given, so the tests can send what a hostile
page or a careless script would.
"""

from __future__ import annotations

import json
import socket
import struct
import zlib
from dataclasses import dataclass, field


@dataclass
class Reply:
    """One HTTP response as read off the socket."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False  # the server closed the connection after it

    def json(self):
        return json.loads(self.body)


class MalformedReplyError(AssertionError):
    """The server's bytes are not a well-formed HTTP response."""


def read_reply(sock: socket.socket, head: bool = False) -> Reply:
    """Read one response (status line, headers, a ``Content-Length`` body) from ``sock``."""
    stream = sock.makefile("rb")
    line = stream.readline(70000)
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise MalformedReplyError(f"not an HTTP status line: {line[:200]!r}")
    headers = {}
    while True:
        header = stream.readline(70000)
        if header in (b"\r\n", b"\n"):
            break
        if not header:
            raise MalformedReplyError("the connection closed inside the headers")
        name, colon, value = header.decode("latin-1").partition(":")
        if not colon:
            raise MalformedReplyError(f"not a header line: {header[:200]!r}")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise MalformedReplyError(f"no Content-Length in {headers}")
    length = 0 if head else int(headers["content-length"])
    body = stream.read(length)
    if len(body) != length:
        raise MalformedReplyError(f"the body has {len(body)} of {length} bytes")
    closed = headers.get("connection", "").lower() == "close"
    return Reply(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, body, closed)


def exchange(port: int, data: bytes, *, end: bool = True, timeout: float = 10.0) -> Reply:
    """Send ``data`` to 127.0.0.1:``port`` (then end the sending side if ``end``), read a reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if end:
            sock.shutdown(socket.SHUT_WR)
        return read_reply(sock, head=data.startswith(b"HEAD "))


def request(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    host: str | None = None,
    length: bool = True,
) -> bytes:
    """The bytes of one HTTP/1.1 request: ``Host`` (this server unless given), the headers,
    a ``Content-Length`` when ``length`` and there is a body, then the body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length and (body or method == "POST"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` 8-bit gray pixels and holds a few of them.

    Pillow reads the size from the header without decoding: a few bytes can declare gigabytes.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (min(width, 64) + 1))  # the start of a row at most
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
