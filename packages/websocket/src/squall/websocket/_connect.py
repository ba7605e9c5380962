"""Opening the client's connection: resolve, race the addresses, wrap in a transport.

How this works: the host is resolved with a `squall.netutil.Resolver` (the
one passed to `websocket_connect`, else ``Resolver()``, which honours
``Resolver.configure``). The addresses are reordered so that the two
families alternate, starting with the family of the first one (RFC 8305
section 4). Then the attempts race (RFC 8305 section 5, "happy eyeballs"):
an attempt starts when the one before it failed, or `ATTEMPT_DELAY`
seconds after it started, whichever comes first; the first socket to
connect wins and every other attempt is cancelled and its socket closed. So
a host whose IPv6 address is unreachable costs a quarter of a second, not a
TCP timeout. The winning socket becomes an asyncio transport (the TLS
handshake included) with ``loop.create_connection(sock=...)``.

Why not `squall.tcpclient.TCPClient`, which races the same way: it hands
back an `IOStream`, and the WebSocket protocol runs on an asyncio transport
directly, as on the server; a stream under it would add a second buffer and
a read loop to every message.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from squall.netutil import Resolver

__all__ = ["ATTEMPT_DELAY", "interleave", "open_connection", "race"]

#: Seconds an attempt runs alone before the next address is tried too
#: (RFC 8305 section 8 recommends 250 ms).
ATTEMPT_DELAY = 0.25

_T = TypeVar("_T")
_P = TypeVar("_P", bound=asyncio.BaseProtocol)


def interleave(addresses: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Alternate the address families, starting with the first address's.

    Args:
        addresses: ``(family, sockaddr)`` pairs in resolver order.

    Returns:
        The same pairs, each family's own order kept.
    """
    if not addresses:
        return []
    first = addresses[0][0]
    primary = [a for a in addresses if a[0] == first]
    secondary = [a for a in addresses if a[0] != first]
    out: list[tuple[int, Any]] = []
    for i in range(max(len(primary), len(secondary))):
        out += primary[i : i + 1] + secondary[i : i + 1]
    return out


async def race(
    attempts: Sequence[Callable[[], Awaitable[_T]]],
    delay: float,
    discard: Callable[[_T], None],
) -> _T:
    """Run ``attempts`` staggered by ``delay``; return the first success.

    Attempt ``i + 1`` starts when attempt ``i`` failed or ``delay`` seconds
    after it started. Attempts still running when one succeeds are
    cancelled; ``discard`` is called with the result of any other attempt
    that succeeds anyway (to close its socket).

    Args:
        attempts: functions that start one attempt each.
        delay: the head start of each attempt, in seconds.
        discard: releases a result that lost the race.

    Returns:
        The result of the first attempt that succeeded.

    Raises:
        OSError: every attempt failed: the error itself if there was one
            attempt (or all failed alike), else an `OSError` listing them
            (asyncio's connect errors name their address).
        ValueError: ``attempts`` is empty.
    """
    if not attempts:
        raise ValueError("race() needs at least one attempt")
    waiting = list(attempts)
    running: set[asyncio.Future[_T]] = set()
    started: list[asyncio.Future[_T]] = []
    errors: list[BaseException] = []
    winner: asyncio.Future[_T] | None = None
    try:
        while waiting or running:
            if waiting:
                task = asyncio.ensure_future(waiting.pop(0)())
                started.append(task)
                running.add(task)
            done, running = await asyncio.wait(
                running,
                timeout=delay if waiting else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for future in started:  # in start order: the earliest success wins
                if future in done and future.exception() is None:
                    winner = future
                    return future.result()
            for future in done:
                error = future.exception()
                if error is not None:
                    errors.append(error)
    finally:
        for future in started:
            if future is not winner:
                future.cancel()
                future.add_done_callback(lambda f: _discard_result(f, discard))
    if len(errors) == 1 or len({str(e) for e in errors}) == 1:
        raise errors[0]
    raise OSError("; ".join(str(e) for e in errors)) from errors[-1]


def _discard_result(task: asyncio.Future[_T], discard: Callable[[_T], None]) -> None:
    if not task.cancelled() and task.exception() is None:
        discard(task.result())


async def _connect_socket(family: int, address: Any) -> socket.socket:
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    return sock


async def open_connection(
    protocol_factory: Callable[[], _P],
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None,
    resolver: Resolver | None,
) -> tuple[asyncio.Transport, _P]:
    """Connect to ``host``:``port`` (happy eyeballs) and make a transport.

    Args:
        protocol_factory: makes the transport's protocol.
        host: a host name or IP address.
        port: the port.
        ssl_context: start TLS with this context (verifying ``host``).
        resolver: the resolver to use; ``None`` makes a ``Resolver()`` for
            this connection.

    Returns:
        The transport and its protocol.

    Raises:
        OSError: the name did not resolve (``socket.gaierror``), no address
            accepted the connection, or the TLS handshake failed
            (``ssl.SSLError``).
    """
    own = resolver is None
    active = Resolver() if resolver is None else resolver
    try:
        addresses = await active.resolve(host, port, socket.AF_UNSPEC)
    finally:
        if own:
            active.close()
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"no addresses found for {host!r}")
    attempts = [
        functools.partial(_connect_socket, family, address)
        for family, address in interleave(addresses)
    ]
    sock = await race(attempts, ATTEMPT_DELAY, lambda s: s.close())
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_connection(
            protocol_factory,
            sock=sock,
            ssl=ssl_context,
            server_hostname=host if ssl_context is not None else None,
        )
    except BaseException:
        sock.close()
        raise
    return transport, protocol
