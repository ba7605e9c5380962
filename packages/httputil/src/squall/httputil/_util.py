"""Small HTTP helpers: URLs, dates, hosts, query strings and status phrases."""

from __future__ import annotations

import calendar
import datetime
import email.utils
import http
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from squall.escape import parse_qs_bytes

__all__ = [
    "encode_username_password",
    "format_timestamp",
    "qs_to_qsl",
    "responses",
    "split_host_and_port",
    "url_concat",
]

# RFC 7617 section 2: neither part may hold a control character (CTL).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def encode_username_password(username: str | bytes, password: str | bytes) -> bytes:
    """Join credentials as ``username:password`` (UTF-8) for HTTP Basic authentication.

    Example:
        >>> import base64
        >>> base64.b64encode(encode_username_password("Aladdin", "open sesame"))
        b'QWxhZGRpbjpvcGVuIHNlc2FtZQ=='

    Args:
        username: The user id (str is encoded as UTF-8, bytes used as given).
        password: The password.

    Returns:
        The bytes to base64-encode into ``Authorization: Basic ...``.

    Raises:
        ValueError: ``username`` contains ``:`` (the receiver would split
            there), or either part contains a control character
            (RFC 7617 section 2 forbids both).

    Compatibility: Tornado joins any two strings; squall refuses credentials
    that the receiver could not split back as they were meant.
    """
    user = username.encode("utf-8") if isinstance(username, str) else bytes(username)
    secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    if b":" in user:
        raise ValueError("a Basic-auth username cannot contain ':' (RFC 7617 section 2)")
    for what, value in (("username", user), ("password", secret)):
        if _CONTROL_RE.search(value.decode("latin-1")):
            raise ValueError(f"the Basic-auth {what} contains a control character")
    return user + b":" + secret


responses: dict[int, str] = {s.value: s.phrase for s in http.HTTPStatus}
"""Status code -> reason phrase (``responses[404] == "Not Found"``), from `http.HTTPStatus`."""


def url_concat(
    url: str,
    args: Mapping[str, str] | Sequence[tuple[str, str]] | None,
) -> str:
    """Append query arguments to ``url``, keeping any query it already has.

    Example:
        >>> url_concat("http://example.com/foo", dict(c="d"))
        'http://example.com/foo?c=d'
        >>> url_concat("http://example.com/foo?a=b", [("c", "d"), ("c", "d2")])
        'http://example.com/foo?a=b&c=d&c=d2'

    Args:
        url: The URL to extend.
        args: A dict, a list of ``(name, value)`` pairs (for repeated names),
            or ``None`` (the URL is returned unchanged).

    Returns:
        The new URL.

    Raises:
        TypeError: If ``args`` is of another type.
    """
    if args is None:
        return url
    parts = urlparse(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if isinstance(args, Mapping):
        query.extend(args.items())
    elif isinstance(args, (list, tuple)):
        query.extend(args)
    else:
        raise TypeError(
            f"url_concat() args must be a dict, a list of pairs or None, "
            f"not {type(args).__name__}"
        )
    return urlunparse(parts._replace(query=urlencode(query)))


def format_timestamp(
    ts: float | datetime.datetime | time.struct_time | tuple[int, ...],
) -> str:
    """Format a time as an HTTP date (RFC 7231 IMF-fixdate).

    Example:
        >>> format_timestamp(1359312200)
        'Sun, 27 Jan 2013 18:43:20 GMT'

    Args:
        ts: A POSIX timestamp, a `datetime.datetime` (naive values are taken
            as UTC), or a UTC time tuple as from `time.gmtime`.

    Returns:
        The formatted date.

    Raises:
        TypeError: For any other type.
    """
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        secs: float = ts
    elif isinstance(ts, (tuple, time.struct_time)):
        secs = calendar.timegm(ts)
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is not None:
            ts = ts.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        secs = calendar.timegm(ts.utctimetuple())
    else:
        raise TypeError(f"unknown timestamp type: {type(ts).__name__}")
    return email.utils.formatdate(secs, usegmt=True)


_HOST_PORT_RE = re.compile(r"(.+):([0-9]{1,5})\Z", re.DOTALL)


def split_host_and_port(netloc: str) -> tuple[str, int | None]:
    """Split ``host:port`` into ``(host, port)``; ``port`` is ``None`` if absent.

    Example:
        >>> split_host_and_port("example.com:8080")
        ('example.com', 8080)
        >>> split_host_and_port("[::1]")
        ('[::1]', None)

    Args:
        netloc: A ``Host`` header value or URL authority (without userinfo).

    Returns:
        The host and the port as an ``int``, or ``None``.
    """
    m = _HOST_PORT_RE.match(netloc)
    if m is not None and not m.group(1).endswith(":"):
        host = m.group(1)
        if ":" not in host or host.startswith("["):
            return host, int(m.group(2))
    return netloc, None


def qs_to_qsl(qs: Mapping[str, Iterable[Any]]) -> Iterator[tuple[str, Any]]:
    """Turn a ``parse_qs``-style dict of lists into ``(name, value)`` pairs.

    Example:
        >>> list(qs_to_qsl({"a": ["1", "2"], "b": ["3"]}))
        [('a', '1'), ('a', '2'), ('b', '3')]
    """
    for name, values in qs.items():
        for value in values:
            yield name, value


def _parse_qs_bytes(qs: str | bytes) -> dict[str, list[bytes]]:
    """Parse a query string into ``{name: [raw bytes values]}``, keeping blanks.

    Values are returned as bytes (their encoding is the application's
    business); names as ``squall.escape.parse_qs_bytes`` gives them.
    """
    if isinstance(qs, str):
        # A str from the network is Latin-1 already; one built by hand may
        # hold any text, which is sent as UTF-8.
        try:
            raw = qs.encode("latin-1")
        except UnicodeEncodeError:
            raw = qs.encode("utf-8")
        return parse_qs_bytes(raw, keep_blank_values=True)
    return parse_qs_bytes(qs, keep_blank_values=True)
