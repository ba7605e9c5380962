"""One client connection (an asyncio.Protocol driving an HTTP1Codec) and one exchange.

How this works: a `_Connection` owns a transport and a client-role
`HTTP1Codec`. It carries one `_Exchange` at a time: the exchange writes its
request through the codec's serializer, and the connection feeds every byte
it reads to the codec and hands the events (head, data, end) to the
exchange. When a response ends with keep-alive semantics, both directions are
complete and no stray bytes are buffered, the codec starts its next cycle and
the connection goes back to the client's pool *before* the response is
delivered, so a request made from the callback can reuse it. Anything else
(an error, a timeout, ``Connection: close``, a body read until close, an
unfinished upload) closes the connection.

Each exchange has one timer, armed for its nearest deadline: the connect
deadline while connecting, then the request deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from squall.httpclient._assembly import Abort as _Abort
from squall.httpclient._assembly import decode, finish_decoding, replay_head, start_decoding
from squall.httpclient._decompress import Decompressor
from squall.httpclient._errors import HTTPClientError, HTTPStreamClosedError, HTTPTimeoutError
from squall.httpclient._response import HTTPResponse
from squall.httputil import (
    NEED_DATA,
    Data,
    EndOfMessage,
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    HTTPOutputError,
    RequestStartLine,
    ResponseHead,
)

if TYPE_CHECKING:
    from ._client import SimpleAsyncHTTPClient

__all__: list[str] = []

# Methods safe to send again when a reused connection turns out to have been
# closed by the server before it answered (RFC 9110 section 9.2.2).
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"))

# Exchange phases, for timeout messages.
_CONNECTING = 0
_WAITING = 1
_READING = 2
_DONE = 3


class _Connection(asyncio.Protocol):
    """A keep-alive HTTP/1.1 client connection."""

    __slots__ = (
        "client",
        "key",
        "codec",
        "transport",
        "exchange",
        "closed",
        "idle_since",
        "used",
        "tunnel",
        "_drain",
        "_paused",
        "_made",
    )

    def __init__(self, client: SimpleAsyncHTTPClient, key: tuple[Any, ...]) -> None:
        self.client = client
        self.key = key
        self.codec = HTTP1Codec("client")
        self.transport: asyncio.Transport | None = None
        self.exchange: _Exchange | None = None
        self.closed = False
        self.idle_since = 0.0
        self.used = False  # has carried a complete exchange before
        # Set while reading a proxy's answer to CONNECT.
        self.tunnel: asyncio.Future[ResponseHead] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self._made: asyncio.Future[None] | None = None

    # -- asyncio.Protocol ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        codec = self.codec
        codec.receive_data(data)
        if self.tunnel is not None:
            self._read_tunnel_answer()
            return
        ex = self.exchange
        if ex is None:
            # Bytes while idle: the server is confused; never reuse this.
            self.close()
            return
        ex.got_bytes = True
        try:
            while True:
                event = codec.next_event()
                kind = type(event)
                if kind is Data:
                    ex.on_data(event.data)  # type: ignore[union-attr]
                elif kind is ResponseHead:
                    ex.on_head(event)  # type: ignore[arg-type]
                elif kind is EndOfMessage:
                    ex.on_end()
                    return
                elif event is NEED_DATA:
                    return
                else:  # PAUSED / ConnectionClosed: nothing more for this exchange
                    return
                if ex.finished:
                    return
        except HTTPInputError as exc:
            ex.fail(HTTPClientError(599, f"malformed response from {ex.origin}: {exc}"), close=True)
        except _Abort as exc:
            ex.fail(exc.error, close=True)

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.client._forget(self)
        tunnel = self.tunnel
        if tunnel is not None and not tunnel.done():
            tunnel.set_exception(
                HTTPStreamClosedError("the proxy closed the connection before answering CONNECT")
            )
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_exception(HTTPStreamClosedError("the connection closed while sending the body"))
        ex = self.exchange
        if ex is None or ex.finished:
            return
        codec = self.codec
        codec.receive_eof()
        try:
            while not ex.finished:
                event = codec.next_event()
                kind = type(event)
                if kind is Data:
                    ex.on_data(event.data)  # type: ignore[union-attr]
                elif kind is ResponseHead:
                    ex.on_head(event)  # type: ignore[arg-type]
                elif kind is EndOfMessage:
                    ex.on_end()
                else:
                    break
        except HTTPInputError as err:
            if not ex.got_head and not ex.got_bytes and ex.may_retry():
                return
            if ex.got_head:
                message = f"the connection to {ex.origin} closed before the response was complete ({err})"
            else:
                message = f"the connection to {ex.origin} closed before a complete response head arrived"
            ex.fail(HTTPStreamClosedError(message))
            return
        except _Abort as abort:
            ex.fail(abort.error)
            return
        if not ex.finished:
            if not ex.got_bytes and ex.may_retry():
                return
            reason = f": {exc}" if exc is not None else ""
            ex.fail(
                HTTPStreamClosedError(
                    f"the connection to {ex.origin} closed before any response arrived{reason}"
                )
            )

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        drain = self._drain
        if drain is not None:
            self._drain = None
            if not drain.done():
                drain.set_result(None)

    # -- helpers ---------------------------------------------------------

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        if self.closed:
            raise HTTPStreamClosedError("the connection closed while sending the body")
        if not self._paused:
            return
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_future()
        await self._drain

    def write(self, chunks: list[bytes]) -> None:
        transport = self.transport
        if transport is None or self.closed:
            return
        if len(chunks) == 1:
            transport.write(chunks[0])
        else:
            transport.write(b"".join(chunks))

    def close(self) -> None:
        """Close the connection at once (no graceful TLS shutdown wait)."""
        if not self.closed:
            self.closed = True
            self.client._forget(self)
            if self.transport is not None:
                self.transport.abort()

    def _read_tunnel_answer(self) -> None:
        tunnel = self.tunnel
        assert tunnel is not None  # noqa: S101 - only called when set
        try:
            while True:
                event = self.codec.next_event()
                if type(event) is ResponseHead:
                    head: ResponseHead = event
                    if head.start_line.code >= 200:
                        self.tunnel = None
                        if not tunnel.done():
                            tunnel.set_result(head)
                        return
                    continue
                return
        except HTTPInputError as exc:
            self.tunnel = None
            if not tunnel.done():
                tunnel.set_exception(
                    HTTPClientError(599, f"malformed answer from the proxy to CONNECT: {exc}")
                )


class _Exchange:
    """One request and its response on one connection."""

    __slots__ = (
        "client",
        "request",
        "callback",
        "conn",
        "origin",
        "method",
        "target",
        "headers",
        "extra",
        "body",
        "body_producer",
        "expect_continue",
        "start_time",
        "start_mono",
        "connect_deadline",
        "deadline",
        "timer",
        "phase",
        "finished",
        "got_bytes",
        "got_head",
        "code",
        "reason",
        "resp_headers",
        "chunks",
        "decompressor",
        "streaming_callback",
        "header_callback",
        "decompress",
        "max_body_size",
        "max_header_size",
        "retried",
        "waiting_continue",
        "producer_task",
        "effective_url",
        "connect_task",
        "key",
    )

    # Set by the client's _prepare() before the exchange starts.
    origin: str
    method: str
    target: str
    headers: HTTPHeaders
    extra: list[tuple[str, str]]
    body: bytes | None
    streaming_callback: Callable[[bytes], None] | None
    header_callback: Callable[[str], None] | None
    decompress: bool
    max_body_size: int
    max_header_size: int
    effective_url: str
    key: tuple[Any, ...]

    def __init__(
        self,
        client: SimpleAsyncHTTPClient,
        request: Any,
        callback: Callable[[HTTPResponse], None],
    ) -> None:
        self.client = client
        self.request = request
        self.callback = callback
        self.conn: _Connection | None = None
        self.finished = False
        self.got_bytes = False
        self.got_head = False
        self.code = 0
        self.reason = ""
        self.resp_headers: HTTPHeaders | None = None
        self.chunks: list[bytes] = []
        self.decompressor: Decompressor | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.phase = _CONNECTING
        self.retried = False
        self.waiting_continue = False
        self.producer_task: asyncio.Task[None] | None = None
        self.connect_task: asyncio.Task[None] | None = None
        self.body_producer: Any = None
        self.expect_continue = False
        self.start_time = time.time()
        self.start_mono = client._loop.time()
        self.connect_deadline = 0.0
        self.deadline = 0.0

    # -- timers ----------------------------------------------------------

    def arm(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.client._loop.call_at(when, self.on_timeout)

    def on_timeout(self) -> None:
        self.timer = None
        if self.finished:
            return
        now = self.client._loop.time()
        if self.phase == _CONNECTING and self.connect_deadline <= self.deadline and now >= self.connect_deadline:
            timeout = self.request.connect_timeout
            message = f"timed out after {timeout:g} seconds while connecting to {self.origin}"
        else:
            timeout = self.request.request_timeout
            if self.phase == _CONNECTING:
                what = f"while connecting to {self.origin}"
            elif self.phase == _WAITING:
                what = f"while waiting for the response from {self.origin}"
            else:
                what = f"while reading the response from {self.origin}"
            message = f"timed out after {timeout:g} seconds (request_timeout) {what}"
        if self.connect_task is not None:
            self.connect_task.cancel()
        self.fail(HTTPTimeoutError(message), close=True)

    # -- sending ---------------------------------------------------------

    def begin(self, conn: _Connection) -> None:
        """Send the request on ``conn`` (called once connected or taken from the pool)."""
        self.conn = conn
        conn.exchange = self
        self.phase = _WAITING
        if self.deadline:
            self.arm(self.deadline)
        elif self.timer is not None:
            self.timer.cancel()
            self.timer = None
        codec = conn.codec
        codec.max_header_size = self.max_header_size
        codec.max_body_size = self.max_body_size
        try:
            out = codec.send_head(RequestStartLine(self.method, self.target, "HTTP/1.1"), self.headers, self.extra)
            body = self.body
            if self.body_producer is not None:
                conn.write(out)
                if self.expect_continue:
                    self.waiting_continue = True
                else:
                    self.start_producer()
                return
            if body is not None and body:
                if self.expect_continue:
                    conn.write(out)
                    self.waiting_continue = True
                    return
                out += codec.send_data(body)
            out += codec.send_end()
        except HTTPOutputError as exc:
            self.fail(ValueError(f"cannot send the request: {exc}"), close=True)
            return
        conn.write(out)

    def send_rest(self) -> None:
        """Send the body held back for ``Expect: 100-continue``."""
        self.waiting_continue = False
        if self.body_producer is not None:
            self.start_producer()
            return
        conn = self.conn
        assert conn is not None  # noqa: S101 - set by begin()
        codec = conn.codec
        out: list[bytes] = []
        if self.body:
            out += codec.send_data(self.body)
        out += codec.send_end()
        conn.write(out)

    def start_producer(self) -> None:
        self.producer_task = self.client._loop.create_task(self._produce())

    async def _produce(self) -> None:
        conn = self.conn
        assert conn is not None  # noqa: S101 - set by begin()
        codec = conn.codec

        async def write(chunk: bytes | str) -> None:
            if self.finished or conn.closed:
                raise HTTPStreamClosedError("the request ended while the body was being sent")
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            conn.write(codec.send_data(chunk))
            await conn.drain()

        try:
            result = self.body_producer(write)
            if result is not None:
                await result
            if not self.finished and not conn.closed and not codec.sending_done:
                conn.write(codec.send_end())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self.finished:
                if isinstance(exc, HTTPOutputError):
                    exc = ValueError(f"body_producer wrote an invalid body: {exc}")
                self.fail(exc, close=True)

    # -- receiving -------------------------------------------------------

    def on_head(self, head: ResponseHead) -> None:
        start_line = head.start_line
        code = start_line.code
        if code < 200:
            if code == 101:
                raise _Abort(
                    HTTPClientError(599, f"{self.origin} switched protocols (101) unexpectedly")
                )
            if code == 100 and self.waiting_continue:
                self.send_rest()
            return
        self.got_head = True
        self.phase = _READING
        self.code = code
        self.reason = start_line.reason
        headers = head.headers
        self.resp_headers = headers
        if self.header_callback is not None:
            replay_head(self.header_callback, start_line.version, code, start_line.reason, headers)
        if self.decompress:
            self.decompressor = start_decoding(headers, self.max_body_size)

    def on_data(self, data: bytes) -> None:
        dec = self.decompressor
        if dec is not None:
            data = decode(dec, data)
            if not data:
                return
        if self.streaming_callback is not None:
            self.streaming_callback(data)
        else:
            self.chunks.append(data)

    def on_end(self) -> None:
        dec = self.decompressor
        if dec is not None:
            tail = finish_decoding(dec)
            if tail:
                self.on_data(tail)
        conn = self.conn
        assert conn is not None  # noqa: S101 - set by begin()
        self.finished = True
        self.phase = _DONE
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        conn.exchange = None
        codec = conn.codec
        if (
            codec.keep_alive
            and codec.sending_done
            and codec.buffered_size == 0
            and not conn.closed
            and (self.producer_task is None or self.producer_task.done())
        ):
            codec.start_next_cycle()
            conn.used = True
            self.client._release(conn)
        else:
            conn.close()
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        headers = self.resp_headers
        assert headers is not None  # noqa: S101 - the head came first
        response = HTTPResponse._from_body(
            self.request.request,
            self.code,
            self.reason,
            headers,
            body,
            self.effective_url,
            self.start_time,
            self.client._loop.time() - self.start_mono,
        )
        self.callback(response)

    # -- endings -----------------------------------------------------------

    def may_retry(self) -> bool:
        """Send again on a new connection if a reused one was closed under us.

        Only for a first retry, an idempotent method and a body that can be
        sent again; returns True when the retry has started.
        """
        conn = self.conn
        if (
            self.retried
            or conn is None
            or not conn.used
            or self.method not in _IDEMPOTENT
            or self.body_producer is not None
        ):
            return False
        self.retried = True
        conn.exchange = None
        self.conn = None
        self.got_bytes = False
        self.phase = _CONNECTING
        self.client._connect_new(self)
        return True

    def cancel(self) -> None:
        """Abort the exchange because its caller cancelled the fetch."""
        if self.finished:
            return
        if self.connect_task is not None:
            self.connect_task.cancel()
        self.fail(HTTPStreamClosedError("the fetch was cancelled by its caller"), close=True)

    def fail(self, error: BaseException, close: bool = False) -> None:
        if self.finished:
            return
        self.finished = True
        self.phase = _DONE
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.producer_task is not None and not self.producer_task.done():
            self.producer_task.cancel()
        conn = self.conn
        if conn is not None:
            # A connection is never reused after a failed exchange.
            conn.exchange = None
            conn.close()
        response = HTTPResponse(
            self.request.request,
            599,
            error=error,
            request_time=self.client._loop.time() - self.start_mono,
            start_time=self.start_time,
            effective_url=self.effective_url,
        )
        self.callback(response)
