"""Real servers for the squall.wsgi tests, each on a free loopback port.

- `squall_server`: squall's HTTPServer on an event loop in a background thread.
- `wsgiref_server`: the stdlib's reference WSGI server in a thread.
- `gunicorn_server`: gunicorn in a subprocess (sync worker).
- `uvicorn_server`: uvicorn's ``Server`` in a thread.
- `fetch`: a plain ``http.client`` request from the test thread.

Every wait is bounded (a socket timeout or a deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.netutil import bind_sockets

TIMEOUT = 10.0


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(
    port: int,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One request on a new connection; the whole response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.headers, data)
    finally:
        conn.close()


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


class SquallServer:
    """HTTPServer on its own loop in a thread."""

    def __init__(self, make_delegate: Callable[[], Any]) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.server: HTTPServer | None = None
        self.delegate: Any = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(make_delegate,), name="squall-test-server", daemon=True
        )

    def _run(self, make_delegate: Callable[[], Any]) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.delegate = make_delegate()
            sockets = bind_sockets(0, "127.0.0.1")
            self.port = sockets[0].getsockname()[1]
            self.server = HTTPServer(self.delegate)
            self.server.add_sockets(sockets)

        try:
            self.loop.run_until_complete(start())
        except BaseException as error:
            self.error = error
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> SquallServer:
        self._thread.start()
        if not self._ready.wait(TIMEOUT):
            raise AssertionError("the squall server did not start")
        if self.error is not None:
            raise self.error
        return self

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    def stop(self) -> None:
        server = self.server
        if server is not None:

            async def shutdown() -> None:
                server.stop()
                await server.close_all_connections(timeout=5)

            self.call(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.loop.run_until_complete(drain())
        self.loop.close()


@pytest.fixture
def squall_server() -> Iterator[Callable[[Callable[[], Any]], SquallServer]]:
    """Start HTTPServer(make_delegate()) in a thread; returns the server object."""
    servers: list[SquallServer] = []

    def start(make_delegate: Callable[[], Any]) -> SquallServer:
        server = SquallServer(make_delegate).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass


class _ThreadedWSGIServer(wsgiref.simple_server.WSGIServer):
    daemon_threads = True


@pytest.fixture
def wsgiref_server() -> Iterator[Callable[[Any], int]]:
    """Serve a WSGI app with wsgiref in a thread; returns the port."""
    started: list[tuple[wsgiref.simple_server.WSGIServer, threading.Thread]] = []

    def start(app: Any) -> int:
        httpd = wsgiref.simple_server.make_server(
            "127.0.0.1", 0, app, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        started.append((httpd, thread))
        return httpd.server_address[1]

    yield start
    for httpd, thread in started:
        httpd.shutdown()
        httpd.server_close()
        thread.join(TIMEOUT)


_LISTENING = re.compile(rb"Listening at: http://127\.0\.0\.1:(\d+)")


@contextlib.contextmanager
def gunicorn(app_dir: Path, target: str, *args: str) -> Iterator[int]:
    """Run gunicorn on ``module:callable`` from ``app_dir``; yields its port."""
    import gunicorn  # noqa: F401 - fail here, clearly, if it is not installed

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    # "python -m gunicorn" rather than the console script: it works wherever
    # the package is importable (the isolation check's test layer, too).
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--chdir",
            str(app_dir),
            "--log-level",
            "info",
            *args,
            target,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    output = b""
    try:
        deadline = time.monotonic() + 30
        port = None
        while port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                raise AssertionError(f"gunicorn did not start: {output.decode(errors='replace')}")
            ready, _, _ = select.select([proc.stderr], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                output += chunk
                match = _LISTENING.search(output)
                if match:
                    port = int(match.group(1))
        # The worker boots after the arbiter listens; wait until it answers.
        wait_until(lambda: _accepts(port), timeout=30)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(TIMEOUT)
        proc.stderr.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def uvicorn_server() -> Iterator[Callable[..., int]]:
    """Serve an ASGI app with uvicorn.Server in a thread; returns the port."""
    import uvicorn

    started: list[tuple[Any, threading.Thread]] = []

    def start(app: Any, **options: Any) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        options.setdefault("log_level", "warning")
        config = uvicorn.Config(app, **options)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        started.append((server, thread))
        wait_until(lambda: bool(server.started) or not thread.is_alive())
        if not server.started:
            raise AssertionError("uvicorn did not start")
        return port

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(TIMEOUT)


@pytest.fixture(name="fetch")
def fetch_fixture() -> Callable[..., Response]:
    """`fetch(port, path, method="GET", body=None, headers=None)`."""
    return fetch


@pytest.fixture
def gunicorn_server() -> Iterator[Callable[..., int]]:
    """Start gunicorn on ``module:callable`` in a directory; returns the port."""
    stack = contextlib.ExitStack()

    def start(app_dir: Path, target: str, *args: str) -> int:
        return stack.enter_context(gunicorn(app_dir, target, *args))

    with stack:
        yield start
