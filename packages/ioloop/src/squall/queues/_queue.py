"""`Queue`, `PriorityQueue` and `LifoQueue`: hand items between coroutines.

How this works: items live in ``self._queue`` (a deque, or a list for the
heap and stack variants, behind the ``_init``/``_get``/``_put`` hooks). A
``get`` on an empty queue queues a getter future; a ``put`` on a full queue
queues a putter future together with its item. A ``put`` first hands its
item to the first live getter; a ``get`` on a full queue first lets the
first live putter in. Timed-out or cancelled getters and putters are done
futures and are skipped (see squall.locks' waiter queue), so an item is
never given to a getter that stopped waiting, and the item of a putter that
gave up never enters the queue.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

from squall.concurrent._loop import Deadline, check_deadline, current_loop, expire_at
from squall.gen import TimeoutError
from squall.locks import Event
from squall.locks._waiters import Waiters

from ._errors import QueueEmpty, QueueFull

_T = TypeVar("_T")

# put() and get() are hot: look the running loop up directly, falling back
# to the current IOLoop's loop only outside a running loop.
_get_running_loop = asyncio.get_running_loop
# The C future class, built directly: loop.create_future() is a Python-level
# call on the default loop (and uvloop accepts these futures too).
_Future = asyncio.Future


class Queue(Generic[_T]):
    """A first-in, first-out queue for coroutines, optionally bounded.

    Producers ``await queue.put(item)`` (waiting while the queue is full);
    consumers ``await queue.get()`` (waiting while it is empty) and call
    `task_done` for each item they finish, so that `join` can tell when all
    the work is done::

        queue = Queue(maxsize=10)

        async def worker():
            async for url in queue:
                try:
                    await fetch(url)
                finally:
                    queue.task_done()

        async def main(urls):
            workers = [asyncio.create_task(worker()) for _ in range(3)]
            for url in urls:
                await queue.put(url)
            await queue.join()

    Each wait takes an optional ``timeout`` (an absolute `IOLoop.time`
    deadline or a `datetime.timedelta`) and then fails with
    `squall.gen.TimeoutError`. Not thread-safe: use it from the loop's thread.

    Args:
        maxsize: the most items the queue holds; 0 (the default) is unbounded.

    Raises:
        TypeError: ``maxsize`` is not an integer (None included).
        ValueError: ``maxsize`` is negative.
    """

    def __init__(self, maxsize: int = 0) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int):
            raise TypeError(
                f"Queue maxsize must be an int (0 for unbounded), not {type(maxsize).__name__}"
            )
        if maxsize < 0:
            raise ValueError(f"Queue maxsize must be 0 (unbounded) or more, got {maxsize}")
        self._maxsize = maxsize
        self._init()
        self._getters: Waiters[None] = Waiters()
        self._putters: Waiters[_T] = Waiters()
        self._unfinished_tasks = 0
        self._finished = Event()
        self._finished.set()

    # -- storage hooks (overridden by the subclasses) -------------------------

    def _init(self) -> None:
        self._queue: Any = collections.deque()

    def _get(self) -> _T:
        item: _T = self._queue.popleft()
        return item

    def _put(self, item: _T) -> None:
        self._queue.append(item)

    # -- size -----------------------------------------------------------------

    @property
    def maxsize(self) -> int:
        """The most items the queue holds (0: unbounded)."""
        return self._maxsize

    def qsize(self) -> int:
        """Return the number of items in the queue.

        Returns:
            How many items `get_nowait` could take now.
        """
        return len(self._queue)

    def empty(self) -> bool:
        """Tell whether the queue holds no item.

        Returns:
            True if `get_nowait` would raise `QueueEmpty`.
        """
        return not self._queue

    def full(self) -> bool:
        """Tell whether the queue is at its ``maxsize``.

        Returns:
            True if `put_nowait` would raise `QueueFull` (never for an
            unbounded queue).
        """
        return self._maxsize > 0 and self.qsize() >= self._maxsize

    # -- putting --------------------------------------------------------------

    def put(self, item: _T, timeout: Deadline | None = None) -> asyncio.Future[None]:
        """Put ``item`` in the queue, waiting while it is full.

        Args:
            item: the item.
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves once the item is in the queue (or handed to
            a waiting getter); already resolved when there was room.

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed while the queue
                stayed full; the item was not added.
        """
        if timeout is not None:
            check_deadline(timeout)
        try:
            loop = _get_running_loop()
        except RuntimeError:
            loop = current_loop()
        future: asyncio.Future[None] = _Future(loop=loop)
        maxsize = self._maxsize
        if not self._getters and (maxsize <= 0 or len(self._queue) < maxsize):
            # Room and nobody waiting for an item: the common case, inline.
            if not self._unfinished_tasks:
                self._finished.clear()
            self._unfinished_tasks += 1
            self._put(item)
            future.set_result(None)
            return future
        try:
            self.put_nowait(item)
        except QueueFull:
            if timeout is not None:
                expire_at(
                    future,
                    timeout,
                    lambda: future.set_exception(
                        TimeoutError("timed out waiting for room in the queue")
                    ),
                )
            self._putters.add(future, item)
        else:
            future.set_result(None)
        return future

    def put_nowait(self, item: _T) -> None:
        """Put ``item`` in the queue without waiting.

        Args:
            item: the item.

        Raises:
            QueueFull: the queue is at its ``maxsize``.
        """
        getter = self._getters.pop_live() if self._getters else None
        if getter is not None:
            # A live getter means the queue is empty: hand the item over.
            self._add(item)
            getter[0].set_result(self._get())
        elif self._maxsize > 0 and len(self._queue) >= self._maxsize:
            raise QueueFull(
                f"queue is full ({self._maxsize} items); await put() to wait for room"
            )
        else:
            self._add(item)

    def _add(self, item: _T) -> None:
        if not self._unfinished_tasks:
            self._finished.clear()
        self._unfinished_tasks += 1
        self._put(item)

    # -- getting --------------------------------------------------------------

    def get(self, timeout: Deadline | None = None) -> asyncio.Future[_T]:
        """Remove and return an item, waiting while the queue is empty.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future of the item; already resolved when one was there.

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed while the queue
                stayed empty; no item was taken.
        """
        if timeout is not None:
            check_deadline(timeout)
        try:
            loop = _get_running_loop()
        except RuntimeError:
            loop = current_loop()
        future: asyncio.Future[_T] = _Future(loop=loop)
        if self._queue and not self._putters:
            # An item and no blocked putter: the common case, inline.
            future.set_result(self._get())
            return future
        try:
            future.set_result(self.get_nowait())
        except QueueEmpty:
            if timeout is not None:
                expire_at(
                    future,
                    timeout,
                    lambda: future.set_exception(
                        TimeoutError("timed out waiting for an item in the queue")
                    ),
                )
            self._getters.add(future, None)
        return future

    def get_nowait(self) -> _T:
        """Remove and return an item without waiting.

        Returns:
            The next item.

        Raises:
            QueueEmpty: the queue holds no item.
        """
        putter = self._putters.pop_live() if self._putters else None
        if putter is not None:
            # A live putter means the queue is full: let its item in first,
            # so the order (FIFO, priority or LIFO) counts it.
            future, item = putter
            self._add(item)
            future.set_result(None)
            return self._get()
        if self._queue:
            return self._get()
        raise QueueEmpty("queue is empty; await get() to wait for an item")

    # -- tracking work ----------------------------------------------------------

    def task_done(self) -> None:
        """Say that an item taken from the queue has been fully processed.

        Each `get` should be matched by one ``task_done``; `join` resolves when
        every item put so far has been matched.

        Raises:
            ValueError: called more times than there were items.
        """
        if self._unfinished_tasks <= 0:
            raise ValueError(
                "task_done() called more times than there were items put in the queue"
            )
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    def join(self, timeout: Deadline | None = None) -> asyncio.Future[None]:
        """Wait until every item put so far has been marked `task_done`.

        Args:
            timeout: an absolute deadline on the `IOLoop.time` clock, or a
                `datetime.timedelta` from now; None waits forever.

        Returns:
            A future that resolves once no work is outstanding.

        Raises:
            TypeError: ``timeout`` is neither None, a number nor a timedelta.
            TimeoutError: (from the future) ``timeout`` passed first.
        """
        return self._finished.wait(timeout)

    # -- iteration ----------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[_T]:
        """Iterate forever: each step is an ``await get()``."""
        return _QueueIterator(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        parts = [f"maxsize={self._maxsize!r}", f"qsize={self.qsize()}"]
        getters = self._getters.live_count()
        if getters:
            parts.append(f"getters[{getters}]")
        putters = self._putters.live_count()
        if putters:
            parts.append(f"putters[{putters}]")
        if self._unfinished_tasks:
            parts.append(f"tasks={self._unfinished_tasks}")
        return " ".join(parts)


class _QueueIterator(Generic[_T]):
    __slots__ = ("_queue",)

    def __init__(self, queue: Queue[_T]) -> None:
        self._queue = queue

    def __aiter__(self) -> _QueueIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        return await self._queue.get()


class PriorityQueue(Queue[_T]):
    """A `Queue` that hands out the smallest item first.

    Items are typically ``(priority, data)`` tuples; lower numbers come out
    first. Items must be comparable with each other.

    Args:
        maxsize: the most items the queue holds; 0 (the default) is unbounded.
    """

    def _init(self) -> None:
        self._queue = []

    def _put(self, item: _T) -> None:
        heapq.heappush(self._queue, item)

    def _get(self) -> _T:
        item: _T = heapq.heappop(self._queue)
        return item


class LifoQueue(Queue[_T]):
    """A `Queue` that hands out the most recently put item first (a stack).

    Args:
        maxsize: the most items the queue holds; 0 (the default) is unbounded.
    """

    def _init(self) -> None:
        self._queue = []

    def _put(self, item: _T) -> None:
        self._queue.append(item)

    def _get(self) -> _T:
        item: _T = self._queue.pop()
        return item
