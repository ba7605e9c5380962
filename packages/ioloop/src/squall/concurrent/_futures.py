"""Future helpers: one vocabulary for asyncio and concurrent.futures futures.

squall's futures *are* asyncio futures; the helpers here smooth over the two
places where Tornado-era code meets something else: futures from a thread pool
(`concurrent.futures.Future`, completed in another thread) and futures that
were cancelled while a result was on its way (``set_result`` on a cancelled
asyncio future raises `asyncio.InvalidStateError`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, Union

app_log = logging.getLogger("squall.application")

Future = asyncio.Future
"""squall's Future class: it is `asyncio.Future`."""

FUTURES = (asyncio.Future, concurrent.futures.Future)
"""The future classes `is_future` recognises (a tuple for `isinstance`)."""

_AnyFuture = Union["asyncio.Future[Any]", "concurrent.futures.Future[Any]"]


def is_future(x: Any) -> bool:
    """Tell whether ``x`` is a future (asyncio or `concurrent.futures`).

    Args:
        x: any object.

    Returns:
        True for an `asyncio.Future` (tasks included) or a
        `concurrent.futures.Future`; False for anything else, coroutines included.
    """
    return isinstance(x, FUTURES)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def future_set_result_unless_cancelled(future: _AnyFuture, value: Any) -> None:
    """Set ``value`` as the result of ``future`` unless it was cancelled.

    Args:
        future: an asyncio or `concurrent.futures` future that is not done, or
            that was cancelled.
        value: the result.

    Raises:
        asyncio.InvalidStateError: ``future`` already has a result or an
            exception (only cancellation is tolerated).
    """
    if not future.cancelled():
        future.set_result(value)


def future_set_exception_unless_cancelled(future: _AnyFuture, exc: BaseException) -> None:
    """Set ``exc`` as the exception of ``future`` unless it was cancelled.

    When the future was cancelled the exception has nowhere to go, so it is
    logged to ``squall.application`` rather than lost.

    Args:
        future: an asyncio or `concurrent.futures` future.
        exc: the exception.
    """
    if not future.cancelled():
        future.set_exception(exc)
    else:
        app_log.error(
            "Exception after the future was cancelled", exc_info=exc
        )


def future_set_exc_info(
    future: _AnyFuture,
    exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None],
) -> None:
    """Set the exception of an ``sys.exc_info()`` triple on ``future``.

    Does nothing (but log) if the future was cancelled, like
    `future_set_exception_unless_cancelled`.

    Args:
        future: an asyncio or `concurrent.futures` future.
        exc_info: a ``(type, value, traceback)`` triple, as ``sys.exc_info()``
            returns inside an ``except`` block.

    Raises:
        ValueError: ``exc_info`` holds no exception (``sys.exc_info()`` called
            outside an ``except`` block).
    """
    exc = exc_info[1]
    if exc is None:
        raise ValueError(
            "future_set_exc_info() got an exc_info without an exception; "
            "call sys.exc_info() inside the except block"
        )
    future_set_exception_unless_cancelled(future, exc)


def future_add_done_callback(future: _AnyFuture, callback: Callable[[Any], None]) -> None:
    """Call ``callback(future)`` when ``future`` is done, at once if it already is.

    Unlike ``future.add_done_callback``, a callback on a finished asyncio
    future runs immediately rather than on the next loop iteration. A callback
    on a `concurrent.futures.Future` runs in the thread that finishes it.

    Args:
        future: an asyncio or `concurrent.futures` future.
        callback: called with ``future`` as its only argument.
    """
    if future.done():
        callback(future)
    else:
        future.add_done_callback(callback)


def chain_future(a: _AnyFuture, b: _AnyFuture) -> None:
    """Copy the outcome of ``a`` to ``b`` when ``a`` finishes.

    Result, exception or cancellation are copied, unless ``b`` is done (or
    cancelled) by then. Either future may be a `concurrent.futures.Future`:
    when ``a`` finishes in a worker thread, ``b`` (an asyncio future) is
    completed on its own loop, thread-safely.

    Args:
        a: the source future.
        b: the future that follows ``a``.
    """

    def copy(_: Any = None) -> None:
        if b.done():
            return
        if a.cancelled():
            b.cancel()
            return
        exc = a.exception()
        if exc is not None:
            b.set_exception(exc)
        else:
            b.set_result(a.result())

    def on_done(_: Any) -> None:
        if isinstance(b, asyncio.Future):
            target = b.get_loop()
            if _running_loop() is not target:
                # ``a`` finished in another thread (or on another loop):
                # asyncio futures may only be touched from their own loop.
                target.call_soon_threadsafe(copy)
                return
        copy()

    future_add_done_callback(a, on_done)
