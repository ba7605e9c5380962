"""`Semaphore`, `BoundedSemaphore` and `Lock`.

How this works: the counter is decremented by `acquire` while it is above
zero; at zero, ``acquire`` queues a waiter future. `release` hands its slot
straight to the first live waiter (the counter stays at zero), or increments
the counter when nobody waits. So "waiters queued" implies "counter is zero",
and a waiter that timed out or was cancelled is skipped (see `_waiters`).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol

from squall.concurrent._loop import Deadline, check_deadline, current_loop, expire_at
from squall.gen import TimeoutError

from ._waiters import Waiters


class _Releasable(Protocol):
    def release(self) -> None: ...


class _ReleasingContextManager:
    """What an acquire resolves to: ``with (yield sem.acquire()):`` releases on exit."""

    __slots__ = ("_owner",)

    def __init__(self, owner: _Releasable) -> None:
        self._owner = owner

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._owner.release()


async def _enter(acquired: asyncio.Future[_ReleasingContextManager], owner: _Releasable) -> None:
    """Await an acquire for ``async with``, giving the slot back if cancelled too late."""
    try:
        await acquired
    except asyncio.CancelledError:
        # The slot may have been handed over in the same loop iteration in
        # which this task was cancelled: the future has a result that nobody
        # will ever release. Give it back.
        if acquired.done() and not acquired.cancelled() and acquired.exception() is None:
            owner.release()
        raise


class Semaphore:
    """A counter of free slots: `acquire` takes one (waiting if none), `release` returns one.

    Use it to bound concurrency, e.g. at most ten fetches at a time::

        slots = Semaphore(10)

        async def fetch(url):
            async with slots:
                return await client.fetch(url)

    Waiters are served first come, first served. A waiter whose ``timeout``
    passed is skipped by later releases.

    Args:
        value: the initial number of free slots.

    Raises:
        ValueError: ``value`` is negative.
        TypeError: ``value`` is not an integer.
    """

    def __init__(self, value: int = 1) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"semaphore value must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"semaphore initial value must be >= 0, got {value}")
        self._value = value
        self._waiters: Waiters[_Releasable] = Waiters()

    def __repr__(self) -> str:
        state = "locked" if self._value == 0 else f"unlocked,value:{self._value}"
        count = self._waiters.live_count()
        extra = f",waiters:{count}" if count else ""
        return f"<{type(self).__name__} [{state}{extra}]>"

    def _acquire(
        self, timeout: Deadline | None, owner: _Releasable
    ) -> asyncio.Future[_ReleasingContextManager]:
        if timeout is not None:
            check_deadline(timeout)
        waiter: asyncio.Future[_ReleasingContextManager] = current_loop().create_future()
        if self._value > 0:
            self._value -= 1
            waiter.set_result(_ReleasingContextManager(owner))
            return waiter
        if timeout is not None:
            expire_at(
                waiter,
                timeout,
                lambda: waiter.set_exception(
                    TimeoutError(f"timed out waiting to acquire the {type(owner).__name__}")
                ),
            )
        self._waiters.add(waiter, owner)
        return waiter

    def acquire(self, timeout: Deadline | None = None) -> asyncio.Future[_ReleasingContextManager]:
        """Take a slot, waiting for a `release` if none is free.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves once the slot is taken, to an object whose
            ``with`` block releases it (for ``with (yield sem.acquire()):``
            in legacy coroutines).

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed first; no slot
                was taken.
        """
        return self._acquire(timeout, self)

    def release(self) -> None:
        """Return a slot: wake the first waiter, or add to the free count."""
        entry = self._waiters.pop_live()
        if entry is None:
            self._value += 1
        else:
            waiter, owner = entry
            waiter.set_result(_ReleasingContextManager(owner))

    async def __aenter__(self) -> None:
        await _enter(self.acquire(), self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __enter__(self) -> None:
        raise RuntimeError(
            f"use 'async with' on a {type(self).__name__}, not 'with' "
            "(or 'with (yield sem.acquire()):' in a legacy coroutine)"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Never reached: `__enter__` refuses plain ``with``."""


class BoundedSemaphore(Semaphore):
    """A `Semaphore` that refuses to be released more often than acquired.

    Args:
        value: the initial (and maximum) number of free slots.

    Raises:
        ValueError: ``value`` is negative.
    """

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial_value = value

    def release(self) -> None:
        """Return a slot.

        Raises:
            ValueError: every slot is already free (more releases than acquires).
        """
        if self._value >= self._initial_value:
            raise ValueError(
                f"BoundedSemaphore released too many times (all {self._initial_value} "
                "slots are already free); release only what you acquired"
            )
        super().release()


class Lock:
    """A mutual-exclusion lock for coroutines.

    Only one holder at a time; others wait in `acquire`, first come, first
    served. Prefer ``async with lock:``, which always releases::

        lock = Lock()

        async def update(record):
            async with lock:
                current = await load(record)
                await save(record, current + 1)

    A waiter whose ``timeout`` passed is skipped by later releases.
    """

    def __init__(self) -> None:
        self._block = BoundedSemaphore(value=1)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} _block={self._block!r}>"

    def acquire(self, timeout: Deadline | None = None) -> asyncio.Future[_ReleasingContextManager]:
        """Take the lock, waiting until it is free.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves once the lock is held, to an object whose
            ``with`` block releases it (``with (yield lock.acquire()):``).

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed first; the lock
                was not taken.
        """
        return self._block._acquire(timeout, self)

    def release(self) -> None:
        """Release the lock: the first waiter, if any, gets it.

        Raises:
            RuntimeError: the lock is not held.
        """
        try:
            self._block.release()
        except ValueError:
            raise RuntimeError("release() called on an unlocked Lock") from None

    async def __aenter__(self) -> None:
        await _enter(self.acquire(), self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __enter__(self) -> None:
        raise RuntimeError(
            "use 'async with' on a Lock, not 'with' "
            "(or 'with (yield lock.acquire()):' in a legacy coroutine)"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Never reached: `__enter__` refuses plain ``with``."""
