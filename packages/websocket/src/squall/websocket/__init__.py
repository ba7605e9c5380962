"""squall.websocket: WebSocket server handler and client (RFC 6455, RFC 7692).

On the server, route a URL to a `WebSocketHandler` subclass::

    import squall.web
    import squall.websocket

    class EchoHandler(squall.websocket.WebSocketHandler):
        def on_message(self, message):
            self.write_message("You said: " + message)

    app = squall.web.Application([(r"/ws", EchoHandler)])

As a client, `websocket_connect` returns a `WebSocketClientConnection`::

    conn = await squall.websocket.websocket_connect("ws://localhost:8888/ws")
    await conn.write_message("hello")
    reply = await conn.read_message()
"""

from ._client import WebSocketClientConnection as WebSocketClientConnection
from ._client import websocket_connect as websocket_connect
from ._errors import WebSocketClosedError as WebSocketClosedError
from ._errors import WebSocketError as WebSocketError
from ._errors import WebSocketHandshakeError as WebSocketHandshakeError
from ._errors import WebSocketProtocolError as WebSocketProtocolError
from ._handler import WebSocketHandler as WebSocketHandler

__all__ = [
    "WebSocketClientConnection",
    "WebSocketClosedError",
    "WebSocketError",
    "WebSocketHandler",
    "WebSocketHandshakeError",
    "WebSocketProtocolError",
    "websocket_connect",
]
