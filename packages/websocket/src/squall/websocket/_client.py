"""The client: `websocket_connect` and `WebSocketClientConnection`.

How this works: `websocket_connect` opens a TCP (or TLS) connection (the
resolver, then happy eyeballs: see `._connect`) with a small
`_HandshakeProtocol` that sends the
upgrade request and collects the response head (bounded). When the answer is
a valid ``101`` (RFC 6455 section 4.1: status, ``Upgrade``, ``Connection``,
``Sec-WebSocket-Accept``, and only an offered subprotocol and extension) the
transport is handed to a `WebSocketProtocol`, with any bytes that arrived
after the head.

Received messages wait in a queue for `read_message` (or go to
``on_message_callback``); when 32 are waiting, the connection stops
delivering (and soon stops reading), so a client that does not read cannot
be made to buffer without bound.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

from squall.httputil import HTTPHeaders, parse_response_start_line
from squall.netutil import Resolver

from . import _deflate
from ._connect import open_connection
from ._connection import WebSocketProtocol
from ._errors import WebSocketClosedError, WebSocketHandshakeError
from ._handler import DEFAULT_MAX_MESSAGE_SIZE, encode_message
from ._handshake import accept_key, header_tokens, make_key, parse_subprotocols

__all__ = ["WebSocketClientConnection", "websocket_connect"]

_MAX_HEAD = 65536
_MAX_WAITING = 32
_DEFAULT_TIMEOUT = 20.0

Message = str | bytes


class WebSocketClientConnection:
    """A client WebSocket connection; made by `websocket_connect`.

    Read with `read_message` or ``async for message in conn``; write with
    `write_message`; end with `close`.
    """

    def __init__(
        self,
        on_message_callback: Callable[[Message | None], Any] | None = None,
    ) -> None:
        self._on_message_callback = on_message_callback
        self._messages: collections.deque[Message] = collections.deque()
        self._readers: collections.deque[asyncio.Future[Message | None]] = collections.deque()
        self._space: asyncio.Future[None] | None = None
        self._closed = False
        self.protocol: WebSocketProtocol | None = None
        self._selected_subprotocol: str | None = None
        self.headers: HTTPHeaders | None = None

    # ------------------------------------------------------------------
    # Public API

    def write_message(self, message: str | bytes | dict[str, Any], binary: bool = False) -> asyncio.Future[None]:
        """Send a message: ``str`` as text, ``bytes`` with ``binary=True``; a dict as JSON.

        Returns:
            A future that completes when the message has been handed to the
            network (await it for back-pressure).

        Raises:
            WebSocketClosedError: the connection is closed or closing.
        """
        protocol = self.protocol
        if protocol is None:
            raise WebSocketClosedError("cannot write: the WebSocket is not open")
        return protocol.send_message(encode_message(message, binary), binary)

    def read_message(
        self, callback: Callable[[asyncio.Future[Message | None]], Any] | None = None
    ) -> asyncio.Future[Message | None]:
        """The next message: ``str`` (text), ``bytes`` (binary), or ``None`` once closed.

        Args:
            callback: optionally called with the future when it is done.

        Raises:
            RuntimeError: the connection was made with ``on_message_callback``
                (messages go there instead).
        """
        if self._on_message_callback is not None:
            raise RuntimeError("read_message() cannot be used with an on_message_callback")
        future: asyncio.Future[Message | None] = asyncio.get_running_loop().create_future()
        if self._messages:
            future.set_result(self._messages.popleft())
            space = self._space
            if space is not None and len(self._messages) < _MAX_WAITING:
                self._space = None
                space.set_result(None)
        elif self._closed:
            future.set_result(None)
        else:
            self._readers.append(future)
        if callback is not None:
            future.add_done_callback(callback)
        return future

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            message = await self.read_message()
            if message is None:
                return
            yield message

    def ping(self, data: str | bytes = b"") -> None:
        """Send a ping (the server answers with a pong).

        Raises:
            WebSocketClosedError: the connection is closed or closing.
            ValueError: ``data`` is over 125 bytes.
        """
        protocol = self.protocol
        if protocol is None:
            raise WebSocketClosedError("cannot ping: the WebSocket is not open")
        protocol.ping(data.encode("utf-8") if isinstance(data, str) else bytes(data))

    def on_ping(self, data: bytes) -> None:
        """Called when a ping arrives (the pong is sent automatically). Override if needed."""

    def on_pong(self, data: bytes) -> None:
        """Called when a pong arrives. Override if needed."""

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Start the closing handshake; `read_message` then returns ``None``.

        Raises:
            ValueError: an invalid code or a reason over 123 bytes.
        """
        if self.protocol is not None:
            self.protocol.close(code, reason)

    @property
    def selected_subprotocol(self) -> str | None:
        """The subprotocol the server chose, or ``None``."""
        return self._selected_subprotocol

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame (``None`` if none)."""
        return self.protocol.close_code if self.protocol is not None else None

    @property
    def close_reason(self) -> str | None:
        """The reason of the server's close frame (``None`` if none)."""
        return self.protocol.close_reason if self.protocol is not None else None

    # ------------------------------------------------------------------
    # ConnectionDelegate

    def _ws_on_message(self, message: Message) -> Awaitable[Any] | None:
        callback = self._on_message_callback
        if callback is not None:
            result = callback(message)
            return result if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future) else None
        if self._readers:
            self._readers.popleft().set_result(message)
            return None
        self._messages.append(message)
        if len(self._messages) >= _MAX_WAITING:
            self._space = asyncio.get_running_loop().create_future()
            return self._space
        return None

    def _ws_on_ping(self, data: bytes) -> None:
        self.on_ping(data)

    def _ws_on_pong(self, data: bytes) -> None:
        self.on_pong(data)

    def _ws_on_close(self) -> None:
        self._closed = True
        while self._readers:
            reader = self._readers.popleft()
            if not reader.done():
                reader.set_result(None)
        if self._on_message_callback is not None:
            self._on_message_callback(None)


