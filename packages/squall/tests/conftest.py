"""Fixtures for ``squall serve`` tests: the command as a subprocess, and a small app.

The command runs as ``python -m squall.cli serve ...`` in a temporary folder
that holds the test application (``webapp.py``), with ``--port 0``; the port
it got is read from its "serving ... on http://host:port" log line.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

APP_SOURCE = textwrap.dedent(
    '''
    import asyncio
    import logging
    import os

    import squall.web
    import squall.websocket

    VERSION = "one"


    class InfoHandler(squall.web.RequestHandler):
        def get(self):
            self.write({
                "pid": os.getpid(),
                "remote_ip": self.request.remote_ip,
                "protocol": self.request.protocol,
                "version": VERSION,
            })


    class SlowHandler(squall.web.RequestHandler):
        async def get(self):
            seconds = self.get_argument("seconds")
            logging.getLogger("webapp").warning("slow request %s started", seconds)
            await asyncio.sleep(float(self.get_argument("seconds")))
            self.write("slow done")


    class EchoSocket(squall.websocket.WebSocketHandler):
        def on_message(self, message):
            self.write_message(message)


    def make_app():
        return squall.web.Application(
            [(r"/", InfoHandler), (r"/slow", SlowHandler), (r"/ws", EchoSocket)]
        )


    def not_an_app():
        return 42


    def broken_factory():
        raise RuntimeError("database unreachable")


    application = make_app()
    '''
)

_SERVING = re.compile(r"serving \S+ on (\S+?)(,| with)")


class SquallProcess:
    """One ``squall serve`` process tree."""

    def __init__(self, cwd: Path, args: list[str]) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "squall.cli", "serve", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """The first output line matching ``pattern`` (waiting for it)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                if self.lines and self.lines[-1] == "":
                    raise AssertionError(f"exited without {pattern!r}:\n{self.output}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} within {timeout}s:\n{self.output}")
                self._changed.wait(left)

    def url(self) -> str:
        return self.wait_for_line(_SERVING.pattern).group(1)

    def workers(self) -> list[int]:
        """The live worker processes of a forking ``squall serve``."""
        return children_of(self.process.pid)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 15.0) -> int:
        """Wait for the exit, and for its last output to be read."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            # The whole tree: the supervisor's workers are its children.
            for pid in _children(self.process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.kill()
            self.process.wait(10)


def _children(parent: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_bytes()
            except OSError:
                continue
            fields = stat.rpartition(b")")[2].split()
            if int(fields[1]) == parent:
                found.append(int(name))
    return found


def children_of(pid: int) -> list[int]:
    """Live child processes of ``pid`` (zombies excluded)."""
    live = []
    for child in _children(pid):
        try:
            state = Path(f"/proc/{child}/stat").read_bytes().rpartition(b")")[2].split()[0]
        except OSError:
            continue
        if state != b"Z":
            live.append(child)
    return live


def get_json(url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10, **kwargs) as answer:
        return json.loads(answer.read())


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "webapp.py").write_text(APP_SOURCE)
    return tmp_path


@pytest.fixture
def squall_serve(app_dir: Path) -> Iterator[Any]:
    """``squall_serve(*args)`` starts ``squall serve`` in the app folder; all are killed at the end."""
    started: list[SquallProcess] = []

    def start(*args: str) -> SquallProcess:
        process = SquallProcess(app_dir, list(args))
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
