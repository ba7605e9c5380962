"""One HTTP/1.1 server connection: an asyncio.Protocol driving an HTTP1Codec.

How this works: the protocol feeds every byte it reads to the connection's
`HTTP1Codec` and turns the codec's events into calls on the application's
`HTTPMessageDelegate` (``headers_received``, ``data_received``, ``finish``).
The application answers through a `_RequestConnection` (one per request),
whose writes go through the codec's serializer straight to
``transport.writelines``. Only one request is handled at a time: pipelined
bytes wait in the codec's buffer (reading pauses when it grows past
``max_buffer_size``) until the response to the current request is complete.

Phases and their deadlines (checked once in a while by the server's sweeper,
so the hot path only stores a number):

- IDLE: between requests; ``idle_connection_timeout``.
- HEAD: part of a request head has arrived; ``header_timeout``.
- BODY: reading the body; ``body_timeout``.
- APP: the application is producing the response; no deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from squall.httputil import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    HTTP1Codec,
    HTTPConnection,
    HTTPConnectionContext,
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPOutputError,
    HTTPServerRequest,
    HeaderBlock,
    RequestHead,
    RequestStartLine,
    ResponseStartLine,
    responses,
)
from squall.iostream import StreamClosedError

from ._xheaders import apply_xheaders

if TYPE_CHECKING:
    from ._server import HTTPServer, _Params

__all__: list[str] = []

gen_log = logging.getLogger("squall.general")
app_log = logging.getLogger("squall.application")
access_log = logging.getLogger("squall.access")

_IDLE = 0
_HEAD = 1
_BODY = 2
_APP = 3
_PHASE_NAMES = ("idle", "header", "body", "app")
_INF = float("inf")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Responses whose first body chunk is at most this size go out as one joined
# buffer in one transport.write; larger ones through writelines (no copy).
_JOIN_LIMIT = 16384


def _log_callback_failure(future: asyncio.Future[Any]) -> None:
    """Log the failure of a coroutine started by a plain request callback."""
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        app_log.error(
            "uncaught exception in request callback",
            exc_info=(type(error), error, error.__traceback__),
        )


def _error_response(code: int) -> bytes:
    reason = responses.get(code, "Error")
    body = f"{code} {reason}\n".encode()
    return (
        f"HTTP/1.1 {code} {reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1") + body


class _RequestConnection(HTTPConnection):
    """The `HTTPConnection` given to the application for one request.

    It forwards to the protocol while its request is the current one; after
    the response is finished further calls are mistakes and raise.
    """

    __slots__ = (
        "_proto",
        "context",
        "started",
        "finished",
        "raw",
        "close_callback",
    )

    def __init__(self, proto: HTTP1ServerProtocol, context: HTTPConnectionContext) -> None:
        self._proto = proto
        self.context = context
        self.started = False
        self.finished = False
        self.raw = False
        self.close_callback: Callable[[], None] | None = None

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
        *,
        block: HeaderBlock | None = None,
    ) -> asyncio.Future[None]:
        """Write the response head (and optionally a first body chunk).

        ``block`` is a `HeaderBlock` sent verbatim after ``headers`` (see
        `write_headers_with_block`).

        Raises:
            HTTPOutputError: On invalid headers, or if called twice.
        """
        if self.started or self.finished:
            raise HTTPOutputError("write_headers() called twice for one response")
        # The hot path of every response, kept in one frame.
        proto = self._proto
        if self is not proto._request or proto._closed:
            return proto._write_future()
        codec = proto._codec
        if proto._closing:
            codec.keep_alive = False
        parts = codec.send_head(start_line, headers, date=proto._server._date, block=block)
        # (Annotated, not typing.cast: cast is a function call per response.)
        transport: asyncio.Transport = proto._transport  # type: ignore[assignment]
        # (send_head accepted it: a server's start line is a ResponseStartLine.)
        if start_line[1] < 200:  # type: ignore[operator]
            # Informational: the final head is still to come.
            transport.write(parts[0])
            return proto._write_future()
        self.started = True
        if chunk:
            parts += codec.send_data(chunk)
            if len(chunk) <= _JOIN_LIMIT:
                # One write of one small buffer beats writelines' bookkeeping.
                transport.write(b"".join(parts))
            else:
                transport.writelines(parts)
        else:
            transport.write(parts[0])
        done = proto._done_future
        if done is not None and not proto._write_paused and not transport.is_closing():
            return done
        return proto._write_future()

    def write_headers_with_block(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        block: HeaderBlock,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        """Write the response head with a pre-validated `HeaderBlock`.

        The block's bytes go into the head as they are (its fields were
        checked when it was built); ``headers`` are checked as usual and
        decide the framing. See `HTTPConnection.write_headers_with_block`.

        Raises:
            HTTPOutputError: On invalid headers, a field in both ``headers``
                and ``block``, or if called twice.
        """
        return self.write_headers(start_line, headers, chunk, block=block)

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        """Write a piece of the response body.

        Before any `write_headers`, the bytes are sent as they are (the raw,
        legacy style in which the callback writes the status line and
        headers itself); the connection then closes after `finish`.
        """
        if self.finished:
            raise HTTPOutputError("write() after finish()")
        return self._proto._write_body(self, chunk)

    def finish(self) -> None:
        """Finish the response.

        Raises:
            HTTPOutputError: If fewer bytes than ``Content-Length`` were written.
        """
        if self.finished:
            raise HTTPOutputError("finish() called twice")
        proto = self._proto
        if not self.started or self.raw or self is not proto._request or proto._closed:
            proto._finish_response(self)
            return
        # The common case in one frame: a response whose head was written.
        self.finished = True
        self.close_callback = None
        codec = proto._codec
        try:
            parts = codec.send_end()
        except HTTPOutputError:
            proto._close()
            raise
        if parts:
            proto._transport.writelines(parts)  # type: ignore[union-attr]
        if proto._request_done:
            if not codec.keep_alive or proto._closing or proto._write_paused or proto._eof:
                proto._next_cycle()
                return
            # _next_cycle's commonest case, inlined: keep-alive, the client
            # keeps up with the answers and sent nothing more yet.
            proto._request = None
            proto._delegate = None
            buffered = codec.start_next_cycle()
            if buffered or proto._reading_paused:
                proto._next_request(buffered)
                return
            params = proto._params
            proto._max_body_size = codec.max_body_size = params.max_body_size
            proto._body_timeout = params.body_timeout
            proto._phase = _IDLE
            proto._deadline = proto._server._now + params.idle_connection_timeout
            proto._ready = True
        else:
            # Answered before the body was read: the rest of the body cannot
            # be told apart from a next request, so close once the data is out.
            proto._close()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Run ``callback`` once if the connection closes before the response ends."""
        self.close_callback = callback

    def detach(self) -> tuple[asyncio.Transport, bytes]:
        """Take the connection away from the HTTP server (for WebSockets and the like).

        The server stops parsing HTTP on this connection and forgets it: no
        keep-alive, no timeouts, no close callback, no ``on_close``, and it
        no longer counts for ``max_connections`` or for
        ``close_all_connections``, which neither waits for it nor closes it.
        It works before any response was written and after an informational
        head such as ``write_headers(ResponseStartLine("HTTP/1.1", 101, ...))``.

        The caller must install its own protocol with
        ``transport.set_protocol(...)`` before it returns to the event loop;
        bytes that reach the server's protocol after ``detach`` (which only
        happens when that was not done) are logged and the connection is
        aborted, never silently dropped.

        Returns:
            ``(transport, leftover)``: the connection's transport and the
            bytes already read past the request head (pipelined data, the
            first frames of the new protocol, or an unread request body,
            exactly as received).

        Raises:
            HTTPOutputError: If the response was already started or
                finished, the request body is still being read, or the
                connection is closed.
        """
        if self.started or self.finished:
            raise HTTPOutputError(
                "detach() after the final response head was written; detach "
                "before it, or after an informational (1xx) head only"
            )
        return self._proto._detach(self)

    def close(self) -> None:
        """Abort the connection now, cutting the response short.

        For an error that happens after the response head went out: the
        client sees a reset and an incomplete response (no final chunk, or
        fewer bytes than ``Content-Length``), never a well-formed end.
        Bytes not yet handed to the network are dropped. No close callback
        or ``on_connection_close`` runs for this request (the application
        asked for it). Does nothing if the connection is already closed.
        """
        self.finished = True
        self.close_callback = None
        self._proto._abort_request(self)

    def set_max_body_size(self, max_body_size: int) -> None:
        """Set this request's ``max_body_size`` (call before the body is read)."""
        if self._proto._request is self:
            self._proto._codec.max_body_size = max_body_size
            self._proto._max_body_size = max_body_size

    def set_body_timeout(self, timeout: float) -> None:
        """Set this request's ``body_timeout`` in seconds."""
        proto = self._proto
        if proto._request is self:
            proto._body_timeout = timeout
            if proto._phase == _BODY:
                proto._deadline = proto._loop.time() + timeout


