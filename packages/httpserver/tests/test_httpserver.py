"""HTTPServer through real sockets: raw bytes and the stdlib's http.client."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import logging
import os
import socket
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from squall.httpserver import HTTPRequest, HTTPServer
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.netutil import bind_sockets, bind_unix_socket


def run(coro_fn: Callable[[], Awaitable[Any]], timeout: float = 15) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(main())


async def serve(app: Any, **kwargs: Any) -> tuple[HTTPServer, int]:
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, **kwargs)
    server.add_sockets(sockets)
    await asyncio.sleep(0)
    return server, sockets[0].getsockname()[1]


async def shutdown(server: HTTPServer) -> None:
    server.stop()
    await server.close_all_connections(timeout=2)


async def exchange(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()


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
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    else:
        body = b""
    return code, headers, body


def respond(request: HTTPServerRequest, body: bytes, code: int = 200, **headers: str) -> None:
    assert request.connection is not None
    h = HTTPHeaders({"Content-Length": str(len(body)), **headers})
    request.connection.write_headers(ResponseStartLine("HTTP/1.1", code, "OK"), h, body)
    request.connection.finish()


def echo_app(request: HTTPServerRequest) -> None:
    info = f"{request.method} {request.uri} {request.remote_ip} {request.protocol} {len(request.body)}"
    respond(request, info.encode() + b"\n" + request.body)


def test_request_is_httpserverrequest() -> None:
    assert HTTPRequest is HTTPServerRequest


def test_http_client_keep_alive_and_body() -> None:
    async def main() -> None:
        server, port = await serve(echo_app)

        def client() -> list[tuple[int, bytes, str | None]]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            out = []
            for i in range(3):
                conn.request("POST", f"/p{i}?x=1", body=b"data" * i)
                r = conn.getresponse()
                out.append((r.status, r.read(), r.getheader("Date")))
            conn.close()
            return out

        results = await asyncio.get_running_loop().run_in_executor(None, client)
        assert [r[0] for r in results] == [200, 200, 200]
        assert results[2][1] == b"POST /p2?x=1 127.0.0.1 http 8\ndatadata"
        assert all(r[2] and r[2].endswith("GMT") for r in results)
        await shutdown(server)

    run(main)


def test_pipelined_requests_answered_in_order() -> None:
    async def main() -> None:
        async def slow_then_fast(request: HTTPServerRequest) -> None:
            if request.path == "/slow":
                await asyncio.sleep(0.05)
            respond(request, request.path.encode())

        server, port = await serve(slow_then_fast)
        data = b"".join(
            f"GET {p} HTTP/1.1\r\nHost: a\r\n{'Connection: close' if p == '/last' else 'X: y'}\r\n\r\n".encode()
            for p in ["/slow", "/fast", "/slow", "/last"]
        )
        raw = await exchange(port, data)
        bodies = [part.split(b"\r\n\r\n", 1)[1][:5] for part in raw.split(b"HTTP/1.1 200 OK")[1:]]
        assert bodies == [b"/slow", b"/fast", b"/slow", b"/last"]
        await shutdown(server)

    run(main)


def test_http10_and_keep_alive_header() -> None:
    async def main() -> None:
        server, port = await serve(echo_app)
        raw = await exchange(port, b"GET / HTTP/1.0\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in raw
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert headers["connection"] == "keep-alive"
        writer.write(b"GET /b HTTP/1.0\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert body.startswith(b"GET /b")
        assert await reader.read() == b""
        writer.close()
        await shutdown(server)

    run(main)


class StreamingApp(HTTPServerConnectionDelegate):
    """Streams the response with chunked encoding; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.closed = 0

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        app = self

        class Delegate(HTTPMessageDelegate):
            def headers_received(self, start_line: Any, headers: HTTPHeaders) -> Any:
                app.seen.append(("head", start_line.method, start_line.path))
                self.start_line = start_line
                if start_line.path == "/slow-reader":
                    return asyncio.sleep(0.05)
                return None

            async def _slow(self, chunk: bytes) -> None:
                await asyncio.sleep(0.001)
                app.seen.append(("data", len(chunk)))

            def data_received(self, chunk: bytes) -> Any:
                if self.start_line.path == "/slow-reader":
                    return self._slow(chunk)
                app.seen.append(("data", len(chunk)))
                return None

            def finish(self) -> None:
                app.seen.append(("finish",))
                if self.start_line.path == "/early":
                    return
                request_conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), b"part1-")
                request_conn.write(b"part2")
                request_conn.finish()

            def on_connection_close(self) -> None:
                app.closed += 1

        return Delegate()


