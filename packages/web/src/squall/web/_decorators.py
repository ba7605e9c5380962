"""Decorators for handler methods and classes.

`asynchronous` is the spec's callback style: the request stays open after the
method returns, until the handler calls ``finish()``. Exceptions raised by
callbacks the method scheduled are routed back to the handler where asyncio
lets us see them: the method runs with a context variable naming the handler,
asyncio runs every callback scheduled from it in a copy of that context, and
an exception handler installed on the loop (chained to the previous one) looks
the handler up there. Callbacks wrapped with `RequestHandler.async_callback`
are always covered.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from ._errors import HTTPError
from ._handler import RequestHandler, safe_local_path

__all__ = ["authenticated", "addslash", "removeslash", "asynchronous", "stream_request_body"]

_M = TypeVar("_M", bound=Callable[..., Any])
_H = TypeVar("_H", bound=type[RequestHandler])

_current_handler: contextvars.ContextVar[RequestHandler | None] = contextvars.ContextVar(
    "squall_web_async_handler", default=None
)


def authenticated(method: _M) -> _M:
    """Require a logged-in user (``current_user`` not falsy).

    GET and HEAD requests from anonymous users are redirected to
    ``get_login_url()`` with ``?next=<this URL>``; other methods get 403.
    The ``next`` value is always a path on this site.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Any:
        if not self.current_user:
            if self.request.method in ("GET", "HEAD"):
                url = self.get_login_url()
                if "?" not in url:
                    if urllib.parse.urlsplit(url).scheme:
                        next_url = self.request.full_url()
                    else:
                        next_url = safe_local_path(self.request.uri or "/")
                    url += "?" + urllib.parse.urlencode({"next": next_url})
                self.redirect(url)
                return None
            raise HTTPError(403)
        return method(self, *args, **kwargs)

    return cast(_M, wrapper)


def _with_query(handler: RequestHandler, path: str) -> str:
    query = handler.request.query
    return path + "?" + query if query else path


def removeslash(method: _M) -> _M:
    """Redirect ``/path/`` to ``/path`` (GET/HEAD; 404 for other methods).

    Leading slashes are collapsed so ``//host/`` never becomes an off-site
    redirect.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Any:
        path = self.request.path or ""
        if path.endswith("/"):
            if self.request.method in ("GET", "HEAD"):
                target = path.rstrip("/")
                if target:
                    self.redirect(_with_query(self, safe_local_path(target)), permanent=True)
                    return None
            else:
                raise HTTPError(404)
        return method(self, *args, **kwargs)

    return cast(_M, wrapper)


def addslash(method: _M) -> _M:
    """Redirect ``/path`` to ``/path/`` (GET/HEAD; 404 for other methods).

    Leading slashes are collapsed so ``//host`` never becomes an off-site
    redirect.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Any:
        path = self.request.path or ""
        if not path.endswith("/"):
            if self.request.method in ("GET", "HEAD"):
                target = safe_local_path(path + "/")
                self.redirect(_with_query(self, target), permanent=True)
                return None
            raise HTTPError(404)
        return method(self, *args, **kwargs)

    return cast(_M, wrapper)


def _route_callback_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    error = context.get("exception")
    handle = context.get("handle")
    # asyncio.Handle runs its callback in the context captured when it was scheduled.
    captured = getattr(handle, "_context", None)
    target = captured.get(_current_handler) if isinstance(captured, contextvars.Context) else None
    if isinstance(error, Exception) and target is not None and not target._finished:
        target._handle_request_exception(error)
        return
    previous = getattr(_route_callback_errors, "_previous", {}).get(loop)
    if previous is not None:
        previous(loop, context)
    else:
        loop.default_exception_handler(context)


def _install_error_router() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    current = loop.get_exception_handler()
    if current is _route_callback_errors:
        return
    previous: dict[Any, Any] = _route_callback_errors.__dict__.setdefault("_previous", {})
    previous[loop] = current
    loop.set_exception_handler(_route_callback_errors)


def asynchronous(method: _M) -> _M:
    """Keep the request open after the method returns, until ``finish()``.

    The spec's callback style::

        class MainHandler(RequestHandler):
            @asynchronous
            def get(self):
                IOLoop.current().call_later(1, self.on_timer)

            def on_timer(self):
                self.finish("done")

    If the method returns an awaitable, the request is finished when it
    completes (unless already finished).

    Compatibility: Tornado 6 removed this decorator; squall keeps it as a thin
    adapter over the same machinery as ``async def``.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Any:
        self._auto_finish = False
        self._watch_close()
        _install_error_router()
        token = _current_handler.set(self)
        try:
            result = method(self, *args, **kwargs)
        finally:
            _current_handler.reset(token)
        if result is not None and inspect.isawaitable(result):
            return _finish_when_done(self, result)
        return None

    return cast(_M, wrapper)


async def _finish_when_done(handler: RequestHandler, result: Awaitable[Any]) -> None:
    await result
    if not handler._finished:
        handler.finish()


def stream_request_body(cls: _H) -> _H:
    """Class decorator: deliver the request body to ``data_received`` in pieces.

    ``prepare()`` runs when the headers arrive (before the body), the HTTP
    method after the whole body was received. ``self.request.body`` stays
    empty. ``data_received`` may be ``async``: the server reads no more of
    the body until it completes (back-pressure), and an exception it raises
    goes to the handler's error page. In ``prepare``,
    ``self.request.connection.set_max_body_size(n)`` and
    ``set_body_timeout(seconds)`` override the server's limits for this
    request (a larger body gets a 413, a stalled one a 408).

    Example::

        @stream_request_body
        class Upload(RequestHandler):
            def prepare(self):
                self.request.connection.set_max_body_size(10 * 2**30)
                self.file = open("/tmp/upload", "wb")

            async def data_received(self, chunk):
                self.file.write(chunk)

            def put(self):
                self.file.close()
                self.write("stored")

    Raises:
        TypeError: ``cls`` is not a `RequestHandler` subclass.
    """
    if not (isinstance(cls, type) and issubclass(cls, RequestHandler)):
        raise TypeError(f"stream_request_body needs a RequestHandler subclass, not {cls!r}")
    cls._stream_request_body = True
    return cls
