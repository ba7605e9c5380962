"""`WSGIAdapter` and `WSGIApplication`: a squall application as a WSGI callable.

How a request runs: the ``environ`` becomes a request line, headers and a
connection context; a `_CollectingConnection` (squall's `HTTPConnection`
interface) stands in for the socket and keeps what the handler writes. The
application is fed the request exactly as squall's server would feed it
(``start_request``, ``headers_received``, ``data_received``, ``finish``),
so routing, body parsing, streaming bodies, cookies, XSRF, templates,
transforms and error pages are the application's own code paths.

squall's handlers use asyncio futures even when they are synchronous, so the
feeding happens inside an event loop: a private loop per thread, run for one
iteration (`_run_once`). A synchronous handler has finished by the time that
iteration ends. A handler that has not (it is a coroutine, or
``@asynchronous``) cannot be served by WSGI: the tasks it scheduled are
cancelled before their first step runs and `AsyncHandlerError` says why.

`StaticFileHandler` is the one exception (see
`WSGIAdapter.blocking_handler_classes`): its coroutine only waits for disk
reads and for the client to take each piece, which a WSGI worker thread may
block on. It runs on the private loop, driven from the response iterable the
WSGI server pulls, one piece at a time.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from squall.httputil import (
    HTTPConnection,
    HTTPConnectionContext,
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPOutputError,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
    responses,
)
from squall.web import Application, RequestHandler, StaticFileHandler

from ._environ import HOP_BY_HOP, request_head_from_environ
from ._errors import AsyncHandlerError, WSGIError
from ._types import StartResponse, WSGIEnviron

__all__ = ["WSGIAdapter", "WSGIApplication"]

_READ_SIZE = 65536
# A streaming (blocking-allowed) handler may get this far ahead of the WSGI
# server before its flush() futures stop resolving at once.
_STREAM_BUFFER = 65536
_DEFAULT_MAX_BODY = 100 * 1024 * 1024
_UNCHECKED: Any = object()


class _ResponseAborted(WSGIError):
    """The handler cut its response short (an error after the head was out)."""


class _BodyTooLarge(Exception):
    """The request body is larger than the connection's ``max_body_size``."""


