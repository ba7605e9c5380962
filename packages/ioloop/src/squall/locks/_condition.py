"""`Condition`: wait until another coroutine says so."""

from __future__ import annotations

import asyncio

from squall.concurrent._loop import Deadline, current_loop, expire_at

from ._waiters import Waiters


class Condition:
    """Let coroutines wait until another one notifies them.

    A waiter calls ``await condition.wait()``; a notifier calls
    `notify` (wake the longest-waiting ones) or `notify_all`. Unlike
    `asyncio.Condition` there is no lock to hold around either call: on one
    event loop, nothing else runs between a check and the ``wait`` that
    follows it::

        condition = Condition()
        ready = []

        async def consumer():
            while not ready:
                await condition.wait()
            return ready.pop()

        def producer(item):
            ready.append(item)
            condition.notify()

    A waiter whose ``timeout`` passed is skipped by later notifies: it never
    takes a wake-up meant for another.
    """

    def __init__(self) -> None:
        self._waiters: Waiters[None] = Waiters()

    def __repr__(self) -> str:
        count = self._waiters.live_count()
        return f"<{type(self).__name__}" + (f" waiters[{count}]>" if count else ">")

    def wait(self, timeout: Deadline | None = None) -> asyncio.Future[bool]:
        """Wait for `notify` or `notify_all`.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves to True when notified, or to False when
            ``timeout`` passes first (it does not raise).

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
        """
        waiter: asyncio.Future[bool] = current_loop().create_future()
        if timeout is not None:
            expire_at(waiter, timeout, lambda: waiter.set_result(False))
        self._waiters.add(waiter, None)
        return waiter

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiters, longest-waiting first.

        Args:
            n: how many waiters to wake; fewer are woken if fewer wait.
        """
        woken = 0
        while woken < n:
            entry = self._waiters.pop_live()
            if entry is None:
                break
            entry[0].set_result(True)
            woken += 1

    def notify_all(self) -> None:
        """Wake every waiter."""
        while (entry := self._waiters.pop_live()) is not None:
            entry[0].set_result(True)
