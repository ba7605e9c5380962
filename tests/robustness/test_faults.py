"""Faults: clients that vanish, handlers that raise, shutdown under load.

Whatever one client or handler does, the event loop stays healthy and other
clients are served: a canary client runs alongside the faults and must see
only 200s. Errors are logged, never raised out of the loop (no asyncio
"Exception in callback" records).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from squall.web import Application, HTTPError, RequestHandler, stream_request_body


class Events:
    """What the handlers saw, shared with the test thread."""

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.progress = [0]
        self.gate: asyncio.Event | None = None
        self.entered = 0


class Boom(Exception):
    """The exception the faulty handlers raise."""


def _faulty(where: str) -> type[RequestHandler]:
    class Faulty(RequestHandler):
        def initialize(self) -> None:  # type: ignore[override]
            if where == "initialize":
                raise Boom(where)

        def prepare(self) -> None:
            if where == "prepare":
                raise Boom(where)

        def get(self) -> None:
            if where in ("get", "write_error"):
                raise Boom(where)
            self.write("fine")

        def on_finish(self) -> None:
            if where == "on_finish":
                raise Boom(where)

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            if where == "write_error":
                raise Boom("write_error itself")
            super().write_error(status_code, **kwargs)

    Faulty.__name__ = f"Faulty_{where}"
    return Faulty


class AsyncFaulty(RequestHandler):
    async def get(self) -> None:
        await asyncio.sleep(0)
        raise Boom("async get")


class Streamer(RequestHandler):
    """Streams up to 64 MiB with flush(); records its connection closing."""

    def initialize(self, events: Events) -> None:  # type: ignore[override]
        self.events = events

    async def get(self) -> None:
        chunk = b"s" * 65536
        for _ in range(1024):
            self.write(chunk)
            await self.flush()
            self.events.progress[0] += 1

    def on_connection_close(self) -> None:
        self.events.closed.append("stream")


class BusyThenStream(RequestHandler):
    """Blocks the loop briefly (CPU work), then streams up to 64 MiB with flush()."""

    def initialize(self, events: Events) -> None:  # type: ignore[override]
        self.events = events

    async def get(self) -> None:
        self.events.entered += 1
        time.sleep(0.3)  # the client goes away meanwhile; the loop cannot notice yet
        chunk = b"s" * 65536
        try:
            for _ in range(1024):
                self.write(chunk)
                await self.flush()
                self.events.progress[0] += 1
        except Exception as error:
            self.events.closed.append(type(error).__name__)
            raise

    def on_connection_close(self) -> None:
        self.events.closed.append("busy")


@stream_request_body
class Upload(RequestHandler):
    def initialize(self, events: Events) -> None:  # type: ignore[override]
        self.events = events

    def data_received(self, chunk: bytes) -> None:
        if b"boom" in chunk:
            raise Boom("data_received")

    def put(self) -> None:
        self.write("stored")

    def on_connection_close(self) -> None:
        self.events.closed.append("upload")


class CloseRaises(RequestHandler):
    def initialize(self, events: Events) -> None:  # type: ignore[override]
        self.events = events

    async def get(self) -> None:
        await asyncio.sleep(30)

    def on_connection_close(self) -> None:
        self.events.closed.append("raising")
        raise Boom("on_connection_close")


class Slow(RequestHandler):
    """Waits on the events' gate: a request in flight during shutdown."""

    def initialize(self, events: Events) -> None:  # type: ignore[override]
        self.events = events

    async def get(self) -> None:
        self.events.entered += 1
        assert self.events.gate is not None
        await self.events.gate.wait()
        self.write("finished " + self.request.path)


class Canary(RequestHandler):
    def get(self) -> None:
        self.write("alive")


class Reason(RequestHandler):
    def get(self) -> None:
        raise HTTPError(400)


def _app(events: Events) -> Application:
    kw = {"events": events}
    handlers: list[Any] = [(rf"/raise/{where}", _faulty(where)) for where in
                           ("initialize", "prepare", "get", "on_finish", "write_error")]
    handlers += [
        (r"/raise/async", AsyncFaulty),
        (r"/stream", Streamer, kw),
        (r"/busy-stream", BusyThenStream, kw),
        (r"/upload", Upload, kw),
        (r"/close-raises", CloseRaises, kw),
        (r"/slow/.*", Slow, kw),
        (r"/canary", Canary),
    ]
    return Application(handlers)


def _get(port: int, path: str, timeout: float = 5) -> tuple[int | None, bytes]:
    """One GET with Connection: close; (status or None if no answer, raw bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    return int(data[9:12]), data


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), like a client that crashed."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class CanaryClient:
    """Requests /canary in a loop from a thread; every answer must be a 200."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.statuses: list[int | None] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canary")

    def _run(self) -> None:
        while not self._stop.is_set():
            status, _ = _get(self.port, "/canary")
            self.statuses.append(status)
            time.sleep(0.005)

    def __enter__(self) -> CanaryClient:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def server(make_server: Any, events: Events) -> Any:
    return make_server(_app(events), header_timeout=1, body_timeout=1, idle_connection_timeout=5)


