"""Four ``squall serve --xheaders`` processes behind a real nginx, as deploy/nginx.conf sets it up."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from squall.websocket import websocket_connect


CSS = b"body { color: #123456; }\n"


class Stack:
    def __init__(self, deploy: Any, folder: Path, nginx_binary: str) -> None:
        self.deploy = deploy
        free_port = deploy.free_port
        trustme = pytest.importorskip("trustme")
        self.static_root = folder / "www"
        (self.static_root / "static").mkdir(parents=True)
        (self.static_root / "static" / "hello.css").write_bytes(CSS)
        (self.static_root / "static" / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1")
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "site.pem"))
        self.ports = [free_port() for _ in range(4)]
        self.env = {"PROBE_STATIC_PATH": str(self.static_root / "static")}
        self.backends: list[Any] = []
        self.nginx: Any = None
        try:
            for port in self.ports:
                self.backends.append(self.start_backend(port))
            self.tls_port = free_port()
            self.nginx = deploy.Nginx(
                nginx_binary, folder / "nginx", [f"127.0.0.1:{p}" for p in self.ports],
                self.static_root, tls_listen=f"127.0.0.1:{self.tls_port}",
                tls_cert=str(folder / "site.pem"), tls_key=str(folder / "site.pem"),
            )
        except BaseException:
            self.stop()
            raise

    def start_backend(self, port: int) -> Any:
        return self.deploy.squall_serve(
            "probe_app:make_app()", port, app_dir=self.deploy.HERE, env=self.env
        )

    @property
    def pids(self) -> set[int]:
        return {backend.pid for backend in self.backends}

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for backend in self.backends:
            backend.stop()

    def get(self, path: str, headers: dict[str, str] | None = None,
            source: str | None = None, tls: bool = False) -> tuple[int, Any, bytes]:
        """One request through nginx on a new connection: (status, headers, body)."""
        assert self.nginx is not None
        conn: http.client.HTTPConnection
        if tls:
            context = ssl.create_default_context()
            self.ca.configure_trust(context)
            conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, timeout=10,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.nginx.port, timeout=10,
                source_address=(source, 0) if source else None,
            )
        try:
            conn.request("GET", path, headers=headers or {})
            answer = conn.getresponse()
            return answer.status, answer.headers, answer.read()
        finally:
            conn.close()

    def info(self, **kwargs: Any) -> dict[str, Any]:
        status, _, body = self.get("/", **kwargs)
        assert status == 200, body
        result: dict[str, Any] = json.loads(body)
        return result


@pytest.fixture(scope="module")
def stack(
    deploy: Any, nginx_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = Stack(deploy, tmp_path_factory.mktemp("nginx-stack"), nginx_binary)
    yield stack
    stack.stop()


def test_requests_are_balanced_over_the_four_processes(stack: Stack) -> None:
    seen: set[int] = set()
    for _ in range(40):
        seen.add(stack.info()["pid"])
        if seen == stack.pids:
            break
    assert seen == stack.pids


def test_squall_sees_the_client_address_not_nginx(stack: Stack) -> None:
    # Every 127/8 address is loopback: connect to nginx from 127.0.0.2 while
    # nginx reaches squall from 127.0.0.1.
    assert stack.info(source="127.0.0.2")["remote_ip"] == "127.0.0.2"
    # nginx replaces what a client claims about itself.
    forged = stack.info(source="127.0.0.3", headers={"X-Real-IP": "198.51.100.1"})
    assert forged["remote_ip"] == "127.0.0.3"


def test_https_at_nginx_is_https_for_squall(stack: Stack) -> None:
    assert stack.info(tls=True)["protocol"] == "https"
    assert stack.info()["protocol"] == "http"
    # A plain-HTTP client cannot pass itself off as HTTPS.
    assert stack.info(headers={"X-Scheme": "https"})["protocol"] == "http"


def test_the_host_header_reaches_squall(stack: Stack) -> None:
    assert stack.nginx is not None
    assert stack.info(headers={"Host": "www.example.com"})["host"] == "www.example.com"


def test_static_files_come_from_nginx_cached_forever_when_versioned(stack: Stack) -> None:
    assert stack.nginx is not None
    versioned = stack.info()["static_url"]
    assert versioned.startswith("/static/hello.css?v=")

    status, headers, body = stack.get(versioned)
    assert (status, body) == (200, CSS)
    assert headers["Server"].startswith("nginx")
    assert headers["Cache-Control"] == "max-age=315360000"  # nginx's "expires max"
    assert "2037" in headers["Expires"]

    status, headers, body = stack.get("/static/hello.css")
    assert (status, body) == (200, CSS)
    assert "Expires" not in headers  # unversioned: no far-future expiry

    status, headers, body = stack.get("/favicon.ico")
    assert status == 200 and body.startswith(b"\x00\x00\x01\x00")
    assert headers["Server"].startswith("nginx")

    # None of this reached a squall process.
    for backend in stack.backends:
        assert "/static/" not in backend.output
        assert "favicon" not in backend.output


def test_websocket_upgrade_passes_through(stack: Stack) -> None:
    assert stack.nginx is not None
    url = f"ws://127.0.0.1:{stack.nginx.port}/echo"

    async def talk() -> list[Any]:
        conn = await websocket_connect(url, connect_timeout=10)
        replies = []
        try:
            for text in ("one", "two"):
                await conn.write_message(text)
                message = await asyncio.wait_for(conn.read_message(), 10)
                assert isinstance(message, str)
                replies.append(json.loads(message))
        finally:
            conn.close()
        return replies

    replies = asyncio.run(talk())
    assert [reply["echo"] for reply in replies] == ["one", "two"]
    # One connection, so one process answered both.
    assert replies[0]["pid"] == replies[1]["pid"] and replies[0]["pid"] in stack.pids
    assert replies[0]["remote_ip"] == "127.0.0.1"


def test_a_graceful_restart_of_one_process_loses_no_request(stack: Stack) -> None:
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def load() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                status, _, body = stack.get("/")
            except OSError as error:
                failures.append(repr(error))
                continue
            if status == 200:
                answered += 1
            else:
                failures.append(f"{status} {body[:200]!r}")

    thread = threading.Thread(target=load)
    thread.start()
    try:
        stack.deploy.wait_until(lambda: answered >= 20, "traffic")
        old = stack.backends[1]
        assert old.stop(signal.SIGTERM) == 0  # graceful: in-flight requests finish
        before = answered
        stack.deploy.wait_until(lambda: answered >= before + 20, "traffic without process 1")
        stack.backends[1] = stack.start_backend(stack.ports[1])
        before = answered
        stack.deploy.wait_until(lambda: answered >= before + 20, "traffic after the restart")
    finally:
        stop.set()
        thread.join(30)
    assert failures == []


def test_a_killed_process_is_skipped(stack: Stack) -> None:
    victim = stack.backends[2]
    os.kill(victim.pid, signal.SIGKILL)
    victim.kill()  # reaped
    survivors = stack.pids - {victim.pid}
    try:
        seen = set()
        for _ in range(24):
            info = stack.info()  # asserts a 200
            seen.add(info["pid"])
        # proxy_next_upstream error: nginx met the dead process and retried
        # on another; no client saw it. (A process restarted by the previous
        # test may still sit out nginx's fail_timeout, hence not ==.)
        assert seen <= survivors and len(seen) >= 2
        port = stack.ports[2]
        assert "connect() failed (111: Connection refused) while connecting to upstream" in (
            stack.nginx.error_log()
        )
        assert f"127.0.0.1:{port}/" in stack.nginx.error_log()
    finally:
        stack.backends[2] = stack.start_backend(stack.ports[2])
