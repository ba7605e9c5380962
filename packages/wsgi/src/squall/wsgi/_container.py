"""`WSGIContainer`: any WSGI application served by squall's HTTPServer.

How a request runs: the server (or a `FallbackHandler`) hands us a complete
request; we build its ``environ`` on the event loop and run the WSGI
application in an executor thread, so a blocking application never stalls
the loop. With ``stream_request_body=True`` (and the server calling us
directly) a request with a body starts as soon as its head arrives instead,
and ``wsgi.input`` is a `StreamingInput` that the loop feeds as the body
comes in and the application's thread reads, blocking, with back-pressure
on the client. The thread calls the application and walks the iterable it
returns; each non-empty chunk is handed to the loop
(`asyncio.run_coroutine_threadsafe`) and the thread waits until the
connection has taken it, so a slow client holds back a streaming
application instead of filling memory. When the application returns a list
(the common case) nothing crosses threads until the end: the loop sends the
head and the whole body in one write, with a ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Iterable
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
from squall.iostream import StreamClosedError

from ._environ import build_environ, parse_status, response_headers
from ._errors import RequestBodyError, WSGIProtocolError
from ._input import StreamingInput
from ._types import ExcInfo, WSGIApp, WSGIEnviron

__all__ = ["WSGIContainer"]

access_log = logging.getLogger("squall.access")
app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

DEFAULT_WORKERS = 8
"""Threads in the pool a `WSGIContainer` creates when given no executor."""

# How often a thread waiting for the loop checks that the loop still runs.
_LOOP_CHECK_SECONDS = 1.0
_NO_BODY_STATUSES = frozenset({204, 304})


class _ClientGone(Exception):
    """The client closed the connection; the application's output is unwanted."""


