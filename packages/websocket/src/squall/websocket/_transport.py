"""Taking over the TCP connection of an HTTP request after the 101 answer.

`take_over` asks the server's `HTTPConnection` to ``detach()``: the server
stops parsing HTTP on that connection, forgets it (no keep-alive, no idle
timer, no close callback) and hands it over. Two shapes of answer are
understood:

- an ``asyncio.Transport`` (or ``(transport, leftover_bytes)`` when the
  server already read bytes past the request head): the fast path; the
  WebSocket protocol object replaces the server's with ``set_protocol``;
- a squall ``IOStream`` (Tornado's ``detach()`` returns a stream): wrapped in
  `StreamTransport`, which drives the same protocol object from a read loop.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from squall.iostream import BaseIOStream, StreamClosedError

from ._errors import WebSocketError

__all__ = ["StreamTransport", "take_over"]


def take_over(connection: Any) -> tuple[asyncio.Transport, bytes]:
    """Detach the request's connection from the HTTP server.

    Args:
        connection: ``request.connection`` of the upgrade request.

    Returns:
        The transport and any bytes already read past the request.

    Raises:
        WebSocketError: the server's connection cannot be detached.
    """
    detach = getattr(connection, "detach", None)
    if detach is None:
        raise WebSocketError(
            f"{type(connection).__name__} has no detach(): this HTTP server cannot hand "
            "its connection over to a WebSocket (HTTPConnection.detach() is required)"
        )
    result = detach()
    leftover = b""
    if isinstance(result, tuple):
        result, leftover = result
    if isinstance(result, BaseIOStream):
        return StreamTransport(result), bytes(leftover)
    # uvloop's transports are not asyncio.Transport subclasses: accept any
    # object with the transport methods the protocol uses.
    if isinstance(result, asyncio.Transport) or all(
        callable(getattr(result, name, None)) for name in ("write", "set_protocol", "close")
    ):
        return cast(asyncio.Transport, result), bytes(leftover)
    raise WebSocketError(
        f"detach() returned {type(result).__name__}; expected an asyncio.Transport "
        "(optionally with the bytes read past the request) or an IOStream"
    )


class StreamTransport(asyncio.Transport):
    """An ``asyncio.Transport`` over a squall ``IOStream``.

    The read loop starts when a protocol is set and feeds it whatever the
    stream reads (including what the stream had buffered already).
    """

    def __init__(self, stream: BaseIOStream) -> None:
        super().__init__()
        self._stream = stream
        self._protocol: asyncio.BaseProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._writing_paused = False
        self._read_allowed = asyncio.Event()
        self._read_allowed.set()
        self._last_write: asyncio.Future[None] | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "socket":
            return getattr(self._stream, "socket", default)
        return default

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._read_loop())

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self._protocol is not None
        return self._protocol

    def is_closing(self) -> bool:
        return self._closing or self._stream.closed()

    def is_reading(self) -> bool:
        return self._read_allowed.is_set()

    def pause_reading(self) -> None:
        self._read_allowed.clear()

    def resume_reading(self) -> None:
        self._read_allowed.set()

    def write(self, data: Any) -> None:
        if self.is_closing():
            return
        try:
            future = self._stream.write(data)
        except StreamClosedError:
            return
        self._last_write = future
        if not future.done() and not self._writing_paused:
            self._writing_paused = True
            if isinstance(self._protocol, asyncio.Protocol):
                self._protocol.pause_writing()
        future.add_done_callback(self._on_written)

    def _on_written(self, future: asyncio.Future[None]) -> None:
        if not future.cancelled():
            future.exception()  # a closed stream is reported by the read loop
        if self._writing_paused and future is self._last_write:
            self._writing_paused = False
            if isinstance(self._protocol, asyncio.Protocol):
                self._protocol.resume_writing()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        last = self._last_write
        if last is not None and not last.done():
            last.add_done_callback(lambda _: self._stream.close())
        else:
            self._stream.close()

    def abort(self) -> None:
        self._closing = True
        self._stream.close()

    def get_write_buffer_size(self) -> int:
        return 0

    async def _read_loop(self) -> None:
        protocol = self._protocol
        assert isinstance(protocol, asyncio.Protocol)
        try:
            while True:
                await self._read_allowed.wait()
                data = await self._stream.read_bytes(65536, partial=True)
                protocol.data_received(data)
        except StreamClosedError:
            pass
        finally:
            self._closing = True
            protocol.connection_lost(None)
