"""The client's connection: resolver, happy eyeballs (RFC 8305), errors."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

import squall.web
from squall.netutil import OverrideResolver, Resolver
from squall.websocket import WebSocketHandler, websocket_connect
from squall.websocket._connect import interleave, race

V4, V6 = int(socket.AF_INET), int(socket.AF_INET6)


class HostEcho(WebSocketHandler):
    """Answers every message with the Host the client sent."""

    def on_message(self, message: str | bytes) -> None:
        self.write_message(self.request.host)


@pytest.fixture
def app() -> squall.web.Application:
    return squall.web.Application([(r"/ws", HostEcho)])


class ListResolver(Resolver):
    """Resolves every name to a fixed list of addresses."""

    def __init__(self, addresses: list[tuple[int, Any]]) -> None:
        self.addresses = addresses
        self.asked: list[tuple[str, int]] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        self.asked.append((host, port))
        return list(self.addresses)

    def close(self) -> None:
        self.closed = True


def closed_port() -> int:
    """A loopback port nobody listens on (connecting is refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


# ----------------------------------------------------------------------
# Ordering


def test_interleave_alternates_families_from_the_first() -> None:
    addrs = [(V6, "a"), (V6, "b"), (V4, "c"), (V4, "d"), (V6, "e")]
    assert interleave(addrs) == [(V6, "a"), (V4, "c"), (V6, "b"), (V4, "d"), (V6, "e")]
    assert interleave([(V4, "x"), (V6, "y"), (V6, "z")]) == [(V4, "x"), (V6, "y"), (V6, "z")]
    assert interleave([]) == []


# ----------------------------------------------------------------------
# The race, with fake attempts


async def test_a_failed_attempt_starts_the_next_at_once() -> None:
    calls: list[str] = []

    async def refused() -> str:
        calls.append("first")
        raise ConnectionRefusedError(111, "refused")

    async def fine() -> str:
        calls.append("second")
        return "second"

    # The head start is an hour: only the failure can have started the second.
    assert await race([refused, fine], 3600, lambda _: None) == "second"
    assert calls == ["first", "second"]


async def test_a_slow_attempt_gets_company_and_loses() -> None:
    cancelled = asyncio.Event()
    second_started_while_first_ran: list[bool] = []
    first_running = False

    async def hangs() -> str:
        nonlocal first_running
        first_running = True
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    async def fine() -> str:
        second_started_while_first_ran.append(first_running and not cancelled.is_set())
        return "second"

    assert await race([hangs, fine], 0.01, lambda _: None) == "second"
    assert second_started_while_first_ran == [True]
    await asyncio.wait_for(cancelled.wait(), 5)


async def test_a_loser_that_connects_anyway_is_discarded() -> None:
    discarded: list[str] = []
    release = asyncio.Event()

    async def stubborn() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await release.wait()
            return "late socket"  # swallowed the cancellation and connected
        return "never"

    async def fine() -> str:
        return "winner"

    assert await race([stubborn, fine], 0.01, discarded.append) == "winner"
    release.set()
    for _ in range(10):
        if discarded:
            break
        await asyncio.sleep(0)
    assert discarded == ["late socket"]


async def test_the_earliest_started_success_wins_a_tie() -> None:
    go = asyncio.Event()
    discarded: list[str] = []

    def attempt(name: str) -> Any:
        async def run() -> str:
            await go.wait()
            return name

        return run

    async def open_gate() -> None:
        await asyncio.sleep(0.05)
        go.set()

    gate = asyncio.ensure_future(open_gate())
    assert await race([attempt("a"), attempt("b")], 0, discarded.append) == "a"
    await gate
    await asyncio.sleep(0)
    assert discarded == ["b"]


async def test_every_attempt_failing_raises() -> None:
    async def refused() -> str:
        raise ConnectionRefusedError(111, "refused by A")

    async def unreachable() -> str:
        raise OSError(101, "unreachable B")

    with pytest.raises(ConnectionRefusedError, match="refused by A"):
        await race([refused], 0.01, lambda _: None)
    with pytest.raises(OSError, match="refused by A.*unreachable B"):
        await race([refused, unreachable], 0.01, lambda _: None)
    with pytest.raises(ValueError, match="at least one"):
        await race([], 0.01, lambda _: None)


async def test_cancelling_the_race_cancels_every_attempt() -> None:
    cancelled: list[str] = []

    def hang(name: str) -> Any:
        async def run() -> str:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            return name

        return run

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(race([hang("a"), hang("b")], 0.01, lambda _: None), 0.1)
    await asyncio.sleep(0)
    assert sorted(cancelled) == ["a", "b"]


# ----------------------------------------------------------------------
# websocket_connect with a resolver, against the real server


async def test_override_resolver_keeps_the_url_host(http_port: int) -> None:
    resolver = OverrideResolver(Resolver(), {"chat.test": "127.0.0.1"})
    conn = await websocket_connect(f"ws://chat.test:{http_port}/ws", resolver=resolver)
    await conn.write_message("who am I talking to?")
    assert await conn.read_message() == f"chat.test:{http_port}"
    conn.close()
    assert await conn.read_message() is None


async def test_falls_back_past_addresses_that_refuse(http_port: int) -> None:
    dead = closed_port()
    resolver = ListResolver(
        [
            (V6, ("::1", dead, 0, 0)),  # refused, or no IPv6 here: fails either way
            (V4, ("127.0.0.1", dead)),
            (V4, ("127.0.0.1", http_port)),
        ]
    )
    conn = await websocket_connect("ws://many.test/ws", resolver=resolver)
    assert resolver.asked == [("many.test", 80)]
    assert not resolver.closed  # the caller's resolver is the caller's to close
    await conn.write_message("hi")
    assert await conn.read_message() == "many.test"
    conn.close()
    assert await conn.read_message() is None


async def test_no_address_accepting_raises_oserror_naming_them() -> None:
    a, b = closed_port(), closed_port()
    resolver = ListResolver([(V4, ("127.0.0.1", a)), (V4, ("127.0.0.1", b))])
    with pytest.raises(OSError) as info:
        await websocket_connect("ws://nobody.test/", resolver=resolver)
    if a != b:
        assert str(a) in str(info.value) and str(b) in str(info.value)


async def test_a_name_without_addresses_is_a_gaierror() -> None:
    with pytest.raises(socket.gaierror, match="nothing.test"):
        await websocket_connect("ws://nothing.test/", resolver=ListResolver([]))


async def test_configured_resolver_is_used_by_default(http_port: int) -> None:
    class Fixed(ListResolver):
        def __init__(self) -> None:
            super().__init__([(V4, ("127.0.0.1", http_port))])

    previous = Resolver.configured_class()
    Resolver.configure(Fixed)
    try:
        conn = await websocket_connect("ws://configured.test/ws")
    finally:
        Resolver.configure(previous)
    await conn.write_message("hi")
    assert await conn.read_message() == "configured.test"
    conn.close()
    assert await conn.read_message() is None
