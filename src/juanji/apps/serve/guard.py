"""What a request must show before ``juanji serve`` does anything for it.

The page listens on this machine, but the browser that shows it also runs every other site the
user visits, and any of them can send requests to ``127.0.0.1``. The checks, in the order the
server applies them (each answers a JSON error and, where a body would stay unread, closes the
connection):

* ``check_host``: the ``Host`` header must name the server as it was started (``127.0.0.1``,
  ``localhost``, ``[::1]`` or the ``--host`` given, with the server's port), else 421. A page
  reached through a DNS name that an attacker points at 127.0.0.1 (DNS rebinding) sends its
  own name here. When the server listens on every address (``0.0.0.0``, ``::``) a bare IP
  address is accepted too: rebinding needs a name, never an address.
* ``check_origin`` (every request but a GET or HEAD of the page's own files): an ``Origin``
  header must be this server's own (``http://`` one of the accepted hosts); without one,
  ``Sec-Fetch-Site`` (sent by current browsers) must be ``same-origin`` or ``none``; a request
  with neither comes from a script such as curl, not from a page, and passes. Else 403 (a GET
  from another site could not read the answer, but it would make the server work).
* ``check_type``: a body's ``Content-Type`` must be what the route reads (``application/json``,
  or ``image/png``/``image/jpeg`` for a drawing), else 415: the types a cross-site form can
  send without asking first (``text/plain``, form encodings) are never read.
* ``body_length``: one ``Content-Length`` of digits only; ``Transfer-Encoding`` (chunked) is
  refused with 411 and a second ``Content-Length`` with 400, so no body is read as empty or as
  the start of the next request.
* ``json_depth``: the nesting of a parsed JSON body (the API's settings nest 3 deep).
"""

from __future__ import annotations

import ipaddress
import re
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from juanji.apps.serve.model import RequestError

__all__ = ["allowed_hosts", "check_host", "check_origin", "check_type", "body_length",
           "json_depth", "single", "MAX_JSON_DEPTH"]  # fmt: skip

MAX_JSON_DEPTH = 8
_WILDCARDS = ("", "0.0.0.0", "::")
_DIGITS = re.compile(r"[0-9]{1,18}")


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values (lower case, with the port) a server on ``host:port`` answers."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in _WILDCARDS:
        names.add(f"[{host.lower()}]" if ":" in host else host.lower())
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:  # a browser leaves the default port out
        hosts |= names
    return frozenset(hosts)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


def check_host(value: str | None, hosts: frozenset[str], host: str, port: int) -> None:
    """Refuse (421) a ``Host`` header that does not name this server.

    Raises:
        RequestError: no ``Host`` (400) or another name (421).
    """
    if value is None:
        raise RequestError("the request has no Host header (HTTP/1.1 requires one)")
    name = value.strip().lower()
    if name in hosts:
        return
    if host in _WILDCARDS:  # listening everywhere: any address of this machine, by number
        bare, _, given = name.rpartition(":")
        if _is_address(bare) and given == str(port):
            return
    raise RequestError(
        f"this server answers to {', '.join(sorted(hosts))}, not to Host {value[:100]!r}", 421
    )


def check_origin(origin: str | None, fetch_site: str | None, hosts: frozenset[str]) -> None:
    """Refuse (403) a state-changing request that another site's page sent.

    Raises:
        RequestError: an ``Origin`` other than this server's, or (without one) a
            ``Sec-Fetch-Site`` other than ``same-origin``/``none``.
    """
    if origin is not None:
        parts = urlsplit(origin.strip().lower())
        if parts.scheme == "http" and parts.netloc in hosts and parts.path in ("", "/"):
            return
        raise RequestError(
            f"requests from another site's page are refused (Origin {origin[:100]!r})", 403
        )
    if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
        raise RequestError(
            f"requests from another site's page are refused (Sec-Fetch-Site {fetch_site[:40]!r})",
            403,
        )


def check_type(value: str | None, accepted: tuple[str, ...]) -> None:
    """Refuse (415) a body whose ``Content-Type`` is not one of ``accepted`` (parameters aside).

    Raises:
        RequestError: a missing or other type.
    """
    kind = (value or "").split(";", 1)[0].strip().lower()
    if kind not in accepted:
        shown = repr(value[:60]) if value else "none"
        raise RequestError(
            f"the body's Content-Type must be {' or '.join(accepted)}, got {shown}", 415
        )


def body_length(headers: Message) -> int:
    """The body's length from one well-formed ``Content-Length`` (0 when there is none).

    Raises:
        RequestError: ``Transfer-Encoding`` (411), several or malformed ``Content-Length``
            headers (400).
    """
    if headers.get_all("Transfer-Encoding"):
        raise RequestError(
            "Transfer-Encoding (chunked bodies) is not accepted; send a Content-Length", 411
        )
    lengths = headers.get_all("Content-Length") or []
    if len(lengths) > 1:
        raise RequestError(f"the request has {len(lengths)} Content-Length headers; send one")
    if not lengths:
        return 0
    text = lengths[0].strip()
    if not _DIGITS.fullmatch(text):
        raise RequestError(f"the Content-Length {lengths[0][:40]!r} is not a number of bytes")
    return int(text)


def single(headers: Message, name: str) -> str | None:
    """The one value of header ``name`` (None without it).

    Raises:
        RequestError: (400) the header is given more than once.
    """
    values = headers.get_all(name) or []
    if len(values) > 1:
        raise RequestError(f"the request has {len(values)} {name} headers; send one")
    return values[0] if values else None


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
