"""The feed demo as four processes behind nginx, with live updates through Redis pub/sub.

Four ``python -m feed --redis URL`` processes share one data folder (one
SQLite database) and one redis-server; nginx balances them and serves the
demo's static files. A reader connected (through nginx) to one process must
see entries posted on any other, and killing a process must lose no entry
whose post was answered.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from squall.httpclient import HTTPRequest
from squall.websocket import WebSocketClientConnection, websocket_connect

DEMOS = Path(__file__).resolve().parents[2] / "demos"


class Browser:
    """Cookies and the XSRF token of one signed-in user; requests go to any base URL."""

    def __init__(self, base_url: str, nickname: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.open("GET", "/login")
        fields = f"nickname={nickname}&_xsrf={self.cookie('_xsrf')}".encode()
        self.open("POST", "/login", fields,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        assert self.cookie("user"), "signing in set no cookie"

    def cookie(self, name: str) -> str:
        for cookie in self.jar:
            if cookie.name == name and cookie.value:
                return cookie.value
        raise AssertionError(f"no {name} cookie")

    def open(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None, base_url: str | None = None) -> Any:
        request = urllib.request.Request((base_url or self.base_url) + path, data=body,
                                         method=method, headers=headers or {})
        with self.opener.open(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()

    def post_entry(self, text: str, base_url: str | None = None) -> int:
        status, _, body = self.open(
            "POST", "/api/entries", json.dumps({"text": text}).encode(),
            {"Content-Type": "application/json", "X-XSRFToken": self.cookie("_xsrf")},
            base_url,
        )
        assert status == 201, body
        return int(json.loads(body)["id"])

    def all_entry_ids(self) -> set[int]:
        ids: set[int] = set()
        cursor = ""
        for _ in range(100):  # pages of 100
            _, _, body = self.open("GET", f"/api/entries?limit=100&cursor={cursor}")
            page = json.loads(body)
            ids.update(int(entry["id"]) for entry in page["entries"])
            if not page["next_cursor"]:
                return ids
            cursor = page["next_cursor"]
        raise AssertionError("too many pages")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class Reader:
    """A WebSocket reader of live updates, on its own event loop in a thread."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url = url
        self.cookie = cookie
        self.entry_ids: list[int] = []
        self.changed = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.conn: WebSocketClientConnection | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._run(),),
                                       daemon=True)
        self.thread.start()
        if not self.ready.wait(15) or self.error is not None:
            raise AssertionError(f"the WebSocket did not open: {self.error!r}")

    async def _run(self) -> None:
        try:
            self.conn = await websocket_connect(
                HTTPRequest(self.url, headers={"Cookie": self.cookie}), connect_timeout=10
            )
        except BaseException as error:
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        while True:
            message = await self.conn.read_message()
            if message is None:
                break
            for event in json.loads(message)["events"]:
                if event["kind"] == "entry":
                    with self.changed:
                        self.entry_ids.append(event["entry_id"])
                        self.changed.notify_all()

    def wait_for(self, ids: set[int], timeout: float = 15.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: ids <= set(self.entry_ids), timeout):
                raise AssertionError(f"the reader never got {sorted(ids - set(self.entry_ids))}")

    def close(self) -> None:
        if self.conn is not None:
            self.loop.call_soon_threadsafe(self.conn.close)
        self.thread.join(10)
        self.loop.close()


