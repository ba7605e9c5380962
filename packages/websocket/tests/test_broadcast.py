"""1,000 concurrent connections receiving a broadcast."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from wsraw import raise_nofile

import squall.web
from squall.websocket import WebSocketHandler, websocket_connect

CLIENTS = 1000


@pytest.mark.squall_timeout(60)  # 1,000 handshakes on a loaded 2-core machine
async def test_broadcast_to_a_thousand_connections(serve: Any) -> None:
    if raise_nofile(2 * CLIENTS + 200) < 2 * CLIENTS + 100:
        pytest.skip("RLIMIT_NOFILE cannot be raised enough for 1,000 connections")
    members: set[WebSocketHandler] = set()
    everyone_in = asyncio.Event()

    class Room(WebSocketHandler):
        def open(self) -> None:
            members.add(self)
            if len(members) == CLIENTS:
                everyone_in.set()

        def on_message(self, message: str | bytes) -> None:
            for member in list(members):
                member.write_message(message)

        def on_close(self) -> None:
            members.discard(self)

    port = serve(squall.web.Application([(r"/room", Room)])).port
    url = f"ws://127.0.0.1:{port}/room"
    conns = []
    for start in range(0, CLIENTS, 100):  # connect in waves (listen backlog)
        conns += await asyncio.gather(*(websocket_connect(url) for _ in range(100)))
    await asyncio.wait_for(everyone_in.wait(), 20)
    await conns[0].write_message("news for all")
    received = await asyncio.gather(*(c.read_message() for c in conns))
    assert received == ["news for all"] * CLIENTS
    for conn in conns:
        conn.close()
    results = await asyncio.gather(*(c.read_message() for c in conns))
    assert results == [None] * CLIENTS
    for _ in range(200):
        if not members:
            break
        await asyncio.sleep(0.01)
    assert not members
