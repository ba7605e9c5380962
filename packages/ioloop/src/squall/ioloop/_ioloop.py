"""The IOLoop facade: a thin, Tornado-shaped wrapper over one asyncio loop.

How this works: asyncio *is* the event loop. Each asyncio loop gets at most one
`IOLoop` facade, kept in a module-level mapping (entries for closed loops are
pruned lazily). `IOLoop.current()` finds the facade of the running loop, or of
the loop made current in this thread, creating one when asked to.

Every callback scheduled through the facade runs inside `_run_callback`, which
logs an exception (with its traceback) to the ``squall.application`` logger and
lets the loop keep running; a callback that returns an awaitable has that
awaitable's failure logged the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import functools
import inspect
import logging
import os
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar, Union, overload

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

_T = TypeVar("_T")

#: Anything with a ``fileno()`` method, or a plain file descriptor.
FileDescriptorLike = Any

_AnyFuture = Union["asyncio.Future[Any]", "concurrent.futures.Future[Any]"]


class _FacadeRegistry:
    """Maps each asyncio loop to its single facade, and tracks the thread's current one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_loop: dict[asyncio.AbstractEventLoop, IOLoop] = {}
        self.local = threading.local()

    def get(self, loop: asyncio.AbstractEventLoop) -> IOLoop | None:
        with self.lock:
            return self.by_loop.get(loop)

    def add(self, loop: asyncio.AbstractEventLoop, facade: IOLoop) -> None:
        with self.lock:
            # Prune facades of loops closed without IOLoop.close(), so the
            # mapping cannot grow without bound.
            for old in [lp for lp in self.by_loop if lp.is_closed()]:
                del self.by_loop[old]
            if loop in self.by_loop:
                raise ValueError(
                    "this asyncio loop already has an IOLoop; use IOLoop.current() "
                    "inside it instead of creating a second facade"
                )
            self.by_loop[loop] = facade

    def remove(self, loop: asyncio.AbstractEventLoop) -> None:
        with self.lock:
            self.by_loop.pop(loop, None)

    def current(self) -> IOLoop | None:
        facade: IOLoop | None = getattr(self.local, "facade", None)
        if facade is not None and facade.asyncio_loop.is_closed():
            self.local.facade = None
            return None
        return facade

    def set_current(self, facade: IOLoop | None) -> None:
        self.local.facade = facade


