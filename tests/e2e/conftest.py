"""Fixtures for the feed demo's tests: the server as a subprocess, and HTTP clients.

The server runs exactly as `make demo` runs it (``python -m feed`` from
``demos/``), on a free port (``--port 0``; it prints the URL it got) with a
temporary data folder.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMOS = os.path.join(REPO, "demos")


class FeedServer:
    """One ``python -m feed`` process on a free port."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        self.exit_code: int | None = None

    def start(self, timeout: float = 20.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feed", "--port", "0", "--data-dir", self.data_dir],
            cwd=DEMOS, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        found = threading.Event()

        def read(stream: Any) -> None:
            for line in stream:
                self.output.append(line)
                if "running at http://" in line and not found.is_set():
                    self.url = line.split("running at ", 1)[1].strip().rstrip("/")
                    found.set()
            found.set()  # the process ended

        threading.Thread(target=read, args=(self.process.stdout,), daemon=True).start()
        if not found.wait(timeout) or not self.url:
            self.stop()
            raise RuntimeError("the feed server did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.exit_code = process.returncode


class Response:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """A browser-like HTTP client: keeps cookies, does not follow redirects."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def cookie(self, name: str) -> str | None:
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value
        return None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def xsrf(self) -> str:
        """The XSRF token (fetching a page first if we have no cookie yet)."""
        if self.cookie("_xsrf") is None:
            self.get("/login")
        token = self.cookie("_xsrf")
        assert token, "the server set no _xsrf cookie"
        return token

    def post(self, path: str, fields: dict[str, str] | None = None, *, xsrf: bool = True,
             headers: dict[str, str] | None = None,
             files: dict[str, tuple[str, str, bytes]] | None = None) -> Response:
        """A form POST (multipart if ``files``), with the ``_xsrf`` field unless told not to."""
        fields = dict(fields or {})
        if xsrf:
            fields["_xsrf"] = self.xsrf()
        headers = dict(headers or {})
        if files:
            body, headers["Content-Type"] = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body, headers)

    def post_json(self, path: str, data: Any, *, xsrf: bool = True) -> Response:
        headers = {"Content-Type": "application/json"}
        if xsrf:
            headers["X-XSRFToken"] = self.xsrf()
        return self.request("POST", path, json.dumps(data).encode(), headers)

    def sign_in(self, nickname: str) -> Response:
        answer = self.post("/login", {"nickname": nickname})
        assert answer.status == 302, answer.text
        return answer


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """Encode a multipart/form-data body; ``files`` maps name to (filename, type, data)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    for name, (filename, content_type, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def start_server(tmp_path: Any) -> Iterator[Callable[..., FeedServer]]:
    """Start servers (on one data folder unless told otherwise); all stopped at the end."""
    started: list[FeedServer] = []

    def start(data_dir: str | None = None) -> FeedServer:
        server = FeedServer(data_dir or str(tmp_path / "data"))
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def feed_server(tmp_path_factory: Any) -> Iterator[FeedServer]:
    """One server shared by a test module."""
    server = FeedServer(str(tmp_path_factory.mktemp("feed") / "data"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def new_client(feed_server: FeedServer) -> Callable[[], Client]:
    """``new_client()``: a fresh client (no cookies) of the shared server."""
    return lambda: Client(feed_server.url)


@pytest.fixture
def client_class() -> type[Client]:
    """The `Client` class, for tests that start their own servers."""
    return Client


# -- browser tests ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = os.path.join(REPO, "test-artifacts")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    # Remember each phase's outcome on the test item, for `browser_pages`.
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "report_" + report.when, report)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (skipped if missing)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_pages(browser: Any, request: Any) -> Iterator[Callable[[], Any]]:
    """``new_page()`` gives a page in a fresh context (a separate user).

    When the test fails, every page's screenshot is saved under test-artifacts/.
    Afterwards, a script error on any page, or a request to anywhere but the
    local server (the demo must work offline), is an error of the test.
    """
    contexts: list[Any] = []
    pages: list[Any] = []
    script_errors: list[str] = []
    requested: list[str] = []

    def new_page() -> Any:
        context = browser.new_context(viewport={"width": 900, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.on("request", lambda request: requested.append(request.url))
        pages.append(page)
        return page

    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        os.makedirs(ARTIFACTS, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::")[-1])
        for number, page in enumerate(pages, start=1):
            try:
                page.screenshot(path=os.path.join(ARTIFACTS, f"{name}-page{number}.png"),
                                full_page=True)
            except Exception as error:  # the page may be what broke
                print(f"could not take a screenshot of page {number}: {error}")
    for context in contexts:
        context.close()
    assert script_errors == [], "script errors on the page"
    elsewhere = [url for url in requested
                 if not url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:"))]
    assert elsewhere == [], "requests that left the machine"
    assert requested, "no requests were seen (is the request hook working?)"
