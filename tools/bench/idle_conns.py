"""Open many keep-alive connections, one request each, and hold them idle.

Usage: python idle_conns.py --port PORT [--count N] [--warm W]

Opens W connections (the baseline: the server's code paths and buffers are
warm), prints "BASELINE" and waits for a line on stdin; then opens N more,
prints "HOLDING" and waits again; then closes everything. Each connection
sends one GET and reads its whole response, so what stays behind on the server
is an idle keep-alive connection, the state a real server holds most of. The
harness reads the server's RSS at both points: (RSS at HOLDING - RSS at
BASELINE) / N is the memory one idle connection costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import _common

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BATCH = 64  # connections opened at once: under every server's default listen backlog (100+)


class OneRequest(asyncio.Protocol):
    """Sends one request and resolves `done` when the whole response is in."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(REQUEST)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, sep, body = self.buffer.partition(b"\r\n\r\n")
        if not sep or self.done.done():
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(body) >= length:
            self.buffer = b""
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"server closed the connection early: {exc}"))


async def open_many(port: int, count: int, held: list[asyncio.BaseTransport]) -> None:
    loop = asyncio.get_running_loop()

    async def one() -> None:
        done: asyncio.Future[None] = loop.create_future()
        transport, _ = await loop.create_connection(lambda: OneRequest(done), "127.0.0.1", port)
        held.append(transport)
        await asyncio.wait_for(done, 30)

    for start in range(0, count, BATCH):
        await asyncio.gather(*(one() for _ in range(min(BATCH, count - start))))


async def run(port: int, count: int, warm: int) -> None:
    held: list[asyncio.BaseTransport] = []
    await open_many(port, warm, held)
    await asyncio.sleep(0.3)
    await _common.handshake("BASELINE")
    await open_many(port, count, held)
    await asyncio.sleep(0.5)  # let the server settle after the last response
    open_now = sum(1 for t in held if not t.is_closing())
    await _common.handshake("HOLDING " + json.dumps({"open": open_now, "count": count}))
    for transport in held:
        transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--warm", type=int, default=100)
    args = parser.parse_args()
    limit = _common.raise_fd_limit()
    if limit < args.count + args.warm + 100:
        raise SystemExit(
            f"open-files limit {limit} is too low for {args.count} connections; "
            "raise it (ulimit -n) or lower --count"
        )
    asyncio.run(run(args.port, args.count, args.warm))


if __name__ == "__main__":
    main()
