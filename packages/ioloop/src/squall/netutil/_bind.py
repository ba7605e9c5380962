"""Listening sockets: bind_sockets, bind_unix_socket and add_accept_handler."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket
import stat
from collections.abc import Callable
from typing import Any

from squall.ioloop import IOLoop

gen_log = logging.getLogger("squall.general")

#: Default listen() backlog. Large enough that a burst of a thousand connects
#: does not overflow the accept queue (the kernel caps it at somaxconn).
DEFAULT_BACKLOG = 1024

# Errors after which accept() should simply be retried on the next event.
_ACCEPT_RETRY = (errno.ECONNABORTED, errno.EPROTO, errno.EINTR)
# Running out of descriptors: back off instead of spinning on a readable socket.
_ACCEPT_EXHAUSTED = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def _is_ip_literal(address: str) -> bool:
    try:
        ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return True


def bind_sockets(
    port: int,
    address: str | None = None,
    family: socket.AddressFamily = socket.AF_UNSPEC,
    backlog: int = DEFAULT_BACKLOG,
    flags: int | None = None,
    reuse_port: bool = False,
) -> list[socket.socket]:
    """Create non-blocking listening sockets bound to ``port`` on ``address``.

    A host name (``"localhost"``) or None (every interface) may resolve to
    several addresses, one per family; a socket is bound to each. With
    ``port=0`` the first socket gets a free port and the others reuse it, so
    all of them listen on the same port.

    Args:
        port: the TCP port; 0 picks a free one.
        address: an IP address or host name; None or ``""`` listens on all
            interfaces.
        family: restrict to ``AF_INET`` or ``AF_INET6``; ``AF_UNSPEC`` binds both.
        backlog: the ``listen()`` backlog.
        flags: ``getaddrinfo`` flags (default ``AI_PASSIVE``).
        reuse_port: set ``SO_REUSEPORT`` so several processes can bind the
            same port and share its connections.

    Returns:
        The listening sockets.

    Raises:
        ValueError: ``reuse_port`` is not supported on this platform, or
            ``port`` is out of range.
        OSError: an address could not be bound (e.g. ``EADDRINUSE``); no
            socket is left open.
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in 0..65535, got {port!r}")
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port=True is not supported on this platform (no SO_REUSEPORT)")
    if address == "":
        address = None
    if not socket.has_ipv6 and family == socket.AF_UNSPEC:
        family = socket.AF_INET
    if flags is None:
        flags = socket.AI_PASSIVE
    infos: list[Any] = socket.getaddrinfo(address, port, family, socket.SOCK_STREAM, 0, flags)
    literal = address is not None and _is_ip_literal(address)
    sockets: list[socket.socket] = []
    seen: set[Any] = set()
    bound_port: int | None = None
    try:
        for af, socktype, proto, _canon, sockaddr in sorted(infos, key=lambda i: i[0]):
            if af not in (socket.AF_INET, socket.AF_INET6):
                continue
            key = (af, sockaddr[0])
            if key in seen:
                continue
            seen.add(key)
            try:
                sock = socket.socket(af, socktype, proto)
            except OSError as exc:
                # A kernel without IPv6 still lets getaddrinfo return "::".
                if exc.errno == errno.EAFNOSUPPORT and not literal:
                    continue
                raise
            try:
                if os.name != "nt":
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if reuse_port:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if af == socket.AF_INET6:
                    # Each family gets its own socket, so keep v6 from also
                    # claiming the v4 port (which would make the v4 bind fail).
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if port == 0 and bound_port is not None:
                    sockaddr = (sockaddr[0], bound_port) + tuple(sockaddr[2:])
                sock.setblocking(False)
                try:
                    sock.bind(sockaddr)
                except OSError as exc:
                    if exc.errno == errno.EADDRNOTAVAIL and af == socket.AF_INET6 and not literal:
                        # e.g. "localhost" -> ::1 on a host with IPv6 disabled.
                        sock.close()
                        continue
                    raise OSError(
                        exc.errno, f"cannot bind to {sockaddr[0]!r} port {sockaddr[1]}: {exc.strerror}"
                    ) from exc
                sock.listen(backlog)
            except BaseException:
                sock.close()
                raise
            if bound_port is None:
                bound_port = sock.getsockname()[1]
            sockets.append(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    if not sockets:
        raise OSError(
            errno.EADDRNOTAVAIL, f"no usable address to bind for {address!r} port {port}"
        )
    return sockets


def bind_unix_socket(
    file: str, mode: int = 0o600, backlog: int = DEFAULT_BACKLOG
) -> socket.socket:
    """Create a non-blocking listening unix-domain socket at path ``file``.

    A stale socket file left by a previous run is replaced.

    Args:
        file: the socket's filesystem path.
        mode: permission bits for the socket file.
        backlog: the ``listen()`` backlog.

    Returns:
        The listening socket.

    Raises:
        ValueError: ``file`` exists and is not a socket (it is never removed).
        OSError: binding failed.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        try:
            st = os.stat(file)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISSOCK(st.st_mode):
                raise ValueError(f"{file!r} exists and is not a socket; refusing to replace it")
            os.remove(file)
        sock.bind(file)
        os.chmod(file, mode)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def add_accept_handler(
    sock: socket.socket, callback: Callable[[socket.socket, Any], None]
) -> Callable[[], None]:
    """Accept connections on listening ``sock`` and pass each to ``callback``.

    Runs on the current IOLoop. ``callback(connection, address)`` receives a
    non-blocking connected socket.

    Args:
        sock: a listening socket (e.g. from `bind_sockets`).
        callback: called once per accepted connection.

    Returns:
        A function that stops accepting (it does not close ``sock``).
    """
    io_loop = IOLoop.current()
    removed = False
    paused: list[Any] = []

    def resume() -> None:
        paused.clear()
        if not removed:
            io_loop.add_handler(sock, on_readable, IOLoop.READ)

    def on_readable(_fd: Any, _events: int) -> None:
        # Accept a bounded batch per wake-up so one busy listener cannot
        # starve the rest of the loop.
        for _ in range(128):
            if removed:
                return
            try:
                conn, address = sock.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in _ACCEPT_RETRY:
                    continue
                if exc.errno in _ACCEPT_EXHAUSTED:
                    gen_log.error(
                        "accept() failed on %r: %s; pausing accepts for 100 ms "
                        "(raise the open-files limit?)",
                        sock.getsockname(),
                        exc,
                    )
                    io_loop.remove_handler(sock)
                    paused.append(io_loop.call_later(0.1, resume))
                    return
                raise
            conn.setblocking(False)
            callback(conn, address)

    def remove_handler() -> None:
        nonlocal removed
        removed = True
        for handle in paused:
            handle.cancel()
        paused.clear()
        io_loop.remove_handler(sock)

    io_loop.add_handler(sock, on_readable, IOLoop.READ)
    return remove_handler
