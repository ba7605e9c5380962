"""ASGI both ways: squall under uvicorn (ASGIAdapter), Starlette and raw ASGI
applications on squall's HTTPServer (ASGIContainer).

The tests run on squall-testing's loop: ``serve(ASGIContainer(app))`` puts
squall's server on it, uvicorn runs in a thread (conftest.py), and requests
go out with squall's client (the ``fetch`` that ``serve`` returns, or the
``fetch`` fixture with uvicorn's absolute URL) or ``asyncio.open_connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

import squall.web
from squall.httpclient import HTTPResponse
from squall.testing import wait_until
from squall.web import FallbackHandler, HTTPError, RequestHandler, asynchronous, stream_request_body
from squall.wsgi import ASGIAdapter, ASGIContainer

TIMEOUT = 10.0
SECRET = "asgi-test-secret-0123456789abcdef"

Fetch = Callable[..., Awaitable[HTTPResponse]]
Serve = Callable[..., Any]


async def chunked_request(
    fetch: Callable[..., Awaitable[HTTPResponse]], path: str, pieces: list[bytes]
) -> tuple[int, bytes]:
    """POST a body in chunked transfer coding, one chunk per piece."""

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        for piece in pieces:
            await write(piece)

    resp = await fetch(path, method="POST", body_producer=produce)
    return resp.code, resp.body


# -- squall under uvicorn ------------------------------------------------------

events: dict[str, threading.Event] = {}


class Hello(RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


class Info(RequestHandler):
    async def get(self, word: str) -> None:
        await asyncio.sleep(0)
        self.write(
            {
                "word": word,
                "q": self.get_argument("q", ""),
                "ip": self.request.remote_ip,
                "protocol": self.request.protocol,
                "host": self.request.host,
                "path": self.request.path,
                "custom": self.request.headers.get("X-Custom", ""),
            }
        )

    def post(self, word: str) -> None:
        self.set_status(201, "Made")
        self.set_header("X-Word", word)
        self.write("got " + self.get_body_argument("v"))


class Signed(RequestHandler):
    def get(self) -> None:
        if self.get_argument("set", None):
            self.set_signed_cookie("user", "ada")
            self.write("set")
        else:
            value = self.get_signed_cookie("user")
            self.write(value or b"anonymous")


class Form(RequestHandler):
    def get(self) -> None:
        self.write(self.xsrf_token)

    def post(self) -> None:
        self.write("ok")


class Streamer(RequestHandler):
    async def get(self) -> None:
        self.write("first;")
        await self.flush()
        gate = events["gate"]
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, TIMEOUT)
        self.write("second")


class LongPoll(RequestHandler):
    async def get(self) -> None:
        self.waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        events["polling"].set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.waiter, TIMEOUT)

    def on_connection_close(self) -> None:
        events["left"].set()
        if not self.waiter.done():
            self.waiter.set_result(None)


class Callback(RequestHandler):
    @asynchronous
    def get(self) -> None:
        asyncio.get_running_loop().call_soon(self.later)

    def later(self) -> None:
        self.finish("called back")


@stream_request_body
class Upload(RequestHandler):
    def prepare(self) -> None:
        self.sizes: list[int] = []

    async def data_received(self, chunk: bytes) -> None:
        await asyncio.sleep(0)
        self.sizes.append(len(chunk))

    def post(self) -> None:
        self.write({"total": sum(self.sizes), "pieces": len(self.sizes)})


class Boom(RequestHandler):
    def get(self) -> None:
        raise RuntimeError("boom")


class Gone(RequestHandler):
    def get(self) -> None:
        raise HTTPError(410)


def make_squall(tmp_path: Path) -> squall.web.Application:
    static = tmp_path / "static"
    static.mkdir(exist_ok=True)
    (static / "big.bin").write_bytes(bytes(range(256)) * 4096 * 2)
    return squall.web.Application(
        [
            (r"/hello", Hello),
            (r"/info/([^/]+)", Info),
            (r"/signed", Signed),
            (r"/form", Form),
            (r"/stream", Streamer),
            (r"/poll", LongPoll),
            (r"/callback", Callback),
            (r"/upload", Upload),
            (r"/boom", Boom),
            (r"/gone", Gone),
        ],
        cookie_secret=SECRET,
        xsrf_cookies=True,
        static_path=str(static),
    )


@pytest.fixture
def uvicorn_port(tmp_path: Path, uvicorn_server: Callable[..., int]) -> Iterator[int]:
    events.clear()
    events.update(gate=threading.Event(), polling=threading.Event(), left=threading.Event())
    yield uvicorn_server(ASGIAdapter(make_squall(tmp_path)), lifespan="on")
    events["gate"].set()


async def test_uvicorn_serves_squall(uvicorn_port: int, fetch: Fetch) -> None:
    port = uvicorn_port
    resp = await fetch(f"http://127.0.0.1:{port}/hello")
    assert (resp.code, resp.body, resp.headers.get("Content-Length")) == (
        200,
        b"Hello, world",
        "12",
    )
    info = json.loads((await fetch(f"http://127.0.0.1:{port}/info/caf%C3%A9?q=1", headers={"X-Custom": "yes"})).body)
    assert info == {
        "word": "café",
        "q": "1",
        "ip": "127.0.0.1",
        "protocol": "http",
        "host": f"127.0.0.1:{port}",
        "path": "/info/caf%C3%A9",
        "custom": "yes",
    }
    assert (await fetch(f"http://127.0.0.1:{port}/missing")).code == 404
    head = await fetch(f"http://127.0.0.1:{port}/static/big.bin", method="HEAD")
    assert (head.code, head.body, head.headers.get("Content-Length")) == (
        200,
        b"",
        str(256 * 4096 * 2),
    )


async def test_uvicorn_cookies_xsrf_and_form(uvicorn_port: int, fetch: Fetch) -> None:
    port = uvicorn_port
    set_resp = await fetch(f"http://127.0.0.1:{port}/signed?set=1")
    jar = "; ".join(c.split(";", 1)[0] for c in set_resp.headers.get_list("Set-Cookie"))
    assert (await fetch(f"http://127.0.0.1:{port}/signed", headers={"Cookie": jar})).body == b"ada"
    assert (await fetch(f"http://127.0.0.1:{port}/signed")).body == b"anonymous"
    form = await fetch(f"http://127.0.0.1:{port}/form")
    token = form.body.decode()
    xsrf_cookie = form.headers.get_list("Set-Cookie")[0].split(";", 1)[0]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = await fetch(f"http://127.0.0.1:{port}/form", method="POST", body=b"a=1", headers=headers)
    assert refused.code == 403
    accepted = await fetch(
        f"http://127.0.0.1:{port}/form",
        method="POST",
        body=urllib.parse.urlencode({"_xsrf": token}).encode(),
        headers={**headers, "Cookie": xsrf_cookie},
    )
    assert (accepted.code, accepted.body) == (200, b"ok")
    posted = await fetch(
        f"http://127.0.0.1:{port}/info/w",
        method="POST",
        body=urllib.parse.urlencode({"v": "x", "_xsrf": token}).encode(),
        headers={**headers, "Cookie": xsrf_cookie},
    )
    assert (posted.code, posted.body, posted.headers.get("X-Word")) == (201, b"got x", "w")


async def test_uvicorn_streaming_response(uvicorn_port: int, fetch: Fetch) -> None:
    received: list[bytes] = []

    def on_chunk(chunk: bytes) -> None:
        received.append(chunk)
        if b"".join(received) == b"first;":
            events["gate"].set()  # the client has it: the handler may go on

    await fetch(f"http://127.0.0.1:{uvicorn_port}/stream", streaming_callback=on_chunk)
    assert received[0] == b"first;"
    assert b"".join(received) == b"first;second"


async def test_uvicorn_disconnect_reaches_on_connection_close(uvicorn_port: int) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", uvicorn_port)
    try:
        writer.write(b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
        await wait_until(events["polling"].is_set)
    finally:
        writer.close()
        await writer.wait_closed()
    await wait_until(events["left"].is_set)


async def test_uvicorn_async_features(uvicorn_port: int, fetch: Fetch) -> None:
    port = uvicorn_port
    assert (await fetch(f"http://127.0.0.1:{port}/callback")).body == b"called back"
    pieces = [b"a" * 30000 for _ in range(10)]
    status, body = await chunked_request(fetch, f"http://127.0.0.1:{port}/upload", pieces)
    assert status == 403  # XSRF applies to the streamed POST too
    big = await fetch(f"http://127.0.0.1:{port}/static/big.bin")
    assert big.body == bytes(range(256)) * 4096 * 2
    assert (await fetch(f"http://127.0.0.1:{port}/boom")).code == 500
    assert (await fetch(f"http://127.0.0.1:{port}/gone")).code == 410


async def test_uvicorn_streamed_request_body(
    tmp_path: Path, uvicorn_server: Callable[..., int], fetch: Fetch
) -> None:
    app = squall.web.Application([(r"/upload", Upload)])
    port = uvicorn_server(ASGIAdapter(app))
    pieces = [b"a" * 30000 for _ in range(10)]
    status, body = await chunked_request(fetch, f"http://127.0.0.1:{port}/upload", pieces)
    assert status == 200
    data = json.loads(body)
    assert data["total"] == 300000
    assert data["pieces"] > 1


async def test_uvicorn_lifespan_hooks(tmp_path: Path, fetch: Fetch) -> None:
    calls: list[str] = []

    async def started() -> None:
        calls.append("startup")

    def stopped() -> None:
        calls.append("shutdown")

    import uvicorn

    adapter = ASGIAdapter(make_squall(tmp_path), on_startup=[started], on_shutdown=[stopped])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(adapter, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        await wait_until(lambda: server.started or not thread.is_alive())
        assert calls == ["startup"]
        # A new connection each time: uvicorn's shutdown need not wait for it.
        hello = await fetch(f"http://127.0.0.1:{port}/hello", headers={"Connection": "close"})
        assert hello.body == b"Hello, world"
    finally:
        server.should_exit = True
        # The loop keeps running (bounded) while uvicorn shuts down.
        await wait_until(lambda: not thread.is_alive(), message="uvicorn did not stop")
        thread.join(TIMEOUT)
    assert calls == ["startup", "shutdown"]


async def test_adapter_failed_startup_is_reported() -> None:
    def broken() -> None:
        raise RuntimeError("no database")

    adapter = ASGIAdapter(squall.web.Application([]), on_startup=[broken])
    sent: list[dict[str, Any]] = []
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    queue.put_nowait({"type": "lifespan.startup"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await adapter({"type": "lifespan"}, queue.get, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "no database" in sent[0]["message"]


# -- ASGI applications on squall's server ------------------------------------


async def scope_app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """A raw ASGI app that answers with its scope and the body events it got."""
    if scope["type"] == "lifespan":
        raise RuntimeError("no lifespan here")  # the container must cope
    events_seen = []
    while True:
        message = await receive()
        events_seen.append([message["type"], len(message.get("body", b"")), message.get("more_body")])
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    data = {
        key: (value.decode("latin-1") if isinstance(value, bytes) else value)
        for key, value in scope.items()
        if key not in ("headers", "state")
    }
    data["headers"] = [[type(n).__name__, n.decode(), v.decode()] for n, v in scope["headers"]]
    data["events"] = events_seen
    body = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def test_scope_is_complete_and_correct(serve: Serve) -> None:
    fetch = serve(ASGIContainer(scope_app, root_path="/mount"))
    resp = await fetch(
        "/mount/caf%C3%A9/x%2Fy?a=1&b=%20",
        headers={"X-Custom-Header": "v", "Host": "example.org"},
    )
    assert resp.code == 200
    assert resp.headers.get("Content-Length") == str(len(resp.body))
    scope = json.loads(resp.body)
    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/mount/café/x/y"
    assert scope["raw_path"] == "/mount/caf%C3%A9/x%2Fy"
    assert scope["root_path"] == "/mount"
    assert scope["query_string"] == "a=1&b=%20"
    assert scope["client"][0] == "127.0.0.1" and scope["client"][1] > 0
    assert scope["server"] == ["example.org", 80]
    assert ["bytes", "x-custom-header", "v"] in scope["headers"]
    assert ["bytes", "host", "example.org"] in scope["headers"]
    assert all(name == name.lower() for _, name, _ in scope["headers"])
    assert scope["events"] == [["http.request", 0, False]]


async def test_body_events_with_more_body(serve: Serve) -> None:
    fetch = serve(ASGIContainer(scope_app))
    pieces = [bytes([65 + i]) * 40000 for i in range(8)]
    status, body = await chunked_request(fetch, "/upload", pieces)
    assert status == 200
    seen = json.loads(body)["events"]
    assert sum(size for _, size, _ in seen) == 320000
    assert all(kind == "http.request" for kind, _, _ in seen)
    assert [more for _, _, more in seen][-1] is False
    assert all(more for _, _, more in seen[:-1])
    assert len(seen) > 1


async def test_disconnect_event(serve: Serve) -> None:
    got_disconnect = threading.Event()

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        assert (await receive())["type"] == "http.request"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"waiting", "more_body": True})
        if (await receive())["type"] == "http.disconnect":
            got_disconnect.set()
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"late"})

    port = serve(ASGIContainer(app)).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"waiting" in await reader.read(1000)
    finally:
        writer.close()
        await writer.wait_closed()
    await wait_until(got_disconnect.is_set)


async def test_broken_asgi_apps_get_500(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/raise":
            raise ValueError("kaput")
        if scope["path"] == "/early":
            await send({"type": "http.response.body", "body": b"x"})
        if scope["path"] == "/silent":
            return
        if scope["path"] == "/text-header":
            await send({"type": "http.response.start", "status": 200, "headers": [("a", "b")]})

    fetch = serve(ASGIContainer(app))
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        for path, message in [
            ("/raise", "kaput"),
            ("/early", "before http.response.start"),
            ("/silent", "returned before finishing"),
            ("/text-header", "must be bytes"),
        ]:
            resp = await fetch(path)
            assert resp.code == 500, path
            assert any(
                message in (repr(r.exc_info) + r.getMessage()) for r in caplog.records
            ), (path, [r.getMessage() for r in caplog.records])


# -- Starlette -----------------------------------------------------------


def make_starlette(record: dict[str, Any]) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        record["startup"] = True
        yield {"greeting": "hi from lifespan"}
        record["shutdown"] = True

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{request.state.greeting}: {request.path_params['name']}")

    async def echo(request: Request) -> JSONResponse:
        size = 0
        chunks = 0
        async for chunk in request.stream():
            size += len(chunk)
            chunks += 1
        return JSONResponse(
            {
                "size": size,
                "chunks": chunks,
                "query": dict(request.query_params),
                "client": request.client.host if request.client else None,
                "url": str(request.url),
            }
        )

    async def stream(request: Request) -> StreamingResponse:
        async def generate() -> AsyncIterator[bytes]:
            yield b"one;"
            await asyncio.get_running_loop().run_in_executor(None, record["gate"].wait, TIMEOUT)
            yield b"two"

        return StreamingResponse(generate(), media_type="text/plain")

    async def fail(request: Request) -> PlainTextResponse:
        raise RuntimeError("starlette handler failed")

    return Starlette(
        routes=[
            Route("/hello/{name}", hello),
            Route("/echo", echo, methods=["POST"]),
            Route("/stream", stream),
            Route("/fail", fail),
        ],
        lifespan=lifespan,
    )


async def test_starlette_on_asgi_container(serve: Serve) -> None:
    record: dict[str, Any] = {"gate": threading.Event()}
    container = ASGIContainer(make_starlette(record), lifespan="on")
    fetch = serve(container)
    port = fetch.port
    try:
        await container.startup()
        assert record.get("startup") is True
        resp = await fetch("/hello/ada")
        assert (resp.code, resp.body) == (200, b"hi from lifespan: ada")
        status, body = await chunked_request(fetch, "/echo?x=1", [b"z" * 50000 for _ in range(6)])
        assert status == 200
        data = json.loads(body)
        assert data["size"] == 300000 and data["chunks"] > 1
        assert data["query"] == {"x": "1"}
        assert data["client"] == "127.0.0.1"
        assert data["url"] == f"http://127.0.0.1:{port}/echo?x=1"
        streamed: list[bytes] = []

        def on_chunk(chunk: bytes) -> None:
            streamed.append(chunk)
            if b"".join(streamed) == b"one;":
                record["gate"].set()  # the client has it: the generator may go on

        await fetch("/stream", streaming_callback=on_chunk)
        assert streamed[0] == b"one;"
        assert b"".join(streamed) == b"one;two"
        assert (await fetch("/fail")).code == 500
        assert (await fetch("/missing")).code == 404
    finally:
        record["gate"].set()
    await container.shutdown()
    assert record.get("shutdown") is True


async def test_lifespan_runs_before_the_first_request(serve: Serve) -> None:
    record: dict[str, Any] = {"gate": threading.Event()}
    container = ASGIContainer(make_starlette(record))
    fetch = serve(container)
    assert "startup" not in record
    assert (await fetch("/hello/x")).body == b"hi from lifespan: x"
    assert record["startup"] is True
    await container.shutdown()  # the lifespan task started by the request ends
    assert record["shutdown"] is True


async def test_failed_lifespan_startup(serve: Serve) -> None:
    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no database"})
            return
        raise AssertionError("must not be called")

    container = ASGIContainer(app)
    fetch = serve(container)
    from squall.wsgi import LifespanError

    with pytest.raises(LifespanError, match="no database"):
        await container.startup()
    assert (await fetch("/")).code == 500


async def test_starlette_behind_fallback_handler(serve: Serve) -> None:
    record: dict[str, Any] = {"gate": threading.Event()}
    record["gate"].set()

    class Native(RequestHandler):
        def get(self) -> None:
            self.write("native")

    container = ASGIContainer(make_starlette(record))
    fetch = serve(
        squall.web.Application(
            [(r"/native", Native), (r".*", FallbackHandler, dict(fallback=container))]
        )
    )
    assert (await fetch("/native")).body == b"native"
    assert (await fetch("/hello/bob")).body == b"hi from lifespan: bob"
    resp = await fetch("/echo", method="POST", body=b"12345")
    assert json.loads(resp.body)["size"] == 5
    assert (await fetch("/stream")).body == b"one;two"
    await container.shutdown()


# -- ASGIAdapter called directly (events the servers above never produce) ----


async def run_asgi(
    app: Any, scope: dict[str, Any], incoming: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run one ASGI scope with scripted receive() events; returns what was sent."""
    sent: list[dict[str, Any]] = []
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for event in incoming:
        queue.put_nowait(event)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, queue.get, send)  # bounded by the plugin's test timeout
    return sent


