"""The hub for several server processes: events travel through Redis pub/sub.

``python -m feed --redis redis://127.0.0.1:6379/0`` uses `RedisHub` instead
of the in-process `Hub`; run several such processes on one database (and
nginx in front, see deploy/) and a reader connected to any of them sees what
was posted on any other.

How this works: the interface stays ``publish(event)`` / ``subscribe(since)``.
``publish`` hands the event to this process's readers at once and queues it
for the Redis channel; a listener task receives every process's events from
the channel and hands them to the local readers too. The database stays the
source of truth and Redis only says "there is news", so nothing depends on
Redis delivering every message in order:

- an event at or below the newest one we have is a duplicate (our own echo,
  or already fetched) and is dropped;
- an event that skips ids means we missed some (another process published
  them later than it committed them, or a message was lost): the missing
  ones are read from the event log first. SQLite commits writers one at a
  time in id order, so when event N is visible, every event below it is too;
- every few seconds, and after Redis comes back, the hub compares with the
  newest id in the database, so a lost message delays a reader by seconds
  rather than until the next post.

The ``redis`` package is needed only with ``--redis``; it is imported here,
and this module is imported only then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from .hub import BATCH_LIMIT, Event, Hub, Subscription

log = logging.getLogger("feed.redis")

#: Events waiting to be sent to Redis; beyond this (Redis down for long) the
#: oldest are dropped: the other processes catch up from the database.
MAX_OUTBOX = 10_000


def _import_redis() -> Any:
    try:
        import redis.asyncio
    except ImportError:
        raise RuntimeError(
            "--redis needs the 'redis' package: pip install redis (or run one process "
            "without --redis)"
        ) from None
    return redis.asyncio


class RedisHub(Hub):
    """A `Hub` whose events reach every process subscribed to one Redis channel.

    Call ``await start()`` before serving and ``await stop()`` at the end.

    Args:
        backlog: as for `Hub` (``Store.events_after``).
        last_id: as for `Hub`.
        latest_id: returns the newest event id in the database
            (``Store.last_event_id``).
        url: the Redis server, e.g. ``redis://127.0.0.1:6379/0``.
        channel: the pub/sub channel shared by the processes.
        resync_interval: seconds between checks against the database.
        keep: as for `Hub`.
    """

    def __init__(self, backlog: Callable[[int, int], list[Event]], last_id: int,
                 latest_id: Callable[[], int], url: str, channel: str = "feed:events",
                 resync_interval: float = 5.0, keep: int = 1000) -> None:
        super().__init__(backlog, last_id, keep)
        self._latest_id = latest_id
        self._url = url
        self._channel = channel
        self._resync_interval = resync_interval
        self._client: Any = None
        self._outbox: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    # -- the Hub interface ---------------------------------------------------

    @property
    def last_id(self) -> int:
        """The id of the newest event (checked against the database)."""
        self._catch_up()
        return self._last_id

    def publish(self, event: Event) -> None:
        """Hand a stored event to this process's readers and to every other process."""
        self._deliver(event)
        outbox = self._outbox
        if outbox is None:
            return  # not started (or stopped): the others catch up from the database
        if outbox.full():
            outbox.get_nowait()
            log.warning("Redis is not keeping up; dropped the oldest queued event")
        outbox.put_nowait(json.dumps(event))

    def subscribe(self, since_id: int) -> Subscription:
        """As `Hub.subscribe`, after catching up with the database.

        A page rendered by another process may know newer ids than this one
        has heard of yet.
        """
        self._catch_up()
        return super().subscribe(since_id)

    # -- start and stop ----------------------------------------------------

    async def start(self, timeout: float = 10.0) -> None:
        """Connect to Redis and subscribe (waits until subscribed).

        Raises:
            RuntimeError: the ``redis`` package is missing.
            ConnectionError / TimeoutError: Redis cannot be reached within ``timeout``.
        """
        aioredis = _import_redis()
        self._client = aioredis.from_url(self._url)
        await asyncio.wait_for(self._client.ping(), timeout)
        self._outbox = asyncio.Queue(MAX_OUTBOX)
        self._tasks = [
            asyncio.ensure_future(self._listen()),
            asyncio.ensure_future(self._send()),
            asyncio.ensure_future(self._resync()),
        ]
        await asyncio.wait_for(self._subscribed.wait(), timeout)
        # Whatever was posted before we listened is in the database.
        self._catch_up()
        log.info("events go through Redis channel %r at %s", self._channel, self._url)

    async def stop(self) -> None:
        """End the subscriptions, send what is queued (briefly), and disconnect."""
        self.close()
        outbox, self._outbox = self._outbox, None
        if outbox is not None and not outbox.empty() and self._client is not None:
            with contextlib.suppress(Exception):
                while not outbox.empty():
                    await asyncio.wait_for(
                        self._client.publish(self._channel, outbox.get_nowait()), 1.0
                    )
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- inside --------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        event_id = event["id"]
        if event_id <= self._last_id:
            return  # our own echo, or already read from the database
        self._fill_to(event_id - 1)
        if event_id > self._last_id:
            Hub.publish(self, event)

    def _fill_to(self, upto: int) -> None:
        """Read the events up to ``upto`` that we have not seen from the event log."""
        while self._last_id < upto:
            batch = [e for e in self._backlog(self._last_id, BATCH_LIMIT) if e["id"] <= upto]
            for event in batch:
                Hub.publish(self, event)
            if len(batch) < BATCH_LIMIT:
                return

    def _catch_up(self) -> None:
        latest = self._latest_id()
        if latest > self._last_id:
            self._fill_to(latest)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                if self._subscribed.is_set():
                    log.info("subscribed to Redis again")
                    self._catch_up()  # what we missed while cut off
                self._subscribed.set()
                delay = 0.1
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=None)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # redis.ConnectionError and friends
                log.warning("Redis subscription lost (%s); retrying in %.1fs", error, delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _receive(self, data: bytes | str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("ignored a message that is not JSON on %r", self._channel)
            return
        if (not isinstance(event, dict) or not isinstance(event.get("id"), int)
                or isinstance(event.get("id"), bool)):
            log.warning("ignored a message that is not an event on %r", self._channel)
            return
        self._deliver(event)

    async def _send(self) -> None:
        # One sender keeps this process's events in order on the channel.
        assert self._outbox is not None
        outbox = self._outbox
        while True:
            message = await outbox.get()
            delay = 0.1
            while True:
                try:
                    await self._client.publish(self._channel, message)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.warning("cannot publish to Redis (%s); retrying in %.1fs", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(self._resync_interval)
            try:
                self._catch_up()
            except Exception:
                log.exception("checking the event log failed")
