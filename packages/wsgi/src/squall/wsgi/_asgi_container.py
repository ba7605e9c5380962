"""`ASGIContainer`: any ASGI 3 application served by squall's HTTPServer.

How a request runs: when the request head arrives we build the HTTP scope and
start the application as a task at once, so it can read a large body as it
comes. Body pieces the server delivers wait in a small buffer until the
application's ``receive()`` takes them; past `_BODY_BUFFER` bytes the server
stops reading (``data_received`` returns a future), which is the
back-pressure. ``send()`` writes through the request's `HTTPConnection` and
waits until the connection has taken the data, so a slow client slows a
streaming application down instead of filling memory.

Lifespan: the application's ``lifespan`` scope runs once, before the first
request is given to it (or when `ASGIContainer.startup` is awaited), and
`ASGIContainer.shutdown` ends it.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Any, Literal

from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
    responses,
    split_host_and_port,
)
from squall.iostream import StreamClosedError

from ._errors import ASGIProtocolError, LifespanError
from ._types import ASGIApp, ASGIMessage, ASGIScope

__all__ = ["ASGIContainer"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

_ASGI = {"version": "3.0", "spec_version": "2.3"}
_BODY_BUFFER = 65536
_NO_BODY_STATUSES = frozenset({204, 304})


class _ClientDisconnected(OSError):
    """``send()`` after the client closed the connection (ASGI spec: an OSError)."""


class _Lifespan:
    """The application's lifespan scope, run as one long task."""

    def __init__(self, app: ASGIApp, mode: str, state: dict[str, Any]) -> None:
        self.app = app
        self.mode = mode
        self.state = state
        loop = asyncio.get_running_loop()
        self.started: asyncio.Future[None] = loop.create_future()
        self.stopped: asyncio.Future[None] = loop.create_future()
        self.events: asyncio.Queue[ASGIMessage] = asyncio.Queue()
        self.events.put_nowait({"type": "lifespan.startup"})
        self.supported = True
        self.task = loop.create_task(self._run())

    async def _receive(self) -> ASGIMessage:
        return await self.events.get()

    async def _send(self, message: ASGIMessage) -> None:
        kind = message.get("type")
        if kind == "lifespan.startup.complete":
            _settle(self.started)
        elif kind == "lifespan.startup.failed":
            _settle(self.started, LifespanError(f"startup failed: {message.get('message', '')}"))
        elif kind == "lifespan.shutdown.complete":
            _settle(self.stopped)
        elif kind == "lifespan.shutdown.failed":
            _settle(self.stopped, LifespanError(f"shutdown failed: {message.get('message', '')}"))
        else:
            raise ASGIProtocolError(f"unexpected lifespan event {kind!r}")

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        try:
            await self.app(scope, self._receive, self._send)
        except Exception as error:
            if self.started.done():
                app_log.error("ASGI lifespan failed", exc_info=True)
            elif self.mode == "on":
                _settle(self.started, LifespanError(f"lifespan startup raised {error!r}"))
            else:
                # ASGI: an application that does not do lifespan raises here.
                gen_log.debug("ASGI application does not support lifespan: %r", error)
                self.supported = False
        finally:
            _settle(self.started)
            _settle(self.stopped)

    async def shutdown(self) -> None:
        try:
            await asyncio.shield(self.started)
        except LifespanError:
            pass  # reported by startup(); nothing is running to shut down
        if self.supported and not self.task.done():
            self.events.put_nowait({"type": "lifespan.shutdown"})
        await self.task
        self.stopped.result()  # raises LifespanError if shutdown failed


def _settle(future: asyncio.Future[None], error: BaseException | None = None) -> None:
    if not future.done():
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
            # startup() and shutdown() re-raise it; nobody else need look.
            future.exception()


