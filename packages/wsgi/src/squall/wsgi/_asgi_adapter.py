"""`ASGIAdapter`: a squall application as an ASGI 3 application.

How a request runs: the HTTP scope becomes a request line, headers and a
connection context; `_ASGIConnection` implements squall's `HTTPConnection`
interface by queueing ASGI ``http.response.*`` events. The application is
fed the request exactly as squall's own server would feed it, so every
handler works, including coroutines, ``@asynchronous`` and streamed request
bodies (ASGI servers are asynchronous too).

The adapter's coroutine does the sending itself: it drains the queue of
events, and while a handler is still working it waits for either more
output or the client leaving (``http.disconnect``). A synchronous handler
has queued its whole response by the time ``finish`` returns, so such a
request costs two ``send`` calls and no extra task.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from squall.httputil import (
    HTTPConnection,
    HTTPConnectionContext,
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPOutputError,
    RequestStartLine,
    ResponseStartLine,
    responses,
)
from squall.iostream import StreamClosedError
from squall.web import Application

from ._environ import HOP_BY_HOP
from ._errors import ASGIProtocolError, WSGIError
from ._types import ASGIMessage, ASGIReceive, ASGIScope, ASGISend

__all__ = ["ASGIAdapter"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

_DEFAULT_MAX_BODY = 100 * 1024 * 1024
_FINAL_BODY = {"type": "http.response.body", "body": b"", "more_body": False}

Hook = Callable[[], "Awaitable[None] | None"]


class _ResponseAborted(WSGIError):
    """The handler cut its response short (an error after the head was out)."""


class _ASGIConnection(HTTPConnection):
    """squall's `HTTPConnection` interface over ASGI ``send``.

    Writes become queued events; the adapter's coroutine sends them in order.
    """

    __slots__ = (
        "context",
        "queue",
        "started",
        "finished",
        "aborted",
        "gone",
        "close_callback",
        "max_body_size",
        "_wake",
        "_loop",
    )

    def __init__(
        self, context: HTTPConnectionContext, max_body_size: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.context = context
        self.queue: collections.deque[tuple[ASGIMessage, asyncio.Future[None] | None]] = (
            collections.deque()
        )
        self.started = False
        self.finished = False
        self.aborted = False
        self.gone = False
        self.close_callback: Callable[[], None] | None = None
        self.max_body_size = max_body_size
        self._wake: asyncio.Future[None] | None = None
        self._loop = loop

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        if self.started or self.finished:
            raise HTTPOutputError("write_headers() called twice for one response")
        if not isinstance(start_line, ResponseStartLine):
            raise HTTPOutputError("a server sends a ResponseStartLine")
        if start_line.code < 200:
            return self._resolved()  # ASGI has no informational responses
        self.started = True
        self._push(
            {
                "type": "http.response.start",
                "status": start_line.code,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers.get_all()
                    if name.lower() not in HOP_BY_HOP
                ],
            },
            None,
        )
        return self._push_body(chunk or b"")

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        if self.finished:
            raise HTTPOutputError("write() after finish()")
        if not self.started:
            raise HTTPOutputError(
                "under ASGI a response must start with write_headers(); raw "
                "writes of a hand-made status line are not supported"
            )
        if not chunk:
            return self._resolved()
        return self._push_body(chunk)

    def finish(self) -> None:
        if self.finished:
            raise HTTPOutputError("finish() called twice")
        self.finished = True
        self.close_callback = None
        queue = self.queue
        if queue and queue[-1][0]["type"] == "http.response.body" and queue[-1][0]["more_body"]:
            # Not sent yet: make the last piece the final one (one send less).
            queue[-1][0]["more_body"] = False
        else:
            self._push(dict(_FINAL_BODY), None)
        self._signal()

    def close(self) -> None:
        """Abort the response (the handler failed after its head was written)."""
        self.finished = True
        self.aborted = True
        self.close_callback = None
        self._signal()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        self.close_callback = callback

    def set_max_body_size(self, max_body_size: int) -> None:
        self.max_body_size = max_body_size

    def set_body_timeout(self, timeout: float) -> None:
        # The ASGI server owns the socket and its timeouts.
        return None

    # -- the queue ------------------------------------------------------------

    def _resolved(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._loop.create_future()
        if self.gone:
            _fail_quietly(future)
        else:
            future.set_result(None)
        return future

    def _push_body(self, chunk: bytes) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._loop.create_future()
        if self.gone:
            _fail_quietly(future)
            return future
        self._push({"type": "http.response.body", "body": chunk, "more_body": True}, future)
        return future

    def _push(self, message: ASGIMessage, future: asyncio.Future[None] | None) -> None:
        self.queue.append((message, future))
        self._signal()

    def _signal(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def wait(self) -> asyncio.Future[None]:
        """A future resolved at the next queued event, finish or abort."""
        self._wake = self._loop.create_future()
        return self._wake

    def client_left(self) -> None:
        self.gone = True
        for _, future in self.queue:
            if future is not None and not future.done():
                _fail_quietly(future)
        self.queue.clear()
        callback, self.close_callback = self.close_callback, None
        if callback is not None:
            callback()
        self._signal()


def _fail_quietly(future: asyncio.Future[None]) -> None:
    """Fail a write future with `StreamClosedError`.

    Whoever awaits it gets the error; a synchronous handler that never looks
    at its flush() futures does not get a "never retrieved" log line for it.
    """
    future.set_exception(StreamClosedError())
    future.exception()


async def _call_hooks(hooks: Iterable[Hook]) -> None:
    for hook in hooks:
        result = hook()
        if result is not None and inspect.isawaitable(result):
            await result


class ASGIAdapter:
    """A squall `Application` as an ASGI 3 application (HTTP and lifespan).

    ::

        application = squall.web.Application([(r"/", MainHandler)])
        asgi_app = ASGIAdapter(application)
        # then: uvicorn module:asgi_app

    Every handler works, including coroutines, ``@asynchronous`` and
    ``@stream_request_body``: ASGI servers are asynchronous too. The
    client leaving (``http.disconnect``) reaches ``on_connection_close``.

    Args:
        application: the squall application.
        max_body_size: the largest request body accepted (bytes); more gets
            a 413. A ``@stream_request_body`` handler may raise it in
            ``prepare`` with ``self.request.connection.set_max_body_size``.
        on_startup: callables (plain or ``async``) run at
            ``lifespan.startup``; if one raises, the server is told that
            startup failed.
        on_shutdown: callables run at ``lifespan.shutdown``.

    Compatibility: ASGI carries no reason phrase, so a custom reason given
    to ``set_status`` is not sent; WebSocket scopes are refused (close
    before accept).
    """

    def __init__(
        self,
        application: Application,
        *,
        max_body_size: int = _DEFAULT_MAX_BODY,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
    ) -> None:
        if not isinstance(application, Application):
            raise TypeError(
                f"ASGIAdapter needs a squall.web.Application, not {type(application).__name__}"
            )
        self.application = application
        self.max_body_size = max_body_size
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """Serve one ASGI connection scope."""
        kind = scope.get("type")
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            message = await receive()
            if message.get("type") == "websocket.connect":
                gen_log.info("ASGIAdapter refused a WebSocket request: it serves HTTP only")
                await send({"type": "websocket.close", "code": 1003})
        else:
            raise ASGIProtocolError(f"ASGIAdapter cannot serve ASGI scope type {kind!r}")

    async def _lifespan(self, receive: ASGIReceive, send: ASGISend) -> None:
        while True:
            message = await receive()
            kind = message.get("type")
            if kind == "lifespan.startup":
                try:
                    await _call_hooks(self.on_startup)
                except Exception as error:
                    app_log.error("startup hook failed", exc_info=True)
                    await send({"type": "lifespan.startup.failed", "message": repr(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif kind == "lifespan.shutdown":
                try:
                    await _call_hooks(self.on_shutdown)
                except Exception as error:
                    app_log.error("shutdown hook failed", exc_info=True)
                    await send({"type": "lifespan.shutdown.failed", "message": repr(error)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return
            else:
                raise ASGIProtocolError(f"unexpected lifespan event {kind!r}")

    async def _http(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        start_line, headers, context = _request_head(scope)
        connection = _ASGIConnection(context, self.max_body_size, asyncio.get_running_loop())
        delegate = self.application.start_request(None, connection)
        try:
            status = await self._feed(delegate, start_line, headers, connection, receive)
        except Exception:
            if connection.started:
                raise
            app_log.error("error while receiving %s %s", *start_line[:2], exc_info=True)
            status = 500
        if status is not None:
            if not connection.started:
                await _plain_response(send, status)
            return
        await self._pump(connection, delegate, receive, send)

    async def _feed(
        self,
        delegate: HTTPMessageDelegate,
        start_line: RequestStartLine,
        headers: HTTPHeaders,
        connection: _ASGIConnection,
        receive: ASGIReceive,
    ) -> int | None:
        """Give the request to the application; a status if we must answer ourselves."""
        try:
            result = delegate.headers_received(start_line, headers)
            if result is not None:
                await result
            received = 0
            more = True
            while more and not connection.finished:
                message = await receive()
                kind = message.get("type")
                if kind == "http.disconnect":
                    connection.client_left()
                    delegate.on_connection_close()
                    return 499  # nobody to answer
                if kind != "http.request":
                    raise ASGIProtocolError(f"unexpected event {kind!r} while reading the body")
                body = message.get("body", b"")
                more = bool(message.get("more_body", False))
                if body:
                    received += len(body)
                    if received > connection.max_body_size:
                        connection.client_left()
                        delegate.on_connection_close()
                        return 413
                    result = delegate.data_received(body)
                    if result is not None:
                        await result
            if not more:
                delegate.finish()
        except HTTPInputError as error:
            gen_log.info("bad request body: %s", error)
            return 400
        return None

    async def _pump(
        self,
        connection: _ASGIConnection,
        delegate: HTTPMessageDelegate,
        receive: ASGIReceive,
        send: ASGISend,
    ) -> None:
        """Send queued events until the response ends or the client leaves."""
        queue = connection.queue
        listener: asyncio.Future[ASGIMessage] | None = None
        try:
            while True:
                while queue:
                    message, future = queue.popleft()
                    try:
                        await send(message)
                    except OSError:
                        connection.client_left()
                        delegate.on_connection_close()
                        return
                    if future is not None and not future.done():
                        future.set_result(None)
                if connection.aborted:
                    raise _ResponseAborted(
                        "the handler failed after its response had started; see the "
                        "squall.application log"
                    )
                if connection.finished or connection.gone:
                    return
                wake = connection.wait()
                if listener is None:
                    listener = asyncio.ensure_future(receive())
                await asyncio.wait((wake, listener), return_when=asyncio.FIRST_COMPLETED)
                if listener.done():
                    event = listener.result()
                    listener = None
                    if event.get("type") == "http.disconnect":
                        connection.client_left()
                        delegate.on_connection_close()
                        return
        finally:
            if listener is not None and not listener.done():
                listener.cancel()


def _request_head(
    scope: ASGIScope,
) -> tuple[RequestStartLine, HTTPHeaders, HTTPConnectionContext]:
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes) and raw_path:
        path = raw_path.decode("latin-1")
    else:
        text = scope.get("path") or "/"
        root = scope.get("root_path") or ""
        if root and not text.startswith(root):
            text = root + text
        path = urllib.parse.quote(text, safe="/:@!$&'()*+,;=~-._")
    query = scope.get("query_string") or b""
    uri = path + "?" + query.decode("latin-1") if query else path
    version = "HTTP/" + str(scope.get("http_version", "1.1"))
    headers = HTTPHeaders()
    for name, value in scope.get("headers") or ():
        headers.add(name.decode("latin-1"), value.decode("latin-1"))
    if "Host" not in headers:
        server = scope.get("server")
        if server and server[1] is not None:
            headers.add("Host", f"{server[0]}:{server[1]}")
        elif server:
            headers.add("Host", str(server[0]))
    client = scope.get("client")
    remote_ip = str(client[0]) if client else ""
    address: Any = tuple(client) if client else None
    context = HTTPConnectionContext(
        remote_ip=remote_ip, protocol=scope.get("scheme") or "http", address=address
    )
    return RequestStartLine(scope.get("method", "GET"), uri, version), headers, context


async def _plain_response(send: ASGISend, status: int) -> None:
    if status == 499:
        return
    body = f"{status} {responses.get(status, 'Error')}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
