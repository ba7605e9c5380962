"""A small real-HTTP harness for squall.web tests.

Temporary: the squall-testing pytest plugin will provide the same fixture
names (``app``, ``http_server``, ``fetch``). Here the application is served by
``squall.httpserver.HTTPServer`` on a free loopback port, on an event loop in
a background thread; ``fetch`` talks to it with the stdlib's ``http.client``
from the test thread. If the server package is not importable yet, a minimal
one-request-per-connection stand-in (below) drives the same delegate API.
"""

from __future__ import annotations

import asyncio
import http.client
import inspect
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from squall.httputil import (
    HTTPConnectionContext,
    HTTPHeaders,
    ResponseStartLine,
    parse_request_start_line,
)

# Tests import helpers from websupport.py (importlib mode does not put this
# directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import websupport  # noqa: E402


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (bounded) for effects that follow the response."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


@dataclass
class Response:
    code: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def cookies(self) -> dict[str, str]:
        """Set-Cookie headers as {name: whole header value}."""
        out = {}
        for value in self.headers.get_all("Set-Cookie") or []:
            out[value.split("=", 1)[0]] = value
        return out


class ServerThread:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("test server did not start")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # report start-up failures to the test
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._shutdown())
        self.loop.close()

    async def _serve(self) -> None:
        try:
            from squall.httpserver import HTTPServer
            from squall.netutil import bind_sockets
        except ImportError:
            self.server: Any = None
            self._mini = await asyncio.start_server(self._mini_connection, "127.0.0.1", 0)
            self.port = self._mini.sockets[0].getsockname()[1]
            return
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server = HTTPServer(self.app)
        self.server.add_sockets(sockets)

    async def _shutdown(self) -> None:
        if self.server is not None:
            self.server.stop()
            close_all = getattr(self.server, "close_all_connections", None)
            if close_all is not None:
                result = close_all()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, 5)
        else:
            self._mini.close()
        tasks = [t for t in asyncio.all_tasks(self.loop) if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    # -- the stand-in server: one request per connection -----------------

    async def _mini_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        start = parse_request_start_line(lines[0])
        headers = HTTPHeaders.parse("\r\n".join(lines[1:]))
        conn = _MiniConnection(writer)
        delegate = self.app.start_request(object(), conn)
        result = delegate.headers_received(start, headers)
        if inspect.isawaitable(result):
            await result
        length = int(headers.get("Content-Length", "0"))
        if length:
            body = await reader.readexactly(length)
            result = delegate.data_received(body)
            if inspect.isawaitable(result):
                await result
        delegate.finish()
        done = asyncio.ensure_future(conn.done.wait())
        eof = asyncio.ensure_future(reader.read(1))
        await asyncio.wait({done, eof}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        done.cancel()
        eof.cancel()
        if not conn.done.is_set() and conn.close_callback is not None:
            conn.close_callback()
        writer.close()


class _MiniConnection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.context = HTTPConnectionContext("127.0.0.1", "http")
        self.done = asyncio.Event()
        self.close_callback: Callable[[], None] | None = None
        self.chunked = False

    def _future(self) -> asyncio.Future[None]:
        f: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        f.set_result(None)
        return f

    def write_headers(
        self, start_line: ResponseStartLine, headers: HTTPHeaders, chunk: bytes | None = None
    ) -> asyncio.Future[None]:
        if "Content-Length" not in headers:
            self.chunked = True
            headers["Transfer-Encoding"] = "chunked"
        headers["Connection"] = "close"
        out = f"HTTP/1.1 {start_line.code} {start_line.reason}\r\n{headers}\r\n".encode("latin-1")
        self.writer.write(out)
        if chunk:
            self.write(chunk)
        return self._future()

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        if self.chunked:
            chunk = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        self.writer.write(chunk)
        return self._future()

    def finish(self) -> None:
        if self.chunked:
            self.writer.write(b"0\r\n\r\n")
        self.done.set()

    def close(self) -> None:
        self.done.set()
        self.writer.transport.abort()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        self.close_callback = callback

    def set_max_body_size(self, size: int) -> None:
        pass

    def set_body_timeout(self, timeout: float) -> None:
        pass


# -- transition: files listed in MIGRATED run on squall-testing's plugin ---

MIGRATED: set[str] = {"test_application.py", "test_async.py", "test_auth_redirect.py", "test_compression.py", "test_cookies.py", "test_handler.py", "test_routing.py", "test_spec_examples.py", "test_static.py", "test_streaming.py", "test_templates.py", "test_uimodules.py", "test_xsrf.py"}


def _migrated(request: pytest.FixtureRequest) -> bool:
    return request.node.path.name in MIGRATED


@pytest.fixture
def http_server(request: pytest.FixtureRequest, app: Any) -> Iterator[Any]:
    if _migrated(request):
        yield request.getfixturevalue("http_server")
        return
    server = ServerThread(app)
    server.start()
    yield server
    server.stop()


def make_fetch(port: int) -> Callable[..., Response]:
    def fetch(
        path: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            headers = dict(headers or {})
            if body and not any(k.lower() == "content-type" for k in headers):
                # Like curl -d: a body without a type is a form.
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.reason, resp.headers, data)
        finally:
            conn.close()

    return fetch


@pytest.fixture
def fetch(request: pytest.FixtureRequest, http_server: Any) -> Any:
    """``fetch(path, method="GET", body=None, headers=None)`` against ``app``."""
    if _migrated(request):
        return request.getfixturevalue("fetch")
    return make_fetch(http_server.port)


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``serve(application)`` starts another server; returns its fetch function."""
    if _migrated(request):
        yield request.getfixturevalue("serve")
        return
    servers: list[ServerThread] = []

    def start(application: Any) -> Callable[..., Response]:
        server = ServerThread(application)
        server.start()
        servers.append(server)
        fetch = make_fetch(server.port)
        fetch.port = server.port  # type: ignore[attr-defined]
        return fetch

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def wait_until(request: pytest.FixtureRequest) -> Any:
    """``wait_until(condition)``: poll (bounded) for effects after a response."""
    if _migrated(request):
        return websupport.wait_until
    return _wait_until


@pytest.fixture
def raw_request(request: pytest.FixtureRequest, http_server: Any) -> Any:
    """Send raw bytes, return everything the server answers until it closes."""
    if _migrated(request):
        port = request.getfixturevalue("http_port")

        async def exchange(data: bytes, timeout: float = 4.0, *, until_close: bool = False) -> bytes:
            return await websupport.raw_exchange(port, data, timeout, until_close=until_close)

        return exchange

    def send(data: bytes, timeout: float = 10) -> bytes:
        with socket.create_connection(("127.0.0.1", http_server.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                if b"Connection: close" not in data and _complete(b"".join(chunks)):
                    break
            return b"".join(chunks)

    return send


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return body.endswith(b"0\r\n\r\n")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with asyncio.run."""
    if pyfuncitem.path.name in MIGRATED:
        return None
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs = {name: pyfuncitem.funcargs[name] for name in names}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None
