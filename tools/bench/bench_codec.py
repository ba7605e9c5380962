"""Micro-benchmark of squall's HTTP/1.1 codec and server protocol (no sockets).

Prints the CPU microseconds per request for: parsing a typical GET with
HTTP1Codec and serializing its response, and the whole server path
(HTTP1ServerProtocol.data_received with an in-memory transport and a minimal
delegate). Compare runs of this script, not absolute numbers across machines.

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
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    ResponseStartLine,
)

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
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


async def bench_server(n: int) -> float:
    server = HTTPServer(_App())
    proto = HTTP1ServerProtocol(server, server._params, "http")
    proto.connection_made(_Transport())
    start = time.process_time()
    for _ in range(n):
        proto.data_received(REQUEST)
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    print(f"codec parse+serialize: {bench_codec(n):.2f} us/request")
    print(f"server protocol path:  {asyncio.run(bench_server(n)):.2f} us/request")


if __name__ == "__main__":
    main()
