"""Time in coroutines: `sleep` and `with_timeout`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from squall.concurrent._futures import future_set_result_unless_cancelled
from squall.concurrent._loop import Deadline, current_loop, expire_at

from ._convert import QuietExceptions, convert_yielded, quiet_tuple
from ._errors import TimeoutError

app_log = logging.getLogger("squall.application")


def sleep(duration: float) -> asyncio.Future[None]:
    """Return a future that resolves (to None) after ``duration`` seconds.

    Works with ``await`` and with ``yield`` in a legacy coroutine. Cancelling
    the future cancels the timer.

    Args:
        duration: seconds to wait; 0 or less resolves on the next loop iteration.

    Returns:
        A future on the running loop (or the current IOLoop's loop).

    Raises:
        TypeError: ``duration`` is not a number.
    """
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        raise TypeError(f"sleep() takes a number of seconds, not {type(duration).__name__}")
    loop = current_loop()
    future: asyncio.Future[None] = loop.create_future()
    handle = loop.call_later(duration, future_set_result_unless_cancelled, future, None)
    future.add_done_callback(lambda _f: handle.cancel())
    return future


def with_timeout(
    timeout: Deadline, future: Any, quiet_exceptions: QuietExceptions = ()
) -> asyncio.Future[Any]:
    """Wait for ``future``, but give up with `TimeoutError` at ``timeout``.

    Unlike `asyncio.wait_for`, the wrapped future is *not* cancelled when time
    runs out: it keeps running and can be waited for again. If it fails after
    the timeout, its exception is logged to ``squall.application`` (nobody is
    waiting for it any more) unless it is a cancellation or an instance of
    ``quiet_exceptions``.

    Args:
        timeout: an absolute deadline on the `IOLoop.time` clock, or a
            `datetime.timedelta` from now.
        future: a future, coroutine or other yieldable (see `convert_yielded`).
        quiet_exceptions: exception class(es) not to log when ``future`` fails
            after the timeout.

    Returns:
        A future of ``future``'s result, which fails with `TimeoutError` if
        ``timeout`` passes first.

    Raises:
        TypeError: ``timeout`` is neither a number nor a timedelta.
    """
    quiet = quiet_tuple(quiet_exceptions)
    result: asyncio.Future[Any] = current_loop().create_future()

    def on_timeout() -> None:
        result.set_exception(TimeoutError("Timeout"))
        inner.add_done_callback(log_late_failure)

    def log_late_failure(done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            return
        exc = done.exception()
        if exc is not None and not isinstance(exc, quiet):
            app_log.error("Exception in future %r after timeout", done, exc_info=exc)

    def copy(done: asyncio.Future[Any]) -> None:
        if result.done():
            return
        if done.cancelled():
            result.cancel()
        elif (exc := done.exception()) is not None:
            result.set_exception(exc)
        else:
            result.set_result(done.result())

    # Check the deadline before starting anything (a coroutine given as
    # ``future`` becomes a running task as soon as it is converted).
    expire_at(result, timeout, on_timeout)
    try:
        inner = convert_yielded(future)
    except BaseException:
        result.cancel()
        raise
    inner.add_done_callback(copy)
    return result
