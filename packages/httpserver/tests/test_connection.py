"""The server connection's hooks (detach, close), the connection cap, and uvloop.

Every test that does not need the stdlib loop runs on both asyncio's loop and
uvloop (skipped when uvloop is not installed): uvloop's transports are not
subclasses of ``asyncio.Transport``, which the server must not rely on.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from squall.httpserver import HTTPServer, default_max_connections
from squall.httputil import (
    HeaderBlock,
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPOutputError,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    ResponseStartLine,
)
from squall.netutil import bind_sockets


def _loop_factories() -> list[Any]:
    params: list[Any] = [pytest.param(None, id="asyncio")]
    try:
        import uvloop
    except ImportError:
        params.append(
            pytest.param(None, id="uvloop", marks=pytest.mark.skip(reason="uvloop not installed"))
        )
    else:
        params.append(pytest.param(uvloop.new_event_loop, id="uvloop"))
    return params


@pytest.fixture(params=_loop_factories())
def run(request: pytest.FixtureRequest) -> Callable[[Callable[[], Awaitable[Any]]], Any]:
    factory = request.param

    def runner(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            return await asyncio.wait_for(coro_fn(), 15)

        with asyncio.Runner(loop_factory=factory) as r:
            return r.run(main())

    return runner


async def serve(app: Any, **kwargs: Any) -> tuple[HTTPServer, int]:
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, **kwargs)
    server.add_sockets(sockets)
    await asyncio.sleep(0)
    return server, sockets[0].getsockname()[1]


async def shutdown(server: HTTPServer) -> None:
    server.stop()
    await server.close_all_connections(timeout=2)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one Content-Length or chunked response from a raw stream."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    code = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return code, headers, body


def respond(request: HTTPServerRequest, body: bytes) -> None:
    assert request.connection is not None
    headers = HTTPHeaders({"Content-Length": str(len(body))})
    request.connection.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
    request.connection.finish()


def echo_app(request: HTTPServerRequest) -> None:
    respond(request, f"{request.method} {request.uri} {len(request.body)}:".encode() + request.body)


# -- any event loop ---------------------------------------------------------------


def test_keep_alive_pipelining_chunked_and_bad_request(run: Any) -> None:
    async def main() -> None:
        server, port = await serve(echo_app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(3):  # keep-alive: one request at a time
            writer.write(f"GET /k{i} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
            code, headers, body = await read_response(reader)
            assert (code, body) == (200, f"GET /k{i} 0:".encode())
            assert headers["date"].endswith(" GMT") and "connection" not in headers
        # pipelined, including a chunked body, answered in order
        writer.write(
            b"GET /p1 HTTP/1.1\r\nHost: a\r\n\r\n"
            b"POST /p2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            b"GET /p3 HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        bodies = [(await read_response(reader))[2] for _ in range(3)]
        assert bodies == [b"GET /p1 0:", b"POST /p2 5:abcde", b"GET /p3 0:"]
        # a bad request: 400 and the connection closes
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n")
        code, headers, _ = await read_response(reader)
        assert (code, headers["connection"]) == (400, "close")
        assert await reader.read() == b""
        writer.close()
        await shutdown(server)

    run(main)


class UpgradeApp(HTTPServerConnectionDelegate):
    """Answers /upgrade with a 101 and hands the connection to an echo protocol."""

    def __init__(self, write_101_first: bool) -> None:
        self.write_101_first = write_101_first
        self.leftovers: list[bytes] = []
        self.closed: list[str] = []

    def on_close(self, server_conn: object) -> None:
        self.closed.append("on_close")

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        app = self

        class Delegate(HTTPMessageDelegate):
            def headers_received(self, start_line: Any, headers: HTTPHeaders) -> None:
                self.path = start_line.path

            def finish(self) -> None:
                if self.path != "/upgrade":
                    body = b"plain http"
                    request_conn.write_headers(
                        ResponseStartLine("HTTP/1.1", 200, "OK"),
                        HTTPHeaders({"Content-Length": str(len(body))}),
                        body,
                    )
                    request_conn.finish()
                    return
                request_conn.set_close_callback(lambda: app.closed.append("close_callback"))
                head = HTTPHeaders({"Upgrade": "echo", "Connection": "Upgrade"})
                if app.write_101_first:
                    request_conn.write_headers(ResponseStartLine("HTTP/1.1", 101, "Switching Protocols"), head)
                transport, leftover = request_conn.detach()  # type: ignore[attr-defined]
                if not app.write_101_first:
                    transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\n")
                app.leftovers.append(leftover)
                echo = EchoProtocol(transport)
                transport.set_protocol(echo)
                if leftover:
                    echo.data_received(leftover)

            def on_connection_close(self) -> None:
                app.closed.append("on_connection_close")

        return Delegate()


class EchoProtocol(asyncio.Protocol):
    """Echoes bytes back in upper case; closes on "bye"."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data.upper())
        if b"bye" in data:
            self.transport.close()