def test_streaming_delegate_chunked_both_ways_and_flow_control() -> None:
    async def main() -> None:
        app = StreamingApp()
        server, port = await serve(app, chunk_size=1000)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /slow-reader HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b"FA0\r\n" + b"x" * 4000 + b"\r\n0\r\n\r\n")
        code, headers, body = await read_response(reader)
        assert (code, body) == (200, b"part1-part2")
        assert headers["transfer-encoding"] == "chunked"
        assert [s for s in app.seen if s[0] == "data"] == [("data", 1000)] * 4
        assert app.seen[-1] == ("finish",)
        writer.close()
        await shutdown(server)

    run(main)


def test_expect_100_continue() -> None:
    async def main() -> None:
        server, port = await serve(echo_app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert line == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"body")
        code, _, body = await read_response(reader)
        assert code == 200 and body.endswith(b"body")
        writer.close()
        await shutdown(server)

    run(main)


def test_expect_100_not_sent_when_the_declared_body_is_too_large() -> None:
    """A Content-Length over max_body_size gets 413 at once, never a 100 first."""

    async def main() -> None:
        server, port = await serve(echo_app, max_body_size=1000)
        raw = await exchange(
            port, b"PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3000\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 413 ")
        assert b"100 Continue" not in raw
        await shutdown(server)

    run(main)


