"""Request and response start lines: the first line of an HTTP/1.x message."""

from __future__ import annotations

import re
from typing import NamedTuple

from ._errors import HTTPInputError, _snippet

__all__ = [
    "RequestStartLine",
    "ResponseStartLine",
    "parse_request_start_line",
    "parse_response_start_line",
]


class RequestStartLine(NamedTuple):
    """The parsed request line: ``method``, ``path`` (the request target) and ``version``."""

    method: str
    path: str
    version: str


class ResponseStartLine(NamedTuple):
    """The parsed status line: ``version``, ``code`` and ``reason``."""

    version: str
    code: int
    reason: str


# RFC 9112 section 3: request-line = method SP request-target SP HTTP-version.
# The method is a token; the target is visible ASCII (no controls, no spaces).
_REQUEST_LINE_RE = re.compile(
    r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) (HTTP/[0-9]\.[0-9])\Z"
)
_ANY_VERSION_RE = re.compile(r"HTTP/[0-9]\.[0-9]\Z")
# RFC 9112 section 4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
# Reason: HTAB, SP, VCHAR, obs-text. A missing SP after the code is tolerated.
_STATUS_LINE_RE = re.compile(
    r"(HTTP/1\.[01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?\Z"
)

SUPPORTED_VERSIONS = ("HTTP/1.1", "HTTP/1.0")


def parse_request_start_line(line: str) -> RequestStartLine:
    """Parse a request line such as ``GET /foo HTTP/1.1``.

    Strict by RFC 9112: single spaces as separators, a token method, a
    target of visible ASCII characters and a version of ``HTTP/1.0`` or
    ``HTTP/1.1``.

    Example:
        >>> parse_request_start_line("GET /foo HTTP/1.1")
        RequestStartLine(method='GET', path='/foo', version='HTTP/1.1')

    Args:
        line: The line, without its CRLF.

    Returns:
        A `RequestStartLine`.

    Raises:
        HTTPInputError: With ``status_code`` 505 for a well-formed but
            unsupported version, else 400.
    """
    m = _REQUEST_LINE_RE.match(line)
    if m is None:
        raise HTTPInputError(f"malformed HTTP request line: {_snippet(line)}")
    method, path, version = m.groups()
    if version not in SUPPORTED_VERSIONS:
        raise HTTPInputError(
            f"unsupported HTTP version {version!r}; use HTTP/1.0 or HTTP/1.1",
            505,
        )
    return RequestStartLine(method, path, version)


def parse_response_start_line(line: str) -> ResponseStartLine:
    """Parse a status line such as ``HTTP/1.1 200 OK``.

    Example:
        >>> parse_response_start_line("HTTP/1.1 200 OK")
        ResponseStartLine(version='HTTP/1.1', code=200, reason='OK')

    Args:
        line: The line, without its CRLF.

    Returns:
        A `ResponseStartLine`; ``reason`` is ``""`` when the line has none.

    Raises:
        HTTPInputError: If the line is malformed or the version is not 1.0/1.1.
    """
    m = _STATUS_LINE_RE.match(line)
    if m is None:
        raise HTTPInputError(f"malformed HTTP status line: {_snippet(line)}")
    version, code, reason = m.groups()
    return ResponseStartLine(version, int(code), reason or "")
