"""The server protocol driven in memory: back-pressure, writes after a reset, context.

These tests feed bytes straight to the connection's ``asyncio.Protocol``
with a recording transport, so flow-control callbacks (``pause_writing``,
``resume_writing``) and a transport that is already closing can be
produced exactly, without depending on kernel buffer sizes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.httpserver._connection import HTTP1ServerProtocol
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.iostream import StreamClosedError


class RecordingTransport(asyncio.Transport):
    """Keeps what is written; reports and records flow control."""

    def __init__(self) -> None:
        super().__init__()
        self.out = bytearray()
        self.closing = False
        self.reading = True
        self.aborted = False

    def write(self, data: Any) -> None:
        self.out += data

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.out += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("10.1.2.3", 5555), "sockname": ("127.0.0.1", 8888)}.get(name, default)


def answer(request: HTTPServerRequest) -> None:
    assert request.connection is not None
    body = f"{request.uri}".encode()
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"),
        HTTPHeaders({"Content-Length": str(len(body))}),
        body,
    )
    request.connection.finish()


def connect(app: Any, **kwargs: Any) -> tuple[HTTP1ServerProtocol, RecordingTransport]:
    server = HTTPServer(app, **kwargs)
    proto = HTTP1ServerProtocol(server, server._params, "http")
    transport = RecordingTransport()
    proto.connection_made(transport)
    return proto, transport


def test_pipelined_requests_wait_while_the_client_does_not_read() -> None:
    async def main() -> None:
        seen: list[str] = []

        def app(request: HTTPServerRequest) -> None:
            seen.append(request.uri or "")
            answer(request)

        proto, transport = connect(app, max_buffer_size=1000)
        proto.data_received(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
        assert seen == ["/1"]
        proto.pause_writing()  # the client stopped reading our answers
        proto.data_received(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n" * 3)
        assert seen == ["/1"], "no request is taken while writing is paused"
        # What the client keeps sending is buffered only up to the limit.
        for _ in range(50):
            proto.data_received(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        assert not transport.reading
        proto.resume_writing()
        assert seen[:4] == ["/1", "/2", "/2", "/2"]
        assert transport.out.count(b"HTTP/1.1 200 OK") == len(seen)

    asyncio.run(main())


def test_a_request_in_progress_finishes_then_the_pipeline_waits() -> None:
    async def main() -> None:
        seen: list[str] = []
        pending: list[HTTPServerRequest] = []

        def app(request: HTTPServerRequest) -> None:
            seen.append(request.uri or "")
            pending.append(request)

        proto, transport = connect(app)
        proto.data_received(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        assert seen == ["/1"]
        proto.pause_writing()
        answer(pending.pop())  # the answer to /1 is still written in full
        assert transport.out.endswith(b"/1")
        assert seen == ["/1"]
        proto.resume_writing()
        assert seen == ["/1", "/2"]
        answer(pending.pop())
        assert transport.out.endswith(b"/2")

    asyncio.run(main())


def test_writes_after_the_client_reset_fail_with_stream_closed() -> None:
    async def main() -> None:
        held: list[HTTPServerRequest] = []
        proto, transport = connect(held.append)
        proto.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        (request,) = held
        connection = request.connection
        assert connection is not None
        first = connection.write_headers(
            ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), b"part"
        )
        await first  # a healthy connection: done
        transport.closing = True  # a write failed: the peer reset the connection
        written = len(transport.out)
        for _ in range(3):  # a write/flush loop stops at its first await
            future = connection.write(b"more")
            assert future.done()
            with pytest.raises(StreamClosedError):
                await future
        assert len(transport.out) == written, "nothing more is written to a dead client"

    asyncio.run(main())


def test_write_headers_on_a_closing_transport_fails() -> None:
    async def main() -> None:
        held: list[HTTPServerRequest] = []
        proto, transport = connect(held.append)
        proto.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        transport.closing = True
        connection = held[0].connection
        assert connection is not None
        future = connection.write_headers(
            ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "1"}), b"x"
        )
        with pytest.raises(StreamClosedError):
            await future

    asyncio.run(main())


def test_context_has_the_local_address() -> None:
    async def main() -> None:
        held: list[HTTPServerRequest] = []
        proto, _ = connect(held.append, xheaders=True)
        proto.data_received(b"GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP: 10.9.9.9\r\n\r\n")
        connection = held[0].connection
        assert connection is not None
        context = connection.context
        assert context.sockname == ("127.0.0.1", 8888)
        assert context.address == ("10.1.2.3", 5555)
        assert held[0].remote_ip == "10.9.9.9"

    asyncio.run(main())
