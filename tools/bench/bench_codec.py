"""Micro-benchmark of squall's HTTP/1.1 codec and server protocol (no sockets).

Prints the CPU microseconds per request for: parsing a typical GET with
HTTP1Codec and serializing its response; the whole server path
(HTTP1ServerProtocol.data_received with an in-memory transport and a minimal
delegate); and the path of the ``squall-raw`` contender of http_servers.py
(a plain ``callback(request)`` sending the same five headers). Each figure is
the best of five runs of CPU time, which tames a busy machine's noise. Compare
runs of this script, not absolute numbers across machines.

    .venv/bin/python tools/bench/bench_codec.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from squall.httpserver import HTTPServer
from squall.httpserver._connection import HTTP1ServerProtocol
from squall.httputil import (
    HTTP1Codec,
    HTTPServerRequest,
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    ResponseStartLine,
)

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
# What wrk sends by default.
WRK_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
START = ResponseStartLine("HTTP/1.1", 200, "OK")
BODY = b"Hello world!"


def bench_codec(n: int) -> float:
    codec = HTTP1Codec("server")
    start = time.process_time()
    for _ in range(n):
        codec.receive_data(REQUEST)
        codec.next_event()
        codec.next_event()
        codec.send_head(START, HTTPHeaders({"Content-Length": "12"}))
        codec.send_data(BODY)
        codec.send_end()
        codec.start_next_cycle()
    return (time.process_time() - start) / n * 1e6


class _Transport(asyncio.Transport):
    def write(self, data: Any) -> None:
        pass

    def writelines(self, data: Any) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5555) if name == "peername" else default

    def close(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _Delegate(HTTPMessageDelegate):
    def __init__(self, conn: HTTPConnection) -> None:
        self.conn = conn

    def finish(self) -> None:
        self.conn.write_headers(
            START, HTTPHeaders({"Content-Length": "12", "Content-Type": "text/plain"}), BODY
        )
        self.conn.finish()


class _App(HTTPServerConnectionDelegate):
    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        return _Delegate(request_conn)


def _raw_callback(request: HTTPServerRequest) -> None:
    # What http_servers.py's squall-raw contender does per request.
    headers = HTTPHeaders(
        {
            "Date": "Sat, 28 Nov 2026 02:40:00 GMT",
            "Server": "squall-raw",
            "Content-Type": "text/plain",
            "Content-Length": str(len(BODY)),
            "Etag": '"d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26"',
        }
    )
    connection = request.connection
    if connection is None:
        raise RuntimeError("the server gives every request its connection")
    connection.write_headers(START, headers, BODY)
    connection.finish()


async def bench_server(n: int, app: Any, request: bytes = REQUEST) -> float:
    server = HTTPServer(app)
    proto = HTTP1ServerProtocol(server, server._params, "http")
    proto.connection_made(_Transport())
    for _ in range(1000):  # warm caches (and the adaptive interpreter)
        proto.data_received(request)
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            proto.data_received(request)
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"codec parse+serialize:  {min(bench_codec(n) for _ in range(5)):.2f} us/request")
    print(f"server protocol path:   {asyncio.run(bench_server(n, _App())):.2f} us/request")
    print(
        "squall-raw callback:    "
        f"{asyncio.run(bench_server(n, _raw_callback, WRK_REQUEST)):.2f} us/request"
    )


if __name__ == "__main__":
    main()
