"""squall.httpserver: a fast, hardened non-blocking HTTP/1.1 server."""

from squall.httputil import HTTPServerRequest as HTTPRequest

__all__ = ["HTTPRequest"]
