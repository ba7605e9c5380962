"""Real third-party servers for the squall.wsgi tests, each on a free loopback port.

squall's own server, the event loop and the client come from squall-testing's
pytest plugin (a test-only sibling, see pyproject.toml): ``async def`` tests
run on the test's `IOLoop`, ``serve(WSGIContainer(app))`` starts squall's
`HTTPServer` on that loop and returns its ``fetch``, and ``http_client`` is
the client. What the plugin cannot give is a *foreign* server; those live
here:

- `wsgiref_server`: the stdlib's reference WSGI server in a thread.
- `gunicorn_server`: gunicorn in a subprocess (sync worker).
- `uvicorn_server`: uvicorn's ``Server`` in a thread.

The plugin's ``fetch`` fixture takes their absolute URLs
(``await fetch(f"http://127.0.0.1:{port}/path")``) with its usual defaults
(4xx/5xx returned, redirects not followed, bodies as sent).

Every wait is bounded (a socket timeout, a deadline or the plugin's test
timeout).
"""

from __future__ import annotations

import contextlib
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
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 10.0


def block_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Block (bounded) until a foreign server in another thread or process is up.

    Only for the synchronous start-up of those servers, which need nothing
    from the test's loop; where the loop must run meanwhile, tests await
    ``squall.testing.wait_until`` instead.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


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
        block_until(lambda: _accepts(port), timeout=30)
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
        block_until(lambda: bool(server.started) or not thread.is_alive())
        if not server.started:
            raise AssertionError("uvicorn did not start")
        return port

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(TIMEOUT)


@pytest.fixture
def gunicorn_server() -> Iterator[Callable[..., int]]:
    """Start gunicorn on ``module:callable`` in a directory; returns the port."""
    stack = contextlib.ExitStack()

    def start(app_dir: Path, target: str, *args: str) -> int:
        return stack.enter_context(gunicorn(app_dir, target, *args))

    with stack:
        yield start


@pytest.fixture
def squall_leaks() -> str:
    """Work left on the loop when a test ends (a timer, a task) fails the test here."""
    return "error"
