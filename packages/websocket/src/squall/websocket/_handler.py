"""`WebSocketHandler`: the server side, a `RequestHandler` whose GET upgrades.

How a connection starts: ``get`` validates the opening handshake (RFC 6455
section 4.2.1) and answers 400/403/426 when it is wrong; otherwise it picks
the subprotocol and the compression parameters, takes the TCP connection
over from the HTTP server (`take_over`), writes the ``101 Switching
Protocols`` head itself and hands the transport to a `WebSocketProtocol`.
Messages received before ``open`` has returned (an ``async def open``) wait
for it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
import time
import urllib.parse
import weakref
from collections.abc import Awaitable
from typing import Any

from squall.escape import json_encode
from squall.web import RequestHandler

from . import _deflate
from ._connection import WebSocketProtocol
from ._errors import WebSocketClosedError
from ._handshake import accept_key, header_tokens, parse_subprotocols, valid_key
from ._transport import take_over

__all__ = ["WebSocketHandler", "DEFAULT_MAX_MESSAGE_SIZE", "encode_message"]

# Every open server-side WebSocket of this process, for `WebSocketHandler.close_all`.
_open_handlers: weakref.WeakSet[WebSocketHandler] = weakref.WeakSet()

app_log = logging.getLogger("squall.application")

DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024


def encode_message(message: str | bytes | dict[str, Any], binary: bool = False) -> bytes:
    """The bytes of an outgoing message: UTF-8 for str, JSON for a dict.

    Raises:
        TypeError: ``message`` is of another type.
    """
    data: Any = message  # callers may be untyped: check at run time
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes):
        return data
    if isinstance(data, dict):
        return json_encode(data).encode("utf-8")
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(
        f"a WebSocket message is str, bytes or dict, not {type(data).__name__}"
    )


class WebSocketHandler(RequestHandler):
    """Subclass this and route a URL to it to serve WebSocket connections.

    Override `open`, `on_message` and `on_close`; send with `write_message`.
    `open` and `on_message` may be ``async def``: the next message is
    delivered only after the previous call has finished.

    Application settings read here: ``websocket_ping_interval``,
    ``websocket_ping_timeout`` (seconds) and ``websocket_max_message_size``
    (bytes, default 10 MiB).

    Example::

        class EchoHandler(squall.websocket.WebSocketHandler):
            def on_message(self, message):
                self.write_message("You said: " + message)

    Attributes:
        ws_connection: the running connection after the handshake, or
            ``None`` before it and after the close.
    """

    def __init__(self, application: Any, request: Any, **kwargs: Any) -> None:
        self.ws_connection: WebSocketProtocol | None = None
        self._ws_protocol: WebSocketProtocol | None = None
        self._selected_subprotocol: str | None = None
        self.open_args: tuple[Any, ...] = ()
        self.open_kwargs: dict[str, Any] = {}
        super().__init__(application, request, **kwargs)

    # ------------------------------------------------------------------
    # The handshake

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Validate the opening handshake and upgrade the connection.

        A coroutine, as in Tornado, so an override can check something
        first and then ``await super().get(*args, **kwargs)``.
        """
        self.open_args = args
        self.open_kwargs = kwargs
        headers = self.request.headers
        if self.request.version != "HTTP/1.1":
            self._refuse(400, "WebSocket upgrade needs HTTP/1.1")
            return
        if "websocket" not in header_tokens(headers.get("Upgrade")):
            self._refuse(400, 'Can "Upgrade" only to "WebSocket".')
            return
        if "upgrade" not in header_tokens(headers.get("Connection")):
            self._refuse(400, '"Connection" must be "Upgrade".')
            return
        origin = headers.get("Origin")
        if origin is not None and not self.check_origin(origin):
            self._refuse(403, "Cross origin websockets not allowed")
            return
        if headers.get("Sec-WebSocket-Version") != "13":
            self.set_header("Sec-WebSocket-Version", "13")
            self._refuse(426, "Upgrade Required: this server speaks WebSocket version 13")
            return
        key = headers.get("Sec-WebSocket-Key")
        if not valid_key(key):
            self._refuse(400, "Missing or invalid Sec-WebSocket-Key header")
            return
        assert key is not None
        offered = parse_subprotocols(headers.get_list("Sec-WebSocket-Protocol"))
        if offered:
            selected = self.select_subprotocol(offered)
            if selected is not None:
                if selected not in offered:
                    raise ValueError(
                        f"select_subprotocol returned {selected!r}, which the client "
                        f"did not offer ({offered!r})"
                    )
                self._selected_subprotocol = selected
                self.set_header("Sec-WebSocket-Protocol", selected)
        deflate = None
        options = self.get_compression_options()
        if options is not None:
            checked = _deflate.validate_compression_options(options)
            try:
                agreed = _deflate.negotiate_server(
                    headers.get_list("Sec-WebSocket-Extensions"), checked
                )
            except ValueError as error:
                self._refuse(400, f"Invalid Sec-WebSocket-Extensions header: {error}")
                return
            if agreed is not None:
                self.set_header("Sec-WebSocket-Extensions", agreed[0])
                deflate = agreed[1]
        self._upgrade(accept_key(key), deflate)

    def _refuse(self, status: int, message: str) -> None:
        app_log.info("WebSocket handshake refused (%d): %s", status, message)
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(message)

    def _upgrade(self, accept: str, deflate: _deflate.PerMessageDeflate | None) -> None:
        self.set_status(101)
        self.clear_header("Content-Type")
        self.set_header("Upgrade", "websocket")
        self.set_header("Connection", "Upgrade")
        self.set_header("Sec-WebSocket-Accept", accept)
        connection = self.request.connection
        if self.__dict__.get("_watching_close") and connection is not None:
            connection.set_close_callback(None)
        transport, leftover = take_over(connection)
        lines = [f"HTTP/1.1 101 {self._reason}"]
        for name, value in self._response_headers().get_all():
            lines.append(f"{name}: {value}")
        lines.append("\r\n")
        transport.write("\r\n".join(lines).encode("latin-1"))
        self._headers_written = True
        self._finished = True
        self.application.log_request(self)
        try:
            self.on_finish()
        except Exception:
            app_log.error("uncaught exception in on_finish", exc_info=True)
        protocol = WebSocketProtocol(
            self,
            is_client=False,
            max_message_size=self.max_message_size,
            deflate=deflate,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
        )
        transport.set_protocol(protocol)
        self.ws_connection = self._ws_protocol = protocol
        _open_handlers.add(self)
        protocol.attach(transport, leftover, hold=True)
        try:
            result = self.open(*self.open_args, **self.open_kwargs)
        except Exception:
            app_log.error("uncaught exception in WebSocket open", exc_info=True)
            protocol._internal_error()
            protocol.release()
            return
        if result is not None and inspect.isawaitable(result):
            asyncio.ensure_future(result).add_done_callback(self._opened)
        else:
            protocol.release()

    def _opened(self, future: asyncio.Future[Any]) -> None:
        protocol = self._ws_protocol
        assert protocol is not None
        if not future.cancelled() and future.exception() is not None:
            app_log.error("uncaught exception in WebSocket open", exc_info=future.exception())
            protocol._internal_error()
        protocol.release()

    # ------------------------------------------------------------------
    # Policy hooks

    def check_origin(self, origin: str) -> bool:
        """Whether to accept a connection from a page served by ``origin``.

        The default accepts only the same origin: the host (and port) of
        the ``Origin`` header must equal the request's ``Host``. Browsers
        send ``Origin`` on every WebSocket request, so this stops other
        sites' pages from using the visitor's cookies here (cross-site
        WebSocket hijacking). Requests without ``Origin`` (not browsers)
        are not checked. Override to allow other origins.

        Args:
            origin: the ``Origin`` request header.

        Returns:
            True to accept; False answers 403.
        """
        parsed = urllib.parse.urlsplit(origin)
        host = self.request.headers.get("Host")
        return bool(parsed.netloc) and host is not None and parsed.netloc.lower() == host.lower()

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        """Pick one of the client's ``Sec-WebSocket-Protocol`` values.

        Called only when the client offered at least one.

        Args:
            subprotocols: the offered subprotocols, in the client's order.

        Returns:
            One of them, or ``None`` to select none (the default).
        """
        return None

    @property
    def selected_subprotocol(self) -> str | None:
        """The subprotocol chosen by `select_subprotocol`, if any."""
        return self._selected_subprotocol

    def get_compression_options(self) -> dict[str, Any] | None:
        """Enable permessage-deflate (RFC 7692) by returning a dict.

        ``None`` (the default) disables compression. ``{}`` accepts the
        client's offer with default settings. Recognised keys:
        ``compression_level`` (0-9), ``mem_level`` (1-9),
        ``server_max_window_bits``/``client_max_window_bits`` (9-15) and
        ``server_no_context_takeover``/``client_no_context_takeover``
        (bools).

        Returns:
            The options, or ``None``.
        """
        return None

    @property
    def ping_interval(self) -> float | None:
        """Seconds between keepalive pings (setting ``websocket_ping_interval``)."""
        value = self.settings.get("websocket_ping_interval")
        return float(value) if value else None

    @property
    def ping_timeout(self) -> float | None:
        """Seconds to wait for a pong before closing (``websocket_ping_timeout``).

        Defaults to ``max(3 * ping_interval, 30)`` when pings are on.
        """
        value = self.settings.get("websocket_ping_timeout")
        return float(value) if value else None

    @property
    def max_message_size(self) -> int:
        """Largest message accepted, in bytes (``websocket_max_message_size``).

        Larger messages close the connection with code 1009. Default 10 MiB.
        """
        value = self.settings.get("websocket_max_message_size")
        return int(value) if value is not None else DEFAULT_MAX_MESSAGE_SIZE

    # ------------------------------------------------------------------
    # Events (override these)

    def open(self, *args: Any, **kwargs: Any) -> Awaitable[None] | None:
        """Called when the connection is open; may be ``async``.

        Args:
            *args: the URL pattern's positional groups (decoded).
            **kwargs: its named groups.
        """
        return None

    def on_message(self, message: str | bytes) -> Awaitable[None] | None:
        """Called with each message: ``str`` for text, ``bytes`` for binary.

        May be ``async``; the next message waits until it returns.
        """
        raise NotImplementedError(f"{type(self).__name__} must define on_message()")

    def on_ping(self, data: bytes) -> None:
        """Called when a ping arrives (the pong is sent automatically)."""

    def on_pong(self, data: bytes) -> None:
        """Called when a pong arrives."""

    def on_close(self) -> None:
        """Called once when the connection has closed.

        `close_code` and `close_reason` hold what the client sent, if it
        sent a close frame.
        """

    # ------------------------------------------------------------------
    # Actions

    def write_message(
        self, message: str | bytes | dict[str, Any], binary: bool = False
    ) -> asyncio.Future[None]:
        """Send a message: ``str`` as text, ``bytes`` with ``binary=True``.

        A dict is sent as JSON text.

        Returns:
            A future that completes when the message has been handed to
            the network; await it to slow down for a slow client.

        Raises:
            WebSocketClosedError: the connection is closed or closing.
            TypeError: ``message`` is of an unsupported type.
        """
        connection = self.ws_connection
        if connection is None:
            raise WebSocketClosedError("cannot write: the WebSocket is not open")
        return connection.send_message(encode_message(message, binary), binary)

    def ping(self, data: str | bytes = b"") -> None:
        """Send a ping; the answer arrives in `on_pong`.

        Raises:
            WebSocketClosedError: the connection is closed or closing.
            ValueError: ``data`` is over 125 bytes.
        """
        connection = self.ws_connection
        if connection is None:
            raise WebSocketClosedError("cannot ping: the WebSocket is not open")
        connection.ping(data.encode("utf-8") if isinstance(data, str) else bytes(data))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start the closing handshake; `on_close` runs when it is done.

        Args:
            code: a status code (1000 normal closure, 1001 going away,
                3000-4999 for applications); ``None`` sends none.
            reason: a short text (at most 123 bytes in UTF-8).

        Raises:
            ValueError: an invalid code or a reason that is too long.
        """
        connection = self.ws_connection
        if connection is not None:
            connection.close(code, reason)

    @classmethod
    async def close_all(
        cls,
        application: Any = None,
        code: int = 1001,
        reason: str = "server shutting down",
        timeout: float = 5.0,
    ) -> int:
        """Close every open WebSocket of this class (and its subclasses), e.g. at shutdown.

        Open WebSockets have left the HTTP server, so stopping the server does
        not end them; without this they would end when the process exits,
        with no close frame (the client sees code 1006). ``squall serve``
        calls it on SIGTERM/SIGINT.

        Args:
            application: only the WebSockets of this `Application`
                (default: all of this process).
            code: the close code (1001, "going away", by default).
            reason: the close reason sent to the clients.
            timeout: the most seconds to wait for the closing handshakes;
                connections still open then are aborted.

        Returns:
            How many WebSockets were open.
        """
        handlers = [
            handler
            for handler in list(_open_handlers)
            if isinstance(handler, cls) and (application is None or handler.application is application)
        ]
        for handler in handlers:
            connection = handler.ws_connection
            if connection is not None:
                connection.close(code, reason)
        deadline = time.monotonic() + timeout
        while any(handler.ws_connection is not None for handler in handlers):
            if time.monotonic() >= deadline:
                for handler in handlers:
                    connection = handler.ws_connection
                    if connection is not None:
                        connection.abort()
                break
            await asyncio.sleep(0.01)
        return len(handlers)

    @property
    def close_code(self) -> int | None:
        """The code of the client's close frame (``None`` if none yet)."""
        protocol = self._ws_protocol
        return protocol.close_code if protocol is not None else None

    @property
    def close_reason(self) -> str | None:
        """The reason of the client's close frame (``None`` if none yet)."""
        protocol = self._ws_protocol
        return protocol.close_reason if protocol is not None else None

    def set_nodelay(self, value: bool) -> None:
        """Turn Nagle's algorithm off (``True``) or on for this connection.

        squall already sends small frames without delay (asyncio sets
        ``TCP_NODELAY`` on TCP transports); this is for symmetry with the
        spec's API.
        """
        connection = self.ws_connection
        transport = connection.transport if connection is not None else None
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if value else 0)

    # ------------------------------------------------------------------
    # ConnectionDelegate

    def _ws_on_message(self, message: str | bytes) -> Awaitable[Any] | None:
        result = self.on_message(message)
        if result is not None and inspect.isawaitable(result):
            return result
        return None

    def _ws_on_ping(self, data: bytes) -> None:
        self.on_ping(data)

    def _ws_on_pong(self, data: bytes) -> None:
        self.on_pong(data)

    def _ws_on_close(self) -> None:
        self.ws_connection = None
        _open_handlers.discard(self)
        self.on_close()
