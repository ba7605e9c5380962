"""The exceptions of squall.websocket."""

from __future__ import annotations

__all__ = [
    "WebSocketClosedError",
    "WebSocketError",
    "WebSocketHandshakeError",
    "WebSocketProtocolError",
]


class WebSocketError(Exception):
    """Base class of every error raised by squall.websocket."""


class WebSocketClosedError(WebSocketError):
    """Raised when writing to (or pinging) a WebSocket that is closed or closing.

    Once either side has sent a close frame no more messages may be sent
    (RFC 6455 section 5.5.1); check ``close_code`` or wait for ``on_close``.
    """


class WebSocketHandshakeError(WebSocketError):
    """The opening handshake failed (client side).

    Raised by `websocket_connect` when the server's answer is not a valid
    ``101 Switching Protocols`` for the request that was sent (bad
    ``Sec-WebSocket-Accept``, an extension or subprotocol that was not
    offered, a malformed header).

    Attributes:
        code: the HTTP status the server answered, if it answered.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class WebSocketProtocolError(WebSocketError):
    """The peer broke RFC 6455/7692; the connection is failed with ``code``.

    Raised by the sans-IO frame codec; the connection turns it into a close
    frame with this code (1002 protocol error, 1007 invalid payload, 1009
    message too big) and closes the TCP connection.

    Attributes:
        code: the close code to send to the peer.
        reason: a short explanation (sent as the close reason).
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (close code {code})")
        self.code = code
        self.reason = reason
