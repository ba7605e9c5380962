"""``@gen.coroutine``: legacy generator coroutines, driven on asyncio.

How this works: calling a decorated generator function runs the generator at
once, in the caller, for as long as what it yields is already finished (a
resolved future, a finished coroutine's result): code before the first real
wait runs synchronously, as in Tornado. At the first yield that is still
pending (or a ``yield None`` / ``yield gen.moment``, which asks for a trip
round the loop), the rest of the generator is handed to an asyncio task
running `_drive`, which awaits each yielded future and sends its result
(or throws its exception) back into the generator. The task is the future
the caller gets, so cancelling it throws `asyncio.CancelledError` into the
generator at its current ``yield``.

A decorated function that returns something other than a generator gets
its return value (or exception) wrapped in a finished future.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import types
from collections.abc import Callable, Generator
from typing import Any, Final, ParamSpec, TypeVar, overload

from squall.concurrent._loop import current_loop

from ._convert import convert_yielded, moment
from ._errors import BadYieldError, Return

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Marks functions made by `coroutine`, for `is_coroutine_function`.
_MARK: Final = "__squall_coroutine__"

# What one synchronous run of the generator ends with.
_Outcome = tuple[bool, Any]  # (is_error, result or exception)


class _Pending:
    """The generator is waiting: on ``future``, or (None) for one loop iteration."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[Any] | None) -> None:
        self.future = future


def _outcome_of(future: asyncio.Future[Any]) -> _Outcome:
    if future.cancelled():
        return True, asyncio.CancelledError()
    exc = future.exception()
    if exc is not None:
        return True, exc
    return False, future.result()


def _run(gen: Generator[Any, Any, Any], sent: _Outcome) -> _Pending | _Outcome:
    """Advance ``gen`` while what it yields is already finished.

    Returns the generator's final outcome once it ends, or a `_Pending` at
    the first yield that must be waited for.
    """
    is_error, value = sent
    while True:
        try:
            yielded = gen.throw(value) if is_error else gen.send(value)
        except StopIteration as stop:
            return False, stop.value
        except Return as ret:
            return False, ret.value
        except (Exception, asyncio.CancelledError) as exc:
            return True, exc
        if yielded is None or yielded is moment:
            return _Pending(None)
        try:
            future = convert_yielded(yielded)
        except BadYieldError as exc:
            is_error, value = True, exc
            continue
        if not future.done():
            return _Pending(future)
        is_error, value = _outcome_of(future)


async def _drive(gen: Generator[Any, Any, Any], pending: _Pending) -> Any:
    """Run the rest of ``gen`` as a task, from its first pending yield."""
    while True:
        sent: _Outcome
        try:
            if pending.future is None:
                await asyncio.sleep(0)
                sent = (False, None)
            else:
                sent = (False, await pending.future)
        except (Exception, asyncio.CancelledError) as exc:
            sent = (True, exc)
        step = _run(gen, sent)
        if isinstance(step, _Pending):
            pending = step
            continue
        is_error, value = step
        if is_error:
            raise value
        return value


def _finished(loop: asyncio.AbstractEventLoop, outcome: _Outcome) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = loop.create_future()
    is_error, value = outcome
    if not is_error:
        future.set_result(value)
    elif isinstance(value, asyncio.CancelledError):
        future.cancel()
    elif isinstance(value, StopIteration):
        # asyncio futures refuse StopIteration (it would end the awaiting
        # generator silently); report it as the bug it is.
        error = RuntimeError(f"coroutine raised StopIteration: {value!r}")
        error.__cause__ = value
        future.set_exception(error)
    else:
        future.set_exception(value)
    return future


@overload
def coroutine(
    func: Callable[_P, Generator[Any, Any, _T]],
) -> Callable[_P, asyncio.Future[_T]]: ...


@overload
def coroutine(func: Callable[_P, _T]) -> Callable[_P, asyncio.Future[_T]]: ...


def coroutine(func: Callable[_P, Any]) -> Callable[_P, asyncio.Future[Any]]:
    """Make a generator function a coroutine that returns a future (legacy style).

    The generator ``yield``s what it waits for: a future or any awaitable, a
    list or dict of them (results come back in the same shape), or None /
    `moment` to let the loop run once. The value of a ``yield`` is the result;
    a failure is raised at the ``yield``, so ``try``/``except`` around it
    works. The generator ends with ``return value`` or ``raise
    gen.Return(value)``::

        @gen.coroutine
        def fetch_both(client):
            first, second = yield [client.fetch(a), client.fetch(b)]
            return first.body + second.body

    Calling the decorated function returns an asyncio future (a task while
    it is still running) on the running loop, or on the current IOLoop's loop
    when none is running; it never blocks. A function that is not a
    generator has its result (or exception) wrapped in a finished future.
    New code should prefer ``async def``; both kinds can await each other.

    Args:
        func: a generator function (or a plain function).

    Returns:
        The wrapped function.
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> asyncio.Future[Any]:
        loop = current_loop()
        try:
            result = func(*args, **kwargs)
        except Return as ret:
            return _finished(loop, (False, ret.value))
        except (Exception, asyncio.CancelledError) as exc:
            return _finished(loop, (True, exc))
        if isinstance(result, types.GeneratorType):
            step = _run(result, (False, None))
            if isinstance(step, _Pending):
                return loop.create_task(_drive(result, step))
            return _finished(loop, step)
        if inspect.iscoroutine(result):
            # An ``async def`` function decorated by mistake still runs.
            return loop.create_task(result)
        return _finished(loop, (False, result))

    setattr(wrapper, _MARK, True)
    return wrapper


def is_coroutine_function(func: Any) -> bool:
    """Tell whether ``func`` is a coroutine function (``async def`` or `coroutine`).

    Args:
        func: any object.

    Returns:
        True for an ``async def`` function or one decorated with `coroutine`.
    """
    return inspect.iscoroutinefunction(func) or bool(getattr(func, _MARK, False))
