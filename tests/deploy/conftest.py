"""Fixtures for the deployment tests: real nginx, real redis-server, squall processes.

Each runs as a subprocess on free loopback ports, with its files in a
temporary folder; tests skip (with the reason) when ``nginx`` or
``redis-server`` is not installed (``apt-get install -y nginx redis-server``).
nginx gets a copy of deploy/nginx.conf rendered by deploy/render_nginx.py
with the test's ports and paths.
"""

from __future__ import annotations

import getpass
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def load_renderer() -> ModuleType:
    """deploy/render_nginx.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "squall_deploy_render_nginx", REPO / "deploy" / "render_nginx.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_binary(name: str) -> str:
    """The path of ``name`` (also looked for in the sbin folders), or skip the test."""
    path = shutil.which(name) or shutil.which(
        name, path=os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/sbin"])
    )
    if path is None:
        pytest.skip(
            f"{name} is not installed (apt-get install -y nginx redis-server); "
            "CI installs it"
        )
    return path


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Process:
    """A subprocess whose output (stdout and stderr together) is collected."""

    def __init__(self, args: Sequence[str], cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.args = list(args)
        self.process = subprocess.Popen(
            self.args,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self.lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)  # its last output is read
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)


class Nginx:
    """nginx in the foreground (``daemon off``) with a rendered deploy/nginx.conf."""

    def __init__(self, binary: str, folder: Path, backends: Sequence[str],
                 static_root: Path, **values: str) -> None:
        self.folder = folder
        self.port = free_port()
        temp = folder / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        renderer = load_renderer()
        self.config = renderer.render_file(
            backends,
            # As root, nginx's workers would switch to www-data, which cannot
            # read a private temporary folder; as anyone else there is no switch.
            user=getpass.getuser() if os.geteuid() == 0 else "",
            worker_processes="1",
            error_log=str(folder / "error.log"),
            pid_file=str(folder / "nginx.pid"),
            access_log=str(folder / "access.log"),
            temp_dir=str(temp),
            listen=f"127.0.0.1:{self.port}",
            static_root=str(static_root),
            **values,
        )
        conf = folder / "nginx.conf"
        conf.write_text(self.config)
        self.process = Process(
            [binary, "-p", str(folder), "-e", str(folder / "error.log"),
             "-c", str(conf), "-g", "daemon off;"]
        )
        try:
            wait_until(lambda: port_open(self.port) or not self.process.alive(), "nginx to listen")
        except AssertionError:
            self.stop()
            raise
        if not self.process.alive():
            raise AssertionError(f"nginx did not start:\n{self.process.output}\n{self.error_log()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        # SIGQUIT: nginx's graceful shutdown.
        self.process.stop(signal.SIGQUIT)


class Redis:
    """redis-server on a free port, nothing saved to disk."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)]
        )
        wait_until(lambda: port_open(self.port) or not self.process.alive(), "redis to listen")
        if not self.process.alive():
            raise AssertionError(f"redis-server did not start:\n{self.process.output}")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.stop(signal.SIGTERM)


def squall_serve(target: str, port: int, *options: str, app_dir: Path,
                 env: dict[str, str] | None = None) -> Process:
    """Start ``squall serve target --port port --xheaders ...`` and wait until it answers."""
    process = Process(
        [sys.executable, "-m", "squall.cli", "serve", target, "--port", str(port),
         "--xheaders", "--app-dir", str(app_dir), *options],
        cwd=app_dir,
        env=env,
    )
    wait_until(lambda: port_open(port) or not process.alive(), f"squall on port {port}")
    if not process.alive():
        raise AssertionError(f"squall serve did not start:\n{process.output}")
    return process


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return find_binary("nginx")


@pytest.fixture(scope="session")
def redis_binary() -> str:
    return find_binary("redis-server")


@pytest.fixture(scope="session")
def renderer() -> ModuleType:
    return load_renderer()


@pytest.fixture
def cleanup() -> Iterator[Callable[[Any], Any]]:
    """``cleanup(obj)`` stops ``obj`` (anything with ``stop()``) after the test."""
    items: list[Any] = []
    yield items.append
    for item in reversed(items):
        item.stop()


@pytest.fixture(scope="session")
def deploy() -> ModuleType:
    """This module's helpers (``deploy.Nginx``, ``deploy.squall_serve``...) for the tests.

    With ``--import-mode=importlib`` a test module cannot import conftest.
    """
    return sys.modules[__name__]
