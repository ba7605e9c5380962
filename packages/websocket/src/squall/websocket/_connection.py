"""`WebSocketProtocol`: one WebSocket connection over an asyncio transport.

How this works: the handshake (server or client side) ends with a transport
whose protocol is set to a `WebSocketProtocol`. Received bytes go through the
sans-IO `FrameReader`; its events are acted on here:

- messages go to the delegate (`WebSocketHandler` or the client connection)
  in order. When the delegate returns an awaitable (an ``async def
  on_message``) the next message waits for it; later messages queue, and
  reading pauses while more than ``_MAX_QUEUED`` of them wait;
- pings are answered at once; pongs stop the keepalive timeout;
- a close frame is echoed (RFC 6455 section 5.5.1), then the server closes
  the TCP connection; a client waits (bounded) for the server to do so;
- a protocol violation sends a close frame with the reader's code and
  closes the TCP connection ("fail the WebSocket connection", section 7.1.7).

The delegate's ``_ws_on_close`` runs exactly once, after the transport is
gone and every message received before it has been delivered.

Writes go straight to the transport. ``send_message`` returns an already
completed future unless the transport asked us to pause writing; then it
returns one that completes when the buffer has drained (back-pressure).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable
from typing import Any, Protocol, cast

from ._deflate import PerMessageDeflate
from ._errors import WebSocketClosedError, WebSocketProtocolError
from ._frames import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    Event,
    FrameReader,
    FrameWriter,
    build_close_payload,
)

__all__ = ["ConnectionDelegate", "WebSocketProtocol"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

# Messages that may wait for a slow async on_message before reading pauses.
_MAX_QUEUED = 64


class ConnectionDelegate(Protocol):
    """What a `WebSocketProtocol` calls (implemented by handler and client)."""

    def _ws_on_message(self, message: str | bytes) -> Awaitable[Any] | None: ...

    def _ws_on_ping(self, data: bytes) -> None: ...

    def _ws_on_pong(self, data: bytes) -> None: ...

    def _ws_on_close(self) -> None: ...


class WebSocketProtocol(asyncio.Protocol):
    """Drive one WebSocket connection; see the module docstring.

    Args:
        delegate: receives messages, pings, pongs and the close.
        is_client: which side of the connection this is.
        max_message_size: largest accepted message in bytes (else 1009).
        deflate: the negotiated permessage-deflate state, if any.
        ping_interval: send a ping every this many seconds (``None``: never).
        ping_timeout: close if a ping is not answered within this many
            seconds (default: ``max(3 * ping_interval, 30)``).
        close_timeout: how long to wait for the peer during the close
            handshake before dropping the connection.
    """

    def __init__(
        self,
        delegate: ConnectionDelegate,
        *,
        is_client: bool,
        max_message_size: int,
        deflate: PerMessageDeflate | None = None,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        close_timeout: float = 5.0,
    ) -> None:
        self._delegate = delegate
        self._is_client = is_client
        self._reader: FrameReader | None = FrameReader(
            is_client=is_client, max_message_size=max_message_size, deflate=deflate
        )
        self._writer = FrameWriter(is_client=is_client, deflate=deflate)
        self._ping_interval = ping_interval if ping_interval and ping_interval > 0 else None
        if self._ping_interval is not None and not ping_timeout:
            ping_timeout = max(3 * self._ping_interval, 30.0)
        self._ping_timeout = ping_timeout
        self._close_timeout = close_timeout
        self.transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Future[None] | None = None
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._close_sent = False
        self._close_received = False
        self._lost = False
        self._close_delivered = False
        self._held = False
        self._queue: collections.deque[Event] = collections.deque()
        self._reading_paused = False
        self._write_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._ping_handle: asyncio.TimerHandle | None = None
        self._pong_handle: asyncio.TimerHandle | None = None
        self._close_handle: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------
    # Start

    def attach(self, transport: asyncio.Transport, leftover: bytes = b"", *, hold: bool = False) -> None:
        """Start on ``transport`` (whose protocol is already set to ``self``).

        Args:
            transport: the connection, handshake done.
            leftover: bytes already read past the handshake.
            hold: queue messages until `release` (an ``async def open``).
        """
        self.transport = transport
        loop = self._loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        done.set_result(None)
        self._done = done
        self._held = hold
        if self._ping_interval is not None:
            self._ping_handle = loop.call_later(self._ping_interval, self._keepalive)
        if leftover:
            self.data_received(leftover)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Only reached if a transport is created for this protocol directly.
        # uvloop's transports are not asyncio.Transport subclasses.
        self.attach(cast(asyncio.Transport, transport))

    def hold(self) -> None:
        """Stop delivering messages (they queue) until `release`."""
        self._held = True

    def release(self) -> None:
        """Deliver the queued messages and carry on."""
        self._held = False
        self._drain_queue()

    @property
    def closed(self) -> bool:
        """True once a close frame was sent or the transport is gone."""
        return self._close_sent or self._lost

    # ------------------------------------------------------------------
    # Receiving

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        if reader is None:
            return
        try:
            events = reader.feed(data)
        except WebSocketProtocolError as error:
            gen_log.info("WebSocket protocol error from the peer: %s", error)
            self._fail(error.code, error.reason)
            return
        for event in events:
            if self._reader is None:
                return  # closed or failed by an earlier event of this batch
            opcode = event[0]
            if opcode >= OP_CLOSE:
                self._on_control(opcode, event[1])
            elif self._held or self._queue:
                self._queue.append(event)
                if len(self._queue) > _MAX_QUEUED and not self._reading_paused:
                    self._pause_reading()
            else:
                self._deliver(event[1])

    def _deliver(self, message: str | bytes) -> None:
        try:
            result = self._delegate._ws_on_message(message)
        except Exception:
            app_log.error("uncaught exception in WebSocket on_message", exc_info=True)
            self._internal_error()
            return
        if result is not None:
            self._held = True
            future = asyncio.ensure_future(result)
            future.add_done_callback(self._on_message_done)

    def _on_message_done(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            app_log.error(
                "uncaught exception in WebSocket on_message", exc_info=future.exception()
            )
            self._internal_error()
        self._held = False
        self._drain_queue()

    def _drain_queue(self) -> None:
        queue = self._queue
        while queue and not self._held:
            self._deliver(queue.popleft()[1])
        if self._held:
            return
        if self._reading_paused and not self._lost:
            self._reading_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        if self._lost:
            self._deliver_close()

    def _pause_reading(self) -> None:
        self._reading_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def _on_control(self, opcode: int, payload: Any) -> None:
        if opcode == OP_PING:
            if not self._close_sent:
                self._send_control(OP_PONG, payload)
            self._callback(self._delegate._ws_on_ping, payload)
        elif opcode == OP_PONG:
            if self._pong_handle is not None:
                self._pong_handle.cancel()
                self._pong_handle = None
            self._callback(self._delegate._ws_on_pong, payload)
        else:
            code, reason = payload
            self.close_code = code
            self.close_reason = reason
            self._close_received = True
            self._reader = None  # nothing may follow a close frame
            if not self._close_sent:
                # Echo the code (RFC 6455 section 5.5.1).
                self._send_control(OP_CLOSE, build_close_payload(code, None))
                self._close_sent = True
            self._shutdown()

    def _callback(self, func: Any, data: bytes) -> None:
        try:
            func(data)
        except Exception:
            app_log.error("uncaught exception in a WebSocket ping/pong callback", exc_info=True)

    # ------------------------------------------------------------------
    # Sending

    def send_message(self, data: bytes, binary: bool) -> asyncio.Future[None]:
        """Send one message.

        Returns:
            A future that completes when the transport's buffer is below its
            high-water mark.

        Raises:
            WebSocketClosedError: the connection is closed or closing.
        """
        transport = self.transport
        if self._close_sent or self._lost or transport is None:
            raise WebSocketClosedError("cannot send: the WebSocket is closed")
        transport.write(self._writer.message(data, binary))
        if self._write_paused:
            return self._drain_future()
        assert self._done is not None
        return self._done

    def ping(self, data: bytes) -> None:
        """Send a ping.

        Raises:
            WebSocketClosedError: the connection is closed or closing.
            ValueError: ``data`` is over 125 bytes.
        """
        if self._close_sent or self._lost:
            raise WebSocketClosedError("cannot ping: the WebSocket is closed")
        self._send_control(OP_PING, data)

    def _send_control(self, opcode: int, payload: bytes) -> None:
        transport = self.transport
        if transport is not None and not self._lost and not transport.is_closing():
            transport.write(self._writer.control(opcode, payload))

    def _drain_future(self) -> asyncio.Future[None]:
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(future)
        return future

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiters, self._drain_waiters = self._drain_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    # ------------------------------------------------------------------
    # Closing

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start (or finish) the closing handshake.

        Raises:
            ValueError: an invalid code or a reason over 123 bytes.
        """
        if self._lost:
            return
        if not self._close_sent:
            payload = build_close_payload(code, reason)
            self._send_control(OP_CLOSE, payload)
            self._close_sent = True
        if self._close_received:
            self._shutdown()
        else:
            self._arm_close_timer()

    def abort(self) -> None:
        """Drop the TCP connection now, without a closing handshake."""
        if self.transport is not None and not self._lost:
            self.transport.abort()

    def _shutdown(self) -> None:
        """Both close frames are exchanged: end the TCP connection."""
        if self._is_client:
            # RFC 6455 section 7.1.1: the server closes first; wait for it.
            self._arm_close_timer()
        elif self.transport is not None:
            self.transport.close()
            self._arm_close_timer()

    def _arm_close_timer(self) -> None:
        if self._close_handle is None and self._loop is not None and not self._lost:
            self._close_handle = self._loop.call_later(self._close_timeout, self.abort)

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 section 7.1.7)."""
        self._reader = None
        if not self._close_sent:
            self._send_control(OP_CLOSE, build_close_payload(code, _short(reason)))
            self._close_sent = True
        if self.transport is not None:
            self.transport.close()
        self._arm_close_timer()

    def _internal_error(self) -> None:
        if not self._lost:
            self._fail(1011, "internal error")

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._reader = None
        for handle in (self._ping_handle, self._pong_handle, self._close_handle):
            if handle is not None:
                handle.cancel()
        self._ping_handle = self._pong_handle = self._close_handle = None
        waiters, self._drain_waiters = self._drain_waiters, []
        for future in waiters:
            if not future.done():
                future.set_exception(WebSocketClosedError("the WebSocket closed while writing"))
                future.add_done_callback(_consume_exception)
        if not self._held:
            self._drain_queue()

    def _deliver_close(self) -> None:
        if self._close_delivered:
            return
        self._close_delivered = True
        try:
            self._delegate._ws_on_close()
        except Exception:
            app_log.error("uncaught exception in WebSocket on_close", exc_info=True)

    # ------------------------------------------------------------------
    # Keepalive

    def _keepalive(self) -> None:
        self._ping_handle = None
        if self._close_sent or self._lost or self._loop is None:
            return
        self._send_control(OP_PING, b"")
        if self._pong_handle is None and self._ping_timeout:
            self._pong_handle = self._loop.call_later(self._ping_timeout, self._ping_timed_out)
        assert self._ping_interval is not None
        self._ping_handle = self._loop.call_later(self._ping_interval, self._keepalive)

    def _ping_timed_out(self) -> None:
        self._pong_handle = None
        gen_log.info("WebSocket ping not answered in %.1f s; closing", self._ping_timeout or 0)
        self._fail(1011, "ping timeout")


def _short(reason: str) -> str:
    """Cut a reason so its UTF-8 form fits a close frame."""
    data = reason.encode("utf-8")
    if len(data) <= 123:
        return reason
    return data[:123].decode("utf-8", "ignore")


def _consume_exception(future: asyncio.Future[Any]) -> None:
    # Nobody may be awaiting a write future when the connection drops; mark
    # the error as retrieved so it is not logged as "never retrieved".
    if not future.cancelled():
        future.exception()
