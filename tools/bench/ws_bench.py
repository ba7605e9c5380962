"""WebSocket echo: servers, and the one client that loads them all.

Usage:
    python ws_bench.py serve SERVER --port PORT [--uvloop]
    python ws_bench.py client --url URL [--messages N] [--connections C]

Every server echoes each text message back on the same connection, with
compression off (Tornado's default; `websockets` is told so explicitly). The
client is the same for every server (the `websockets` library), so only the
server differs: each of C connections sends N/C small messages one at a time,
waiting for each echo. The client prints one JSON object with the wall time.
A server whose library cannot be imported exits with status 3.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _common

MESSAGE = "squall websocket benchmark message"  # 34 bytes: a "small message"


def need(module: str, what: str, names: tuple[str, ...] = ()) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        _common.unavailable(what, exc)
    missing = [name for name in names if not hasattr(mod, name)]
    if missing:
        _common.unavailable(what, ImportError(f"{module} has no {', '.join(missing)}"))
    return mod


def tornado_api_server(lib: str) -> Callable[[int], Awaitable[None]]:
    """An echo server written to Tornado's documented WebSocketHandler API."""

    async def serve(port: int) -> None:
        web = need(f"{lib}.web", lib, ("Application",))
        websocket = need(f"{lib}.websocket", lib, ("WebSocketHandler",))

        class Echo(websocket.WebSocketHandler):  # type: ignore[misc, name-defined]
            def on_message(self, message: str | bytes) -> None:
                self.write_message(message, binary=isinstance(message, bytes))

        app = web.Application([(r"/ws", Echo)])
        app.listen(port, address="127.0.0.1")
        await asyncio.Event().wait()

    return serve


async def websockets_server(port: int) -> None:
    need("websockets", "websockets")
    from websockets.asyncio.server import serve

    async def echo(connection: Any) -> None:
        async for message in connection:
            await connection.send(message)

    async with serve(echo, "127.0.0.1", port, compression=None):
        await asyncio.Event().wait()


SERVERS: dict[str, Callable[[int], Awaitable[None]]] = {
    "tornado": tornado_api_server("tornado"),
    "squall": tornado_api_server("squall"),
    "websockets": websockets_server,
}


async def client(url: str, messages: int, connections: int) -> dict[str, Any]:
    need("websockets", "websockets")
    from websockets.asyncio.client import connect

    per_connection = messages // connections
    sockets = [await connect(url, compression=None) for _ in range(connections)]

    async def talk(ws: Any, count: int) -> None:
        for _ in range(count):
            await ws.send(MESSAGE)
            reply = await ws.recv()
            if reply != MESSAGE:
                raise RuntimeError(f"echo mismatch: sent {MESSAGE!r}, got {reply!r}")

    await asyncio.gather(*(talk(ws, 5) for ws in sockets))  # warm-up
    # Handshake with the harness, which reads the server's CPU time between
    # "READY" and the result line, so the figure covers only the echo phase.
    await _common.handshake("READY")
    wall0 = time.perf_counter()
    await asyncio.gather(*(talk(ws, per_connection) for ws in sockets))
    wall = time.perf_counter() - wall0
    result = {"messages": per_connection * connections, "connections": connections, "wall": wall}
    await _common.handshake(json.dumps(result))
    for ws in sockets:
        await ws.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("server", choices=sorted(SERVERS))
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--uvloop", action="store_true")
    load = sub.add_parser("client")
    load.add_argument("--url", required=True)
    load.add_argument("--messages", type=int, default=10_000)
    load.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    _common.add_squall_paths()
    if args.command == "serve":
        _common.configure_access_logging()
        try:
            _common.run_loop(SERVERS[args.server](args.port), args.uvloop)
        except ImportError as exc:  # e.g. a squall package that imports one not written yet
            _common.unavailable(args.server, exc)
    else:
        asyncio.run(client(args.url, args.messages, args.connections))


if __name__ == "__main__":
    main()
