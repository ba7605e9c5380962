"""TCPServer: accept connections and hand each to ``handle_stream`` as an IOStream."""

from __future__ import annotations

import errno
import inspect
import logging
import socket
import ssl
from typing import Any

from squall.ioloop import IOLoop
from squall.iostream import IOStream, SSLIOStream
from squall.netutil import DEFAULT_BACKLOG, add_accept_handler, bind_sockets, ssl_options_to_context
from squall.process import fork_processes

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")


class TCPServer:
    """A non-blocking TCP server; subclass it and override `handle_stream`.

    Three ways to start it:

    * ``server.listen(port)`` — one process, sockets bound now;
    * ``server.bind(port)`` then ``server.start(n)`` — pre-fork ``n``
      processes sharing the sockets;
    * ``sockets = bind_sockets(port)`` then ``server.add_sockets(sockets)``.

    Args:
        ssl_options: serve TLS, with an `ssl.SSLContext` or a dict of
            ``certfile``, ``keyfile`` (and optionally ``ca_certs``,
            ``cert_reqs``, ``ciphers``).
        max_buffer_size: read buffer limit of each connection's stream.
        read_chunk_size: read size of each connection's stream.

    Raises:
        ValueError: an ``ssl_options`` dict without ``certfile``, or with a
            certificate or key file that cannot be loaded.
    """

    def __init__(
        self,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
    ) -> None:
        self.ssl_options = ssl_options
        self._ssl_context: ssl.SSLContext | None = None
        if isinstance(ssl_options, dict):
            if "certfile" not in ssl_options:
                raise ValueError("ssl_options for a server need a 'certfile' (and usually 'keyfile')")
            try:
                self._ssl_context = ssl_options_to_context(ssl_options, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"cannot load the certificate/key from ssl_options "
                    f"(certfile={ssl_options.get('certfile')!r}, "
                    f"keyfile={ssl_options.get('keyfile')!r}): {exc}"
                ) from exc
        elif ssl_options is not None:
            self._ssl_context = ssl_options_to_context(ssl_options, server_side=True)
        self.max_buffer_size = max_buffer_size
        self.read_chunk_size = read_chunk_size
        self._sockets: dict[int, socket.socket] = {}
        self._handlers: dict[int, Any] = {}
        self._pending_sockets: list[socket.socket] = []
        self._started = False
        self._stopped = False

    def listen(
        self,
        port: int,
        address: str | None = None,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int = DEFAULT_BACKLOG,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Bind ``port`` and start accepting on the current IOLoop.

        Args:
            port: the port; 0 picks a free one (see `bound_ports`).
            address: the address to bind; None for all interfaces.
            family: ``AF_INET`` / ``AF_INET6`` to restrict, ``AF_UNSPEC`` for both.
            backlog: the ``listen()`` backlog.
            flags: ``getaddrinfo`` flags.
            reuse_port: set ``SO_REUSEPORT``.

        Raises:
            OSError: the port cannot be bound.
        """
        sockets = bind_sockets(
            port, address=address, family=family, backlog=backlog, flags=flags, reuse_port=reuse_port
        )
        self.add_sockets(sockets)

    def add_sockets(self, sockets: list[socket.socket]) -> None:
        """Start accepting on already-listening sockets, on the current IOLoop.

        Args:
            sockets: listening sockets, e.g. from `squall.netutil.bind_sockets`.
        """
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = add_accept_handler(sock, self._handle_connection)

    def add_socket(self, socket: socket.socket) -> None:
        """Start accepting on one listening socket.

        Args:
            socket: the listening socket.
        """
        self.add_sockets([socket])

    def bind(
        self,
        port: int,
        address: str | None = None,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int = DEFAULT_BACKLOG,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Bind ``port`` now; accept once `start` is called.

        Args:
            port: the port.
            address: the address; None for all interfaces.
            family: the address family restriction.
            backlog: the ``listen()`` backlog.
            flags: ``getaddrinfo`` flags.
            reuse_port: set ``SO_REUSEPORT``.
        """
        sockets = bind_sockets(
            port, address=address, family=family, backlog=backlog, flags=flags, reuse_port=reuse_port
        )
        if self._started:
            self.add_sockets(sockets)
        else:
            self._pending_sockets.extend(sockets)

    def start(self, num_processes: int | None = 1, max_restarts: int | None = None) -> None:
        """Start accepting on the sockets from `bind`, optionally in several processes.

        With ``num_processes`` other than 1, the process forks (see
        `squall.process.fork_processes`) before any IOLoop may exist: call
        ``start`` before creating or starting one.

        Args:
            num_processes: processes to run; None or 0 means one per CPU.
            max_restarts: cap on restarts of crashed children.

        Raises:
            RuntimeError: ``start`` was already called.
        """
        if self._started:
            raise RuntimeError("TCPServer.start() was already called")
        self._started = True
        if num_processes != 1:
            fork_processes(num_processes, max_restarts)
        sockets, self._pending_sockets = self._pending_sockets, []
        self.add_sockets(sockets)

    def stop(self) -> None:
        """Stop accepting and close the listening sockets.

        Connections already accepted are not affected.
        """
        if self._stopped:
            return
        self._stopped = True
        for fd, sock in list(self._sockets.items()):
            self._handlers.pop(fd)()
            sock.close()
        self._sockets.clear()
        for sock in self._pending_sockets:
            sock.close()
        self._pending_sockets.clear()

    def bound_ports(self) -> list[int]:
        """Return the ports the server listens on (useful after ``listen(0)``).

        Returns:
            One port per listening TCP socket.
        """
        ports = []
        for sock in list(self._sockets.values()) + self._pending_sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                ports.append(sock.getsockname()[1])
        return ports

    def handle_stream(self, stream: IOStream, address: Any) -> Any:
        """Handle one new connection; override this.

        It may be a coroutine function; its exceptions are logged to
        ``squall.application`` and the stream is closed.

        Args:
            stream: the connection (an `SSLIOStream` when serving TLS; its
                handshake completes before the first read or write does).
            address: the peer address, as ``accept()`` returns it.
        """
        raise NotImplementedError("subclasses of TCPServer must override handle_stream()")

    def _handle_connection(self, connection: socket.socket, address: Any) -> None:
        stream: IOStream
        if self._ssl_context is not None:
            try:
                tls_conn = self._ssl_context.wrap_socket(
                    connection, server_side=True, do_handshake_on_connect=False
                )
            except (ssl.SSLError, OSError) as exc:
                # The client can vanish between accept() and the wrap.
                if getattr(exc, "errno", None) not in (errno.ECONNABORTED, errno.EINVAL, None):
                    gen_log.warning("TLS setup failed for %r: %s", address, exc)
                connection.close()
                return
            stream = SSLIOStream(
                tls_conn,
                max_buffer_size=self.max_buffer_size,
                read_chunk_size=self.read_chunk_size,
            )
        else:
            stream = IOStream(
                connection,
                max_buffer_size=self.max_buffer_size,
                read_chunk_size=self.read_chunk_size,
            )
        try:
            result = self.handle_stream(stream, address)
        except Exception:
            app_log.error("Error in handle_stream for %r", address, exc_info=True)
            stream.close()
            return
        if result is not None and inspect.isawaitable(result):
            IOLoop.current().add_future(
                result, lambda fut: self._on_handler_done(fut, stream, address)
            )

    @staticmethod
    def _on_handler_done(fut: Any, stream: IOStream, address: Any) -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            app_log.error("Error in handle_stream for %r", address, exc_info=exc)
            stream.close()