class HTTP1ServerProtocol(asyncio.Protocol):
    """Serves HTTP/1.1 on one client connection (created by `HTTPServer`)."""

    # Slots: an idle keep-alive connection is mostly this object, and a
    # server may hold ten thousand of them.
    __slots__ = (
        "__weakref__",
        "_server",
        "_params",
        "_scheme",
        "_loop",
        "_transport",
        "_codec",
        "_context",
        "_request",
        "_delegate",
        "_blocked",
        "_in_process",
        "_request_done",
        "_continue_pending",
        "_pending",
        "_reading_paused",
        "_write_paused",
        "_write_blocked",
        "_drain_waiters",
        "_done_future",
        "_closed",
        "_closing",
        "_detached",
        "_eof",
        "_phase",
        "_deadline",
        "_max_body_size",
        "_body_timeout",
        "_ready",
        "_callback",
    )

    def __init__(self, server: HTTPServer, params: _Params, protocol: str) -> None:
        self._server = server
        self._params = params
        self._scheme = protocol
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._codec = HTTP1Codec(
            "server",
            max_header_size=params.max_header_size,
            max_header_count=params.max_header_count,
            max_body_size=params.max_body_size,
            allow_repeated_content_length=params.allow_repeated_content_length,
        )
        if params.no_keep_alive:
            self._codec.keep_alive = False
        self._context = HTTPConnectionContext()
        self._request: _RequestConnection | None = None
        self._delegate: HTTPMessageDelegate | None = None
        self._blocked = False
        self._in_process = False
        self._request_done = False
        self._continue_pending = False
        self._pending: bytes | None = None
        self._reading_paused = False
        self._write_paused = False
        # Between requests while the transport is paused for writing: no
        # next request is taken until resume_writing (a pipelining client
        # that never reads must not make answers pile up in memory).
        self._write_blocked = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._done_future: asyncio.Future[None] | None = None
        self._closed = False
        self._closing = False
        # Detached (handed over by detach(), or refused by the connection
        # cap): the server no longer tracks this connection.
        self._detached = False
        self._eof = False
        self._phase = _HEAD
        self._deadline = _INF
        self._max_body_size = params.max_body_size
        self._body_timeout = params.body_timeout
        # Idle with nothing buffered: the next bytes may take the fast path
        # (HTTP1Codec.receive_request) in data_received.
        self._ready = False
        # A plain callback(request) server: complete bodiless requests go
        # straight to it (see _serve_callback).
        self._callback = None if params.decompress_request else server._callback

    # -- asyncio.Protocol ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's are not subclasses of asyncio.Transport.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        if not self._server._admit(self):
            self._closed = self._detached = True
            transport.abort()
            return
        address = transport.get_extra_info("peername")
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            remote_ip = address[0]
        else:
            remote_ip = "0.0.0.0"
        self._context = HTTPConnectionContext(
            remote_ip,
            self._scheme,
            address,
            self._params.trusted_downstream,
            transport.get_extra_info("sockname"),
        )
        self._deadline = self._loop.time() + self._params.header_timeout
        self._ready = True

    def data_received(self, data: bytes) -> None:
        if self._ready:
            # The common case, kept flat: the connection waits for a request
            # and nothing is buffered, so the codec can parse a whole head
            # straight from ``data``.
            self._ready = False
            codec = self._codec
            try:
                head = codec.receive_request(data)
            except HTTPInputError as e:
                self._bad_input(e)
                return
            if head is None:  # a partial head (or one the slow parser must judge)
                if self._phase == _IDLE:
                    self._phase = _HEAD
                    self._deadline = self._server._now + self._params.header_timeout
                self._process()
                return
            callback = self._callback
            if callback is not None and codec.take_end():
                self._serve_callback(callback, head)
                return
            self._on_head(head)
            if self._blocked or self._closed:
                return
            if codec.take_end():
                self._on_end()
            else:
                self._process()  # the body (and a 100 Continue)
            return
        if self._detached:
            self._late_data()
            return
        codec = self._codec
        codec.receive_data(data)
        if self._phase == _IDLE and not self._write_blocked:
            self._phase = _HEAD
            self._deadline = self._server._now + self._params.header_timeout
        if self._blocked or (self._request is not None and self._request_done):
            if codec.buffered_size > self._params.max_buffer_size and not self._reading_paused:
                self._reading_paused = True
                self._transport.pause_reading()  # type: ignore[union-attr]
            return
        self._process()

    def eof_received(self) -> bool:
        if self._detached:
            return False
        self._eof = True
        # Like Tornado, a client that shuts down its sending side is taken to
        # have gone away: requests already complete in the buffer are still
        # answered if that happens synchronously, then the connection closes
        # and an application still working gets on_connection_close.
        self._codec.receive_eof()
        if not self._blocked and self._request is None:
            self._process()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._detached:
            return
        self._server._connection_lost(self)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_exception(StreamClosedError(real_error=exc))
                waiter.exception()  # nobody may be awaiting: mark it retrieved
        self._drain_waiters.clear()
        request = self._request
        if request is not None and not request.finished:
            callback = request.close_callback
            request.close_callback = None
            if callback is not None:
                self._call_safely(callback)
            delegate = self._delegate
            if delegate is not None:
                self._call_safely(delegate.on_connection_close)
        self._request = None
        self._delegate = None
        on_close = getattr(self._server._delegate, "on_close", None)
        if on_close is not None:
            self._call_safely(on_close, self)

    def pause_writing(self) -> None:
        self._write_paused = True
        if self._request is None and not self._closed:
            # Between requests: take no new one until resume_writing (see
            # _next_cycle for the case of a request in progress).
            self._blocked = self._write_blocked = True
            self._ready = False

    def resume_writing(self) -> None:
        self._write_paused = False
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        if self._write_blocked:
            # The client read enough of the earlier answers: take the next
            # pipelined request.
            self._write_blocked = self._blocked = False
            if not self._closed:
                if self._codec.buffered_size:
                    self._phase = _HEAD
                    self._deadline = self._loop.time() + self._params.header_timeout
                elif not self._eof and not self._reading_paused:
                    self._ready = True
                    return
                self._process()

    # -- reading -----------------------------------------------------------

    def _process(self) -> None:
        """Turn buffered bytes into delegate calls until blocked or out of data."""
        if self._in_process or self._closed:
            return
        self._in_process = True
        codec = self._codec
        try:
            while not self._blocked and not self._closed:
                if self._pending is not None:
                    self._deliver(self._pending)
                    continue
                try:
                    event = codec.next_event()
                except HTTPInputError as e:
                    # e.g. a declared Content-Length over max_body_size: 413
                    # before any 100 Continue, so the client never sends it.
                    self._bad_input(e)
                    return
                if self._continue_pending:
                    # The delegate wants the body and the codec accepted its
                    # framing: invite the client to send it (RFC 9110 10.1.1).
                    self._continue_pending = False
                    if event is NEED_DATA and self._request is not None and not self._request.started:
                        self._transport.write(_CONTINUE)  # type: ignore[union-attr]
                cls = event.__class__
                if cls is Data:
                    self._deliver(event.data)  # type: ignore[union-attr]
                elif cls is RequestHead:
                    self._on_head(event)  # type: ignore[arg-type]
                    if not self._blocked and codec.take_end():
                        self._on_end()
                        if (
                            self._request is None
                            and not codec.buffered_size
                            and not self._reading_paused
                            and not self._eof
                        ):
                            return  # answered and nothing more buffered
                elif cls is EndOfMessage:
                    self._on_end()
                elif event is NEED_DATA:
                    if self._reading_paused:
                        self._reading_paused = False
                        self._transport.resume_reading()  # type: ignore[union-attr]
                    return
                elif event is PAUSED:
                    return
                elif cls is ConnectionClosed:
                    self._close()
                    return
        finally:
            self._in_process = False

    def _on_head(self, head: RequestHead) -> None:
        codec = self._codec
        params = self._params
        reading_body = codec.reading_body
        if reading_body:
            self._phase = _BODY
            self._deadline = self._loop.time() + self._body_timeout
        else:
            self._phase = _APP
            self._deadline = _INF
        context = self._context
        if params.xheaders:
            context = apply_xheaders(context, head.headers)
        request = _RequestConnection(self, context)
        self._request = request
        self._request_done = False
        if self._closing:
            codec.keep_alive = False
        try:
            delegate = self._server._delegate.start_request(self, request)
            if params.decompress_request and "Content-Encoding" in head.headers:
                from ._gzip import GzipDecompressingDelegate, is_gzip

                if is_gzip(head.headers):
                    delegate = GzipDecompressingDelegate(
                        delegate, params.chunk_size, lambda: self._max_body_size
                    )
            self._delegate = delegate
            result = delegate.headers_received(head.start_line, head.headers)
        except Exception as e:
            self._app_error(e)
            return
        self._continue_pending = head.expect_continue and reading_body
        if result is not None:
            self._block(result)

    def _serve_callback(
        self, callback: Callable[[HTTPServerRequest], Any], head: RequestHead
    ) -> None:
        """Hand a complete bodiless request to a plain ``callback(request)``.

        What `_on_head` and `_on_end` do through the server's callable
        adapter, without it: the request is already complete.
        """
        self._phase = _APP
        self._deadline = _INF
        context = self._context
        headers = head.headers
        if self._params.xheaders:
            context = apply_xheaders(context, headers)
        request = _RequestConnection(self, context)
        self._request = request
        self._delegate = None
        self._request_done = True
        if self._closing:
            self._codec.keep_alive = False
        try:
            server_request = HTTPServerRequest._for_server(headers, head.start_line, request, self)
            d = headers._dict
            if "Content-Type" in d or "Content-Encoding" in d:
                server_request._parse_body()  # an HTTPInputError here becomes a 400
            result = callback(server_request)
        except HTTPInputError as e:
            self._bad_input(e)
            return
        except Exception as e:
            self._app_error(e)
            return
        if result is not None and inspect.isawaitable(result):
            future = asyncio.ensure_future(result)
            future.add_done_callback(_log_callback_failure)

    def _deliver(self, data: bytes) -> None:
        """Pass body data to the delegate in pieces of at most ``chunk_size``."""
        self._pending = None
        size = self._params.chunk_size
        delegate = self._delegate
        if delegate is None or self._request is None or self._request.finished:
            return  # the response is done; the rest of the body is dropped
        while data:
            piece, data = (data[:size], data[size:]) if len(data) > size else (data, b"")
            try:
                result = delegate.data_received(piece)
            except HTTPInputError as e:
                self._bad_input(e)
                return
            except Exception as e:
                self._app_error(e)
                return
            if result is not None:
                if data:
                    self._pending = data
                self._block(result)
                return

    def _on_end(self) -> None:
        self._request_done = True
        self._phase = _APP
        self._deadline = _INF
        request = self._request
        delegate = self._delegate
        if request is None or delegate is None:
            return
        if not request.finished:
            try:
                delegate.finish()
            except HTTPInputError as e:
                self._bad_input(e)
                return
            except Exception as e:
                self._app_error(e)
                return
        if request.finished and self._request is request:
            self._next_cycle()

    def _block(self, awaitable: Awaitable[None]) -> None:
        self._blocked = True
        if self._phase == _BODY:
            self._deadline = _INF  # waiting for the application, not the client
        future = asyncio.ensure_future(awaitable)
        future.add_done_callback(self._unblock)

    def _unblock(self, future: asyncio.Future[None]) -> None:
        self._blocked = False
        if self._closed:
            return
        if future.cancelled():
            self._app_error(asyncio.CancelledError())
            return
        error = future.exception()
        if error is not None:
            if isinstance(error, HTTPInputError):
                self._bad_input(error)
            else:
                self._app_error(error)
            return
        if self._phase == _BODY:
            self._deadline = self._loop.time() + self._body_timeout
        self._process()

    # -- writing -----------------------------------------------------------

    def _write_future(self) -> asyncio.Future[None]:
        """The future a write returns: done, a drain waiter, or failed if closed.

        A transport that is closing (the peer reset the connection and a
        write failed, or we closed it) gives a failed future at once:
        ``connection_lost`` may not have run yet, and a write/flush loop
        that awaited already-done futures would never yield to let it.
        """
        if self._closed or self._transport.is_closing():  # type: ignore[union-attr]
            future: asyncio.Future[None] = self._loop.create_future()
            future.set_exception(StreamClosedError())
            future.exception()  # may never be awaited: mark it retrieved
            return future
        if self._write_paused:
            future = self._loop.create_future()
            self._drain_waiters.append(future)
            return future
        done = self._done_future
        if done is None:
            done = self._done_future = self._loop.create_future()
            done.set_result(None)
        return done

    def _write_body(self, request: _RequestConnection, chunk: bytes) -> asyncio.Future[None]:
        transport: asyncio.Transport = self._transport  # type: ignore[assignment]
        if request is not self._request or self._closed or transport.is_closing():
            return self._write_future()
        if not request.started:
            # Legacy raw mode: the callback writes the whole response itself.
            request.started = True
            request.raw = True
            self._codec.keep_alive = False
        if request.raw:
            if chunk:
                transport.write(chunk)
            return self._write_future()
        parts = self._codec.send_data(chunk)
        if parts:
            transport.writelines(parts)
        return self._write_future()

    def _finish_response(self, request: _RequestConnection) -> None:
        if request is not self._request or self._closed:
            request.finished = True
            return
        transport: asyncio.Transport = self._transport  # type: ignore[assignment]
        codec = self._codec
        if request.raw:
            request.finished = True
            self._close()
            return
        if not request.started:
            request.write_headers(
                ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "0"})
            )
        request.finished = True
        request.close_callback = None
        try:
            parts = codec.send_end()
        except HTTPOutputError:
            self._close()
            raise
        if parts:
            transport.writelines(parts)
        if self._request_done:
            if self._request is request:
                self._next_cycle()
        else:
            # Answered before the body was read: the rest of the body cannot
            # be told apart from a next request, so close once the data is out.
            self._close()

    def _next_cycle(self) -> None:
        codec = self._codec
        self._request = None
        self._delegate = None
        if not codec.keep_alive or self._closing:
            self._close()
            return
        self._next_request(codec.start_next_cycle())

    def _next_request(self, buffered: bool) -> None:
        """Wait for the next request (``buffered``: some of it is already here)."""
        codec = self._codec
        params = self._params
        self._max_body_size = codec.max_body_size = params.max_body_size
        self._body_timeout = params.body_timeout
        if self._write_paused:
            # Back-pressure: the client is not reading what we already
            # sent. Stop parsing (data_received pauses reading once the
            # buffer passes max_buffer_size) until resume_writing. The
            # client is idle from our side: the idle timeout applies.
            self._blocked = self._write_blocked = True
            self._phase = _IDLE
            self._deadline = self._server._now + params.idle_connection_timeout
            return
        # The server's coarse clock (updated by its sweeper) saves a
        # loop.time() call per request; deadlines are checked by the
        # sweeper at the same granularity anyway.
        if buffered:
            self._phase = _HEAD
            self._deadline = self._server._now + params.header_timeout
        else:
            self._phase = _IDLE
            self._deadline = self._server._now + params.idle_connection_timeout
            if not self._eof and not self._reading_paused:
                # Nothing to parse: wait for the next request on the fast path.
                self._ready = True
                return
        if not self._in_process:
            self._process()

    # -- errors, timeouts, shutdown ----------------------------------------

    def _bad_input(self, error: HTTPInputError) -> None:
        gen_log.info(
            "bad HTTP request from %s: %s (answered %d)",
            self._context.remote_ip,
            error,
            error.status_code,
        )
        self._fail(error.status_code)

    def _app_error(self, error: BaseException) -> None:
        app_log.error(
            "uncaught exception while serving a request from %s",
            self._context.remote_ip,
            exc_info=(type(error), error, error.__traceback__),
        )
        self._fail(500)

    def _fail(self, status: int) -> None:
        """Answer ``status`` if nothing was sent yet, then close the connection."""
        self._codec.keep_alive = False
        transport = self._transport
        if transport is None or self._closed:
            return
        request = self._request
        if request is None or not request.started:
            transport.write(_error_response(status))
        if request is not None:
            request.finished = True
        delegate = self._delegate
        self._delegate = None
        if delegate is not None and status != 500:
            self._call_safely(delegate.on_connection_close)
        self._close()

    def _check_deadline(self, now: float) -> None:
        if now < self._deadline or self._closed:
            return
        phase = self._phase
        limit = (
            self._params.idle_connection_timeout,
            self._params.header_timeout,
            self._body_timeout,
            0.0,
        )[phase]
        gen_log.info(
            "closing connection from %s: %s timeout (%gs)",
            self._context.remote_ip,
            _PHASE_NAMES[phase],
            limit,
        )
        if self._write_paused:
            # A client that does not read: close() would wait for it to
            # drain our buffer, and an error answer would never arrive.
            self._closed = True
            self._abort()
        elif phase == _IDLE:
            self._close()
        else:
            self._fail(408)

    def _start_close(self) -> None:
        """Close now if idle; otherwise after the current response."""
        self._closing = True
        self._codec.keep_alive = False
        if self._request is None and not self._codec.buffered_size and self._transport is not None:
            self._close()

    def _close(self) -> None:
        """Close the transport (buffered output is still sent) and stop reading."""
        if not self._closed:
            self._closed = True
            self._transport.close()  # type: ignore[union-attr]

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # -- hand-over and abort (detach, close) ----------------------------------

    def _detach(self, request: _RequestConnection) -> tuple[asyncio.Transport, bytes]:
        transport = self._transport
        if request is not self._request or self._closed or transport is None:
            raise HTTPOutputError("detach() on a connection that is closed or already detached")
        if self._codec.reading_body or self._pending is not None:
            # Part of the body is decoded and part is not: no honest leftover.
            raise HTTPOutputError(
                "detach() while the request body is still being read; "
                "detach once the whole request has arrived"
            )
        leftover = self._codec.trailing_data
        self._detached = True
        self._closed = True  # nothing of the HTTP machinery runs any more
        self._deadline = _INF
        request.finished = True
        request.close_callback = None
        self._request = None
        self._delegate = None
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()
        self._server._connection_lost(self)
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        return transport, leftover

    def _late_data(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        gen_log.error(
            "data for a detached connection from %s reached the HTTP server: "
            "call transport.set_protocol() right after detach(); aborting it",
            self._context.remote_ip,
        )
        transport.abort()

    def _abort_request(self, request: _RequestConnection) -> None:
        if request is not self._request or self._closed:
            return
        self._codec.keep_alive = False
        self._delegate = None
        self._closed = True
        cast(asyncio.Transport, self._transport).abort()

    def _call_safely(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            app_log.exception("exception in connection close callback")
