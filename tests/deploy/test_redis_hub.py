"""feed.redis_hub.RedisHub against a real redis-server: order, gaps, bad messages, outages."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DEMOS = os.path.join(Path(__file__).resolve().parents[2], "demos")
if DEMOS not in sys.path:
    sys.path.insert(0, DEMOS)

from feed.redis_hub import RedisHub  # noqa: E402


class EventLog:
    """The part of the demo's Store the hub reads: a shared, growing event log."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self) -> dict[str, Any]:
        event = {"id": len(self.events) + 1, "kind": "entry", "entry_id": len(self.events) + 1,
                 "user": "u", "created": 0.0}
        self.events.append(event)
        return event

    def after(self, since: int, limit: int) -> list[dict[str, Any]]:
        return [e for e in self.events if e["id"] > since][:limit]

    def latest(self) -> int:
        return len(self.events)


@pytest.fixture
def redis_server(deploy: Any, redis_binary: str, tmp_path: Path) -> Iterator[Any]:
    pytest.importorskip("redis")
    server = deploy.Redis(redis_binary, tmp_path / "redis")
    yield server
    server.stop()


def make_hub(log: EventLog, url: str, **kwargs: Any) -> RedisHub:
    return RedisHub(log.after, log.latest(), log.latest, url, **kwargs)


async def next_ids(subscription: Any, want: int, timeout: float = 10.0) -> list[int]:
    ids: list[int] = []
    while len(ids) < want:
        batch = await asyncio.wait_for(subscription.next(), timeout)
        ids.extend(event["id"] for event in batch)
    return ids


def test_events_reach_the_other_hub_in_order(redis_server: Any) -> None:
    async def main() -> None:
        log = EventLog()
        one, two = make_hub(log, redis_server.url), make_hub(log, redis_server.url)
        await one.start()
        await two.start()
        try:
            mine = one.subscribe(0)
            theirs = two.subscribe(0)
            for _ in range(5):
                one.publish(log.add())
            assert await next_ids(mine, 5) == [1, 2, 3, 4, 5]
            assert await next_ids(theirs, 5) == [1, 2, 3, 4, 5]
        finally:
            await one.stop()
            await two.stop()

    asyncio.run(main())


def test_a_skipped_id_is_read_from_the_log_and_an_old_one_is_dropped(redis_server: Any) -> None:
    import redis.asyncio

    async def main() -> None:
        log = EventLog()
        hub = make_hub(log, redis_server.url, resync_interval=3600)
        await hub.start()
        raw = redis.asyncio.from_url(redis_server.url)
        try:
            subscription = hub.subscribe(0)
            first, second, third = log.add(), log.add(), log.add()
            # Another process announces 3 before 2 (committed in order,
            # published out of order), then 2 late.
            await raw.publish("feed:events", json.dumps(third))
            await raw.publish("feed:events", json.dumps(second))
            await raw.publish("feed:events", b"not json")
            await raw.publish("feed:events", json.dumps({"id": "4"}))
            assert await next_ids(subscription, 3) == [1, 2, 3]
            # The late and the bad messages changed nothing.
            fourth = log.add()
            await raw.publish("feed:events", json.dumps(fourth))
            assert await next_ids(subscription, 1) == [4]
            assert hub.last_id == 4
        finally:
            await raw.aclose()
            await hub.stop()

    asyncio.run(main())


def test_a_hub_catches_up_after_a_redis_outage(
    deploy: Any, redis_binary: str, tmp_path: Path
) -> None:
    pytest.importorskip("redis")
    port = deploy.free_port()

    def start_redis() -> Any:
        server = deploy.Process(
            [redis_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)]
        )
        deploy.wait_until(lambda: deploy.port_open(port), "redis to listen")
        return server

    async def main() -> None:
        server = start_redis()
        log = EventLog()
        url = f"redis://127.0.0.1:{port}/0"
        one, two = make_hub(log, url, resync_interval=3600), make_hub(log, url)
        await one.start()
        await two.start()
        try:
            theirs = two.subscribe(0)
            server.stop()
            # Posted while Redis is down by a process that never sends it
            # (it stopped): only the event log has it...
            await one.stop()
            one.publish(log.add())
            restarted = start_redis()
            try:
                # ...yet the other hub gets it once Redis is back.
                assert await next_ids(theirs, 1, timeout=20) == [1]
                three = make_hub(log, url)
                await three.start()
                three.publish(log.add())
                assert await next_ids(theirs, 1) == [2]
                await three.stop()
            finally:
                await two.stop()
                restarted.stop()
        finally:
            server.stop()

    asyncio.run(main())


def test_a_missing_redis_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    hub = make_hub(EventLog(), "redis://127.0.0.1:1/0")
    with pytest.raises(RuntimeError, match="needs the 'redis' package: pip install redis"):
        asyncio.run(hub.start())