@pytest.mark.parametrize("write_101_first", [True, False])
def test_detach_hands_the_connection_over(run: Any, write_101_first: bool) -> None:
    async def main() -> None:
        app = UpgradeApp(write_101_first)
        server, port = await serve(app, idle_connection_timeout=0.05, header_timeout=0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # Bytes of the new protocol sent right behind the request head.
        writer.write(b"GET /upgrade HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n\r\nearly ")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"Upgrade: echo" in head
        assert await reader.readexactly(6) == b"EARLY "
        assert app.leftovers == [b"early "]
        assert not server._connections  # forgotten by the server
        # No HTTP any more, and the server's timeouts no longer apply.
        await asyncio.sleep(0.3)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await reader.readexactly(18) == b"GET / HTTP/1.1\r\n\r\n"
        # close_all_connections neither waits for nor closes it.
        server.stop()
        await asyncio.wait_for(server.close_all_connections(timeout=5), 1)
        writer.write(b"bye")
        assert await reader.read() == b"BYE"
        writer.close()
        assert app.closed == []  # no close callback, no on_connection_close, no on_close

    run(main)


def test_detach_refused_after_final_head(run: Any) -> None:
    errors: list[str] = []

    def app(request: HTTPServerRequest) -> None:
        respond(request, b"done")
        assert request.connection is not None
        try:
            request.connection.detach()  # type: ignore[attr-defined]
        except HTTPOutputError as e:
            errors.append(str(e))

    async def main() -> None:
        server, port = await serve(app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert (await read_response(reader))[2] == b"done"
        writer.close()
        await shutdown(server)

    run(main)
    assert len(errors) == 1 and "detach()" in errors[0]


def test_data_before_set_protocol_aborts(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    holder: list[Any] = []

    def app(request: HTTPServerRequest) -> None:
        assert request.connection is not None
        transport, _ = request.connection.detach()  # type: ignore[attr-defined]
        transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
        holder.append(transport)  # and forget to set a protocol

    async def main() -> None:
        server, port = await serve(app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        with caplog.at_level(logging.ERROR, logger="squall.general"):
            writer.write(b"lost?")
            assert await reader.read() == b""
        assert any("set_protocol" in r.getMessage() for r in caplog.records)
        writer.close()
        await shutdown(server)

    run(main)


def test_close_aborts_a_started_response(run: Any) -> None:
    class App(HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
            class D(HTTPMessageDelegate):
                def finish(self) -> None:
                    asyncio.ensure_future(self.respond())

                async def respond(self) -> None:
                    # Chunked: a clean end would be "0\r\n\r\n".
                    await request_conn.write_headers(
                        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), b"partial"
                    )
                    await asyncio.sleep(0.05)
                    request_conn.close()  # type: ignore[attr-defined]
                    request_conn.close()  # type: ignore[attr-defined]  # twice is harmless
                    with pytest.raises(HTTPOutputError):
                        request_conn.finish()

            return D()

    async def main() -> None:
        server, port = await serve(App())
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head
        received = b""
        try:
            while chunk := await reader.read(1024):
                received += chunk
        except ConnectionResetError:
            pass
        assert received == b"7\r\npartial\r\n"  # no terminating chunk
        writer.close()
        await shutdown(server)

    run(main)


def test_max_connections(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server, port = await serve(echo_app, max_connections=2)
        conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for reader, writer in conns:  # both served
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            assert (await read_response(reader))[0] == 200
        with caplog.at_level(logging.WARNING, logger="squall.general"):
            refused = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            for reader, writer in refused:
                writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                try:
                    assert await reader.read() == b""
                except ConnectionResetError:
                    pass
                writer.close()
        messages = [r.getMessage() for r in caplog.records if "max_connections" in r.getMessage()]
        assert len(messages) == 1  # at most one line a second
        # Once one closes, a new connection is served again.
        conns[0][1].close()
        await conns[0][1].wait_closed()
        for _ in range(100):
            if len(server._connections) < 2:
                break
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
        assert (await read_response(reader))[2] == b"GET /again 0:"
        writer.close()
        conns[1][1].close()
        await shutdown(server)

    run(main)


def test_max_connections_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        HTTPServer(echo_app, max_connections=0)


@pytest.mark.parametrize("allow", [False, True])
def test_allow_repeated_content_length(run: Any, allow: bool) -> None:
    async def main() -> None:
        server, port = await serve(echo_app, allow_repeated_content_length=allow)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nok")
        code, _, body = await read_response(reader)
        if allow:
            assert (code, body) == (200, b"POST / 2:ok")
        else:
            assert code == 400
        writer.close()
        await shutdown(server)

    run(main)


def test_listen_accepts_tornados_keywords(run: Any) -> None:
    async def main() -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = HTTPServer(echo_app)
        server.listen(
            port, "127.0.0.1", family=socket.AF_INET, backlog=16, flags=socket.AI_NUMERICHOST, reuse_port=True
        )
        await asyncio.sleep(0)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /l HTTP/1.1\r\nHost: a\r\n\r\n")
        assert (await read_response(reader))[2] == b"GET /l 0:"
        writer.close()
        await shutdown(server)

    run(main)


# -- pre-validated header blocks (write_headers_with_block) ----------------------------

_BLOCK = HeaderBlock([("Server", "blocky/1"), ("Content-Type", "text/plain; charset=utf-8")])


def block_app(request: HTTPServerRequest) -> None:
    connection = request.connection
    assert connection is not None
    if request.path == "/overlap":
        try:
            connection.write_headers_with_block(
                ResponseStartLine("HTTP/1.1", 200, "OK"),
                HTTPHeaders({"Content-Type": "text/html", "Content-Length": "0"}),
                _BLOCK,
            )
        except HTTPOutputError as e:
            body = f"refused: {e}".encode()
        else:
            body = b"accepted"
    elif request.path == "/chunked":
        connection.write_headers_with_block(
            ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), _BLOCK, b"part1"
        )
        connection.write(b"part2")
        connection.finish()
        return
    else:
        body = request.path.encode()
    connection.write_headers_with_block(
        ResponseStartLine("HTTP/1.1", 200, "OK"),
        HTTPHeaders({"Content-Length": str(len(body)), "Etag": '"e"'}),
        _BLOCK,
        body,
    )
    connection.finish()


def test_write_headers_with_block(run: Any) -> None:
    async def main() -> None:
        server, port = await serve(block_app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path in ("/one", "/two", "/one"):  # keep-alive, and a repeated head
            writer.write(f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
            code, headers, body = await read_response(reader)
            assert (code, body) == (200, path.encode())
            assert headers["server"] == "blocky/1"
            assert headers["content-type"] == "text/plain; charset=utf-8"
            assert headers["etag"] == '"e"' and "date" in headers
        writer.write(b"GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert headers["transfer-encoding"] == "chunked" and body == b"part1part2"
        assert headers["server"] == "blocky/1"
        writer.write(b"GET /overlap HTTP/1.1\r\nHost: a\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert body.startswith(b"refused:") and b"Content-Type" in body
        # A client that closes still gets Connection: close from the server.
        writer.write(b"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert headers["connection"] == "close" and body == b"/last"
        assert await reader.read() == b""
        writer.close()
        await shutdown(server)

    run(main)


class _Recorder(HTTPConnection):
    """A connection that only records what write_headers was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, HTTPHeaders, bytes | None]] = []

    def write_headers(self, start_line: Any, headers: HTTPHeaders, chunk: bytes | None = None) -> Any:
        self.calls.append((start_line, headers, chunk))
        return None


def test_write_headers_with_block_default_merges_for_any_connection() -> None:
    recorder = _Recorder()
    start = ResponseStartLine("HTTP/1.1", 200, "OK")
    headers = HTTPHeaders({"Content-Length": "2"})
    recorder.write_headers_with_block(start, headers, _BLOCK, b"ok")
    (got_start, got_headers, chunk), = recorder.calls
    assert got_start == start and chunk == b"ok"
    assert list(got_headers.get_all()) == [("Content-Length", "2"), *_BLOCK]
    assert dict(headers) == {"Content-Length": "2"}  # the caller's object is untouched
    with pytest.raises(HTTPOutputError, match="Server"):
        recorder.write_headers_with_block(start, HTTPHeaders({"server": "x"}), _BLOCK)


# -- the automatic connection cap ----------------------------------------------------


@pytest.mark.parametrize(
    "soft, expected",
    [(1024, 960), (65536, 65536 - 3276), (20000, 19000), (100, 50), (2, 1)],
)
def test_default_max_connections_follows_rlimit_nofile(
    monkeypatch: pytest.MonkeyPatch, soft: int, expected: int
) -> None:
    resource = pytest.importorskip("resource")
    monkeypatch.setattr(resource, "getrlimit", lambda which: (soft, 1 << 20))
    assert default_max_connections() == expected
    assert HTTPServer(echo_app).connection_limit == expected
    assert HTTPServer(echo_app, max_connections=7).connection_limit == 7


def test_unlimited_nofile_means_no_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = pytest.importorskip("resource")
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert default_max_connections() is None
    assert HTTPServer(echo_app).connection_limit is None


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "10"])
def test_max_connections_must_be_a_positive_int_or_none(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        HTTPServer(echo_app, max_connections=bad)


def test_automatic_cap_is_worked_out_when_listening(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    resource = pytest.importorskip("resource")
    real = resource.getrlimit
    # A tiny soft limit (4: half of it reserved, a cap of 2), set after the
    # server was made and before it listens: the value at listen time counts.
    async def main() -> None:
        server = HTTPServer(echo_app)
        monkeypatch.setattr(
            resource, "getrlimit", lambda which: (4, real(which)[1]) if which == resource.RLIMIT_NOFILE else real(which)
        )
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        monkeypatch.setattr(resource, "getrlimit", real)
        await asyncio.sleep(0)
        assert server.connection_limit == 2
        port = sockets[0].getsockname()[1]
        conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for reader, writer in conns:
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            assert (await read_response(reader))[0] == 200
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        try:
            assert await reader.read() == b""  # over the cap: closed at once
        except ConnectionResetError:
            pass
        writer.close()
        for _, w in conns:
            w.close()
        await shutdown(server)

    run(main)