def test_expect_100_not_sent_when_answered_from_head() -> None:
    class Reject(HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
            class D(HTTPMessageDelegate):
                def headers_received(self, start_line: Any, headers: HTTPHeaders) -> None:
                    request_conn.write_headers(
                        ResponseStartLine("HTTP/1.1", 401, "Unauthorized"), HTTPHeaders({"Content-Length": "0"})
                    )
                    request_conn.finish()

            return D()

    async def main() -> None:
        server, port = await serve(Reject())
        raw = await exchange(port, b"PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 401 Unauthorized")
        assert b"100 Continue" not in raw and b"Connection: close" in raw
        await shutdown(server)

    run(main)


def test_head_and_304_have_no_body() -> None:
    def app(request: HTTPServerRequest) -> None:
        assert request.connection is not None
        code = 304 if request.path == "/304" else 200
        request.connection.write_headers(ResponseStartLine("HTTP/1.1", code, "X"), HTTPHeaders({"Content-Length": "5"} if code == 200 else {}))
        if request.method != "HEAD" and code == 200:
            request.connection.write(b"hello")
        request.connection.finish()

    async def main() -> None:
        server, port = await serve(app)
        raw = await exchange(port, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        head_resp, rest = raw.split(b"\r\n\r\n", 1)
        assert b"Content-Length: 5" in head_resp
        assert rest.startswith(b"HTTP/1.1 304 X\r\n") and rest.endswith(b"\r\n\r\n")
        assert b"Transfer-Encoding" not in rest
        await shutdown(server)

    run(main)


@pytest.mark.parametrize(
    "request_bytes,status",
    [
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", 417),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
    ],
)
def test_bad_requests_over_a_socket(request_bytes: bytes, status: int, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server, port = await serve(echo_app, max_body_size=1000)
        with caplog.at_level(logging.INFO, logger="squall.general"):
            raw = await exchange(port, request_bytes)
        assert raw.startswith(f"HTTP/1.1 {status} ".encode())
        assert b"Connection: close\r\n" in raw
        assert raw.endswith(f"{status}".encode() + raw.split(f"{status}".encode(), 2)[-1])
        lines = [r.getMessage() for r in caplog.records if r.name == "squall.general"]
        assert len(lines) == 1 and len(lines[0]) < 400
        await shutdown(server)

    run(main)


def test_log_line_escapes_control_characters(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server, port = await serve(echo_app)
        with caplog.at_level(logging.INFO, logger="squall.general"):
            await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nX\x1b[31m: 1\r\n\r\n")
        message = caplog.records[0].getMessage()
        assert "\x1b" not in message and "\\x1b" in message
        await shutdown(server)

    run(main)


def test_valid_then_invalid_pipelined_after_close() -> None:
    async def main() -> None:
        server, port = await serve(echo_app)
        raw = await exchange(port, b"GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nBROKEN\r\n\r\n")
        assert raw.count(b"HTTP/1.1 ") == 1 and raw.startswith(b"HTTP/1.1 200")
        await shutdown(server)

    run(main)


def test_exception_in_callback_gives_500_and_server_survives(caplog: pytest.LogCaptureFixture) -> None:
    def app(request: HTTPServerRequest) -> None:
        if request.path == "/boom":
            raise ValueError("boom")
        echo_app(request)

    async def main() -> None:
        server, port = await serve(app)
        with caplog.at_level(logging.ERROR, logger="squall.application"):
            raw = await exchange(port, b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 500 ")
        assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)
        raw = await exchange(port, b"GET /fine HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 200 ")
        await shutdown(server)

    run(main)


def test_async_callback_exception_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def app(request: HTTPServerRequest) -> None:
        raise RuntimeError("async boom")

    async def main() -> None:
        server, port = await serve(app)
        with caplog.at_level(logging.ERROR, logger="squall.application"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            for _ in range(100):
                if caplog.records:
                    break
                await asyncio.sleep(0.01)
            writer.close()
        assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
        await shutdown(server)

    run(main)


def test_legacy_raw_write() -> None:
    def app(request: HTTPServerRequest) -> None:
        body = b"raw hello"
        request.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        request.finish()

    async def main() -> None:
        server, port = await serve(app)
        raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert raw == b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nraw hello"
        await shutdown(server)

    run(main)


def test_form_body_parsed_for_callable() -> None:
    def app(request: HTTPServerRequest) -> None:
        respond(request, repr(sorted(request.arguments.items())).encode())

    async def main() -> None:
        server, port = await serve(app)
        body = b"a=1&b=2"
        raw = await exchange(
            port,
            b"POST /?a=0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n" + body,
        )
        assert raw.endswith(b"[('a', [b'0', b'1']), ('b', [b'2'])]")
        raw = await exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=zz\r\n"
            b"Content-Length: 8\r\n\r\n--zz\r\nxx",
        )
        assert raw.startswith(b"HTTP/1.1 400 ")
        await shutdown(server)

    run(main)


def test_xheaders() -> None:
    def app(request: HTTPServerRequest) -> None:
        respond(request, f"{request.remote_ip} {request.protocol}".encode())

    async def get(port: int, *headers: str) -> bytes:
        data = ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()
        return (await exchange(port, data)).split(b"\r\n\r\n", 1)[1]

    async def main() -> None:
        server, port = await serve(app, xheaders=True, trusted_downstream=["10.0.0.9"])
        assert await get(port) == b"127.0.0.1 http"
        assert await get(port, "X-Real-IP: 4.4.4.4") == b"4.4.4.4 http"
        assert await get(port, "X-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.0.0.9") == b"2.2.2.2 http"
        assert await get(port, "X-Forwarded-For: ::1") == b"::1 http"
        assert await get(port, "X-Real-IP: not-an-ip") == b"127.0.0.1 http"
        assert await get(port, "X-Scheme: https") == b"127.0.0.1 https"
        assert await get(port, "X-Forwarded-Proto: http, https") == b"127.0.0.1 https"
        assert await get(port, "X-Forwarded-Proto: javascript") == b"127.0.0.1 http"
        assert await get(port, 'Forwarded: for=1.2.3.4;proto=https, for="[2001:db8::1]:80"') == b"2001:db8::1 https"
        assert await get(port, "Forwarded: for=5.5.5.5:99, for=10.0.0.9") == b"5.5.5.5 http"
        assert await get(port, "Forwarded: for=unknown") == b"127.0.0.1 http"
        await shutdown(server)
        # Without xheaders the headers are ignored.
        server, port = await serve(app)
        assert await get(port, "X-Real-IP: 4.4.4.4", "X-Scheme: https") == b"127.0.0.1 http"
        await shutdown(server)

    run(main)


def test_decompress_request_and_bomb_limit() -> None:
    def app(request: HTTPServerRequest) -> None:
        respond(request, request.body + b"|" + request.headers.get("X-Consumed-Content-Encoding", "").encode())

    async def main() -> None:
        server, port = await serve(app, decompress_request=True, max_body_size=100_000)
        payload = gzip.compress(b"hello ") + gzip.compress(b"world")
        raw = await exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload,
        )
        assert raw.endswith(b"\r\n\r\nhello world|gzip")
        bomb = gzip.compress(b"\0" * 1_000_000)
        assert len(bomb) < 100_000
        raw = await exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n" + f"Content-Length: {len(bomb)}\r\n\r\n".encode() + bomb,
        )
        assert raw.startswith(b"HTTP/1.1 413 ")
        raw = await exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz",
        )
        assert raw.startswith(b"HTTP/1.1 400 ")
        await shutdown(server)

    run(main)


def test_header_timeout_slowloris(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server, port = await serve(echo_app, header_timeout=0.2)
        def dribble() -> bytes:
            # One byte every 30 ms: each byte must not restart the clock.
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.setblocking(True)
                for byte in b"GET / HTTP/1.1\r\nHost: a\r\nX-Padding: aaaa":
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:
                        break
                    sock.settimeout(0.03)
                    try:
                        first = sock.recv(65536)
                    except socket.timeout:
                        continue
                    sock.settimeout(5)
                    rest = b""
                    while chunk := sock.recv(65536):
                        rest += chunk
                    return first + rest
                return b""

        with caplog.at_level(logging.INFO, logger="squall.general"):
            raw = await asyncio.get_running_loop().run_in_executor(None, dribble)
        assert raw.startswith(b"HTTP/1.1 408 ")
        assert any("header timeout" in r.getMessage() for r in caplog.records)
        await shutdown(server)

    run(main)


def test_idle_and_body_timeouts() -> None:
    async def main() -> None:
        server, port = await serve(echo_app, idle_connection_timeout=0.1, body_timeout=0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await read_response(reader)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # idle: closed silently
        writer.close()
        raw = await exchange(port, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        assert raw.startswith(b"HTTP/1.1 408 ")
        raw = await exchange(port, b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        assert raw.startswith(b"HTTP/1.1 408 ")
        await shutdown(server)

    run(main)


def test_graceful_shutdown_finishes_in_flight() -> None:
    started = asyncio.Event

    async def main() -> None:
        began = asyncio.Event()

        async def app(request: HTTPServerRequest) -> None:
            began.set()
            await asyncio.sleep(0.2)
            respond(request, b"finished")

        server, port = await serve(app)
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await began.wait()
        server.stop()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
        await server.close_all_connections(timeout=5)
        code, headers, body = await read_response(reader)
        assert (code, body, headers["connection"]) == (200, b"finished", "close")
        assert await idle_reader.read() == b""
        writer.close()
        idle_writer.close()

    assert started is asyncio.Event
    run(main)


def test_close_all_connections_timeout_aborts() -> None:
    async def main() -> None:
        async def app(request: HTTPServerRequest) -> None:
            await asyncio.sleep(10)

        server, port = await serve(app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await asyncio.sleep(0.05)
        server.stop()
        await server.close_all_connections(timeout=0.1)
        assert not server._connections or await reader.read() == b""
        writer.close()

    run(main)


def test_unix_socket() -> None:
    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.sock")
            sock = bind_unix_socket(path)
            server = HTTPServer(echo_app)
            server.add_socket(sock)
            await asyncio.sleep(0)
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(b"GET /u HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            raw = await reader.read()
            assert raw.startswith(b"HTTP/1.1 200") and b"GET /u 0.0.0.0 http" in raw
            writer.close()
            await shutdown(server)

    run(main)


def test_tls() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def main() -> None:
        server, port = await serve(echo_app, ssl_options=server_ctx)
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx, server_hostname="127.0.0.1")
        writer.write(b"GET /tls HTTP/1.1\r\nHost: a\r\n\r\n")
        code, _, body = await read_response(reader)
        assert code == 200 and body.startswith(b"GET /tls 127.0.0.1 https")
        writer.close()
        await shutdown(server)

    run(main)


def test_no_keep_alive_and_listen_bind_start() -> None:
    async def main() -> None:
        server = HTTPServer(echo_app, no_keep_alive=True)
        server.bind(0, "127.0.0.1")
        port = server._pending_sockets[0].getsockname()[1]
        server.start(1)
        await asyncio.sleep(0)
        raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert b"Connection: close" in raw
        await shutdown(server)
        server = HTTPServer(echo_app)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        server.listen(free, "127.0.0.1")
        await asyncio.sleep(0)
        raw = await exchange(free, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 200")
        await shutdown(server)

    run(main)


def test_listen_before_loop_runs() -> None:
    from squall.ioloop import IOLoop

    loop = IOLoop()
    try:
        server = HTTPServer(echo_app)
        server.listen(0, "127.0.0.1")
        port = server._servers[0].sockets[0].getsockname()[1]

        async def main() -> bytes:
            return await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")

        raw = loop.run_sync(main)
        assert raw.startswith(b"HTTP/1.1 200")
        server.stop()
    finally:
        loop.close(all_fds=True)


def test_write_futures_and_close_callback() -> None:
    events: list[str] = []

    class App(HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
            class D(HTTPMessageDelegate):
                def finish(self) -> None:
                    request_conn.set_close_callback(lambda: events.append("closed"))
                    asyncio.ensure_future(self.stream())

                async def stream(self) -> None:
                    await request_conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders())
                    try:
                        for _ in range(2000):
                            await request_conn.write(b"x" * 65536)
                    except Exception as e:
                        events.append(type(e).__name__)

                def on_connection_close(self) -> None:
                    events.append("on_connection_close")

            return D()

        def on_close(self, server_conn: object) -> None:
            events.append("on_close")

    async def main() -> None:
        server, port = await serve(App())
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await reader.readexactly(1000)  # the server blocks: we read slowly
        writer.transport.abort()
        for _ in range(200):
            if "StreamClosedError" in events:
                break
            await asyncio.sleep(0.01)
        assert events[:3] == ["closed", "on_connection_close", "on_close"]
        assert "StreamClosedError" in events
        await shutdown(server)

    run(main)


def test_bad_request_callback_type() -> None:
    with pytest.raises(TypeError):
        HTTPServer(42)  # type: ignore[arg-type]


def test_start_request_and_on_close_forwarding() -> None:
    seen: list[str] = []

    class App(HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
            seen.append("start")
            return HTTPMessageDelegate()

        def on_close(self, server_conn: object) -> None:
            seen.append("close")

    server = HTTPServer(App())
    assert isinstance(server.start_request(object(), HTTPConnection()), HTTPMessageDelegate)
    server.on_close(object())
    assert seen == ["start", "close"]
    assert RequestStartLine("GET", "/", "HTTP/1.1").method == "GET"
