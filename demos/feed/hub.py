"""Fan-out of feed events to every open page.

The interface is two calls::

    hub.publish(event)                 # after the event is stored
    async for batch in hub.subscribe(since_id):
        ...                            # lists of events with id > since_id, in order

An event is a dict with at least an increasing integer ``"id"`` (see
store.py). A subscriber first gets what it missed (from a small in-memory
window of recent events, or from the event log for older ids), then new events
as they are published. Long polling takes one batch per request; a WebSocket
keeps iterating.

This hub lives in one process. To run several server processes, keep the
interface and swap the inside: ``publish`` sends the event to a Redis
channel, a task per process listens to that channel and feeds what it
receives to the local subscribers, and the backlog still comes from the
shared event log.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]

#: Most events handed to a subscriber at once.
BATCH_LIMIT = 100


class Hub:
    """In-process publish/subscribe over the event log.

    Args:
        backlog: ``backlog(since_id, limit)`` returns logged events with an id
            above ``since_id``, oldest first (`Store.events_after`).
        last_id: the id of the newest event already logged.
        keep: how many recent events to keep in memory.
    """

    def __init__(self, backlog: Callable[[int, int], list[Event]], last_id: int,
                 keep: int = 1000) -> None:
        self._backlog = backlog
        self._last_id = last_id
        self._keep = keep
        self._recent: list[Event] = []
        self._waiting: set[Subscription] = set()
        self._subscriptions: set[Subscription] = set()

    @property
    def last_id(self) -> int:
        """The id of the newest event."""
        return self._last_id

    def publish(self, event: Event) -> None:
        """Hand a stored event to every subscriber."""
        if event["id"] <= self._last_id:
            raise ValueError(f"event {event['id']} is not newer than event {self._last_id}")
        self._last_id = event["id"]
        self._recent.append(event)
        if len(self._recent) > 2 * self._keep:
            del self._recent[: -self._keep]
        for subscription in list(self._waiting):
            subscription._wake()

    def subscribe(self, since_id: int) -> Subscription:
        """Events with an id above ``since_id``: an async iterator of lists.

        An id from the future (say, from before the database was wiped) is
        treated as "now".
        """
        subscription = Subscription(self, min(since_id, self._last_id))
        self._subscriptions.add(subscription)
        return subscription

    def close(self) -> None:
        """End every subscription (at shutdown)."""
        for subscription in list(self._subscriptions):
            subscription.close()

    def _after(self, since_id: int) -> list[Event]:
        if since_id >= self._last_id:
            return []
        recent = self._recent
        if recent and since_id >= recent[0]["id"] - 1:
            start = bisect.bisect_right(recent, since_id, key=lambda e: e["id"])
            return recent[start : start + BATCH_LIMIT]
        return self._backlog(since_id, BATCH_LIMIT)


class Subscription:
    """One subscriber's position in the event stream (see `Hub.subscribe`)."""

    def __init__(self, hub: Hub, since_id: int) -> None:
        self._hub = hub
        self.last_id = since_id
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> list[Event]:
        events = await self.next()
        if not events:
            raise StopAsyncIteration
        return events

    async def next(self) -> list[Event]:
        """The next batch of events, waiting for one; ``[]`` once closed."""
        while not self.closed:
            batch = self._hub._after(self.last_id)
            if batch:
                self.last_id = batch[-1]["id"]
                return batch
            self._waiter = asyncio.get_running_loop().create_future()
            self._hub._waiting.add(self)
            try:
                await self._waiter
            finally:
                self._hub._waiting.discard(self)
                self._waiter = None
        return []

    def close(self) -> None:
        """Stop: a pending or later ``anext`` ends the iteration."""
        self.closed = True
        self._hub._subscriptions.discard(self)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
