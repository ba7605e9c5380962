"""HTTPServer: listening sockets, connection bookkeeping, timeouts and shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import inspect
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)

from ._connection import HTTP1ServerProtocol, _log_callback_failure

__all__ = ["HTTPServer", "default_max_connections"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

_FOREVER = float("inf")


# Used where the platform has no RLIMIT_NOFILE (the resource module is
# POSIX only).
_FALLBACK_MAX_CONNECTIONS = 10_000


def default_max_connections() -> int | None:
    """The connection cap an `HTTPServer` uses when ``max_connections`` is ``None``.

    The process's soft ``RLIMIT_NOFILE`` (its limit on open file
    descriptors, each client connection taking one) minus a reserve for the
    listening sockets, files, log handlers and outgoing connections: 5 % of
    the limit, at least 64 (at most half the limit, for tiny limits). With
    the common default of 1,024 that is 960 connections; after ``ulimit -n
    65536``, 62,260. A server at its cap resets new connections at once,
    instead of failing ``accept()`` with ``EMFILE`` and starving every other
    use of file descriptors in the process.

    Returns:
        The cap, or ``None`` (no cap) when the soft limit is unlimited. On
        platforms without ``RLIMIT_NOFILE`` (Windows), 10,000.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover (not POSIX)
        return _FALLBACK_MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    reserve = min(max(64, soft // 20), soft // 2)
    return max(soft - reserve, 1)


@dataclasses.dataclass(frozen=True, slots=True)
class _Params:
    """The server's settings, resolved once and shared by its connections."""

    no_keep_alive: bool
    xheaders: bool
    decompress_request: bool
    chunk_size: int
    max_header_size: int
    max_header_count: int
    max_body_size: int
    max_buffer_size: int
    header_timeout: float
    idle_connection_timeout: float
    body_timeout: float
    trusted_downstream: frozenset[str]
    allow_repeated_content_length: bool


class _CallableAdapter(HTTPMessageDelegate):
    """Serves a plain ``callback(request)`` (the spec's early style)."""

    __slots__ = ("_callback", "_connection", "_server_conn", "_start", "_headers", "_chunks")

    def __init__(
        self,
        callback: Callable[[HTTPServerRequest], Any],
        server_conn: object,
        connection: HTTPConnection,
    ) -> None:
        self._callback = callback
        self._server_conn = server_conn
        self._connection = connection
        self._start: RequestStartLine | None = None
        self._headers: HTTPHeaders | None = None
        self._chunks: list[bytes] = []

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> None:
        # (A server connection only ever passes a RequestStartLine.)
        self._start = start_line  # type: ignore[assignment]
        self._headers = headers

    def data_received(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def finish(self) -> None:
        request = HTTPServerRequest(
            connection=self._connection,
            server_connection=self._server_conn,
            start_line=self._start,
            headers=self._headers,
            body=b"".join(self._chunks) if self._chunks else b"",
        )
        self._chunks = []
        request._parse_body()  # an HTTPInputError here becomes a 400
        result = self._callback(request)
        if result is not None and inspect.isawaitable(result):
            future = asyncio.ensure_future(result)
            future.add_done_callback(_log_callback_failure)


class _CallableDelegate(HTTPServerConnectionDelegate):
    def __init__(self, callback: Callable[[HTTPServerRequest], Any]) -> None:
        self._callback = callback

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        return _CallableAdapter(self._callback, server_conn, request_conn)


class HTTPServer:
    """A non-blocking, single-threaded HTTP/1.1 server.

    ``request_callback`` is either an `HTTPServerConnectionDelegate` (such
    as a ``squall.web.Application``), which receives each request as a
    stream of events, or a plain callable taking an `HTTPRequest`, called
    once the whole request has arrived; it answers with
    ``request.connection.write_headers(...)``/``write``/``finish`` (or the
    legacy ``request.write``/``request.finish``).

    Example:
        ```python
        def handle(request):
            body = b"Hello"
            request.connection.write_headers(
                ResponseStartLine("HTTP/1.1", 200, "OK"),
                HTTPHeaders({"Content-Length": str(len(body))}),
                body,
            )
            request.connection.finish()

        server = HTTPServer(handle)
        server.listen(8888)
        IOLoop.current().start()
        ```

    Args:
        request_callback: The application (see above).
        no_keep_alive: Close every connection after one request.
        xheaders: Trust ``X-Real-IP``/``X-Forwarded-For``/``Forwarded`` for
            ``remote_ip`` and ``X-Scheme``/``X-Forwarded-Proto`` for
            ``protocol`` (only behind a proxy that sets them).
        ssl_options: An `ssl.SSLContext` or a dict for
            ``squall.netutil.ssl_options_to_context``: serve HTTPS.
        protocol: Override the scheme reported in ``request.protocol``.
        decompress_request: Decompress ``Content-Encoding: gzip`` bodies.
        chunk_size: Largest piece handed to ``data_received`` (64 KiB).
        max_header_size: Largest request head in bytes (64 KiB); more is 431.
        idle_connection_timeout: Seconds a keep-alive connection may sit
            idle between requests (60).
        body_timeout: Seconds allowed to receive a request body (120).
        max_body_size: Largest request body (100 MiB); more is 413.
        max_buffer_size: Unprocessed bytes buffered per connection before
            reading pauses (1 MiB).
        trusted_downstream: Proxy addresses to skip in ``X-Forwarded-For``.
        header_timeout: Seconds allowed to receive a request head (10).
        max_header_count: Most header fields in a request (100); more is 431.
        max_connections: Most client connections open at once; connections
            beyond it are accepted and closed at once (a reset), with at
            most one log line a second. ``None`` (the default) follows the
            process's file descriptor limit: the soft ``RLIMIT_NOFILE`` when
            the server starts listening, minus a reserve for files, logs and
            outgoing connections (see `default_max_connections`). A positive
            number sets the cap explicitly; 0 or less is a ``ValueError``.
            Connections handed over with ``detach()`` do not count.
        allow_repeated_content_length: Accept a ``Content-Length`` repeated
            with the same value (``Content-Length: 5, 5``). Off by default:
            such a request gets a 400.

    Compatibility: Tornado waits up to an hour for a request head and has no
    separate ``header_timeout``; squall uses 10 s to defeat slowloris.
    `close_all_connections` lets in-flight requests finish. Tornado has no
    connection cap (``max_connections``).
    """

    def __init__(
        self,
        request_callback: HTTPServerConnectionDelegate | Callable[[HTTPServerRequest], Any],
        no_keep_alive: bool = False,
        xheaders: bool = False,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        protocol: str | None = None,
        decompress_request: bool = False,
        chunk_size: int | None = None,
        max_header_size: int | None = None,
        idle_connection_timeout: float | None = None,
        body_timeout: float | None = None,
        max_body_size: int | None = None,
        max_buffer_size: int | None = None,
        trusted_downstream: Iterable[str] | None = None,
        header_timeout: float | None = None,
        max_header_count: int | None = None,
        max_connections: int | None = None,
        allow_repeated_content_length: bool = False,
    ) -> None:
        if isinstance(request_callback, HTTPServerConnectionDelegate) or hasattr(
            request_callback, "start_request"
        ):
            self._delegate: HTTPServerConnectionDelegate = request_callback  # type: ignore[assignment]
            self._callback: Callable[[HTTPServerRequest], Any] | None = None
        elif callable(request_callback):
            self._delegate = _CallableDelegate(request_callback)
            # Connections serve a complete bodiless request straight to the
            # callback, without the adapter (see _connection._serve_callback).
            self._callback = request_callback
        else:
            raise TypeError(
                "request_callback must be an HTTPServerConnectionDelegate "
                f"or a callable, not {type(request_callback).__name__}"
            )
        self.request_callback = request_callback
        self.xheaders = xheaders
        self.protocol = protocol
        self.ssl_options = ssl_options
        self._ssl_context: ssl.SSLContext | None = None
        if ssl_options is not None:
            from squall.netutil import ssl_options_to_context

            self._ssl_context = ssl_options_to_context(ssl_options, server_side=True)
        self._params = _Params(
            no_keep_alive=no_keep_alive,
            xheaders=xheaders,
            decompress_request=decompress_request,
            chunk_size=chunk_size or 65536,
            max_header_size=max_header_size or 65536,
            max_header_count=max_header_count or 100,
            max_body_size=max_body_size if max_body_size is not None else 100 * 1024 * 1024,
            max_buffer_size=max_buffer_size or 1024 * 1024,
            header_timeout=header_timeout or 10.0,
            idle_connection_timeout=idle_connection_timeout or 60.0,
            body_timeout=body_timeout or 120.0,
            trusted_downstream=frozenset(trusted_downstream or ()),
            allow_repeated_content_length=allow_repeated_content_length,
        )
        if max_connections is not None and (
            isinstance(max_connections, bool)
            or not isinstance(max_connections, int)
            or max_connections < 1
        ):
            raise ValueError(
                f"max_connections must be a positive number of connections, or None "
                f"for a cap that follows the file descriptor limit, not {max_connections!r}"
            )
        self.max_connections = max_connections
        # The cap in force: max_connections, or the automatic one (worked out
        # when the server starts listening, or at the first connection).
        self._cap: int | None = max_connections
        self._cap_known = max_connections is not None
        self._refused = 0
        self._refused_logged_at = -_FOREVER
        self._servers: list[asyncio.AbstractServer] = []
        self._pending_sockets: list[socket.socket] = []
        self._starting: list[asyncio.Task[None]] = []
        self._connections: set[HTTP1ServerProtocol] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        # The Date header value, refreshed by the sweeper (about once a
        # second) rather than formatted per response.
        self._date: str | None = None
        self._closed_waiter: asyncio.Future[None] | None = None
        # A coarse clock for connection deadlines, refreshed by the sweeper.
        self._now = 0.0
        self._stopped = False

    # -- listening -----------------------------------------------------------

    def listen(
        self,
        port: int,
        address: str | None = None,
        *,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int | None = None,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Bind to ``port`` on ``address`` and start accepting connections.

        Args:
            port: The TCP port (0 picks a free one).
            address: An IP address or host name; ``None``/``""`` for all interfaces.
            family: ``socket.AF_INET`` or ``AF_INET6`` to use only one
                family (default: every family ``address`` resolves to).
            backlog: The listen queue length (``squall.netutil.DEFAULT_BACKLOG``
                if ``None``).
            flags: ``getaddrinfo`` flags (e.g. ``socket.AI_NUMERICHOST``).
            reuse_port: Set ``SO_REUSEPORT`` so several processes can bind
                the same port.
        """
        self.add_sockets(self._bind(port, address, family, backlog, flags, reuse_port))

    def bind(
        self,
        port: int,
        address: str | None = None,
        *,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int | None = None,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Bind to ``port`` now; accept connections after `start`.

        Use with ``start(num_processes)`` to share the sockets among
        forked worker processes. The arguments are those of `listen`.
        """
        self._pending_sockets.extend(
            self._bind(port, address, family, backlog, flags, reuse_port)
        )

    @staticmethod
    def _bind(
        port: int,
        address: str | None,
        family: socket.AddressFamily,
        backlog: int | None,
        flags: int | None,
        reuse_port: bool,
    ) -> list[socket.socket]:
        from squall.netutil import DEFAULT_BACKLOG, bind_sockets

        return bind_sockets(
            port,
            address,
            family=family,
            backlog=DEFAULT_BACKLOG if backlog is None else backlog,
            flags=flags,
            reuse_port=reuse_port,
        )

    def start(self, num_processes: int | None = 1, max_restarts: int | None = None) -> None:
        """Start serving the sockets of `bind`, forking worker processes first if asked.

        Args:
            num_processes: ``1`` serves in this process; ``None`` or ``<= 0``
                forks one process per CPU; ``n > 1`` forks ``n``.
            max_restarts: How many times crashed children are restarted.
        """
        if num_processes != 1:
            from squall.process import fork_processes

            fork_processes(num_processes, max_restarts)
        sockets, self._pending_sockets = self._pending_sockets, []
        self.add_sockets(sockets)

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        """Serve on already listening sockets (e.g. from ``bind_sockets``)."""
        for sock in sockets:
            self.add_socket(sock)

    def add_socket(self, sock: socket.socket) -> None:
        """Serve on one listening socket (TCP or unix, e.g. from ``bind_unix_socket``)."""
        self._stopped = False
        if self.max_connections is None:
            # Now rather than at construction: the limit may have been
            # raised (setrlimit) in between.
            self._cap = default_max_connections()
            self._cap_known = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._current_loop()
            server = loop.run_until_complete(self._create_server(loop, sock))
            self._servers.append(server)
            return
        task = loop.create_task(self._start_serving(loop, sock))
        self._starting.append(task)
        task.add_done_callback(self._starting.remove)

    @staticmethod
    def _current_loop() -> asyncio.AbstractEventLoop:
        from squall.ioloop import IOLoop

        return IOLoop.current().asyncio_loop

    async def _start_serving(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        server = await self._create_server(loop, sock)
        if self._stopped:
            server.close()
        else:
            self._servers.append(server)

    async def _create_server(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket
    ) -> asyncio.AbstractServer:
        scheme = self.protocol or ("https" if self._ssl_context is not None else "http")
        params = self._params

        def factory() -> HTTP1ServerProtocol:
            return HTTP1ServerProtocol(self, params, scheme)

        return await loop.create_server(factory, sock=sock, ssl=self._ssl_context)

    def stop(self) -> None:
        """Stop accepting new connections; open connections keep being served.

        Follow with ``await server.close_all_connections()`` for a clean shutdown.
        """
        self._stopped = True
        for server in self._servers:
            server.close()
        self._servers = []
        for sock in self._pending_sockets:
            sock.close()
        self._pending_sockets = []

    async def close_all_connections(self, timeout: float | None = 30.0) -> None:
        """Close every connection once its in-flight request is answered.

        Idle connections close at once; busy ones close after their current
        response; requests already read are never dropped. After
        ``timeout`` seconds, connections still open are aborted.

        Args:
            timeout: The most seconds to wait, or ``None`` to wait as long
                as it takes.
        """
        for conn in list(self._connections):
            conn._start_close()
        if not self._connections:
            return
        loop = asyncio.get_running_loop()
        self._closed_waiter = waiter = loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except asyncio.TimeoutError:
            gen_log.warning(
                "aborting %d connection(s) still open after %ss",
                len(self._connections),
                timeout,
            )
            for conn in list(self._connections):
                conn._abort()
        finally:
            self._closed_waiter = None

    # -- connections -----------------------------------------------------------

    @property
    def connection_limit(self) -> int | None:
        """The cap on open client connections now in force (``None``: no cap).

        ``max_connections`` if it was given; otherwise the automatic cap of
        `default_max_connections`, as worked out when the server last
        started listening.
        """
        if not self._cap_known:
            self._cap = default_max_connections()
            self._cap_known = True
        return self._cap

    def _admit(self, conn: HTTP1ServerProtocol) -> bool:
        """Start tracking a new connection, or return False if over the cap."""
        cap = self._cap if self._cap_known else self.connection_limit
        if cap is not None and len(self._connections) >= cap:
            self._refused += 1
            now = conn._loop.time()
            if now - self._refused_logged_at >= 1.0:
                gen_log.warning(
                    "max_connections (%d) reached: closed %d new connection(s) "
                    "since the last message",
                    cap,
                    self._refused,
                )
                self._refused = 0
                self._refused_logged_at = now
            return False
        self._connections.add(conn)
        if self._sweeper is None:
            self._now = conn._loop.time()
            self._refresh_date()
        if self._stopped and self._closed_waiter is not None:
            conn._start_close()
        if self._sweeper is None:
            self._schedule_sweep(conn._loop)
        return True

    def _connection_lost(self, conn: HTTP1ServerProtocol) -> None:
        self._connections.discard(conn)
        if not self._connections:
            if self._sweeper is not None:
                self._sweeper.cancel()
                self._sweeper = None
            waiter = self._closed_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _schedule_sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        params = self._params
        shortest = min(params.header_timeout, params.idle_connection_timeout, params.body_timeout)
        interval = min(1.0, max(shortest / 4, 0.01))
        self._sweeper = loop.call_later(interval, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Enforce the connections' deadlines (runs every second or so)."""
        self._now = now = loop.time()
        self._refresh_date()
        for conn in list(self._connections):
            conn._check_deadline(now)
        if self._connections:
            self._schedule_sweep(loop)
        else:
            self._sweeper = None

    def _refresh_date(self) -> None:
        """Format the ``Date`` field sent with responses that lack one.

        Called when the first connection opens and by every sweep: a date at
        most about a second old, at no cost per response.
        """
        self._date = email.utils.formatdate(time.time(), usegmt=True)

    # Tornado's HTTPServer is itself a connection delegate: keep the names.
    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> HTTPMessageDelegate:
        """Create the delegate for one request (forwarded to ``request_callback``)."""
        return self._delegate.start_request(server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        """Called when a client connection closes."""
        on_close = getattr(self._delegate, "on_close", None)
        if on_close is not None:
            on_close(server_conn)

