"""``run_on_executor``: run a blocking method in a thread pool, get an asyncio future."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from ._loop import current_loop

_S = TypeVar("_S")
_P = ParamSpec("_P")
_R = TypeVar("_R")

_AsyncMethod = Callable[Concatenate[_S, _P], "asyncio.Future[_R]"]


@overload
def run_on_executor(fn: Callable[Concatenate[_S, _P], _R]) -> _AsyncMethod[_S, _P, _R]: ...


@overload
def run_on_executor(
    *, executor: str = "executor"
) -> Callable[[Callable[Concatenate[_S, _P], _R]], _AsyncMethod[_S, _P, _R]]: ...


def run_on_executor(
    fn: Callable[..., Any] | None = None, *, executor: str = "executor"
) -> Any:
    """Decorate a blocking method so that calling it runs it on an executor.

    The decorated method submits itself to ``self.executor`` (or to the
    attribute named by ``executor``) and returns an asyncio future of its
    result, bound to the running loop (or, outside a running loop, to the
    current IOLoop's loop). Use it bare or with the attribute name::

        class Resizer:
            executor = ThreadPoolExecutor(4)
            _io_pool = ThreadPoolExecutor(2)

            @run_on_executor
            def resize(self, data): ...

            @run_on_executor(executor="_io_pool")
            def save(self, path, data): ...

        image = await Resizer().resize(data)

    Args:
        fn: the method (when used bare as ``@run_on_executor``).
        executor: the name of the attribute of ``self`` holding the executor
            (anything with ``submit`` returning a `concurrent.futures.Future`).

    Returns:
        The wrapped method, or a decorator when called with ``executor=``.

    Raises:
        TypeError: ``fn`` is not callable (e.g. the executor given positionally).
    """
    if fn is None:
        return functools.partial(_decorate, executor=executor)
    if not callable(fn):
        raise TypeError(
            "run_on_executor expects the method to decorate; pass the executor "
            f"attribute name as run_on_executor(executor='name'), not {fn!r}"
        )
    return _decorate(fn, executor=executor)


def _decorate(fn: Callable[..., Any], *, executor: str) -> Callable[..., asyncio.Future[Any]]:
    if not isinstance(executor, str):
        raise TypeError(
            f"run_on_executor(executor=...) takes the attribute name as a string, "
            f"not {type(executor).__name__}"
        )

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        try:
            pool = getattr(self, executor)
        except AttributeError:
            raise AttributeError(
                f"@run_on_executor method {fn.__qualname__} needs self.{executor}, an "
                f"executor (e.g. concurrent.futures.ThreadPoolExecutor); "
                f"{type(self).__name__} has no attribute {executor!r}"
            ) from None
        submitted = pool.submit(fn, self, *args, **kwargs)
        if isinstance(submitted, asyncio.Future):
            return submitted
        if not isinstance(submitted, concurrent.futures.Future):
            raise TypeError(
                f"self.{executor}.submit() returned {type(submitted).__name__}; "
                "run_on_executor needs an executor whose submit() returns a "
                "concurrent.futures.Future"
            )
        return asyncio.wrap_future(submitted, loop=current_loop())

    return wrapper
