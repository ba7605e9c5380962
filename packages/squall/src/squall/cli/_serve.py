"""``squall serve``: run an application in production (or with reload in development).

How this works: the listening sockets are bound first, in the process that
was started, so a bad port or certificate is reported once and clients can
connect (into the listen backlog) as soon as the "serving" line is logged.
With ``processes != 1`` that process then forks the workers with
`squall.process.fork_processes`, which stays as their supervisor: it
restarts crashed workers with a back-off, forwards SIGTERM/SIGINT to them,
SIGKILLs any still running ``shutdown_timeout`` + 5 s later, and (on Linux)
has the kernel send each worker SIGTERM if the supervisor itself dies. Each
worker builds its own event loop and `HTTPServer` on the shared sockets, or binds its own socket with
``SO_REUSEPORT`` so the kernel balances connections between workers.

Shutdown on SIGTERM or SIGINT is graceful: stop accepting, let every
in-flight request finish and close idle connections, abort whatever is
still open after ``shutdown_timeout`` seconds, then exit with status 0. A
second signal aborts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

from squall.httpserver import HTTPServer
from squall.httputil import HTTPServerConnectionDelegate

from ._target import AppLoadError, AppTarget

log = logging.getLogger("squall.cli")

#: Port used when neither ``port`` nor ``unix_socket`` is given.
DEFAULT_PORT = 8000

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

#: Seconds the supervisor waits beyond ``shutdown_timeout`` before it
#: SIGKILLs workers that have not exited.
_STOP_MARGIN_SECONDS = 5.0


class _EarlySignals:
    """Notes the stop signals a worker receives before its event loop handles them.

    Installed before forking: fork_processes hands each worker the handlers
    in place before the call, with signals blocked in between, so a worker
    restarted just as the tree is stopping cannot miss its SIGTERM.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._note)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)


