"""squall.httpserver: a fast, hardened non-blocking HTTP/1.1 server.

`HTTPServer` serves an application (an `HTTPServerConnectionDelegate`
such as ``squall.web.Application``, or a plain ``callback(request)``) over
TCP, TLS or unix sockets, with keep-alive, pipelining, chunked bodies,
``100-continue``, proxy headers, timeouts and graceful shutdown.
`HTTPRequest` is ``squall.httputil.HTTPServerRequest``.
"""

from squall.httputil import HTTPServerRequest as HTTPRequest

from ._server import HTTPServer as HTTPServer
from ._server import default_max_connections as default_max_connections

__all__ = ["HTTPRequest", "HTTPServer", "default_max_connections"]
