"""AsyncTestCase and gen_test: unittest-style tests on a fresh event loop."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import unittest
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, overload

from squall.ioloop import IOLoop

from ._errors import LoopErrorLog, warn_leaks
from ._run import finish_loop, run_with_timeout
from ._shared import close_shared_client
from ._timeout import check_timeout, get_async_test_timeout

__all__ = ["AsyncTestCase", "gen_test"]

_T = TypeVar("_T")

_GEN_TEST_HINT = "set by gen_test(timeout=...) or the ASYNC_TEST_TIMEOUT environment variable"


class AsyncTestCase(unittest.TestCase):
    """A `unittest.TestCase` whose every test runs on its own event loop.

    `setUp` creates a fresh `IOLoop` with `get_new_ioloop` and makes it
    current; it is ``self.io_loop``. Write tests either as ``async def``
    methods decorated with `gen_test`, or in the callback style: start an
    operation, let a callback call `stop`, and `wait` for it::

        class MyTest(AsyncTestCase):
            @gen_test
            async def test_sleep(self):
                await asyncio.sleep(0.01)

            def test_callback(self):
                self.io_loop.call_later(0.01, self.stop, "done")
                self.assertEqual(self.wait(), "done")

    Errors are not hidden:

    * An exception raised in a callback on the loop (logged by asyncio's
      exception handler or by the IOLoop) fails the test with that
      exception; wrap the code in `ExpectLog` when the error is expected.
    * Tasks still running and callbacks still scheduled when the test ends
      are cancelled and reported as a `LeakWarning` that names them.

    Override `get_new_ioloop` to supply a different loop. Subclasses that
    override `setUp` or `tearDown` must call the ``super()`` method.

    Attributes:
        io_loop: the test's `IOLoop` (set by `setUp`).
    """

    io_loop: IOLoop

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        self.__stopped = False
        self.__running = False
        self.__stop_args: Any = None
        self.__failure: BaseException | None = None
        self.__errors = LoopErrorLog()
        self.__owns_loop = True
        method = getattr(type(self), methodName, None)
        if inspect.iscoroutinefunction(method):
            # Without this, unittest would call it, get a coroutine, and
            # report a pass for a test that never ran.
            setattr(self, methodName, _refuse_coroutine(type(self), methodName))

    # -- set-up and tear-down -----------------------------------------------

    def get_new_ioloop(self) -> IOLoop:
        """Return the IOLoop this test runs on.

        By default a new loop for every test. Override it to return an
        existing loop (e.g. ``IOLoop.current()``); a loop that was already
        current before the test is not closed by `tearDown`.

        Returns:
            The test's loop.
        """
        return IOLoop(make_current=False)

    def setUp(self) -> None:
        """Create ``self.io_loop`` and start watching for callback errors."""
        super().setUp()
        previous = IOLoop.current(instance=False)
        self.io_loop = self.get_new_ioloop()
        if not isinstance(self.io_loop, IOLoop):
            raise TypeError(
                f"{type(self).__name__}.get_new_ioloop() must return an IOLoop, "
                f"not {type(self.io_loop).__name__}"
            )
        self.__owns_loop = self.io_loop is not previous
        self.io_loop.make_current()
        self.__errors.listener = self.__on_loop_error
        self.__errors.install()
        # A safety net when a subclass's setUp fails after this point, in
        # which case unittest does not call tearDown.
        self.addCleanup(self.__close_loop)

    def tearDown(self) -> None:
        """Cancel and report leftovers, close the loop, raise callback errors.

        Raises:
            BaseException: the first error logged by a callback that was not
                raised yet.
        """
        leaks = self.__close_loop()
        super().tearDown()
        if leaks:
            warn_leaks(self.id(), leaks, getattr(self, self._testMethodName, None))
        self.__rethrow()

    def __close_loop(self) -> list[str]:
        """Finish and close the loop (once); return the leftovers it had."""
        io_loop = getattr(self, "io_loop", None)
        leaks: list[str] = []
        try:
            if io_loop is not None and self.__owns_loop:
                loop = io_loop.asyncio_loop
                if not loop.is_closed() and not loop.is_running():
                    try:
                        close_shared_client(io_loop)
                        leaks = finish_loop(loop)
                    finally:
                        io_loop.close(all_fds=True)
                        IOLoop.clear_current()
                        asyncio.set_event_loop(None)
        finally:
            self.__errors.uninstall()
        return leaks

    # -- callback-style tests -----------------------------------------------

    def stop(self, _arg: Any = None, **kwargs: Any) -> None:
        """Stop the loop started by `wait`; `wait` returns ``_arg`` (or ``kwargs``).

        Calling `stop` before `wait` makes the next `wait` return at once.
        Pass it as a callback: ``client.fetch(url, callback=self.stop)``.

        Args:
            _arg: the value for `wait` to return.
            **kwargs: returned by `wait` as a dict instead of ``_arg``.

        Raises:
            TypeError: both ``_arg`` and keyword arguments were given.
        """
        if _arg is not None and kwargs:
            raise TypeError("stop() takes one positional value or keyword values, not both")
        self.__stop_args = kwargs or _arg
        if self.__running:
            self.io_loop.stop()
            self.__running = False
        self.__stopped = True

    def wait(
        self,
        condition: Callable[[], bool] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Run the loop until `stop` is called (and ``condition()`` is true).

        Args:
            condition: when given, keep running the loop after each `stop`
                until it returns true.
            timeout: seconds before the test fails; by default
                `get_async_test_timeout`. Each call has its own timeout.

        Returns:
            The value passed to `stop`.

        Raises:
            AssertionError: (``self.failureException``) the timeout expired.
            BaseException: a callback raised an error meanwhile.
        """
        if timeout is None:
            timeout = get_async_test_timeout()
        else:
            timeout = check_timeout(timeout, source="wait() timeout")
        if not self.__stopped:
            loop = self.io_loop.asyncio_loop

            def on_timeout() -> None:
                self.__failure = self.failureException(
                    f"wait() timed out after {timeout:g} seconds: nothing called "
                    f"self.stop()" + (" with the condition true" if condition else "")
                )
                self.stop()

            handle = loop.call_later(timeout, on_timeout)
            try:
                while True:
                    self.__running = True
                    self.io_loop.start()
                    if self.__failure is not None or self.__errors.records:
                        break
                    if condition is None or condition():
                        break
            finally:
                self.__running = False
                handle.cancel()
        self.__stopped = False
        self.__rethrow()
        result, self.__stop_args = self.__stop_args, None
        return result

    def __on_loop_error(self, _record: logging.LogRecord) -> None:
        if self.__running:
            self.io_loop.stop()
            self.__running = False

    def __rethrow(self) -> None:
        failure, self.__failure = self.__failure, None
        error = self.__errors.pop_error()
        if error is not None:
            raise error
        if failure is not None:
            raise failure

    def _run_coroutine(
        self, coro: Coroutine[Any, Any, _T], timeout: float, label: str, hint: str
    ) -> _T:
        """Run ``coro`` on ``self.io_loop`` (the engine of `gen_test` and ``fetch``)."""
        __tracebackhide__ = True  # pytest: show the test's frames, not ours
        return run_with_timeout(
            self.io_loop.asyncio_loop,
            coro,
            timeout,
            label=label,
            hint=hint,
            errors=self.__errors,
        )