_registry = _FacadeRegistry()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class IOLoop:
    """A Tornado-compatible facade over an asyncio event loop.

    ``IOLoop()`` creates a fresh asyncio loop and makes it current in the calling
    thread, so that servers can be set up (``listen``) before the loop runs,
    possibly in another thread. ``IOLoop.current()`` returns the facade of the
    running loop (or of the thread's current loop when none is running).

    Exceptions raised by callbacks scheduled through this class are logged, with
    their traceback, to the ``squall.application`` logger; the loop keeps running.

    Args:
        make_current: make the new loop the current one of this thread.
        asyncio_loop: wrap this existing asyncio loop instead of creating one.
            A loop can have only one facade.

    Raises:
        ValueError: ``asyncio_loop`` already has a facade.
    """

    #: Event mask bit: the file descriptor is readable.
    NONE = 0
    READ = 0x001
    WRITE = 0x004
    ERROR = 0x018

    asyncio_loop: asyncio.AbstractEventLoop
    """The asyncio event loop behind this facade."""

    def __init__(
        self,
        *,
        make_current: bool = True,
        asyncio_loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        loop = asyncio_loop if asyncio_loop is not None else asyncio.new_event_loop()
        self.asyncio_loop = loop
        # fd -> (original object, handler, event mask)
        self._handlers: dict[int, tuple[Any, Callable[[Any, int], None], int]] = {}
        self._thread_ident: int | None = None
        try:
            _registry.add(loop, self)
        except ValueError:
            if asyncio_loop is None:
                loop.close()
            raise
        if make_current:
            self.make_current()

    # -- finding the loop -------------------------------------------------

    @classmethod
    def _for_loop(cls, loop: asyncio.AbstractEventLoop) -> IOLoop:
        facade = _registry.get(loop)
        if facade is None:
            try:
                facade = cls(make_current=False, asyncio_loop=loop)
            except ValueError:
                # Another thread won the race to create it.
                facade = _registry.get(loop)
                assert facade is not None
        return facade

    @overload
    @classmethod
    def current(cls) -> IOLoop: ...

    @overload
    @classmethod
    def current(cls, instance: Literal[True]) -> IOLoop: ...

    @overload
    @classmethod
    def current(cls, instance: bool) -> IOLoop | None: ...

    @classmethod
    def current(cls, instance: bool = True) -> IOLoop | None:
        """Return the IOLoop of the running asyncio loop, or this thread's current one.

        Inside a coroutine or callback this is the facade of the running loop.
        Outside a running loop it is the loop made current in this thread (by
        ``IOLoop()`` or ``make_current()``); when there is none, one is created
        (wrapping the thread's asyncio event loop if one was set) unless
        ``instance`` is false.

        Args:
            instance: create a loop when there is none. When false, return
                None instead.

        Returns:
            The current IOLoop (None only when ``instance`` is false and there
            is no current loop).
        """
        loop = _running_loop()
        if loop is not None:
            return cls._for_loop(loop)
        facade = _registry.current()
        if facade is not None:
            return facade
        if not instance:
            return None
        with warnings.catch_warnings():
            # Python 3.12+ warns when the policy creates a loop implicitly;
            # creating one here is exactly what the caller asked for.
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                existing: asyncio.AbstractEventLoop | None = (
                    asyncio.get_event_loop_policy().get_event_loop()
                )
            except RuntimeError:
                existing = None
        if existing is not None and not existing.is_closed():
            facade = cls._for_loop(existing)
            facade.make_current()
            return facade
        return cls()

    @classmethod
    def instance(cls) -> IOLoop:
        """Legacy alias of `current`.

        Compatibility: there is no process-wide singleton; this returns the
        current loop of the calling thread, as in Tornado 5 and later.

        Returns:
            The current IOLoop.
        """
        return cls.current()

    def make_current(self) -> None:
        """Make this loop the current one of the calling thread."""
        _registry.set_current(self)
        asyncio.set_event_loop(self.asyncio_loop)

    @staticmethod
    def clear_current() -> None:
        """Forget the calling thread's current loop."""
        _registry.set_current(None)

    # -- running ------------------------------------------------------------

    def start(self) -> None:
        """Run the loop until `stop` is called.

        Raises:
            RuntimeError: the loop is already running or closed.
        """
        if self.asyncio_loop.is_running():
            raise RuntimeError("IOLoop is already running; call start() only once")
        if self.asyncio_loop.is_closed():
            raise RuntimeError("IOLoop is closed; create a new IOLoop() to run again")
        old_facade = _registry.current()
        _registry.set_current(self)
        asyncio.set_event_loop(self.asyncio_loop)
        self._thread_ident = threading.get_ident()
        try:
            self.asyncio_loop.run_forever()
        finally:
            self._thread_ident = None
            _registry.set_current(old_facade)
            asyncio.set_event_loop(
                old_facade.asyncio_loop if old_facade is not None else self.asyncio_loop
            )

    def stop(self) -> None:
        """Stop the loop after the current iteration; `start` then returns.

        Safe to call from any thread. Calling it before `start` makes the next
        `start` return after one iteration.
        """
        if self.asyncio_loop.is_closed():
            return
        if _running_loop() is self.asyncio_loop:
            self.asyncio_loop.stop()
        else:
            self.asyncio_loop.call_soon_threadsafe(self.asyncio_loop.stop)

    def close(self, all_fds: bool = False) -> None:
        """Close the loop and release its resources.

        Args:
            all_fds: also close every file descriptor registered with
                `add_handler`.

        Raises:
            RuntimeError: the loop is still running (stop it first).
        """
        if self.asyncio_loop.is_running():
            raise RuntimeError("cannot close a running IOLoop; call stop() first")
        for fd, (fileobj, _handler, _events) in list(self._handlers.items()):
            self.remove_handler(fd)
            if all_fds:
                _close_fd(fileobj)
        _registry.remove(self.asyncio_loop)
        if _registry.current() is self:
            _registry.set_current(None)
        self.asyncio_loop.close()

    def run_sync(
        self,
        func: Callable[[], Any],
        timeout: float | datetime.timedelta | None = None,
    ) -> Any:
        """Start the loop, run ``func``, stop the loop and return ``func``'s result.

        ``func`` may be a plain function or return an awaitable (e.g. an
        ``async def`` function); its result (or exception) is returned (raised).

        Args:
            func: a callable taking no arguments.
            timeout: seconds (or a timedelta) after which the operation is
                cancelled.

        Returns:
            The result of ``func`` (awaited if it is awaitable).

        Raises:
            asyncio.TimeoutError: the operation did not finish within
                ``timeout`` (``squall.gen.TimeoutError`` is the same class).
            RuntimeError: the loop is already running, or was stopped before
                ``func`` finished.
        """
        if isinstance(timeout, datetime.timedelta):
            timeout = timeout.total_seconds()
        if self.asyncio_loop.is_running():
            raise RuntimeError(
                "run_sync() cannot be called while the IOLoop is running; "
                "await the coroutine instead"
            )

        async def runner() -> Any:
            result = func()
            if inspect.isawaitable(result):
                result = await result
            return result

        task = self.asyncio_loop.create_task(runner())
        timed_out = False

        def on_timeout() -> None:
            nonlocal timed_out
            if not task.done():
                timed_out = True
                task.cancel()

        timeout_handle = (
            self.asyncio_loop.call_later(timeout, on_timeout) if timeout is not None else None
        )
        task.add_done_callback(lambda _t: self.stop())
        try:
            self.start()
        finally:
            if timeout_handle is not None:
                timeout_handle.cancel()
        if not task.done():
            task.cancel()
            # Let the cancellation reach the coroutine so it can clean up.
            self.asyncio_loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
            raise RuntimeError("IOLoop was stopped before the function passed to run_sync finished")
        if timed_out and task.cancelled():
            # asyncio's class (the builtin one since 3.11): squall.gen.TimeoutError too.
            raise asyncio.TimeoutError(
                f"Operation timed out after {timeout} seconds (run_sync timeout)"
            )
        return task.result()

    # -- time and callbacks ---------------------------------------------------

    def time(self) -> float:
        """Return the loop's monotonic clock, in seconds.

        Returns:
            The time `call_at` and `add_timeout` deadlines are measured on.
        """
        return self.asyncio_loop.time()

    def _in_loop_thread(self) -> bool:
        return _running_loop() is self.asyncio_loop

    def add_callback(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Call ``callback(*args, **kwargs)`` on the next loop iteration.

        Safe to call from any thread (this is the only facade method that is).
        If the callback returns an awaitable, its eventual failure is logged.

        Args:
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.
        """
        call = functools.partial(callback, *args, **kwargs) if args or kwargs else callback
        if self._in_loop_thread():
            self.asyncio_loop.call_soon(self._run_callback, call)
            return
        try:
            self.asyncio_loop.call_soon_threadsafe(self._run_callback, call)
        except RuntimeError:
            # The loop was closed by its own thread while this one scheduled a
            # callback: the callback can never run.
            gen_log.warning("IOLoop is closed; dropped callback %r", callback)

    def add_callback_from_signal(
        self, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Like `add_callback`, for use from a signal handler.

        Args:
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.
        """
        call = functools.partial(callback, *args, **kwargs) if args or kwargs else callback
        self.asyncio_loop.call_soon_threadsafe(self._run_callback, call)

    def spawn_callback(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Call ``callback`` on the next iteration, independently of the caller.

        Args:
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.
        """
        self.add_callback(callback, *args, **kwargs)

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> asyncio.TimerHandle:
        """Call ``callback`` after ``delay`` seconds.

        Args:
            delay: seconds from now.
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.

        Returns:
            A handle to pass to `remove_timeout`.
        """
        return self.call_at(self.time() + delay, callback, *args, **kwargs)

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> asyncio.TimerHandle:
        """Call ``callback`` at ``when``, a time on the `time` clock.

        Args:
            when: absolute deadline, comparable with `time`.
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.

        Returns:
            A handle to pass to `remove_timeout`.
        """
        call = functools.partial(callback, *args, **kwargs) if args or kwargs else callback
        return self.asyncio_loop.call_at(when, self._run_callback, call)

    def add_timeout(
        self,
        deadline: float | datetime.timedelta,
        callback: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> asyncio.TimerHandle:
        """Call ``callback`` at ``deadline``.

        Args:
            deadline: an absolute time on the `time` clock, or a
                `datetime.timedelta` relative to now.
            callback: the function to call.
            *args: positional arguments for ``callback``.
            **kwargs: keyword arguments for ``callback``.

        Returns:
            A handle to pass to `remove_timeout`.

        Raises:
            TypeError: ``deadline`` is neither a number nor a timedelta.
        """
        if isinstance(deadline, datetime.timedelta):
            return self.call_later(deadline.total_seconds(), callback, *args, **kwargs)
        if isinstance(deadline, (int, float)) and not isinstance(deadline, bool):
            return self.call_at(deadline, callback, *args, **kwargs)
        raise TypeError(
            f"add_timeout deadline must be a number (IOLoop.time() based) or a "
            f"datetime.timedelta, not {type(deadline).__name__}"
        )

    def remove_timeout(self, timeout: asyncio.TimerHandle) -> None:
        """Cancel a pending timeout; does nothing if it already ran.

        Args:
            timeout: the handle returned by `add_timeout`, `call_later` or `call_at`.
        """
        timeout.cancel()

    def add_future(
        self, future: _AnyFuture | Awaitable[Any], callback: Callable[[Any], Any]
    ) -> None:
        """Call ``callback(future)`` on this loop when ``future`` finishes.

        Args:
            future: an asyncio future, a coroutine (wrapped in a task) or a
                `concurrent.futures.Future` (which may finish in another thread).
            callback: called with the finished future.
        """
        if isinstance(future, concurrent.futures.Future):
            future.add_done_callback(lambda f: self.add_callback(callback, f))
            return
        fut = asyncio.ensure_future(future, loop=self.asyncio_loop)
        fut.add_done_callback(lambda f: self._run_callback(functools.partial(callback, f)))

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[..., _T],
        *args: Any,
    ) -> asyncio.Future[_T]:
        """Run ``func(*args)`` in ``executor`` (None: the default thread pool).

        Args:
            executor: where to run it.
            func: the blocking function.
            *args: its arguments.

        Returns:
            An asyncio future of the result.
        """
        return self.asyncio_loop.run_in_executor(executor, func, *args)

    def set_default_executor(self, executor: concurrent.futures.Executor) -> None:
        """Use ``executor`` for ``run_in_executor(None, ...)``.

        Args:
            executor: a thread pool executor.
        """
        self.asyncio_loop.set_default_executor(executor)

    def _run_callback(self, callback: Callable[[], Any]) -> None:
        try:
            result = callback()
        except Exception:
            app_log.error("Exception in callback %r", callback, exc_info=True)
            return
        if result is not None and inspect.isawaitable(result):
            try:
                fut = asyncio.ensure_future(result, loop=self.asyncio_loop)
            except TypeError:
                app_log.error("Callback %r returned an unusable awaitable", callback, exc_info=True)
                return
            fut.add_done_callback(self._log_future_failure)

    @staticmethod
    def _log_future_failure(future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            app_log.error("Exception in callback %r", future, exc_info=exc)

    # -- file descriptors -------------------------------------------------------

    def add_handler(
        self, fd: FileDescriptorLike, handler: Callable[[Any, int], None], events: int
    ) -> None:
        """Call ``handler(fd, events)`` when ``fd`` is ready.

        Args:
            fd: a file descriptor or an object with ``fileno()``; ``handler``
                receives this same object.
            handler: called with ``(fd, IOLoop.READ or IOLoop.WRITE)``.
            events: a mask of `READ`, `WRITE` and `ERROR` (errors are reported
                as readability, as the selector reports them).

        Raises:
            ValueError: ``fd`` already has a handler.
        """
        fileno = _fileno(fd)
        if fileno in self._handlers:
            raise ValueError(f"fd {fileno} already has a handler; use update_handler()")
        self._handlers[fileno] = (fd, handler, 0)
        self._apply_events(fileno, events)

    def update_handler(self, fd: FileDescriptorLike, events: int) -> None:
        """Change the events ``fd``'s handler is called for.

        Args:
            fd: the file descriptor or object given to `add_handler`.
            events: the new event mask.

        Raises:
            KeyError: ``fd`` has no handler.
        """
        fileno = _fileno(fd)
        if fileno not in self._handlers:
            raise KeyError(f"fd {fileno} has no handler; call add_handler() first")
        self._apply_events(fileno, events)

    def remove_handler(self, fd: FileDescriptorLike) -> None:
        """Stop watching ``fd``; does nothing if it is not watched.

        Args:
            fd: the file descriptor or object given to `add_handler`.
        """
        fileno = _fileno(fd)
        if fileno not in self._handlers:
            return
        self._apply_events(fileno, 0)
        del self._handlers[fileno]

    def _apply_events(self, fileno: int, events: int) -> None:
        fileobj, handler, old = self._handlers[fileno]
        loop = self.asyncio_loop
        want_read = bool(events & (self.READ | self.ERROR))
        had_read = bool(old & (self.READ | self.ERROR))
        if want_read and not had_read:
            loop.add_reader(fileno, self._dispatch, fileno, self.READ)
        elif had_read and not want_read:
            loop.remove_reader(fileno)
        want_write = bool(events & self.WRITE)
        had_write = bool(old & self.WRITE)
        if want_write and not had_write:
            loop.add_writer(fileno, self._dispatch, fileno, self.WRITE)
        elif had_write and not want_write:
            loop.remove_writer(fileno)
        self._handlers[fileno] = (fileobj, handler, events)

    def _dispatch(self, fileno: int, event: int) -> None:
        entry = self._handlers.get(fileno)
        if entry is None:
            return
        fileobj, handler, _events = entry
        try:
            handler(fileobj, event)
        except Exception:
            app_log.error("Exception in handler for fd %d", fileno, exc_info=True)


def _fileno(fd: FileDescriptorLike) -> int:
    if isinstance(fd, int):
        return fd
    try:
        fileno = fd.fileno()
    except AttributeError:
        raise TypeError(
            f"expected a file descriptor (int) or an object with fileno(), "
            f"got {type(fd).__name__}"
        ) from None
    if not isinstance(fileno, int):
        raise TypeError(f"{type(fd).__name__}.fileno() returned {fileno!r}, not an int")
    return fileno


def _close_fd(fileobj: Any) -> None:
    try:
        if isinstance(fileobj, int):
            os.close(fileobj)
        else:
            fileobj.close()
    except OSError:
        gen_log.debug("error closing fd %r", fileobj, exc_info=True)
