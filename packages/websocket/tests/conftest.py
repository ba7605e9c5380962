"""Test harness for squall.websocket: servers on the test's own event loop.

``async def`` tests run with ``asyncio.run``. `serve(app)` starts an HTTP
server for a squall.web Application on a free loopback port and returns the
port. Until squall.httpserver's connections can ``detach()``, the server is
a small stand-in here (one request per connection) whose connection offers
exactly the hook WebSocketHandler needs: ``detach()`` returning the
transport and the bytes read past the request head.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from squall.httputil import (
    HTTPConnectionContext,
    HTTPHeaders,
    RequestStartLine,
    ResponseStartLine,
    parse_request_start_line,
)

# Tests import the raw-frame helpers in wsraw.py (importlib mode does not
# put this directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class _MiniConnection:
    """The `HTTPConnection` of one request on the stand-in server."""

    def __init__(self, protocol: _MiniHTTPProtocol) -> None:
        self._protocol = protocol
        self.context = HTTPConnectionContext("127.0.0.1", "http")

    def _done(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def write_headers(
        self, start_line: ResponseStartLine, headers: HTTPHeaders, chunk: bytes | None = None
    ) -> asyncio.Future[None]:
        headers["Connection"] = "close"
        out = f"HTTP/1.1 {start_line.code} {start_line.reason}\r\n"
        for name, value in headers.get_all():
            out += f"{name}: {value}\r\n"
        self._protocol.transport.write(out.encode("latin-1") + b"\r\n" + (chunk or b""))
        return self._done()

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        self._protocol.transport.write(chunk)
        return self._done()

    def finish(self) -> None:
        self._protocol.transport.close()

    def detach(self) -> tuple[asyncio.Transport, bytes]:
        protocol = self._protocol
        protocol.detached = True
        leftover = bytes(protocol.buffer)
        protocol.buffer.clear()
        return protocol.transport, leftover

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        pass

    def set_max_body_size(self, size: int) -> None:
        pass

    def set_body_timeout(self, timeout: float) -> None:
        pass


class _MiniHTTPProtocol(asyncio.Protocol):
    def __init__(self, app: Any) -> None:
        self.app = app
        self.buffer = bytearray()
        self.busy = False
        self.detached = False
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.busy:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        self.busy = True
        first, _, rest = head.partition("\r\n")
        try:
            start: RequestStartLine = parse_request_start_line(first)
            headers = HTTPHeaders.parse(rest)
        except Exception:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            self.transport.close()
            return
        asyncio.ensure_future(self._run(start, headers))

    async def _run(self, start: RequestStartLine, headers: HTTPHeaders) -> None:
        delegate = self.app.start_request(self, _MiniConnection(self))
        result = delegate.headers_received(start, headers)
        if inspect.isawaitable(result):
            await result
        delegate.finish()


@asynccontextmanager
async def _serve(app: Any) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _MiniHTTPProtocol(app), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def serve() -> Callable[[Any], Any]:
    """``async with serve(app) as port:`` runs ``app`` on 127.0.0.1:port."""
    return _serve


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with asyncio.run (bounded by pytest-timeout)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs = {name: pyfuncitem.funcargs[name] for name in names}
        asyncio.run(asyncio.wait_for(pyfuncitem.obj(**kwargs), 30))
        return True
    return None


def raise_nofile(target: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit towards ``target``; return the new limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(target, hard) if hard != resource.RLIM_INFINITY else target
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return soft