def http_scope(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [(b"host", b"example.org")],
        "client": ("192.0.2.1", 5000),
        "server": ("example.org", 443),
    }


class Echo(RequestHandler):
    def post(self) -> None:
        self.write({"body": self.request.body.decode(), "scheme": self.request.protocol})


async def test_adapter_body_in_pieces_and_limits() -> None:
    adapter = ASGIAdapter(squall.web.Application([(r"/echo", Echo)]), max_body_size=10)
    sent = await run_asgi(
        adapter,
        http_scope("/echo", "POST"),
        [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.request", "body": b"cd", "more_body": False},
        ],
    )
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"body": "abcd", "scheme": "https"}
    assert sent[-1]["more_body"] is False
    sent = await run_asgi(
        adapter,
        http_scope("/echo", "POST"),
        [{"type": "http.request", "body": b"x" * 11, "more_body": False}],
    )
    assert sent[0]["status"] == 413


async def test_adapter_malformed_body_is_400() -> None:
    adapter = ASGIAdapter(squall.web.Application([(r"/echo", Echo)]))
    scope = http_scope(
        "/echo",
        "POST",
        headers=[(b"host", b"x"), (b"content-type", b"multipart/form-data; boundary=zz")],
    )
    sent = await run_asgi(adapter, scope, [{"type": "http.request", "body": b"not multipart", "more_body": False}])
    assert sent[0]["status"] == 400


async def test_adapter_disconnect_while_reading_the_body() -> None:
    adapter = ASGIAdapter(squall.web.Application([(r"/echo", Echo)]))
    sent = await run_asgi(
        adapter,
        http_scope("/echo", "POST"),
        [{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}],
    )
    assert sent == []


async def test_adapter_refuses_websocket_scopes() -> None:
    adapter = ASGIAdapter(squall.web.Application([]))
    sent = await run_asgi(adapter, {"type": "websocket", "path": "/"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1003}]


async def test_adapter_headers_are_lowercase_bytes_without_hop_by_hop() -> None:
    class H(RequestHandler):
        def get(self) -> None:
            self.set_header("X-Thing", "v")
            self.set_header("Connection", "close")
            self.write("x")

    sent = await run_asgi(ASGIAdapter(squall.web.Application([(r"/", H)])), http_scope("/"), [
        {"type": "http.request", "body": b"", "more_body": False}
    ])
    headers = dict(sent[0]["headers"])
    assert headers[b"x-thing"] == b"v"
    assert b"connection" not in headers
    assert all(isinstance(n, bytes) and n == n.lower() for n, _ in sent[0]["headers"])
    # A synchronous handler costs two send() calls.
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