@pytest.fixture
def loop_errors(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Records of errors that escaped to the event loop (must stay empty)."""
    caplog.set_level(logging.INFO)
    out: list[logging.LogRecord] = []
    yield out
    out.extend(r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR)
    assert out == [], [r.getMessage() for r in out]


# -- handlers raising -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "statuses"),
    [
        ("initialize", {500}),
        ("prepare", {500}),
        ("get", {500}),
        ("async", {500}),
        ("on_finish", {200}),
        # The error page itself failed: a bare 500 or a closed connection, never a hang.
        ("write_error", {500, None}),
    ],
)
def test_handler_raising_in_each_lifecycle_method(
    server: Any,
    where: str,
    statuses: set[int | None],
    loop_errors: list[logging.LogRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with CanaryClient(server.port) as canary:
        results = [_get(server.port, f"/raise/{where}") for _ in range(5)]
        time.sleep(0.05)
    assert {status for status, _ in results} <= statuses, results
    assert canary.statuses and set(canary.statuses) == {200}
    for _, data in results:
        assert b"Boom" not in data, "traceback sent to the client outside debug mode"
        assert b"Traceback" not in data
    # Every failure is logged with its traceback on the server side.
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], Boom)]
    assert logged


def test_data_received_raising_fails_only_its_request(
    server: Any, raw: Any, loop_errors: list[logging.LogRecord]
) -> None:
    head = b"PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n"
    responses, _ = raw(server.port, head + b"boomboom", expect=1)
    assert [r.status for r in responses] in ([500], [400])
    responses, _ = raw(server.port, head + b"12345678", expect=1)
    assert [(r.status, r.body) for r in responses] == [(200, b"stored")]


def test_on_connection_close_raising_is_contained(
    server: Any, events: Events, loop_errors: list[logging.LogRecord]
) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /close-raises HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.1)
    _reset(sock)
    deadline = time.monotonic() + 5
    while "raising" not in events.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "raising" in events.closed
    assert _get(server.port, "/canary")[0] == 200


# -- clients disconnecting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GET /canary HTTP/1.1\r\nHo", id="mid-head"),
        pytest.param(b"PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc", id="mid-body"),
        pytest.param(
            b"PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10", id="mid-chunk"
        ),
        pytest.param(b"PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", id="after-100-continue"),
    ],
)
@pytest.mark.parametrize("how", ["close", "reset"])
def test_client_vanishing_mid_request(
    server: Any, data: bytes, how: str, loop_errors: list[logging.LogRecord]
) -> None:
    with CanaryClient(server.port) as canary:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(data)
            if how == "reset":
                _reset(sock)
            else:
                sock.close()
        assert _wait(lambda: server.connection_count() <= 1)
    assert canary.statuses and set(canary.statuses) == {200}


def test_client_vanishing_mid_response(
    server: Any, events: Events, loop_errors: list[logging.LogRecord]
) -> None:
    with CanaryClient(server.port) as canary:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
            got = 0
            while got < 200_000:
                chunk = sock.recv(65536)
                assert chunk
                got += len(chunk)
            _reset(sock)
        assert _wait(lambda: server.connection_count() <= 1)
    assert canary.statuses and set(canary.statuses) == {200}


def test_streaming_handler_learns_that_its_client_is_gone(server: Any, events: Events) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /busy-stream HTTP/1.1\r\nHost: a\r\n\r\n")
    assert _wait(lambda: events.entered == 1)
    _reset(sock)
    assert _wait(lambda: bool(events.closed) or events.progress[0] == 1024)
    # flush() failed (or on_connection_close ran) long before the 1,024 chunks.
    assert events.progress[0] < 512, f"{events.progress[0]} chunks written to a dead client"
    assert events.closed


def _wait(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# -- graceful shutdown -------------------------------------------------------------------------------


def test_graceful_shutdown_finishes_requests_in_flight(server: Any, events: Events) -> None:
    async def make_gate() -> None:
        events.gate = asyncio.Event()

    server.call(make_gate)
    results: dict[int, tuple[int | None, bytes]] = {}

    def client(i: int) -> None:
        results[i] = _get(server.port, f"/slow/{i}", timeout=10)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    assert _wait(lambda: events.entered == 20)

    async def begin_shutdown() -> asyncio.Task[None]:
        server.server.stop()
        return asyncio.ensure_future(server.server.close_all_connections(timeout=10))

    closing = server.call(begin_shutdown)
    # No new connections once stopped.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()

    async def release() -> None:
        assert events.gate is not None
        events.gate.set()
        await closing

    server.call(release)
    for t in threads:
        t.join(10)
    assert sorted(results) == list(range(20))
    for i, (status, data) in results.items():
        assert status == 200
        assert data.endswith(f"finished /slow/{i}".encode())
