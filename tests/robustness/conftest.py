"""Shared machinery of the robustness suite: a live server and a raw client.

The server under test is a real ``squall.httpserver.HTTPServer`` serving a
``squall.web.Application`` on a free 127.0.0.1 port, run by an asyncio loop
in a background thread. Tests talk to it with plain blocking sockets and raw
bytes, so nothing in the client path can "fix" a malformed request.

The application's canary handler records every request it is given
(method, path, body length, headers): a smuggled request shows up there.

pytest runs with ``--import-mode=importlib``, so test modules cannot import
this file; its helpers are handed out as fixtures (``live_server``,
``raw``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.netutil import bind_sockets
from squall.web import Application, RequestHandler

SMUGGLED_PATH = "/smuggled"


@dataclasses.dataclass
class Hit:
    """One request that reached the canary handler."""

    method: str
    path: str
    body_length: int
    headers: dict[str, list[str]]
    host: str


class CanaryHandler(RequestHandler):
    """Answers every request with 200 and records it."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")

    def initialize(self, hits: list[Hit]) -> None:  # type: ignore[override]
        self.hits = hits

    def prepare(self) -> None:
        headers: dict[str, list[str]] = {}
        for name, value in self.request.headers.get_all():
            headers.setdefault(name.lower(), []).append(value)
        self.hits.append(
            Hit(
                method=self.request.method or "",
                path=self.request.path,
                body_length=len(self.request.body),
                headers=headers,
                host=self.request.host,
            )
        )

    def _answer(self, *args: str) -> None:
        self.write(f"ok {len(self.request.body)}\n")

    get = post = put = delete = options = patch = _answer

    def head(self, *args: str) -> None:
        pass


class LiveServer:
    """An HTTPServer on its own loop in a daemon thread.

    Args:
        app: The application (or request callback) to serve; by default a
            canary application whose hits are in ``self.hits``.
        server_kwargs: Keyword arguments for ``HTTPServer``.
    """

    def __init__(self, app: Any = None, **server_kwargs: Any) -> None:
        self.hits: list[Hit] = []
        if app is None:
            app = Application([(r"/.*", CanaryHandler, {"hits": self.hits})])
        self.app = app
        self.server_kwargs = server_kwargs
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self.server: HTTPServer | None = None
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> LiveServer:
        self.thread.start()
        self.call(self._start)
        return self

    async def _start(self) -> None:
        sockets = bind_sockets(0, "127.0.0.1", backlog=4096)
        self.port = sockets[0].getsockname()[1]
        self.server = HTTPServer(self.app, **self.server_kwargs)
        self.server.add_sockets(sockets)
        await asyncio.sleep(0)

    def call(self, coro_fn: Callable[[], Any], timeout: float = 10) -> Any:
        """Run ``coro_fn()`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro_fn(), self.loop).result(timeout)

    def loop_lag(self) -> float:
        """Seconds the server loop takes to run a callback posted to it now."""
        done = threading.Event()
        start = time.monotonic()
        self.loop.call_soon_threadsafe(done.set)
        if not done.wait(10):
            raise AssertionError("the server loop did not run a callback within 10 s")
        return time.monotonic() - start

    def connection_count(self) -> int:
        assert self.server is not None

        async def count() -> int:
            assert self.server is not None
            return len(self.server._connections)

        return int(self.call(count))

    def stop(self, timeout: float = 5) -> None:
        async def shutdown() -> None:
            assert self.server is not None
            self.server.stop()
            await self.server.close_all_connections(timeout=2)

        try:
            self.call(shutdown, timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout)
            if not self.thread.is_alive():
                self.loop.close()

    def canary_ok(self) -> bool:
        """A fresh client's GET /canary is answered (200, or 404 where not routed)."""
        before = len(self.hits)
        responses, _ = exchange(
            self.port, b"GET /canary HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
        ok = len(responses) == 1 and responses[0].status in (200, 404)
        # Leave the hit list as it was: callers count their own hits.
        del self.hits[before:]
        return ok


@dataclasses.dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def parse_responses(data: bytes) -> tuple[list[Response], bytes]:
    """Split ``data`` into complete HTTP/1.1 responses; return them and the rest."""
    out: list[Response] = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, data
        lines = data[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise AssertionError(f"not a status line: {lines[0]!r}")
        status = int(parts[1])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        rest = data[end + 4 :]
        fields = {k.lower(): v for k, v in headers}
        if 100 <= status < 200:
            data = rest
            continue
        if "content-length" in fields:
            length = int(fields["content-length"])
            if len(rest) < length:
                return out, data
            body, rest = rest[:length], rest[length:]
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            pos = 0
            while True:
                eol = rest.find(b"\r\n", pos)
                if eol < 0:
                    return out, data
                size = int(rest[pos:eol].split(b";")[0], 16)
                if size == 0:
                    fin = rest.find(b"\r\n\r\n", eol)
                    if fin < 0:
                        return out, data
                    rest = rest[fin + 4 :]
                    break
                if len(rest) < eol + 2 + size + 2:
                    return out, data
                body += rest[eol + 2 : eol + 2 + size]
                pos = eol + 2 + size + 2
        else:
            body = b""
        out.append(Response(status, headers, body))
        data = rest


def exchange(
    port: int,
    data: bytes | list[bytes],
    *,
    expect: int | None = None,
    timeout: float = 5.0,
    pause: float = 0.0,
) -> tuple[list[Response], bool]:
    """Send raw bytes; collect responses until the server closes.

    Args:
        port: The server's port on 127.0.0.1.
        data: Bytes to send, or a list of pieces sent with ``pause`` between.
        expect: Stop (without waiting for a close) once this many responses
            have arrived.
        timeout: The longest wait for the server.
        pause: Seconds between pieces.

    Returns:
        The complete responses, and whether the server closed the connection.
    """
    pieces = data if isinstance(data, list) else [data]
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    closed = False
    deadline = time.monotonic() + timeout
    try:
        for i, piece in enumerate(pieces):
            if i and pause:
                time.sleep(pause)
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
        while time.monotonic() < deadline:
            if expect is not None and len(parse_responses(buf)[0]) >= expect:
                break
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
    finally:
        sock.close()
    responses, _ = parse_responses(buf)
    return responses, closed


@pytest.fixture
def raw() -> Callable[..., tuple[list[Response], bool]]:
    """The raw-socket ``exchange`` helper."""
    return exchange


@pytest.fixture
def make_server() -> Iterator[Callable[..., LiveServer]]:
    """A factory of started `LiveServer`s, stopped after the test."""
    started: list[LiveServer] = []

    def factory(app: Any = None, **kwargs: Any) -> LiveServer:
        server = LiveServer(app, **kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_server() -> Iterator[Callable[..., LiveServer]]:
    """Like ``make_server``, for servers shared by a module's tests."""
    started: list[LiveServer] = []

    def factory(app: Any = None, **kwargs: Any) -> LiveServer:
        server = LiveServer(app, **kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LiveServer]:
    """One canary server per module, with small limits and short timeouts."""
    server = LiveServer(
        None,
        max_body_size=1024 * 1024,
        header_timeout=2.0,
        body_timeout=2.0,
        idle_connection_timeout=2.0,
    ).start()
    yield server
    server.stop()
