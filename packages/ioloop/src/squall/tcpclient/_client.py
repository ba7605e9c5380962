"""TCPClient: resolve, connect (happy eyeballs) and optionally start TLS.

Happy eyeballs (RFC 8305, simplified): addresses are split into the family
of the first resolved address (primary) and the rest (secondary). Primary
addresses are tried one after another; the secondary list starts in parallel
after ``_CONNECT_DELAY`` seconds or as soon as the primary list fails. The
first connection wins and every other attempt is cancelled and closed.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import socket
import ssl
from typing import Any

from squall.iostream import IOStream, StreamClosedError
from squall.netutil import Resolver

#: Head start of the first address family before the second one is tried
#: (RFC 8305 section 5 recommends 250 ms; Tornado-style clients use 300 ms).
_CONNECT_DELAY = 0.3


def _split(addrinfo: list[tuple[int, Any]]) -> tuple[list[tuple[int, Any]], list[tuple[int, Any]]]:
    if not addrinfo:
        return [], []
    first_family = addrinfo[0][0]
    primary = [a for a in addrinfo if a[0] == first_family]
    secondary = [a for a in addrinfo if a[0] != first_family]
    return primary, secondary


class TCPClient:
    """Opens TCP connections, returning `IOStream` objects.

    Args:
        resolver: the `Resolver` to use; by default a new ``Resolver()``
            (closed by `close`).
    """

    def __init__(self, resolver: Resolver | None = None) -> None:
        if resolver is None:
            self.resolver = Resolver()
            self._own_resolver = True
        else:
            self.resolver = resolver
            self._own_resolver = False

    def close(self) -> None:
        """Close the resolver if this client created it."""
        if self._own_resolver:
            self.resolver.close()

    async def connect(
        self,
        host: str,
        port: int,
        af: socket.AddressFamily = socket.AF_UNSPEC,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        max_buffer_size: int | None = None,
        source_ip: str | None = None,
        source_port: int | None = None,
        timeout: float | datetime.timedelta | None = None,
    ) -> IOStream:
        """Connect to ``host``:``port`` and return the stream.

        Args:
            host: a host name or IP address.
            port: the port.
            af: restrict to ``AF_INET`` or ``AF_INET6``.
            ssl_options: start TLS (as client, verifying ``host``) with this
                `ssl.SSLContext` or ``ssl_options`` dict.
            max_buffer_size: read buffer limit of the stream.
            source_ip: local address to bind before connecting.
            source_port: local port to bind before connecting.
            timeout: seconds (or a timedelta) for the whole operation,
                resolution and TLS handshake included.

        Returns:
            The connected stream (an `SSLIOStream` with ``ssl_options``).

        Raises:
            TimeoutError: ``timeout`` elapsed.
            StreamClosedError: every address failed; ``real_error`` is the
                last failure (e.g. `ConnectionRefusedError`).
            socket.gaierror: ``host`` cannot be resolved.
        """
        if isinstance(timeout, datetime.timedelta):
            timeout = timeout.total_seconds()
        coro = self._connect(host, port, af, ssl_options, max_buffer_size, source_ip, source_port)
        if timeout is None:
            return await coro
        try:
            return await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"connecting to {host}:{port} timed out after {timeout} seconds"
            ) from None

    async def _connect(
        self,
        host: str,
        port: int,
        af: socket.AddressFamily,
        ssl_options: dict[str, Any] | ssl.SSLContext | None,
        max_buffer_size: int | None,
        source_ip: str | None,
        source_port: int | None,
    ) -> IOStream:
        addrinfo = await self.resolver.resolve(host, port, af)
        if not addrinfo:
            raise StreamClosedError(real_error=OSError(f"no addresses found for {host!r}"))
        stream = await self._happy_eyeballs(addrinfo, max_buffer_size, source_ip, source_port)
        if ssl_options is None:
            return stream
        try:
            return await stream.start_tls(
                False, ssl_options=ssl_options, server_hostname=host
            )
        except BaseException:
            stream.close()
            raise

    def _create_stream(
        self,
        family: int,
        max_buffer_size: int | None,
        source_ip: str | None,
        source_port: int | None,
    ) -> IOStream:
        sock = socket.socket(family, socket.SOCK_STREAM)
        if source_ip is not None or source_port is not None:
            local = source_ip or ("::" if family == socket.AF_INET6 else "0.0.0.0")
            try:
                sock.bind((local, source_port or 0))
            except OSError:
                sock.close()
                raise
        return IOStream(sock, max_buffer_size=max_buffer_size)

    async def _try_addresses(
        self,
        addrs: list[tuple[int, Any]],
        errors: list[BaseException],
        max_buffer_size: int | None,
        source_ip: str | None,
        source_port: int | None,
    ) -> IOStream:
        for family, address in addrs:
            try:
                stream = self._create_stream(family, max_buffer_size, source_ip, source_port)
            except OSError as exc:
                errors.append(exc)
                continue
            try:
                await stream.connect(address)
            except StreamClosedError as exc:
                errors.append(exc.real_error or exc)
                continue
            except BaseException:
                stream.close()
                raise
            return stream
        raise StreamClosedError(real_error=errors[-1] if errors else None)

    async def _happy_eyeballs(
        self,
        addrinfo: list[tuple[int, Any]],
        max_buffer_size: int | None,
        source_ip: str | None,
        source_port: int | None,
    ) -> IOStream:
        primary, secondary = _split(addrinfo)
        errors: list[BaseException] = []
        args = (errors, max_buffer_size, source_ip, source_port)
        tasks = [asyncio.ensure_future(self._try_addresses(primary, *args))]
        winner: IOStream | None = None
        try:
            done, _ = await asyncio.wait(tasks, timeout=_CONNECT_DELAY)
            if done and tasks[0].exception() is None:
                winner = tasks[0].result()
                return winner
            if secondary:
                tasks.append(asyncio.ensure_future(self._try_addresses(secondary, *args)))
            pending = {t for t in tasks if not t.done()}
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is None:
                        winner = task.result()
                        return winner
            raise StreamClosedError(real_error=errors[-1] if errors else None)
        finally:
            for task in tasks:
                task.add_done_callback(functools.partial(_discard_loser, winner=winner))
                task.cancel()


def _discard_loser(task: asyncio.Future[IOStream], *, winner: IOStream | None) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    stream = task.result()
    if stream is not winner:
        stream.close()
