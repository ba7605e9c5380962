"""Running a test's coroutine on its loop with a timeout, and closing the loop.

`run_with_timeout` runs one coroutine to completion. When the timeout
expires it records where the coroutine is suspended (following the chain of
awaits down to the innermost frame) before cancelling it, so the failure
says *where* the test hung, not only that it did. When the event loop logs a
callback error meanwhile, the coroutine is cancelled at once and that error
is raised instead, so a test waiting for a callback that crashed fails fast.

`finish_loop` ends a test's loop: it lets pending callbacks run, cancels
tasks that are still running and timers still scheduled, and returns a
description of each (the caller reports them as a `LeakWarning`).
"""

from __future__ import annotations

import asyncio
import functools
import linecache
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._errors import LoopErrorLog

__all__ = ["finish_loop", "run_with_timeout"]

_T = TypeVar("_T")

# Loop iterations allowed for callbacks that were already scheduled when the
# test ended (close callbacks of transports, done callbacks of futures).
_SETTLE_ITERATIONS = 3
# Seconds granted to cancelled tasks to finish their clean-up.
_CANCEL_GRACE = 1.0


def run_with_timeout(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, _T],
    timeout: float,
    *,
    label: str,
    hint: str,
    errors: LoopErrorLog | None = None,
) -> _T:
    """Run ``coro`` on ``loop`` (not running) and return its result.

    Raises:
        TimeoutError: ``coro`` did not finish within ``timeout`` seconds; the
            message names ``label``, says where it was waiting and ``hint``
            tells how to change the timeout.
        BaseException: whatever ``coro`` raised, or the first callback error
            logged by the loop meanwhile.
    """
    if loop.is_running():
        raise RuntimeError(
            f"{label}: the event loop is already running; await the coroutine instead"
        )
    __tracebackhide__ = True  # pytest: show the test's frames, not ours
    task = loop.create_task(coro)
    stuck_at: list[str] = []
    failed_by_callback = False

    def on_timeout() -> None:
        if not task.done():
            stuck_at.extend(_suspension_points(task))
            task.cancel()

    def on_error(_record: logging.LogRecord) -> None:
        nonlocal failed_by_callback
        if not task.done():
            failed_by_callback = True
            task.cancel()

    handle = loop.call_later(timeout, on_timeout)
    previous_listener = None
    if errors is not None:
        previous_listener, errors.listener = errors.listener, on_error
    try:
        try:
            result = loop.run_until_complete(task)
        except BaseException as exc:
            if errors is not None and failed_by_callback:
                error = errors.pop_error()
                if error is not None:
                    raise error from None
            if stuck_at:
                raise TimeoutError(_timeout_message(label, timeout, stuck_at, hint)) from None
            raise
    finally:
        handle.cancel()
        if errors is not None:
            errors.listener = previous_listener
    if errors is not None:
        error = errors.pop_error()
        if error is not None:
            raise error
    if stuck_at:
        # The coroutine swallowed the cancellation and returned normally.
        raise TimeoutError(_timeout_message(label, timeout, stuck_at, hint))
    return result


def _timeout_message(label: str, timeout: float, stuck_at: list[str], hint: str) -> str:
    where = "\n".join(stuck_at) if stuck_at else "    (no frame information)"
    return (
        f"{label} timed out after {timeout:g} seconds ({hint}).\n"
        f"It was waiting at (outermost first):\n{where}"
    )


def _suspension_points(task: asyncio.Task[Any]) -> list[str]:
    """Describe the frames a suspended task is waiting in, outermost first."""
    lines: list[str] = []
    obj: Any = task.get_coro()
    seen = 0
    while obj is not None and seen < 50:
        seen += 1
        frame = (
            getattr(obj, "cr_frame", None)
            or getattr(obj, "gi_frame", None)
            or getattr(obj, "ag_frame", None)
        )
        if frame is not None:
            code = frame.f_code
            lineno = frame.f_lineno
            lines.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}')
            source = linecache.getline(code.co_filename, lineno).strip()
            if source:
                lines.append(f"    {source}")
        nxt = getattr(obj, "cr_await", None) or getattr(obj, "gi_yieldfrom", None)
        if nxt is None and frame is None:
            break
        if nxt is None:
            awaited = getattr(obj, "ag_await", None)
            if awaited is None:
                break
            nxt = awaited
        obj = nxt
    return lines


def finish_loop(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Let ``loop`` settle, cancel what is still pending, and describe it.

    Returns:
        One line per task still running and per callback still scheduled.
    """
    if loop.is_closed() or loop.is_running():
        return []
    for _ in range(_SETTLE_ITERATIONS):
        loop.run_until_complete(asyncio.sleep(0))
    leaks: list[str] = []
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        leaks.append(f"task still running: {_describe_task(task)}")
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=_CANCEL_GRACE))
        for task in tasks:
            if not task.done():
                leaks.append(f"task ignored cancellation: {task.get_name()}")
            elif not task.cancelled() and task.exception() is not None:
                # Retrieve it, or asyncio logs "exception was never retrieved".
                leaks.append(
                    f"task {task.get_name()} raised while being cancelled: {task.exception()!r}"
                )
    # asyncio has no public way to list scheduled callbacks; the selector
    # loops of the stdlib keep them in these two attributes (other loop
    # implementations, e.g. uvloop, do not: then only tasks are reported).
    now = loop.time()
    for handle in list(getattr(loop, "_scheduled", ())):
        if not handle.cancelled():
            due = handle.when() - now
            leaks.append(f"timer still scheduled (due in {due:.3g} s): {_describe_handle(handle)}")
            handle.cancel()
    for handle in list(getattr(loop, "_ready", ())):
        if not handle.cancelled():
            leaks.append(f"callback still scheduled: {_describe_handle(handle)}")
            handle.cancel()
    loop.run_until_complete(loop.shutdown_asyncgens())
    return leaks


def _describe_handle(handle: asyncio.Handle) -> str:
    """Name the function a loop handle will call, with where it is defined."""
    # Handles keep their callback in private attributes; fall back to repr().
    callback = getattr(handle, "_callback", None)
    args = getattr(handle, "_args", None) or ()
    if callback is None:
        return repr(handle)
    # The IOLoop facade schedules IOLoop._run_callback(user_callback).
    if getattr(callback, "__name__", "") == "_run_callback" and args and callable(args[0]):
        callback = args[0]
    return _describe_callable(callback)


def _describe_callable(func: Any) -> str:
    seen = 0
    while isinstance(func, functools.partial) and seen < 10:
        func = func.func
        seen += 1
    target = getattr(func, "__func__", func)  # bound methods
    name = getattr(target, "__qualname__", None) or repr(func)
    code = getattr(target, "__code__", None)
    if code is None:
        return name
    return f"{name} ({code.co_filename}:{code.co_firstlineno})"


def _describe_task(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or repr(coro)
    points = [line.strip() for line in _suspension_points(task) if line.startswith("  File")]
    where = f", suspended at {points[0]}" if points else ""
    if len(points) > 1:
        where += f" (innermost: {points[-1]})"
    return f"{task.get_name()} {name}(){where}"