class _HandshakeProtocol(asyncio.Protocol):
    """Send the upgrade request and collect the response head."""

    def __init__(self, request: bytes) -> None:
        self._request = request
        self._buffer = bytearray()
        self.head: asyncio.Future[tuple[bytes, bytes]] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self.head.done():
            self._buffer += data  # keep it until the WebSocket takes over
            return
        start = max(0, len(self._buffer) - 3)
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n", start)
        if end < 0:
            if len(self._buffer) > _MAX_HEAD:
                self.head.set_exception(
                    WebSocketHandshakeError(f"handshake response head over {_MAX_HEAD} bytes")
                )
                if self.transport is not None:
                    self.transport.abort()
            return
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        self.head.set_result((head, b""))

    def leftover(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer = bytearray()
        return data

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.head.done():
            self.head.set_exception(
                WebSocketHandshakeError(
                    "connection closed before the handshake response"
                    + (f": {exc}" if exc else "")
                )
            )


def _ssl_context(request: Any) -> ssl.SSLContext:
    options = getattr(request, "ssl_options", None)
    if options is not None:
        from squall.netutil import ssl_options_to_context

        return ssl_options_to_context(options, server_side=False)
    context = ssl.create_default_context(cafile=getattr(request, "ca_certs", None))
    if getattr(request, "validate_cert", True) is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client_cert = getattr(request, "client_cert", None)
    if client_cert:
        context.load_cert_chain(client_cert, getattr(request, "client_key", None))
    return context


def _request_headers(request: Any) -> list[tuple[str, str]]:
    headers = getattr(request, "headers", None)
    if not headers:
        return []
    if hasattr(headers, "get_all"):
        pairs = list(headers.get_all())
    else:
        pairs = list(dict(headers).items())
    out = []
    for name, value in pairs:
        name = str(name)
        value = str(value)
        if any(c in name + value for c in "\r\n\x00") or not name or ":" in name:
            raise ValueError(f"invalid request header {name[:40]!r}: no CR, LF, NUL or ':' in names")
        out.append((name, value))
    return out


def _handshake_failure(code: int, reason: str, headers: HTTPHeaders) -> Exception:
    message = f"WebSocket handshake failed: HTTP {code} {reason}"
    # Tornado raises HTTPClientError here; use it once squall.httpclient has it.
    import squall.httpclient

    client_error: Any = getattr(squall.httpclient, "HTTPClientError", None)
    if client_error is None:
        return WebSocketHandshakeError(message, code)
    error: Exception = client_error(code, message)
    return error


async def _connect(
    conn: WebSocketClientConnection,
    request: Any,
    connect_timeout: float | None,
    compression_options: dict[str, Any] | None,
    ping_interval: float | None,
    ping_timeout: float | None,
    max_message_size: int,
    subprotocols: list[str] | None,
    resolver: Resolver | None,
) -> WebSocketClientConnection:
    url = request if isinstance(request, str) else request.url
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss", "http", "https"):
        raise ValueError(f"unsupported WebSocket URL scheme {parts.scheme!r}: use ws:// or wss://")
    secure = scheme in ("wss", "https")
    host = parts.hostname
    if not host:
        raise ValueError(f"WebSocket URL {url!r} has no host")
    port = parts.port or (443 if secure else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host_header = f"[{host}]" if ":" in host else host
    if parts.port and parts.port != (443 if secure else 80):
        host_header += f":{parts.port}"
    if connect_timeout is None:
        connect_timeout = getattr(request, "connect_timeout", None) or _DEFAULT_TIMEOUT
    request_timeout = getattr(request, "request_timeout", None) or _DEFAULT_TIMEOUT

    options = None
    if compression_options is not None:
        options = _deflate.validate_compression_options(compression_options)
    key = make_key()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host_header}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if subprotocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(subprotocols))
    if options is not None:
        lines.append("Sec-WebSocket-Extensions: " + _deflate.client_offer(options))
    reserved = {"host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version"}
    for name, value in _request_headers(request):
        if name.lower() not in reserved:
            lines.append(f"{name}: {value}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    context = _ssl_context(request) if secure else None
    try:
        transport, handshake = await asyncio.wait_for(
            open_connection(
                lambda: _HandshakeProtocol(raw),
                host,
                port,
                ssl_context=context,
                resolver=resolver,
            ),
            connect_timeout,
        )
    except asyncio.TimeoutError:
        raise TimeoutError(
            f"timed out after {connect_timeout} s connecting to {host}:{port}"
        ) from None
    try:
        try:
            head, _ = await asyncio.wait_for(handshake.head, request_timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"timed out after {request_timeout} s waiting for the handshake response"
            ) from None
        text = head.decode("latin-1")
        first, _, rest = text.partition("\r\n")
        try:
            start = parse_response_start_line(first)
            headers = HTTPHeaders.parse(rest)
        except Exception as error:
            raise WebSocketHandshakeError(f"malformed handshake response: {error}") from None
        if start.code != 101:
            raise _handshake_failure(start.code, start.reason, headers)
        if "websocket" not in header_tokens(headers.get("Upgrade")):
            raise WebSocketHandshakeError("handshake response lacks 'Upgrade: websocket'", 101)
        if "upgrade" not in header_tokens(headers.get("Connection")):
            raise WebSocketHandshakeError("handshake response lacks 'Connection: Upgrade'", 101)
        if headers.get("Sec-WebSocket-Accept") != accept_key(key):
            raise WebSocketHandshakeError("handshake response has a wrong Sec-WebSocket-Accept", 101)
        chosen = parse_subprotocols(headers.get_list("Sec-WebSocket-Protocol"))
        if chosen:
            if len(chosen) > 1 or not subprotocols or chosen[0] not in subprotocols:
                raise WebSocketHandshakeError(
                    f"server selected a subprotocol that was not offered: {chosen!r}", 101
                )
            conn._selected_subprotocol = chosen[0]
        deflate = _deflate.accept_response(
            headers.get_list("Sec-WebSocket-Extensions"), options or {}
        )
    except BaseException:
        transport.abort()
        raise
    conn.headers = headers
    protocol = WebSocketProtocol(
        conn,
        is_client=True,
        max_message_size=max_message_size,
        deflate=deflate,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
    )
    conn.protocol = protocol
    transport.set_protocol(protocol)
    protocol.attach(transport, handshake.leftover())
    if handshake.lost:
        # The server hung up right after the handshake.
        protocol.connection_lost(None)
    return conn


def websocket_connect(
    url: Any,
    callback: Callable[[asyncio.Future[WebSocketClientConnection]], Any] | None = None,
    connect_timeout: float | None = None,
    on_message_callback: Callable[[Message | None], Any] | None = None,
    compression_options: dict[str, Any] | None = None,
    ping_interval: float | None = None,
    ping_timeout: float | None = None,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    subprotocols: list[str] | None = None,
    resolver: Resolver | None = None,
) -> asyncio.Future[WebSocketClientConnection]:
    """Open a client WebSocket connection.

    Args:
        url: a ``ws://`` or ``wss://`` URL, or an ``HTTPRequest`` (its
            ``url``, ``headers``, ``connect_timeout``, ``request_timeout``
            and TLS options ``validate_cert``, ``ca_certs``,
            ``client_cert``, ``client_key``, ``ssl_options`` are used).
            Certificates are verified unless ``validate_cert=False``.
        callback: called with the future when it completes.
        connect_timeout: seconds to establish the TCP/TLS connection.
        on_message_callback: called with each message (and ``None`` at
            the close) instead of queueing them for `read_message`.
        compression_options: ``None`` for no compression; a dict (see
            `WebSocketHandler.get_compression_options`) to offer
            permessage-deflate.
        ping_interval: send a ping every this many seconds.
        ping_timeout: close if a ping is not answered in this many seconds.
        max_message_size: largest message accepted (bytes); larger closes
            the connection with 1009.
        subprotocols: subprotocols to offer, in order of preference.
        resolver: the `squall.netutil.Resolver` that turns the host into
            addresses (e.g. an ``OverrideResolver`` in tests); by default
            ``Resolver()``, i.e. the class set with ``Resolver.configure``.
            The addresses are tried with happy eyeballs (RFC 8305): the
            next one starts 0.25 s after the previous one, or as soon as
            it fails, and the first to connect wins.

    Returns:
        A future resolving to a `WebSocketClientConnection`.

    Raises:
        WebSocketHandshakeError: (from the future) the answer was not a valid
            upgrade. A non-101 status raises ``squall.httpclient.HTTPClientError``
            (with ``code``) when that package provides it.
        TimeoutError: (from the future) connecting or the handshake took too
            long.
        OSError: (from the future) the connection failed (refused, TLS
            verification failed, ...).
    """
    conn = WebSocketClientConnection(on_message_callback)
    future = asyncio.ensure_future(
        _connect(
            conn,
            url,
            connect_timeout,
            compression_options,
            ping_interval,
            ping_timeout,
            max_message_size,
            subprotocols,
            resolver,
        )
    )
    if callback is not None:
        future.add_done_callback(callback)
    return future
