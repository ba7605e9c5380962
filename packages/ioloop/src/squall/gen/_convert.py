"""Turning what a legacy coroutine yields into futures: `convert_yielded`, `multi`, `moment`.

How this works: everything a ``@gen.coroutine`` generator may yield ends up as
one asyncio future. Futures pass through, `concurrent.futures` futures are
wrapped, other awaitables (coroutines, objects with ``__await__``) become
tasks, a list or dict becomes one `multi` future, and None or `moment` become
a future that resolves on the next loop iteration. `convert_yielded` is a
`functools.singledispatch` function, so an application can teach it a type of
its own with ``convert_yielded.register``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import logging
from collections.abc import Generator, Mapping, Sequence
from typing import Any, Union, overload

from squall.concurrent._futures import future_set_result_unless_cancelled
from squall.concurrent._loop import current_loop

from ._errors import BadYieldError

app_log = logging.getLogger("squall.application")

#: What ``quiet_exceptions`` arguments accept: one exception class or several.
QuietExceptions = Union[type[BaseException], Sequence[type[BaseException]]]


class _Moment:
    """The type of `moment`: an awaitable that gives the loop one iteration."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        # A bare yield from an awaitable tells the asyncio Task to reschedule
        # itself with call_soon: exactly one trip round the loop.
        yield

    def __repr__(self) -> str:
        return "squall.gen.moment"


moment = _Moment()
"""Yield (or await) this to let the event loop run one iteration.

Other callbacks and I/O get a turn before the coroutine continues. In a
legacy coroutine ``yield None`` does the same; in an ``async def`` coroutine
``await gen.moment`` works, and ``await asyncio.sleep(0)`` is the usual spelling.
"""


def quiet_tuple(quiet_exceptions: QuietExceptions) -> tuple[type[BaseException], ...]:
    """Normalise a ``quiet_exceptions`` argument to a tuple for `isinstance`."""
    if isinstance(quiet_exceptions, type):
        return (quiet_exceptions,)
    quiet = tuple(quiet_exceptions)
    for cls in quiet:
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise TypeError(
                f"quiet_exceptions must hold exception classes, got {cls!r}; "
                "pass e.g. (KeyError, ValueError)"
            )
    return quiet


@functools.singledispatch
def convert_yielded(yielded: Any) -> asyncio.Future[Any]:
    """Convert something a legacy coroutine yields into an asyncio future.

    Accepted: asyncio futures (returned as they are), `concurrent.futures`
    futures, coroutines and other awaitables (scheduled as tasks), None and
    `moment` (a future resolved after one loop iteration), and lists, tuples
    or dicts of any of these (one `multi` future). Register more types with
    ``convert_yielded.register(MyType)``.

    Args:
        yielded: the object to convert.

    Returns:
        A future on the running loop (or the current IOLoop's loop).

    Raises:
        BadYieldError: ``yielded`` cannot be waited for.
    """
    if yielded is None or yielded is moment:
        loop = current_loop()
        future: asyncio.Future[Any] = loop.create_future()
        loop.call_soon(future_set_result_unless_cancelled, future, None)
        return future
    if isinstance(yielded, asyncio.Future):
        return yielded
    if isinstance(yielded, concurrent.futures.Future):
        return asyncio.wrap_future(yielded, loop=current_loop())
    if inspect.isawaitable(yielded):
        return asyncio.ensure_future(yielded, loop=current_loop())
    raise BadYieldError(
        f"yielded unknown object {yielded!r}: a coroutine may yield a future, an "
        "awaitable, None or gen.moment, or a list or dict of awaitables"
    )


@convert_yielded.register(list)
@convert_yielded.register(tuple)
@convert_yielded.register(dict)
def _convert_collection(yielded: Any) -> asyncio.Future[Any]:
    return multi(yielded)


@overload
def multi(
    children: Sequence[Any], quiet_exceptions: QuietExceptions = ()
) -> asyncio.Future[list[Any]]: ...


@overload
def multi(
    children: Mapping[Any, Any], quiet_exceptions: QuietExceptions = ()
) -> asyncio.Future[dict[Any, Any]]: ...


def multi(children: Any, quiet_exceptions: QuietExceptions = ()) -> asyncio.Future[Any]:
    """Wait for several awaitables at once; get their results in the same shape.

    ``await multi([a, b])`` gives ``[result_a, result_b]`` and
    ``await multi({"x": a, "y": b})`` gives ``{"x": result_a, "y": result_b}``.
    In a legacy coroutine, ``yield [a, b]`` and ``yield {"x": a}`` do the same.

    The first child to fail makes the returned future fail at once with that
    exception; the other children keep running, and later failures are
    logged to ``squall.application`` unless they are instances of
    ``quiet_exceptions``. A cancelled child cancels the returned future.
    Cancelling the returned future does not cancel the children (unlike
    `asyncio.gather`).

    Args:
        children: a list, tuple or dict whose values are futures, coroutines or
            other yieldables (see `convert_yielded`).
        quiet_exceptions: exception class(es) not to log when they happen
            after the first failure.

    Returns:
        A future of the list (for a list or tuple) or dict of results.

    Raises:
        TypeError: ``children`` is not a list, tuple or dict.
        BadYieldError: a child cannot be waited for.
    """
    quiet = quiet_tuple(quiet_exceptions)
    keys: list[Any] | None
    if isinstance(children, Mapping):
        keys = list(children.keys())
        values = list(children.values())
    elif isinstance(children, (list, tuple)):
        keys = None
        values = list(children)
    else:
        raise TypeError(
            f"multi() takes a list or a dict of awaitables, not {type(children).__name__}"
        )
    futures = [convert_yielded(v) for v in values]
    loop = current_loop()
    result: asyncio.Future[Any] = loop.create_future()
    if not futures:
        result.set_result({} if keys is not None else [])
        return result
    remaining = len(futures)

    def on_child_done(child: asyncio.Future[Any]) -> None:
        nonlocal remaining
        remaining -= 1
        if child.cancelled():
            if not result.done():
                result.cancel()
            return
        exc = child.exception()
        if exc is not None:
            if not result.done():
                result.set_exception(exc)
            elif not isinstance(exc, quiet):
                app_log.error("Multiple exceptions in yield list", exc_info=exc)
            return
        if remaining == 0 and not result.done():
            results = [f.result() for f in futures]
            result.set_result(dict(zip(keys, results)) if keys is not None else results)

    for f in futures:
        f.add_done_callback(on_child_done)
    return result


def multi_future(children: Any, quiet_exceptions: QuietExceptions = ()) -> asyncio.Future[Any]:
    """Older name of `multi`, with the same behaviour.

    Args:
        children: a list, tuple or dict of futures or other yieldables.
        quiet_exceptions: exception class(es) not to log after the first failure.

    Returns:
        A future of the list or dict of results.
    """
    return multi(children, quiet_exceptions=quiet_exceptions)


def maybe_future(x: Any) -> asyncio.Future[Any]:
    """Return ``x`` as a future: a future as it is, anything else as a resolved one.

    Prefer `convert_yielded`, which also accepts coroutines; this helper is for
    code written before coroutines existed.

    Args:
        x: a future, or a plain value.

    Returns:
        ``x`` if it is an asyncio future; a wrapped future for a
        `concurrent.futures.Future`; else a future whose result is ``x``.
    """
    if isinstance(x, asyncio.Future):
        return x
    if isinstance(x, concurrent.futures.Future):
        return asyncio.wrap_future(x, loop=current_loop())
    future: asyncio.Future[Any] = current_loop().create_future()
    future.set_result(x)
    return future
