"""`Event`: a flag that coroutines can wait for."""

from __future__ import annotations

import asyncio

from squall.concurrent._loop import Deadline, check_deadline, current_loop, expire_at
from squall.gen import TimeoutError


class Event:
    """A flag, initially false; `wait` blocks until it is true.

    `set` makes it true and wakes every waiter; `clear` makes it false again
    so that later waits block. Like `asyncio.Event`, with a ``timeout`` on
    `wait` and a future (usable from legacy ``@gen.coroutine`` code) as its
    result::

        started = Event()

        async def worker():
            started.set()
            ...

        async def main():
            spawn(worker())
            await started.wait(timeout=timedelta(seconds=5))
    """

    def __init__(self) -> None:
        self._value = False
        self._waiters: set[asyncio.Future[None]] = set()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'set' if self._value else 'clear'}>"

    def is_set(self) -> bool:
        """Tell whether the flag is true.

        Returns:
            The flag.
        """
        return self._value

    def set(self) -> None:
        """Make the flag true and wake every waiter."""
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        """Make the flag false: later `wait` calls block until the next `set`."""
        self._value = False

    def wait(self, timeout: Deadline | None = None) -> asyncio.Future[None]:
        """Wait until the flag is true.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves (to None) once the flag is true; it is
            already resolved when the flag is true now.

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed first.
        """
        if timeout is not None:
            check_deadline(timeout)
        waiter: asyncio.Future[None] = current_loop().create_future()
        if self._value:
            waiter.set_result(None)
            return waiter
        if timeout is not None:
            expire_at(
                waiter,
                timeout,
                lambda: waiter.set_exception(TimeoutError("timed out waiting for the Event")),
            )
        self._waiters.add(waiter)
        # A waiter that times out or is cancelled leaves the set at once.
        waiter.add_done_callback(self._waiters.discard)
        return waiter
