"""State numbers, shared grammar and the fields of `HTTP1Codec` (see ``_codec.py``)."""

from __future__ import annotations

import re

__all__: list[str] = []

# Receive states.
_HEAD = 0
_BODY_LENGTH = 1
_CHUNK_SIZE = 2
_CHUNK_DATA = 3
_CHUNK_CRLF = 4
_TRAILERS = 5
_BODY_UNTIL_CLOSE = 6
_DONE = 7
_ERROR = 8
_CLOSED = 9
_SWITCHED = 10

# Send framings.
_OUT_IDLE = 0
_OUT_NONE = 1  # no body allowed (HEAD, 1xx, 204, 304, bodiless request)
_OUT_LENGTH = 2
_OUT_CHUNKED = 3
_OUT_UNTIL_CLOSE = 4
_OUT_DONE = 5

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# In a head decoded as Latin-1: controls other than HTAB, CR and LF. (A CR
# or LF outside a CRLF pair is caught by counting, see _bad_control.)
_CTL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Content-Length: 1*DIGIT, ASCII only, no sign, no leading zero, bounded so
# that no big-int parse ever happens (RFC 9110 section 8.6).
_CONTENT_LENGTH_RE = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
_NO_BODY_STATUSES = frozenset((204, 304))


class _CodecFields:
    """The state of one `HTTP1Codec`, shared by its receiving and sending halves."""

    __slots__ = (
        "role",
        "max_start_line_size",
        "max_header_size",
        "max_header_count",
        "max_body_size",
        "allow_repeated_content_length",
        "keep_alive",
        "their_http_version",
        "_buf",
        "_search_from",
        "_state",
        "_remaining",
        "_body_size",
        "_body_checked",
        "_eof",
        "_request_method",
        "_out",
        "_out_remaining",
        "_request_keep_alive",
        "_request_version",
        "_pending_end",
        "_start_ok",
    )

    role: str
    max_start_line_size: int
    max_header_size: int
    max_header_count: int
    max_body_size: int
    allow_repeated_content_length: bool
    keep_alive: bool
    their_http_version: str | None
    _buf: bytearray
    _search_from: int
    _state: int
    _remaining: int
    _body_size: int
    _body_checked: bool
    _eof: bool
    _request_method: str | None
    _out: int
    _out_remaining: int
    _request_keep_alive: bool
    _request_version: str
    _pending_end: bool
    _start_ok: bool
