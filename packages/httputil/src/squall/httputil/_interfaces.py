"""The delegate interfaces between an HTTP connection and the code it serves.

How this works: a server owns one *connection* per socket. For each request
it calls ``HTTPServerConnectionDelegate.start_request`` to get an
``HTTPMessageDelegate``, then feeds that delegate ``headers_received``,
``data_received`` (zero or more times) and ``finish``, or
``on_connection_close`` if the peer went away first. The delegate answers
through the ``HTTPConnection`` it was given (``write_headers``, ``write``,
``finish``). A client uses the same ``HTTPMessageDelegate`` for responses.

If ``headers_received`` or ``data_received`` returns an awaitable, the
connection reads nothing more until it completes: that is the flow control
for streaming bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ._errors import HTTPOutputError
from ._headerblock import HeaderBlock
from ._headers import HTTPHeaders
from ._startline import RequestStartLine, ResponseStartLine

__all__ = ["HTTPConnection", "HTTPMessageDelegate", "HTTPServerConnectionDelegate"]


class HTTPMessageDelegate:
    """Receives one HTTP message (a request on a server, a response on a client).

    Subclass it and override what you need; every method has a no-op default.
    """

    __slots__ = ()

    def headers_received(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
    ) -> Awaitable[None] | None:
        """Called when the start line and headers have been read.

        Args:
            start_line: A `RequestStartLine` on a server, a
                `ResponseStartLine` on a client.
            headers: The message's header fields.

        Returns:
            ``None``, or an awaitable; the connection reads no body until it
            completes.
        """
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Called with each piece of the body (already de-chunked).

        Returns:
            ``None``, or an awaitable; the connection reads nothing more until
            it completes.
        """
        return None

    def finish(self) -> None:
        """Called when the whole message has been received."""

    def on_connection_close(self) -> None:
        """Called if the connection closed before the message was complete."""


class HTTPServerConnectionDelegate:
    """Creates an `HTTPMessageDelegate` for each request on a server connection.

    `start_request` must be overridden.
    """

    __slots__ = ()

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Called when a new request starts on a connection.

        Args:
            server_conn: An opaque object identifying the client connection
                (the same for every request on one socket).
            request_conn: The `HTTPConnection` to answer this request on.

        Returns:
            The `HTTPMessageDelegate` that will receive the request.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement start_request()"
        )

    def on_close(self, server_conn: object) -> None:
        """Called when a client connection has closed.

        Args:
            server_conn: The object that was passed to `start_request`.
        """


class HTTPConnectionContext:
    """Facts about the client connection, available as ``HTTPConnection.context``.

    Attributes:
        remote_ip: The peer's IP address (``""`` for a unix socket), or the
            client's address when ``xheaders`` says so.
        protocol: ``"http"`` or ``"https"``.
        address: The peer's socket address as returned by ``getpeername``.
        sockname: The local socket address the connection arrived on, as
            returned by ``getsockname`` (e.g. ``("127.0.0.1", 8888)``, or
            the path of a unix socket); ``None`` if unknown.
        trusted_downstream: Proxy addresses skipped in ``X-Forwarded-For``.
    """

    __slots__ = ("remote_ip", "protocol", "address", "trusted_downstream", "sockname")

    def __init__(
        self,
        remote_ip: str = "",
        protocol: str = "http",
        address: Any = None,
        trusted_downstream: frozenset[str] = frozenset(),
        sockname: Any = None,
    ) -> None:
        self.remote_ip = remote_ip
        self.protocol = protocol
        self.address = address
        self.trusted_downstream = trusted_downstream
        self.sockname = sockname

    def __str__(self) -> str:
        return self.remote_ip or "unix-socket"


class HTTPConnection:
    """The write side of one HTTP message exchange.

    A server passes one to `HTTPServerConnectionDelegate.start_request` for
    each request; the application writes its response through it.
    Implementations override every method.

    Once the client has gone away (the connection is closed, or closing
    after a failed write), `write_headers` and `write` return a future that
    has already failed with ``squall.iostream.StreamClosedError``: a
    streaming loop that awaits each write stops at once.

    Attributes:
        context: An `HTTPConnectionContext` (``remote_ip``, ``protocol``,
            ``address``, ``sockname``).
    """

    __slots__ = ()

    context: HTTPConnectionContext

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        """Write the start line and headers, and optionally the first body chunk.

        Returns:
            A future that resolves when the data has been handed to the
            network (when the write buffer has drained below its limit); it
            fails with ``squall.iostream.StreamClosedError`` if the
            connection is closed or closing.

        Raises:
            HTTPOutputError: If the headers are invalid or were already written.
        """
        raise NotImplementedError()

    def write_headers_with_block(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        block: HeaderBlock,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        """Like `write_headers`, plus header fields validated ahead of time.

        ``block`` holds fields that were checked and encoded once when the
        `HeaderBlock` was built (typically the constant part of a
        framework's default response head); a connection may append its
        bytes to the head verbatim, after ``headers``, without checking them
        again. ``headers`` holds everything else, including every field
        that decides the framing (``Content-Length``,
        ``Transfer-Encoding``, ``Connection``, which a block cannot hold),
        and is checked as usual. A field name present in both is an error.

        This default implementation merges the block into a copy of
        ``headers`` and calls `write_headers`, so it works on every
        connection; `squall.httpserver`'s connections override it to skip
        the second check.

        Returns:
            As `write_headers`.

        Raises:
            HTTPOutputError: If a field is in both ``headers`` and
                ``block``, or as `write_headers`.
        """
        overlap = block.names.intersection(headers)
        if overlap:
            raise HTTPOutputError(
                "header fields given both in the headers and in the HeaderBlock: "
                f"{', '.join(sorted(overlap))}; send each once"
            )
        merged = HTTPHeaders(headers)
        for name, value in block:
            merged.add(name, value)
        return self.write_headers(start_line, merged, chunk)

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        """Write a piece of the body.

        Returns:
            A future that resolves when the data has been handed to the
            network; it fails with ``squall.iostream.StreamClosedError`` if
            the connection is closed or closing.

        Raises:
            HTTPOutputError: If the body would exceed its ``Content-Length``
                or the message is already finished.
        """
        raise NotImplementedError()

    def finish(self) -> None:
        """Mark the end of the message.

        Raises:
            HTTPOutputError: If fewer bytes than ``Content-Length`` were written.
        """
        raise NotImplementedError()

    def close(self) -> None:
        """Abort the connection now, cutting the current message short.

        For an error after the head went out: the peer sees an incomplete
        message (and a reset), never a well-formed end. Bytes not yet handed
        to the network are dropped, and no close callback or
        ``on_connection_close`` runs for this message. Does nothing if the
        connection is already closed.
        """
        raise NotImplementedError()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Run ``callback`` (once) when the connection closes. ``None`` clears it."""
        raise NotImplementedError()

    def set_max_body_size(self, max_body_size: int) -> None:
        """Override the server's ``max_body_size`` for this request's body."""
        raise NotImplementedError()

    def set_body_timeout(self, timeout: float) -> None:
        """Override the server's ``body_timeout`` (seconds) for this request."""
        raise NotImplementedError()
