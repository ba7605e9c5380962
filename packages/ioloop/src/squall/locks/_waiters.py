"""A FIFO of waiter futures that skips the ones nobody waits for any more.

How this works: a coroutine blocked on a lock or a queue is represented by
a future in a `Waiters` queue. A waiter that timed out (its future holds a
TimeoutError, or False for a Condition) or was cancelled is *done*, and done
waiters are simply skipped when the next one is woken: a late waiter can
never consume a notify, a release or an item meant for a live one. Done
waiters are not removed eagerly (that would cost a callback per waiter);
instead the queue is compacted whenever it has doubled since the last
compaction, which bounds its memory to about twice the live waiters.

squall.queues uses this module too (same distribution).
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Generic, TypeVar

_P = TypeVar("_P")

_MIN_COMPACT = 64


class Waiters(collections.deque[tuple["asyncio.Future[Any]", _P]], Generic[_P]):
    """Waiter futures, each with a payload (e.g. the item a blocked ``put`` holds).

    A deque subclass, so that "is anybody queued?" (its truth value) costs no
    Python-level call on the hot paths of the queues.
    """

    __slots__ = ("_compact_at",)

    def __init__(self) -> None:
        super().__init__()
        self._compact_at = _MIN_COMPACT

    def add(self, future: asyncio.Future[Any], payload: _P) -> None:
        """Queue ``future`` (with ``payload``) behind the existing waiters."""
        self.append((future, payload))
        if len(self) >= self._compact_at:
            live = [entry for entry in self if not entry[0].done()]
            self.clear()
            self.extend(live)
            self._compact_at = max(_MIN_COMPACT, 2 * len(live))

    def pop_live(self) -> tuple[asyncio.Future[Any], _P] | None:
        """Remove and return the first waiter still waiting, or None if there is none."""
        while self:
            entry = self.popleft()
            if not entry[0].done():
                return entry
        return None

    def live_count(self) -> int:
        """The number of waiters still waiting (O(n); for repr and tests)."""
        return sum(1 for future, _payload in self if not future.done())