class _CollectingConnection(HTTPConnection):
    """squall's `HTTPConnection` interface, keeping the response for WSGI."""

    __slots__ = (
        "context",
        "start_line",
        "headers",
        "chunks",
        "buffered",
        "finished",
        "aborted",
        "close_callback",
        "max_body_size",
        "streaming",
        "_waiters",
        "_progress",
    )

    def __init__(self, context: HTTPConnectionContext, max_body_size: int) -> None:
        self.context = context
        self.start_line: ResponseStartLine | None = None
        self.headers: HTTPHeaders | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.finished = False
        self.aborted = False
        self.close_callback: Callable[[], None] | None = None
        self.max_body_size = max_body_size
        # Set once the response is pulled piece by piece by the WSGI server.
        self.streaming = False
        self._waiters: list[asyncio.Future[None]] = []
        self._progress: asyncio.Future[None] | None = None

    # -- HTTPConnection ---------------------------------------------------

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        if self.finished or self.start_line is not None:
            raise HTTPOutputError("write_headers() called twice for one response")
        if not isinstance(start_line, ResponseStartLine):
            raise HTTPOutputError("a server sends a ResponseStartLine")
        if start_line.code < 200:
            # WSGI has no informational responses; the final head follows.
            return self._done_future()
        self.start_line = start_line
        self.headers = headers
        if chunk:
            self._keep(chunk)
        self._wake()
        return self._write_future()

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        if self.finished:
            raise HTTPOutputError("write() after finish()")
        if self.start_line is None:
            raise HTTPOutputError(
                "under WSGI a response must start with write_headers(); raw "
                "writes of a hand-made status line are not supported"
            )
        if chunk:
            self._keep(chunk)
            self._wake()
        return self._write_future()

    def finish(self) -> None:
        if self.finished:
            raise HTTPOutputError("finish() called twice")
        self.finished = True
        self.close_callback = None
        self._wake()

    def close(self) -> None:
        """Abort the response (the handler failed after its head was written)."""
        self.finished = True
        self.aborted = True
        self.close_callback = None
        self._wake()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        self.close_callback = callback

    def set_max_body_size(self, max_body_size: int) -> None:
        self.max_body_size = max_body_size

    def set_body_timeout(self, timeout: float) -> None:
        # The WSGI server owns the socket and its timeouts.
        return None

    # -- buffering and flow control ------------------------------------------

    def _keep(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.buffered += len(chunk)

    def take(self) -> bytes:
        """Everything written so far (and let a waiting handler go on)."""
        data = b"".join(self.chunks)
        self.chunks = []
        self.buffered = 0
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return data

    def _done_future(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def _write_future(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.streaming and self.buffered > _STREAM_BUFFER:
            self._waiters.append(future)  # resolved when the WSGI server takes it
        else:
            future.set_result(None)
        return future

    def progress(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """A future resolved at the next write, finish or abort."""
        future: asyncio.Future[None] = loop.create_future()
        self._progress = future
        return future

    def _wake(self) -> None:
        progress = self._progress
        if progress is not None and not progress.done():
            progress.set_result(None)
        self._progress = None

    def client_left(self) -> None:
        callback, self.close_callback = self.close_callback, None
        if callback is not None:
            callback()


class _TaskRecorder:
    """The private loop's task factory: remembers the tasks made during a step."""

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] | None = None

    def __call__(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
        if self.tasks is not None:
            self.tasks.append(task)
        return task


class _LoopHolder:
    """A thread's private event loop, closed when the thread ends."""

    __slots__ = ("loop", "recorder")

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.recorder = _TaskRecorder()
        self.loop.set_task_factory(self.recorder)

    def __del__(self) -> None:
        loop = getattr(self, "loop", None)
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.close()


_threads = threading.local()


def _thread_holder() -> _LoopHolder:
    holder: _LoopHolder | None = getattr(_threads, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _threads.holder = _LoopHolder()
    return holder


def _discard_thread_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close this thread's loop (stray timers of a failed handler die with it)."""
    holder: _LoopHolder | None = getattr(_threads, "holder", None)
    if holder is not None and holder.loop is loop:
        _threads.holder = None
    if not loop.is_closed():
        loop.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Outcome:
    """What the first loop iteration left behind."""

    __slots__ = ("delegate", "error", "early_status")

    def __init__(self) -> None:
        self.delegate: HTTPMessageDelegate | None = None
        self.error: BaseException | None = None
        self.early_status: int | None = None


class WSGIAdapter:
    """A squall `Application` as a standard WSGI callable.

    ::

        application = squall.web.Application([(r"/", MainHandler)], cookie_secret="...")
        wsgi_app = WSGIAdapter(application)
        # then: gunicorn module:wsgi_app, wsgiref, mod_wsgi, uWSGI, ...

    Handlers must be synchronous: WSGI cannot wait for events without
    blocking its worker, so a handler whose ``prepare`` or HTTP method is a
    coroutine, returns an awaitable or is ``@asynchronous`` is refused with
    `AsyncHandlerError` (the WSGI server turns it into a 500 and logs the
    message). Everything else works as under squall's server: routing,
    arguments, cookies and signed cookies, XSRF, templates, locale, UI
    modules, static files, redirects, error pages, output transforms.

    The whole response of a synchronous handler is collected before it is
    returned (WSGI servers send a list with a ``Content-Length``); a static
    file is streamed piece by piece.

    Args:
        application: the squall application.
        max_body_size: the largest request body accepted (bytes); a larger
            one gets a 413. A ``@stream_request_body`` handler may raise it
            in ``prepare`` with ``self.request.connection.set_max_body_size``.

    Attributes:
        blocking_handler_classes: handler classes that may be coroutines
            anyway, because what they wait for (disk, the client) may block
            a WSGI worker thread; they run on a private event loop to
            completion. Default: ``(StaticFileHandler,)`` and subclasses.

    Compatibility: Tornado 6 removed its WSGI adapter; squall keeps the
    spec's `WSGIApplication` and refuses coroutine handlers up front with
    `AsyncHandlerError` instead of leaving them unfinished.
    """

    blocking_handler_classes: tuple[type[RequestHandler], ...] = (StaticFileHandler,)

    def __init__(self, application: Application, *, max_body_size: int = _DEFAULT_MAX_BODY) -> None:
        if not isinstance(application, Application):
            raise TypeError(
                f"WSGIAdapter needs a squall.web.Application, not {type(application).__name__}"
            )
        self.application = application
        self.max_body_size = max_body_size
        self._checked: dict[tuple[type[RequestHandler], str], str | None] = {}

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one WSGI request (PEP 3333)."""
        start_line, headers, context = request_head_from_environ(environ)
        connection = _CollectingConnection(context, self.max_body_size)

        def step() -> _Outcome:
            return self._feed(environ, start_line, headers, connection)

        running = _running_loop()
        private = running is None
        if running is None:
            holder = _thread_holder()
            loop = holder.loop
            holder.recorder.tasks = []
            try:
                outcome = _run_once(loop, step)
            finally:
                new_tasks = holder.recorder.tasks
                holder.recorder.tasks = None
        else:
            # Called from inside a coroutine: the loop is already running.
            loop = running
            before = asyncio.all_tasks()
            outcome = step()
            new_tasks = list(asyncio.all_tasks() - before)

        if outcome.error is None and outcome.early_status is None and not connection.finished:
            handler = getattr(outcome.delegate, "handler", None)
            if not isinstance(handler, self.blocking_handler_classes):
                outcome.error = AsyncHandlerError(_why_not_finished(handler))
            elif not private:
                outcome.error = AsyncHandlerError(
                    f"{type(handler).__name__} must wait for its output and cannot do it "
                    "inside an event loop that is already running in this thread; call "
                    "the WSGI application from a plain thread"
                )
        if outcome.error is not None:
            if new_tasks or not connection.finished:
                _cancel_unstarted(new_tasks)
                if private:
                    # Let the cancelled tasks end, then drop the loop with any
                    # timers the handler scheduled.
                    if new_tasks:
                        loop.run_until_complete(asyncio.gather(*new_tasks, return_exceptions=True))
                    _discard_thread_loop(loop)
            raise outcome.error
        if outcome.early_status is not None:
            return _plain_response(start_response, outcome.early_status)

        if not connection.finished:
            # A blocking-allowed handler (a static file): drive it from here.
            connection.streaming = True
            while connection.start_line is None and not connection.finished:
                loop.run_until_complete(connection.progress(loop))
            if not connection.finished:
                head = connection.start_line
                assert head is not None and connection.headers is not None
                start_response(_status(head), _wsgi_headers(connection.headers))
                return _DrivenBody(loop, connection, new_tasks)

        if connection.aborted or connection.start_line is None:
            raise _ResponseAborted(
                f"the handler for {start_line.method} {start_line.path} failed after "
                "its response had started; see the squall.application log"
            )
        assert connection.headers is not None
        start_response(_status(connection.start_line), _wsgi_headers(connection.headers))
        return connection.chunks

    def _refuse_coroutines(self, delegate: HTTPMessageDelegate, start_line: RequestStartLine, headers: HTTPHeaders, connection: HTTPConnection) -> None:
        """Refuse a coroutine handler before any of its code runs.

        Called once the dispatcher has routed the request (after
        ``headers_received``), before the handler exists.
        """
        handler_class = getattr(delegate, "handler_class", None)
        if not (isinstance(handler_class, type) and issubclass(handler_class, RequestHandler)):
            request = HTTPServerRequest(start_line=start_line, headers=headers, connection=connection)
            handler_class = self.application.find_handler(request)[0]
        key = (handler_class, start_line.method)
        reason = self._checked.get(key, _UNCHECKED)
        if reason is _UNCHECKED:
            if issubclass(handler_class, self.blocking_handler_classes):
                reason = None
            else:
                reason = _coroutine_reason(handler_class, start_line.method)
            if len(self._checked) < 4096:
                self._checked[key] = reason
        if reason is not None:
            raise AsyncHandlerError(_refusal(handler_class.__name__, reason))

    def _feed(
        self,
        environ: WSGIEnviron,
        start_line: RequestStartLine,
        headers: HTTPHeaders,
        connection: _CollectingConnection,
    ) -> _Outcome:
        """Give the request to the application as squall's server would (on the loop)."""
        outcome = _Outcome()
        try:
            length = _content_length(environ)
            if length is None:
                outcome.early_status = 400
                return outcome
            delegate = outcome.delegate = self.application.start_request(None, connection)
            _no_wait(delegate.headers_received(start_line, headers), "headers_received")
            self._refuse_coroutines(delegate, start_line, headers, connection)
            if not connection.finished:
                if length > connection.max_body_size:
                    connection.client_left()
                    delegate.on_connection_close()
                    outcome.early_status = 413
                    return outcome
                stream = environ.get("wsgi.input")
                if stream is not None:
                    for chunk in _read_body(stream, length, environ, connection):
                        _no_wait(delegate.data_received(chunk), "data_received")
                delegate.finish()
        except HTTPInputError:
            outcome.early_status = 400
        except _BodyTooLarge:
            connection.client_left()
            if outcome.delegate is not None:
                outcome.delegate.on_connection_close()
            outcome.early_status = 413
        except BaseException as error:
            outcome.error = error
        return outcome


class WSGIApplication(Application):
    """A squall `Application` that is also a WSGI callable (the spec's name).

    ::

        application = squall.wsgi.WSGIApplication([(r"/", MainHandler)])
        wsgiref.handlers.CGIHandler().run(application)

    It takes the same arguments as `Application` and can still be served by
    `HTTPServer`. Under WSGI the rules of `WSGIAdapter` apply (synchronous
    handlers only).
    """

    _wsgi_adapter: WSGIAdapter | None = None

    def __call__(  # type: ignore[override]
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve one WSGI request (PEP 3333)."""
        adapter = self._wsgi_adapter
        if adapter is None:
            adapter = self._wsgi_adapter = WSGIAdapter(self)
        return adapter(environ, start_response)


class _DrivenBody:
    """A response iterable that runs the private loop as the server pulls it."""

    __slots__ = ("_loop", "_connection", "_tasks", "_done")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        connection: _CollectingConnection,
        tasks: list[asyncio.Task[Any]],
    ) -> None:
        self._loop = loop
        self._connection = connection
        self._tasks = tasks
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        connection = self._connection
        while True:
            if connection.chunks:
                return connection.take()
            if connection.aborted:
                self._done = True
                raise _ResponseAborted(
                    "the handler failed while streaming its response; see the "
                    "squall.application log"
                )
            if connection.finished or self._done:
                self._done = True
                raise StopIteration
            self._loop.run_until_complete(connection.progress(self._loop))

    def close(self) -> None:
        """Called by the WSGI server when it is done (or the client left)."""
        if self._done:
            return
        self._done = True
        connection = self._connection
        if not connection.finished:
            connection.client_left()
            for task in self._tasks:
                task.cancel()
            pending = [task for task in self._tasks if not task.done()]
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _run_once(loop: asyncio.AbstractEventLoop, step: Callable[[], _Outcome]) -> _Outcome:
    """Run ``step`` inside ``loop`` and stop after that iteration.

    Tasks that ``step`` schedules do not take their first step (they would
    in the iteration after), so a handler that did not finish can still be
    cancelled before any of its code ran.
    """
    results: list[_Outcome] = []

    def run() -> None:
        try:
            results.append(step())
        finally:
            loop.stop()

    loop.call_soon(run)
    loop.run_forever()
    return results[0]


def _no_wait(result: Any, what: str) -> None:
    if result is not None and inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        elif isinstance(result, asyncio.Future):
            result.cancel()
        raise AsyncHandlerError(
            f"the handler's {what} step returned an awaitable (an async prepare() or "
            "data_received() of a @stream_request_body handler); WSGI cannot wait for "
            "it. Make it synchronous, or serve the application with squall's HTTPServer"
        )


def _coroutine_reason(cls: type[RequestHandler], method: str) -> str | None:
    """Why handler class ``cls`` cannot serve ``method`` synchronously, if it cannot."""
    name = method.lower()
    if inspect.iscoroutinefunction(getattr(cls, name, None)):
        return f"its {name}() is a coroutine (async def)"
    if inspect.iscoroutinefunction(getattr(cls, "prepare", None)):
        return "its prepare() is a coroutine (async def)"
    return None


def _why_not_finished(handler: RequestHandler | None) -> str:
    if handler is None:
        return "the request did not finish synchronously, which WSGI requires"
    return _refusal(
        type(handler).__name__,
        "it returned without finishing the response (an @asynchronous method, "
        "or a method that returned an awaitable)",
    )


def _refusal(name: str, why: str) -> str:
    return (
        f"{name} cannot run under WSGI: {why}. WSGI gives a handler no way to wait "
        "without blocking its worker, so handlers must be synchronous there; serve "
        "this application with squall's HTTPServer (or ASGIAdapter) to use "
        "coroutines, @asynchronous, AsyncHTTPClient or squall.auth"
    )


def _cancel_unstarted(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel tasks that have not run yet, and close the coroutines they hold.

    A wrapper task cancelled before its first step never awaits the
    coroutine it was given (the handler's method); closing that coroutine
    spares a "never awaited" warning about code that was deliberately not run.
    """
    for task in tasks:
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if frame is not None and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:  # type: ignore[arg-type]
            for value in list(frame.f_locals.values()):
                if inspect.iscoroutine(value) and inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
                    value.close()
        task.cancel()


def _content_length(environ: WSGIEnviron) -> int | None:
    """The declared body length (0 if none); ``None`` if it is malformed."""
    value = environ.get("CONTENT_LENGTH")
    if not value:
        return 0
    if not (isinstance(value, str) and value.isdigit() and value.isascii()):
        return None
    return int(value)


def _read_body(
    stream: Any, length: int, environ: WSGIEnviron, connection: _CollectingConnection
) -> Iterator[bytes]:
    if not length and environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
        # A server that de-chunks the body and marks the end with EOF.
        total = 0
        while True:
            chunk = stream.read(_READ_SIZE)
            if not chunk:
                return
            total += len(chunk)
            if total > connection.max_body_size:
                raise _BodyTooLarge()
            yield chunk
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_SIZE))
        if not chunk:
            raise HTTPInputError(
                f"the request body ended after {length - remaining} of {length} bytes"
            )
        remaining -= len(chunk)
        yield chunk


def _status(start_line: ResponseStartLine) -> str:
    return f"{start_line.code} {start_line.reason}"


def _wsgi_headers(headers: HTTPHeaders) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers.get_all() if name.lower() not in HOP_BY_HOP]


def _plain_response(start_response: StartResponse, status: int) -> list[bytes]:
    reason = responses.get(status, "Error")
    body = f"{status} {reason}\n".encode()
    start_response(
        f"{status} {reason}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
