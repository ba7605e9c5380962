"""Letting the event loop run until a condition holds: `wait_until`."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from typing import TypeVar

from ._timeout import check_timeout, get_async_test_timeout

__all__ = ["wait_until"]

_T = TypeVar("_T")


async def wait_until(
    condition: Callable[[], _T],
    timeout: float | None = None,
    *,
    interval: float = 0.005,
    message: str | None = None,
) -> _T:
    """Let the event loop run until ``condition()`` returns a true value.

    For effects that follow an answer rather than come with it: a log line
    written after the response went out, a close callback, a thread that
    sets an `threading.Event`. The condition is checked at once, then every
    ``interval`` seconds while the loop runs other work in between.

    Example:
        ```python
        await wait_until(lambda: handler_closed, timeout=2)
        record = await wait_until(lambda: find_access_log(caplog))
        ```

    Args:
        condition: A plain function of no arguments; its result is tested
            for truth.
        timeout: Seconds to wait. Default: half of
            `get_async_test_timeout`, so that an ``async`` test's own
            timeout does not fire first with a less helpful message.
        interval: Seconds between two checks.
        message: Added to the failure message (say what was expected).

    Returns:
        The first true value ``condition()`` returned.

    Raises:
        TimeoutError: The condition was still false after ``timeout``; the
            message names the condition (and where it is defined), its last
            value and ``message``.
        TypeError: ``condition`` is not callable, or returned an awaitable
            (which is always true: pass a plain function, or await the
            coroutine with `asyncio.wait_for`).
        Exception: whatever ``condition()`` raised.
    """
    __tracebackhide__ = True  # pytest: show the test's frames, not ours
    if not callable(condition):
        raise TypeError(f"wait_until() takes a function to call, not {type(condition).__name__}")
    seconds = (
        get_async_test_timeout() / 2
        if timeout is None
        else check_timeout(timeout, source="wait_until()'s timeout")
    )
    pause = check_timeout(interval, source="wait_until()'s interval")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = condition()
        if inspect.isawaitable(value):
            close = getattr(value, "close", None)
            if close is not None:
                close()  # never awaited: do not warn about it on top of this error
            raise TypeError(
                f"wait_until({_name(condition)}): the condition returned an awaitable, which "
                "is always true; pass a plain function, or await the coroutine with "
                "asyncio.wait_for(coro, timeout)"
            )
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            detail = f"; {message}" if message else ""
            raise TimeoutError(
                f"wait_until({_name(condition)}) gave up after {seconds:g} s: the condition "
                f"was still false (last value: {_short_repr(value)}){detail}"
            )
        await asyncio.sleep(min(pause, remaining))


def _name(func: Callable[..., object]) -> str:
    """``name at file:line`` for a function or lambda, else its repr."""
    code = getattr(func, "__code__", None)
    name = getattr(func, "__name__", None) or repr(func)
    if code is None:
        return name
    return f"{name} at {os.path.basename(code.co_filename)}:{code.co_firstlineno}"


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