class _Exchange:
    """One request's response, shared by the loop and the application's thread.

    The thread sets the status and headers (``start_response``) and pushes
    body chunks with `send`; the loop owns the connection.
    """

    __slots__ = ("loop", "connection", "start_line", "headers", "head_sent", "client_gone")

    def __init__(self, loop: asyncio.AbstractEventLoop, connection: HTTPConnection) -> None:
        self.loop = loop
        self.connection = connection
        self.start_line: ResponseStartLine | None = None
        self.headers: HTTPHeaders | None = None
        self.head_sent = False
        self.client_gone = False

    # -- called in the application's thread -----------------------------

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | tuple[None, None, None] | None = None,
    ) -> Any:
        """PEP 3333 ``start_response``; returns the ``write`` callable."""
        if exc_info is not None and exc_info[0] is not None:
            try:
                if self.head_sent:
                    # Too late to change the response: let the error propagate
                    # to us, which aborts the connection (PEP 3333).
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.start_line is not None:
            raise WSGIProtocolError(
                "start_response() called twice without exc_info; pass exc_info "
                "(sys.exc_info()) to replace the status and headers after an error"
            )
        code, reason = parse_status(status)
        self.headers = response_headers(headers)
        self.start_line = ResponseStartLine("HTTP/1.1", code, reason)
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333 ``write`` callable: send ``data`` now (blocks until taken)."""
        if not isinstance(data, bytes):
            raise WSGIProtocolError(
                f"the WSGI write() callable takes bytes, not {type(data).__name__}"
            )
        if data:
            self.send(data)

    def send(self, data: bytes) -> None:
        if self.client_gone:
            raise _ClientGone()
        if self.start_line is None:
            raise WSGIProtocolError(
                "the WSGI application produced body data before calling start_response()"
            )
        first = not self.head_sent
        self.head_sent = True
        future = asyncio.run_coroutine_threadsafe(self._deliver(data, first), self.loop)
        while True:
            try:
                future.result(timeout=_LOOP_CHECK_SECONDS)
                return
            except concurrent.futures.TimeoutError:
                if self.loop.is_closed() or not self.loop.is_running():
                    future.cancel()
                    raise _ClientGone() from None

    # -- called on the loop ----------------------------------------------

    async def _deliver(self, data: bytes, first: bool) -> None:
        if self.client_gone:
            raise _ClientGone()
        try:
            if first:
                assert self.start_line is not None and self.headers is not None
                await self.connection.write_headers(self.start_line, self.headers, data)
            else:
                await self.connection.write(data)
        except StreamClosedError:
            self.client_gone = True
            raise _ClientGone() from None

    def on_client_gone(self) -> None:
        self.client_gone = True


class WSGIContainer(HTTPServerConnectionDelegate):
    """Serve a WSGI application (Flask, Django, ...) with squall's server.

    Alone::

        container = WSGIContainer(flask_app)
        server = HTTPServer(container)
        server.listen(8888)

    or beside squall handlers, through `squall.web.FallbackHandler`::

        app = squall.web.Application([
            (r"/api/.*", ApiHandler),
            (r".*", FallbackHandler, dict(fallback=container)),
        ])

    The WSGI application runs in ``executor`` (default: a pool of
    `DEFAULT_WORKERS` threads made on first use), so it may block; the
    event loop keeps serving other connections. A streaming response
    (an iterable or the ``write`` callable) is sent as it is produced, at
    the client's pace.

    By default the request body is read whole before the application is
    called, and ``wsgi.input`` is an in-memory file; the server's
    ``max_body_size`` (100 MiB unless set) bounds it, and a larger body is
    answered ``413`` without calling the application. With
    ``stream_request_body=True`` the application is called as soon as the
    request head arrives and reads the body from ``wsgi.input`` while it
    comes in (the server stops reading from the client while 256 KiB wait
    unread), so a large upload can go to disk without being held in
    memory; ``max_body_size`` still applies, and a body that cannot be
    completed makes ``wsgi.input`` raise `RequestBodyError`. Behind a
    `squall.web.FallbackHandler` the body is always complete already.

    Args:
        wsgi_application: the WSGI callable.
        executor: a `concurrent.futures.Executor` that runs in threads of
            this process (a ``ThreadPoolExecutor``); squall does not shut
            down an executor it did not create.
        script_name: the path the application is mounted at (for example
            ``"/legacy"``): a request path under it has it moved from
            ``PATH_INFO`` to ``SCRIPT_NAME``.
        stream_request_body: start the application when the request head
            arrives and stream the body through ``wsgi.input`` (False: read
            it whole first).

    Compatibility: Tornado's ``WSGIContainer`` runs the application on the
    event loop thread unless given an executor; squall defaults to a small
    thread pool.
    """

    def __init__(
        self,
        wsgi_application: WSGIApp,
        executor: concurrent.futures.Executor | None = None,
        *,
        script_name: str = "",
        stream_request_body: bool = False,
    ) -> None:
        if not callable(wsgi_application):
            raise TypeError(
                f"WSGIContainer needs a WSGI callable, not {type(wsgi_application).__name__}"
            )
        if script_name and (not script_name.startswith("/") or script_name.endswith("/")):
            raise ValueError(
                f"script_name must start with '/' and not end with one, not {script_name!r}"
            )
        self.wsgi_application = wsgi_application
        self.script_name = script_name
        self.stream_request_body = bool(stream_request_body)
        self._executor = executor
        self._own_executor = executor is None
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Future[None]] = set()

    @property
    def executor(self) -> concurrent.futures.Executor:
        """The executor the WSGI application runs in (created on first use)."""
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = concurrent.futures.ThreadPoolExecutor(
                        max_workers=DEFAULT_WORKERS, thread_name_prefix="squall-wsgi"
                    )
        return executor

    def close(self) -> None:
        """Shut down the thread pool this container created (if any).

        Requests still running finish in their threads; new ones get a new
        pool. An executor passed in by the caller is left alone.
        """
        with self._lock:
            executor, own = self._executor, self._own_executor
            if own:
                self._executor = None
        if own and executor is not None:
            executor.shutdown(wait=False)

    # -- entry points -------------------------------------------------------

    def __call__(self, request: HTTPServerRequest) -> asyncio.Future[None]:
        """Serve one complete request (the `FallbackHandler` and plain-callback style).

        Returns:
            The task that runs the application and writes its response.
        """
        connection = request.connection
        if connection is None:
            raise ValueError("WSGIContainer needs a request with a connection to answer on")
        start_line = RequestStartLine(request.method or "GET", request.uri or "/", request.version)
        return self._spawn(start_line, request.headers, request.body, connection)

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Receive one request from `HTTPServer` (called by the server)."""
        return _ContainerRequest(self, request_conn)

    def environ(self, request: HTTPServerRequest) -> WSGIEnviron:
        """The PEP 3333 ``environ`` this container gives for ``request``."""
        start_line = RequestStartLine(request.method or "GET", request.uri or "/", request.version)
        return build_environ(
            start_line,
            request.headers,
            request.body,
            getattr(request.connection, "context", None),
            script_name=self.script_name,
            multithread=self._multithread(),
        )

    # -- the work -----------------------------------------------------------

    def _multithread(self) -> bool:
        # A one-thread pool runs one request at a time: wsgi.multithread is
        # False then (ThreadPoolExecutor keeps its size in _max_workers).
        executor = self._executor
        workers = getattr(executor, "_max_workers", DEFAULT_WORKERS)
        return executor is None or not isinstance(workers, int) or workers > 1

    def _spawn(
        self,
        start_line: RequestStartLine,
        headers: HTTPHeaders,
        body: bytes | StreamingInput,
        connection: HTTPConnection,
    ) -> asyncio.Future[None]:
        return self._start(start_line, headers, body, connection)[0]

    def _start(
        self,
        start_line: RequestStartLine,
        headers: HTTPHeaders,
        body: bytes | StreamingInput,
        connection: HTTPConnection,
    ) -> tuple[asyncio.Future[None], _Exchange]:
        loop = asyncio.get_running_loop()
        exchange = _Exchange(loop, connection)
        try:
            connection.set_close_callback(exchange.on_client_gone)
        except NotImplementedError:
            pass  # a connection that cannot tell us: we learn it on the next write
        environ = build_environ(
            start_line,
            headers,
            body,
            getattr(connection, "context", None),
            script_name=self.script_name,
            multithread=self._multithread(),
        )
        streamed = body if isinstance(body, StreamingInput) else None
        task = loop.create_task(self._serve(environ, exchange, start_line, streamed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task, exchange

    async def _serve(
        self,
        environ: WSGIEnviron,
        exchange: _Exchange,
        start_line: RequestStartLine,
        streamed: StreamingInput | None = None,
    ) -> None:
        started = time.monotonic()
        try:
            answered = await self._respond(exchange, environ, start_line, streamed)
        finally:
            if streamed is not None:
                # Whatever the application left unread is dropped, and a
                # server waiting for it to drain goes on.
                streamed.detach()
        if answered:
            self._log(exchange, start_line, environ, started)

    async def _respond(
        self,
        exchange: _Exchange,
        environ: WSGIEnviron,
        start_line: RequestStartLine,
        streamed: StreamingInput | None,
    ) -> bool:
        """Run the application and send its response; False if the client left first."""
        connection = exchange.connection
        try:
            body = await exchange.loop.run_in_executor(
                self.executor, self._run_application, environ, exchange
            )
            if exchange.client_gone:
                raise _ClientGone()
            if exchange.start_line is None or exchange.headers is None:
                raise WSGIProtocolError(
                    "the WSGI application returned without calling start_response()"
                )
            if not exchange.head_sent:
                exchange.head_sent = True
                headers = exchange.headers
                code = exchange.start_line.code
                if "Content-Length" not in headers and code >= 200 and code not in _NO_BODY_STATUSES:
                    headers["Content-Length"] = str(len(body))
                connection.write_headers(exchange.start_line, headers, body or None)
            connection.set_close_callback(None)
            connection.finish()
        except _ClientGone:
            gen_log.debug("client left before the WSGI response of %s %s was sent", *start_line[:2])
            return False
        except RequestBodyError as error:
            if streamed is not None and streamed.aborted:
                # The client left (or was refused with a 413) mid-body, and
                # the application gave up reading: nothing to answer.
                gen_log.info(
                    "%s %s: the WSGI application could not read the request body: %s",
                    start_line.method,
                    start_line.path,
                    error,
                )
                return False
            self._fail(exchange, start_line, error)
        except Exception as error:
            self._fail(exchange, start_line, error)
        return True

    def _run_application(self, environ: WSGIEnviron, exchange: _Exchange) -> bytes:
        """Call the application and walk its iterable (in the executor's thread)."""
        result: Iterable[bytes] = self.wsgi_application(environ, exchange.start_response)
        try:
            if isinstance(result, (list, tuple)) and not exchange.head_sent:
                # The whole body is here: the loop sends it with the head.
                for chunk in result:
                    if not isinstance(chunk, bytes):
                        raise _not_bytes(chunk)
                return b"".join(result)
            for chunk in result:
                if not isinstance(chunk, bytes):
                    raise _not_bytes(chunk)
                if chunk:
                    exchange.send(chunk)
            return b""
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _fail(self, exchange: _Exchange, start_line: RequestStartLine, error: Exception) -> None:
        app_log.error(
            "uncaught exception in WSGI application, %s %s",
            start_line.method,
            start_line.path,
            exc_info=(type(error), error, error.__traceback__),
        )
        connection = exchange.connection
        if exchange.client_gone:
            return
        if not exchange.head_sent:
            exchange.head_sent = True
            exchange.start_line = ResponseStartLine("HTTP/1.1", 500, "Internal Server Error")
            body = b"500 Internal Server Error\n"
            headers = HTTPHeaders(
                {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
            )
            try:
                connection.write_headers(exchange.start_line, headers, body)
                connection.set_close_callback(None)
                connection.finish()
                return
            except Exception:
                gen_log.debug("could not send the 500 response", exc_info=True)
        # The head is out: cut the response short so the client sees it is
        # incomplete, rather than a well-formed end.
        close = getattr(connection, "close", None)
        if close is not None:
            close()

    def _log(
        self,
        exchange: _Exchange,
        start_line: RequestStartLine,
        environ: WSGIEnviron,
        started: float,
    ) -> None:
        status = exchange.start_line.code if exchange.start_line is not None else 500
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        if not access_log.isEnabledFor(level):
            return
        target = start_line.path
        access_log.log(
            level,
            "%d %s %s (%s) %.2fms",
            status,
            start_line.method,
            target if target.isprintable() else target.encode("unicode_escape").decode("ascii"),
            environ.get("REMOTE_ADDR", ""),
            1000.0 * (time.monotonic() - started),
        )


def _not_bytes(chunk: object) -> WSGIProtocolError:
    return WSGIProtocolError(
        f"a WSGI application must yield bytes, not {type(chunk).__name__} "
        "(encode text, e.g. with .encode('utf-8'))"
    )


class _ContainerRequest(HTTPMessageDelegate):
    """Receives one request from the server and hands it to the container.

    Buffered (the default): the body is collected and the application starts
    at `finish`. Streamed: a request with a body starts at `headers_received`
    and its body goes to a `StreamingInput`.
    """

    __slots__ = (
        "_container",
        "_connection",
        "_start_line",
        "_headers",
        "_chunks",
        "_input",
        "_exchange",
    )

    def __init__(self, container: WSGIContainer, connection: HTTPConnection) -> None:
        self._container = container
        self._connection = connection
        self._start_line: RequestStartLine | None = None
        self._headers: HTTPHeaders | None = None
        self._chunks: list[bytes] = []
        self._input: StreamingInput | None = None
        self._exchange: _Exchange | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> None:
        if not isinstance(start_line, RequestStartLine):
            raise TypeError("WSGIContainer serves requests, not responses")
        self._start_line = start_line
        self._headers = headers
        if self._container.stream_request_body and _has_body(headers):
            self._input = StreamingInput(asyncio.get_running_loop())
            _, self._exchange = self._container._start(
                start_line, headers, self._input, self._connection
            )

    def data_received(self, chunk: bytes) -> asyncio.Future[None] | None:
        if self._input is not None:
            return self._input.feed(chunk)
        self._chunks.append(chunk)
        return None

    def finish(self) -> None:
        if self._input is not None:
            self._input.feed_eof()
            return
        assert self._start_line is not None and self._headers is not None
        body = b"".join(self._chunks)
        self._chunks = []
        self._container._spawn(self._start_line, self._headers, body, self._connection)

    def on_connection_close(self) -> None:
        self._chunks = []
        if self._input is not None:
            self._input.abort(
                "the connection closed before the request body was complete "
                "(the client left, or the body went over the server's max_body_size)"
            )
        if self._exchange is not None:
            # The server may already have answered (a 413): nothing the
            # application sends can go out any more.
            self._exchange.on_client_gone()


def _has_body(headers: HTTPHeaders) -> bool:
    """Whether a request head announces a body (the server checked the framing)."""
    if "Transfer-Encoding" in headers:
        return True
    length = headers.get("Content-Length")
    return length is not None and length.strip("0") != ""
