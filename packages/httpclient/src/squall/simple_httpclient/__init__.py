"""squall.simple_httpclient: the pure-Python back end of `squall.httpclient`.

`SimpleAsyncHTTPClient` is the default `AsyncHTTPClient` implementation:
HTTP/1.1 over asyncio transports, built on squall's sans-IO codec, with a
keep-alive connection pool.
"""

from ._client import SimpleAsyncHTTPClient as SimpleAsyncHTTPClient

__all__ = ["SimpleAsyncHTTPClient"]