class ServeConfigError(ValueError):
    """A `ServeConfig` has values that contradict each other or are out of range."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """What ``squall serve`` runs, and how; validated when created.

    Attributes:
        app: ``module:app`` or ``module:make_app()`` (see `load_app`).
        port: TCP port (0 picks a free one). ``None``: 8000, unless only
            ``unix_socket`` is given.
        address: IP address or host name to listen on; ``None`` or ``""``
            for every interface.
        unix_socket: Path of a unix-domain socket to listen on as well
            (alone if ``port`` is ``None``).
        processes: Worker processes; 1 serves in this process, 0 forks one
            per CPU.
        reuse_port: Give each worker its own socket with ``SO_REUSEPORT``
            (the kernel balances connections) instead of one shared socket.
        reload: Restart when a source file changes (development only;
            needs ``processes=1``).
        xheaders: Trust ``X-Real-IP``/``X-Scheme`` and friends from the
            reverse proxy in front (see `HTTPServer`).
        ssl_cert: PEM certificate chain file: serve HTTPS.
        ssl_key: PEM private key file for ``ssl_cert``.
        shutdown_timeout: Seconds in-flight requests get to finish after
            SIGTERM/SIGINT before their connections are aborted.
        max_restarts: Crashed workers restarted in total before the
            supervisor gives up (``None``: squall.process's default).
        app_dir: Folder put first on ``sys.path`` before importing ``app``
            (``None``: the current directory).

    Raises:
        ServeConfigError: a value is out of range or contradicts another.
    """

    app: str
    port: int | None = None
    address: str | None = "127.0.0.1"
    unix_socket: str | None = None
    processes: int = 1
    reuse_port: bool = False
    reload: bool = False
    xheaders: bool = False
    ssl_cert: str | None = None
    ssl_key: str | None = None
    shutdown_timeout: float = 10.0
    max_restarts: int | None = None
    app_dir: str | None = None

    def __post_init__(self) -> None:
        try:
            AppTarget.parse(self.app)
        except AppLoadError as error:
            raise ServeConfigError(str(error)) from None
        if self.port is not None and not 0 <= self.port <= 65535:
            raise ServeConfigError(f"port must be in 0..65535, not {self.port}")
        if self.processes < 0:
            raise ServeConfigError(
                f"processes must be 0 (one per CPU) or more, not {self.processes}"
            )
        if self.reload and self.processes != 1:
            raise ServeConfigError(
                "reload works with one process only: drop --reload or use --processes 1"
            )
        if (self.ssl_cert is None) != (self.ssl_key is None):
            raise ServeConfigError("HTTPS needs both --ssl-cert and --ssl-key")
        if not self.shutdown_timeout >= 0:
            raise ServeConfigError(
                f"shutdown_timeout must be 0 or more seconds, not {self.shutdown_timeout}"
            )
        if self.max_restarts is not None and self.max_restarts < 0:
            raise ServeConfigError(f"max_restarts must be 0 or more, not {self.max_restarts}")
        if self.reuse_port:
            if self.listen_port is None:
                raise ServeConfigError("reuse_port needs a TCP port (it does not apply to unix sockets)")
            if self.listen_port == 0 and self.processes != 1:
                raise ServeConfigError(
                    "reuse_port with several processes needs a fixed port: with port 0 "
                    "each worker would get a different one"
                )
            if not hasattr(socket, "SO_REUSEPORT"):
                raise ServeConfigError("this platform has no SO_REUSEPORT; drop reuse_port")

    @property
    def listen_port(self) -> int | None:
        """The TCP port to listen on, or ``None`` for a unix socket only."""
        if self.port is None and self.unix_socket is not None:
            return None
        return DEFAULT_PORT if self.port is None else self.port

    @property
    def forks(self) -> bool:
        """Whether workers are forked (``processes`` other than 1)."""
        return self.processes != 1


def _ssl_context(config: ServeConfig) -> ssl.SSLContext | None:
    if config.ssl_cert is None or config.ssl_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(config.ssl_cert, config.ssl_key)
    except (OSError, ssl.SSLError) as error:
        raise ServeConfigError(
            f"cannot load the certificate {config.ssl_cert!r} with key {config.ssl_key!r}: "
            f"{error}"
        ) from error
    return context


def _bind(config: ServeConfig) -> list[socket.socket]:
    from squall.netutil import bind_sockets, bind_unix_socket

    sockets: list[socket.socket] = []
    try:
        port = config.listen_port
        if port is not None:
            sockets.extend(
                bind_sockets(port, config.address or None, reuse_port=config.reuse_port)
            )
        if config.unix_socket is not None:
            sockets.append(bind_unix_socket(config.unix_socket))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _describe(sockets: list[socket.socket], scheme: str) -> str:
    places = []
    for sock in sockets:
        name = sock.getsockname()
        if sock.family == socket.AF_UNIX:
            places.append(f"unix:{name}")
        elif sock.family == socket.AF_INET6:
            places.append(f"{scheme}://[{name[0]}]:{name[1]}")
        else:
            places.append(f"{scheme}://{name[0]}:{name[1]}")
    return ", ".join(places)


def serve(config: ServeConfig) -> int:
    """Run the application of ``config`` until SIGTERM or SIGINT; return the exit status.

    Blocks. In a forking configuration, the workers' exits happen inside
    this call (they return 0 like the supervisor); the supervisor returns
    once every worker has stopped.

    Args:
        config: what to serve and how.

    Returns:
        0 after a graceful stop; 1 if the supervisor gave up restarting
        crashed workers.

    Raises:
        AppLoadError: the application cannot be imported or is not one.
        ServeConfigError: the certificate or key cannot be loaded.
        OSError: a socket cannot be bound (e.g. the port is in use).
        RuntimeError: called inside a running event loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("serve() runs its own event loop; call it outside of one")
    app_dir = os.path.abspath(config.app_dir or os.getcwd())
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    target = AppTarget.parse(config.app)
    # Import in this process, before any fork: a broken module is reported
    # once instead of crashing every worker in turn.
    resolved = target.resolve()
    app: HTTPServerConnectionDelegate | None = None
    if not target.factory:
        app = target.check(resolved)
    ssl_context = _ssl_context(config)
    scheme = "https" if ssl_context is not None else "http"

    share = not (config.reuse_port and config.forks)
    if share:
        sockets = _bind(config)
        where = _describe(sockets, scheme)
    else:
        # Bind once here to fail early on a port in use, then let each
        # worker bind its own.
        for sock in _bind(config):
            sock.close()
        sockets = []
        where = f"{scheme}://{config.address or '*'}:{config.listen_port} (SO_REUSEPORT)"
    count = config.processes if config.processes > 0 else _cpu_count()
    log.info(
        "serving %s on %s with %d process%s",
        target,
        where,
        count if config.forks else 1,
        "" if count == 1 or not config.forks else "es",
    )

    early: _EarlySignals | None = None
    if config.forks:
        from squall.process import fork_processes

        early = _EarlySignals()
        early.install()
        try:
            fork_processes(
                config.processes,
                config.max_restarts,
                stop_timeout=config.shutdown_timeout + _STOP_MARGIN_SECONDS,
            )
        except SystemExit as done:
            # fork_processes ends the supervisor this way once every
            # worker is gone (after a stop signal, or all exited cleanly).
            early.uninstall()
            for sock in sockets:
                sock.close()
            log.info("stopped")
            return 0 if done.code is None else int(done.code)
        except RuntimeError as error:
            # The remaining workers were stopped before this was raised.
            early.uninstall()
            for sock in sockets:
                sock.close()
            log.error("%s", error)
            return 1
        if not share:
            sockets = _bind(config)
    if app is None:
        app = target.check(resolved)
    return asyncio.run(_run(app, sockets, config, ssl_context, early))


def _cpu_count() -> int:
    from squall.process import cpu_count

    return cpu_count()


async def _run(
    app: HTTPServerConnectionDelegate,
    sockets: list[socket.socket],
    config: ServeConfig,
    ssl_context: ssl.SSLContext | None,
    early: _EarlySignals | None,
) -> int:
    loop = asyncio.get_running_loop()
    server = HTTPServer(app, xheaders=config.xheaders, ssl_options=ssl_context)
    server.add_sockets(sockets)
    if config.reload:
        from squall import autoreload

        autoreload.start()

    stop = asyncio.Event()
    force = asyncio.Event()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("%s again: aborting open connections", signal.Signals(signum).name)
            force.set()
        else:
            log.info("%s: finishing in-flight requests", signal.Signals(signum).name)
            stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    if early is not None:
        # Signals from before the loop handled them; later ones come above.
        for noted in early.received:
            on_signal(noted)
    await stop.wait()
    server.stop()
    closing: asyncio.Task[Any] = asyncio.ensure_future(
        asyncio.gather(
            server.close_all_connections(timeout=config.shutdown_timeout),
            _close_websockets(app, config.shutdown_timeout),
        )
    )
    forced = asyncio.ensure_future(force.wait())
    await asyncio.wait([closing, forced], return_when=asyncio.FIRST_COMPLETED)
    if not closing.done():
        closing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closing
        await server.close_all_connections(timeout=0)
    forced.cancel()
    for signum in STOP_SIGNALS:
        loop.remove_signal_handler(signum)
    log.info("stopped")
    return 0


async def _close_websockets(app: HTTPServerConnectionDelegate, timeout: float) -> None:
    """Send 1001 "going away" to the application's open WebSockets and wait (bounded).

    They left the HTTP server when they opened, so stopping it does not end
    them; without this they would end at exit with no close frame.
    """
    from squall.websocket import WebSocketHandler

    count = await WebSocketHandler.close_all(application=app, timeout=timeout)
    if count:
        log.info("closed %d open WebSocket connection%s", count, "" if count == 1 else "s")