def _refuse_coroutine(cls: type, name: str) -> Callable[[], None]:
    def refuse() -> None:
        raise TypeError(
            f"{cls.__name__}.{name} is an 'async def' method: decorate it with "
            f"@squall.testing.gen_test so that it runs on self.io_loop"
        )

    return refuse


_AsyncMethod = Callable[..., Coroutine[Any, Any, Any]]


@overload
def gen_test(func: _AsyncMethod, *, timeout: float | None = None) -> Callable[..., None]: ...


@overload
def gen_test(
    func: None = None, *, timeout: float | None = None
) -> Callable[[_AsyncMethod], Callable[..., None]]: ...


def gen_test(
    func: _AsyncMethod | None = None, *, timeout: float | None = None
) -> Callable[..., None] | Callable[[_AsyncMethod], Callable[..., None]]:
    """Run an ``async def`` test method of an `AsyncTestCase` on ``self.io_loop``.

    Use it bare (``@gen_test``) or with a timeout (``@gen_test(timeout=30)``).
    A test still running after the timeout is cancelled and fails with a
    `TimeoutError` that shows where it was waiting. A failing ``assert``
    inside the coroutine is reported like any other test failure.

    Args:
        func: the ``async def`` method (given when used bare).
        timeout: seconds the test may run; by default `get_async_test_timeout`
            (the ``ASYNC_TEST_TIMEOUT`` environment variable, else 5),
            read when the test runs.

    Returns:
        The wrapped test method (or, with arguments only, a decorator).

    Raises:
        TypeError: ``func`` is not an ``async def`` function, or the
            decorated method belongs to a class without ``io_loop``.
        ValueError: ``timeout`` is not a positive number.
    """
    if timeout is not None:
        timeout = check_timeout(timeout, source="gen_test timeout")

    def decorate(method: _AsyncMethod) -> Callable[..., None]:
        if not inspect.iscoroutinefunction(method):
            raise TypeError(
                f"gen_test decorates 'async def' test methods; "
                f"{getattr(method, '__qualname__', method)!r} is not one"
                + (" (did you mean gen_test(timeout=...)?)" if isinstance(method, (int, float)) else "")
            )

        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True  # pytest: show the test's frames, not ours
            if not isinstance(self, AsyncTestCase):
                raise TypeError(
                    f"gen_test needs an AsyncTestCase (with self.io_loop); "
                    f"{type(self).__name__} is not one"
                )
            seconds = timeout if timeout is not None else get_async_test_timeout()
            label = f"{type(self).__name__}.{method.__name__}"
            result = self._run_coroutine(method(self, *args, **kwargs), seconds, label, _GEN_TEST_HINT)
            if result is not None:
                raise TypeError(f"{label} returned {result!r}; a test should return None")

        # gen_test's wrapper is a plain function: AsyncTestCase must not refuse it.
        return run

    if func is not None:
        return decorate(func)
    return decorate
