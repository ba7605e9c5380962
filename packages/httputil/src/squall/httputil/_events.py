"""The events of the sans-IO HTTP/1.1 codec (see `squall.httputil.HTTP1Codec`).

Events are NamedTuples rather than frozen dataclasses: they are immutable,
compare by value and cost a single tuple allocation, which matters on the
server's hot path. The codec builds them only from input it has already
validated, so every event is valid by construction.
"""

from __future__ import annotations

from typing import NamedTuple

from ._headers import HTTPHeaders
from ._startline import RequestStartLine, ResponseStartLine

__all__ = [
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "NEED_DATA",
    "PAUSED",
    "RequestHead",
    "ResponseHead",
]


class RequestHead(NamedTuple):
    """A request's start line and header fields (server role).

    Attributes:
        start_line: The parsed request line.
        headers: The header fields (never the trailers).
        keep_alive: Whether the client allows the connection to be reused
            after this exchange (HTTP/1.1 without ``Connection: close``, or
            HTTP/1.0 with ``Connection: keep-alive``).
        expect_continue: The request carries ``Expect: 100-continue``: send
            ``100 Continue`` before reading the body.
    """

    start_line: RequestStartLine
    headers: HTTPHeaders
    keep_alive: bool
    expect_continue: bool


class ResponseHead(NamedTuple):
    """A response's status line and header fields (client role).

    A client may see several: ``1xx`` informational heads come before the
    final one.

    Attributes:
        start_line: The parsed status line.
        headers: The header fields.
        keep_alive: Whether the connection may be reused after this response.
    """

    start_line: ResponseStartLine
    headers: HTTPHeaders
    keep_alive: bool


class Data(NamedTuple):
    """A piece of the message body, already de-chunked."""

    data: bytes


class EndOfMessage(NamedTuple):
    """The message is complete.

    Attributes:
        trailers: The trailer fields of a chunked body, or ``None``. They
            are never merged into the head's headers.
    """

    trailers: HTTPHeaders | None = None


class ConnectionClosed(NamedTuple):
    """The peer closed the connection cleanly between messages."""


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA = _Sentinel("NEED_DATA")
"""Returned by `HTTP1Codec.next_event` when more bytes are needed."""

PAUSED = _Sentinel("PAUSED")
"""Returned by `HTTP1Codec.next_event` when a message is complete and the
codec waits for `HTTP1Codec.start_next_cycle` (or after a protocol switch)."""

Event = RequestHead | ResponseHead | Data | EndOfMessage | ConnectionClosed