class ASGIContainer(HTTPServerConnectionDelegate):
    """Serve an ASGI 3 application (Starlette, FastAPI, ...) with squall's server.

    ::

        container = ASGIContainer(starlette_app)
        server = HTTPServer(container)
        server.listen(8888)

    It may also sit behind `squall.web.FallbackHandler`
    (``dict(fallback=container)``); the request body is then already read.

    The HTTP scope has ``path`` (percent-decoded), ``raw_path``,
    ``root_path``, ``query_string``, ``headers`` (lower-case byte pairs),
    ``client``, ``server`` (from the ``Host`` header), ``scheme``,
    ``http_version`` and the lifespan ``state``. ``receive()`` gives
    ``http.request`` events as the body arrives (``more_body``), then
    ``http.disconnect`` once the response is sent or the client left;
    ``send()`` after the client left raises an `OSError`.

    Args:
        asgi_app: the ASGI 3 application (``async def app(scope, receive, send)``).
        root_path: the path the application is mounted at (``scope["root_path"]``).
        lifespan: ``"auto"`` (run the lifespan scope; an application that
            does not support it is fine), ``"on"`` (its failure is an
            error), or ``"off"``.
    """

    def __init__(
        self,
        asgi_app: ASGIApp,
        *,
        root_path: str = "",
        lifespan: Literal["auto", "on", "off"] = "auto",
    ) -> None:
        if not callable(asgi_app):
            raise TypeError(f"ASGIContainer needs an ASGI callable, not {type(asgi_app).__name__}")
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        if root_path.endswith("/"):
            raise ValueError(f"root_path must not end with '/': {root_path!r}")
        self.asgi_app = asgi_app
        self.root_path = root_path
        self.lifespan = lifespan
        self.state: dict[str, Any] = {}
        self._lifespan: _Lifespan | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def startup(self) -> None:
        """Run the application's lifespan startup (once); call before serving.

        Requests also trigger it, so calling this is optional; it lets a
        failure stop the program before it listens.

        Raises:
            LifespanError: the application reported that startup failed.
        """
        if self.lifespan == "off":
            return
        if self._lifespan is None:
            self._lifespan = _Lifespan(self.asgi_app, self.lifespan, self.state)
        await asyncio.shield(self._lifespan.started)

    async def shutdown(self) -> None:
        """Run the application's lifespan shutdown (after the server stopped).

        Raises:
            LifespanError: the application reported that shutdown failed.
        """
        lifespan = self._lifespan
        if lifespan is not None:
            await lifespan.shutdown()

    # -- entry points ----------------------------------------------------------

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Receive one request from `HTTPServer` (called by the server)."""
        return _ASGIRequest(self, request_conn)

    def __call__(self, request: HTTPServerRequest) -> asyncio.Task[None]:
        """Serve one complete request (the `FallbackHandler` style).

        Returns:
            The task running the application for this request.
        """
        connection = request.connection
        if connection is None:
            raise ValueError("ASGIContainer needs a request with a connection to answer on")
        exchange = _ASGIRequest(self, connection)
        start_line = RequestStartLine(request.method or "GET", request.uri or "/", request.version)
        try:
            connection.set_close_callback(exchange.on_connection_close)
        except NotImplementedError:
            pass
        exchange.headers_received(start_line, request.headers)
        if request.body:
            exchange.body.append(request.body)
            exchange.buffered = len(request.body)
        exchange.finish()
        assert exchange.task is not None
        return exchange.task

    def scope(self, start_line: RequestStartLine, headers: HTTPHeaders, connection: HTTPConnection) -> ASGIScope:
        """The ASGI HTTP scope of a request."""
        method, target, version = start_line
        raw_path, _, query = target.partition("?")
        if raw_path.startswith(("http://", "https://")):
            raw_path = urllib.parse.urlsplit(raw_path).path or "/"
        context = getattr(connection, "context", None)
        scheme = getattr(context, "protocol", "http") or "http"
        address = getattr(context, "address", None)
        remote_ip = getattr(context, "remote_ip", "") or ""
        client: tuple[str, int] | None = None
        if isinstance(address, tuple) and len(address) >= 2:
            client = (remote_ip or str(address[0]), int(address[1]))
        elif remote_ip:
            client = (remote_ip, 0)
        server: tuple[str, int | None] | None = None
        host = headers.get("Host")
        if host:
            name, port = split_host_and_port(host)
            server = (name.strip("[]"), port if port is not None else (443 if scheme == "https" else 80))
        scope: ASGIScope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version[5:] if version.startswith("HTTP/") else version,
            "method": method,
            "scheme": scheme,
            "path": urllib.parse.unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": self.root_path,
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.get_all()
            ],
            "client": client,
            "server": server,
        }
        return scope

    async def _ready(self) -> None:
        if self.lifespan != "off":
            lifespan = self._lifespan
            if lifespan is None or not lifespan.started.done():
                await self.startup()
            else:
                lifespan.started.result()  # re-raise a startup failure


class _ASGIRequest(HTTPMessageDelegate):
    """One request: the server's delegate and the application's receive/send."""

    def __init__(self, container: ASGIContainer, connection: HTTPConnection) -> None:
        self.container = container
        self.connection = connection
        self.body: list[bytes] = []
        self.buffered = 0
        self.complete = False
        self.request_sent = False
        self.gone = False
        self.head: ResponseStartLine | None = None
        self.head_headers: HTTPHeaders | None = None
        self.head_sent = False
        self.response_done = False
        self.method = "GET"
        self.task: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None

    # -- from the server -----------------------------------------------------

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> None:
        if not isinstance(start_line, RequestStartLine):
            raise TypeError("ASGIContainer serves requests, not responses")
        self.method = start_line.method
        scope = self.container.scope(start_line, headers, self.connection)
        task = asyncio.get_running_loop().create_task(self._run(scope))
        self.task = task
        tasks = self.container._tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def data_received(self, chunk: bytes) -> asyncio.Future[None] | None:
        if self.response_done or self.gone:
            return None  # nobody will read it
        self.body.append(chunk)
        self.buffered += len(chunk)
        self._signal()
        if self.buffered > _BODY_BUFFER:
            self._drained = asyncio.get_running_loop().create_future()
            return self._drained
        return None

    def finish(self) -> None:
        self.complete = True
        self._signal()

    def on_connection_close(self) -> None:
        self.gone = True
        self.body = []
        self._release()
        self._signal()

    # -- for the application ---------------------------------------------------

    async def receive(self) -> ASGIMessage:
        while True:
            if self.body:
                data = b"".join(self.body) if len(self.body) > 1 else self.body[0]
                self.body = []
                self.buffered = 0
                self._release()
                more = not self.complete
                self.request_sent = not more
                return {"type": "http.request", "body": data, "more_body": more}
            if self.complete and not self.request_sent:
                self.request_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if self.gone or self.response_done:
                return {"type": "http.disconnect"}
            self._wake = asyncio.get_running_loop().create_future()
            await self._wake

    async def send(self, message: ASGIMessage) -> None:
        kind = message.get("type")
        if self.gone:
            raise _ClientDisconnected("the client closed the connection")
        if kind == "http.response.start":
            if self.head is not None:
                raise ASGIProtocolError("http.response.start sent twice")
            status = message.get("status")
            if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
                raise ASGIProtocolError(f"invalid ASGI response status {status!r}")
            headers = HTTPHeaders()
            for item in message.get("headers") or ():
                name, value = item
                if not isinstance(name, bytes) or not isinstance(value, bytes):
                    raise ASGIProtocolError(
                        f"ASGI header names and values must be bytes, got {item!r:.80}"
                    )
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            self.head = ResponseStartLine("HTTP/1.1", status, responses.get(status, "Unknown"))
            self.head_headers = headers
        elif kind == "http.response.body":
            if self.head is None or self.head_headers is None:
                raise ASGIProtocolError("http.response.body sent before http.response.start")
            if self.response_done:
                raise ASGIProtocolError("http.response.body sent after the response ended")
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise ASGIProtocolError(f"the ASGI body must be bytes, not {type(body).__name__}")
            body = bytes(body)
            more = bool(message.get("more_body", False))
            try:
                if not self.head_sent:
                    self.head_sent = True
                    headers = self.head_headers
                    if (
                        not more
                        and "Content-Length" not in headers
                        and "Transfer-Encoding" not in headers
                        and self.method != "HEAD"
                        and self.head.code not in _NO_BODY_STATUSES
                    ):
                        headers["Content-Length"] = str(len(body))
                    written = self.connection.write_headers(self.head, headers, body or None)
                elif body:
                    written = self.connection.write(body)
                else:
                    written = None
                if not more:
                    self.response_done = True
                    self._release()  # a body nobody reads no longer holds the server
                    self.connection.set_close_callback(None)
                    self.connection.finish()
                    self._signal()
                elif written is not None:
                    await written
            except StreamClosedError:
                self.gone = True
                raise _ClientDisconnected("the client closed the connection") from None
        elif kind == "http.response.trailers":
            raise ASGIProtocolError("squall's ASGIContainer does not send HTTP trailers")
        else:
            raise ASGIProtocolError(f"unknown ASGI event {kind!r}")

    async def _run(self, scope: ASGIScope) -> None:
        try:
            container = self.container
            await container._ready()
            if container.state:
                # The lifespan's state, copied per request (ASGI "state" extension).
                scope["state"] = dict(container.state)
            await container.asgi_app(scope, self.receive, self.send)
        except _ClientDisconnected:
            return
        except Exception:
            app_log.error(
                "uncaught exception in ASGI application, %s %s",
                scope["method"],
                scope["raw_path"].decode("latin-1"),
                exc_info=True,
            )
            self._fail()
            return
        if not self.response_done and not self.gone:
            app_log.error(
                "the ASGI application returned before finishing the response to %s %s",
                scope["method"],
                scope["raw_path"].decode("latin-1"),
            )
            self._fail()

    def _fail(self) -> None:
        if self.gone or self.response_done:
            return
        connection = self.connection
        if not self.head_sent:
            self.head_sent = self.response_done = True
            body = b"500 Internal Server Error\n"
            headers = HTTPHeaders(
                {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
            )
            try:
                connection.write_headers(
                    ResponseStartLine("HTTP/1.1", 500, "Internal Server Error"), headers, body
                )
                connection.set_close_callback(None)
                connection.finish()
                return
            except Exception:
                gen_log.debug("could not send the 500 response", exc_info=True)
        self.response_done = True
        close = getattr(connection, "close", None)
        if close is not None:
            close()  # cut the response short: the client sees it is incomplete

    def _signal(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _release(self) -> None:
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)
        self._drained = None