class FeedStack:
    def __init__(self, deploy: Any, folder: Path, nginx_binary: str, redis_binary: str) -> None:
        self.deploy = deploy
        self.data_dir = folder / "data"
        self.ports = [deploy.free_port() for _ in range(4)]
        self.processes: list[Any] = []
        self.redis: Any = None
        self.nginx: Any = None
        try:
            self.redis = deploy.Redis(redis_binary, folder / "redis")
            # One after the other: the first creates the database and the keys.
            for port in self.ports:
                self.processes.append(self.start_feed(port))
            self.nginx = deploy.Nginx(nginx_binary, folder / "nginx",
                                      [f"127.0.0.1:{p}" for p in self.ports],
                                      static_root=DEMOS / "feed")
        except BaseException:
            self.stop()
            raise

    def start_feed(self, port: int) -> Any:
        process = self.deploy.Process(
            [sys.executable, "-m", "feed",
             "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(self.data_dir),
             "--redis", self.redis.url],
            cwd=DEMOS,
        )
        self.deploy.wait_until(
            lambda: "running at http://" in process.output or not process.alive(),
            f"the feed on port {port}",
        )
        if not process.alive():
            raise AssertionError(f"the feed did not start:\n{process.output}")
        return process

    def backend_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def serving(self, marker: str) -> int:
        """Which process logged a request containing ``marker``."""
        found = [i for i, p in enumerate(self.processes) if marker in p.output]
        assert len(found) == 1, found
        return found[0]

    def reader(self, browser: Browser) -> tuple[Reader, int]:
        """A WebSocket reader through nginx, and the index of the process it reached."""
        marker = uuid.uuid4().hex
        reader = Reader(f"ws://127.0.0.1:{self.nginx.port}/updates/socket?since=0&r={marker}",
                        browser.cookie_header())
        self.deploy.wait_until(lambda: any(marker in p.output for p in self.processes),
                               "the handshake to be logged")
        return reader, self.serving(marker)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for process in self.processes:
            process.stop()
        if self.redis is not None:
            self.redis.stop()


@pytest.fixture(scope="module")
def stack(deploy: Any, nginx_binary: str, redis_binary: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedStack]:
    pytest.importorskip("redis")
    stack = FeedStack(deploy, tmp_path_factory.mktemp("feed-stack"), nginx_binary, redis_binary)
    yield stack
    stack.stop()


def test_a_reader_on_one_process_sees_entries_posted_on_every_other(stack: FeedStack) -> None:
    alice = Browser(stack.nginx.url, "alice")
    readers = [stack.reader(alice) for _ in range(4)]
    try:
        reached = {index for _, index in readers}
        assert len(reached) >= 2  # nginx spread them: the test spans processes
        # One entry posted straight to each process.
        posted = {alice.post_entry(f"hello from process {i}", stack.backend_url(i))
                  for i in range(4)}
        for reader, _ in readers:
            reader.wait_for(posted)
    finally:
        for reader, _ in readers:
            reader.close()


def test_the_demo_static_files_come_from_nginx(stack: FeedStack) -> None:
    alice = Browser(stack.nginx.url, "alice")
    _, _, page = alice.open("GET", "/")
    start = page.index(b"/static/")
    url = page[start: page.index(b'"', start)].decode().replace("&amp;", "&")
    assert "?v=" in url
    status, headers, body = alice.open("GET", url)
    assert status == 200 and body == (DEMOS / "feed" / url[1:].split("?")[0]).read_bytes()
    assert headers["Server"].startswith("nginx")
    assert headers["Cache-Control"] == "max-age=315360000"


def test_killing_one_process_loses_no_accepted_entry(stack: FeedStack) -> None:
    bob = Browser(stack.nginx.url, "bob")
    reader, reached = stack.reader(bob)
    victim = next(i for i in range(4) if i != reached)
    accepted: list[int] = []
    refused: list[str] = []
    try:
        for number in range(60):
            if number == 20:
                os.kill(stack.processes[victim].pid, signal.SIGKILL)
            try:
                accepted.append(bob.post_entry(f"entry {number}"))
            except (urllib.error.HTTPError, OSError) as error:
                # Not accepted (e.g. a 502 for a post cut off mid-way): the
                # user sees the error and can post again; nothing was promised.
                refused.append(repr(error))
        assert len(accepted) >= 50, refused
        # Every accepted entry is stored...
        assert set(accepted) <= bob.all_entry_ids()
        # ...and reached the reader on a surviving process.
        reader.wait_for(set(accepted))
        assert stack.processes[victim].output  # it did run
        assert not stack.processes[victim].alive()
    finally:
        reader.close()
        stack.processes[victim].kill()
        stack.processes[victim] = stack.start_feed(stack.ports[victim])
