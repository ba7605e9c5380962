"""Tests of squall.queues: Queue, PriorityQueue, LifoQueue."""

from __future__ import annotations

import asyncio
import datetime
import random
from collections.abc import Generator
from typing import Any

import pytest

from squall import gen
from squall.ioloop import IOLoop
from squall.queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull

TINY = datetime.timedelta(seconds=0.01)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_bounded_pipeline_with_workers_and_join() -> None:
    processed: list[int] = []
    max_seen = 0

    async def main() -> None:
        nonlocal max_seen
        queue: Queue[int] = Queue(maxsize=2)

        async def worker() -> None:
            async for item in queue:
                try:
                    await asyncio.sleep(0)
                    processed.append(item)
                finally:
                    queue.task_done()

        async def producer() -> None:
            nonlocal max_seen
            for item in range(20):
                await queue.put(item)
                max_seen = max(max_seen, queue.qsize())

        workers = [asyncio.ensure_future(worker()) for _ in range(3)]
        await producer()
        await queue.join(timeout=datetime.timedelta(seconds=5))
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    run(main())
    assert sorted(processed) == list(range(20))
    assert max_seen <= 2


def test_legacy_producer_consumer() -> None:
    queue: Queue[str] = Queue(maxsize=1)
    consumed: list[str] = []

    @gen.coroutine
    def consumer() -> Generator[Any, Any, None]:
        while True:
            item = yield queue.get()
            try:
                consumed.append(item)
            finally:
                queue.task_done()

    @gen.coroutine
    def producer() -> Generator[Any, Any, None]:
        for word in ("alpha", "beta", "gamma"):
            yield queue.put(word)

    async def main() -> None:
        background = consumer()
        await producer()
        await queue.join()
        background.cancel()
        with pytest.raises(asyncio.CancelledError):
            await background

    run(main())
    assert consumed == ["alpha", "beta", "gamma"]


def test_nowait_errors_and_sizes() -> None:
    async def main() -> None:
        queue: Queue[int] = Queue(maxsize=2)
        assert queue.maxsize == 2 and queue.empty() and not queue.full()
        with pytest.raises(QueueEmpty):
            queue.get_nowait()
        queue.put_nowait(1)
        queue.put_nowait(2)
        assert queue.qsize() == 2 and queue.full() and not queue.empty()
        with pytest.raises(QueueFull):
            queue.put_nowait(3)
        assert queue.get_nowait() == 1
        assert "maxsize=2" in repr(queue)

    run(main())
    assert issubclass(QueueEmpty, asyncio.QueueEmpty)
    assert issubclass(QueueFull, asyncio.QueueFull)


def test_unbounded_queue_is_never_full() -> None:
    queue: Queue[int] = Queue()
    for i in range(1000):
        queue.put_nowait(i)
    assert not queue.full() and queue.qsize() == 1000


def test_maxsize_validation() -> None:
    with pytest.raises(TypeError, match="int"):
        Queue(maxsize=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="0"):
        Queue(maxsize=-1)


def test_task_done_too_many_times() -> None:
    async def main() -> None:
        queue: Queue[int] = Queue()
        with pytest.raises(ValueError, match="more times"):
            queue.task_done()
        await queue.put(1)
        await queue.get()
        queue.task_done()
        await queue.join()  # resolved: nothing outstanding
        with pytest.raises(ValueError):
            queue.task_done()

    run(main())


def test_join_timeout() -> None:
    async def main() -> None:
        queue: Queue[int] = Queue()
        queue.put_nowait(1)
        with pytest.raises(gen.TimeoutError):
            await queue.join(timeout=TINY)

    run(main())


def test_get_timeout_then_item_goes_to_next_getter() -> None:
    async def main() -> None:
        queue: Queue[str] = Queue()
        gave_up = queue.get(timeout=TINY)
        waiting = queue.get()
        with pytest.raises(gen.TimeoutError):
            await gave_up
        queue.put_nowait("item")
        assert await asyncio.wait_for(waiting, 5) == "item"
        assert queue.empty()

    run(main())


def test_get_timeout_item_stays_in_queue_when_no_live_getter() -> None:
    async def main() -> None:
        queue: Queue[str] = Queue()
        with pytest.raises(gen.TimeoutError):
            await queue.get(timeout=IOLoop.current().time() + 0.01)
        await queue.put("kept")
        assert queue.qsize() == 1
        assert queue.get_nowait() == "kept"

    run(main())


def test_put_timeout_item_is_not_added() -> None:
    async def main() -> None:
        queue: Queue[str] = Queue(maxsize=1)
        await queue.put("first")
        with pytest.raises(gen.TimeoutError):
            await queue.put("dropped", timeout=TINY)
        waiting = queue.put("second")
        assert queue.get_nowait() == "first"
        await asyncio.wait_for(waiting, 5)
        assert queue.get_nowait() == "second"
        assert queue.empty()

    run(main())


def test_cancelled_getter_and_putter_are_skipped() -> None:
    async def main() -> None:
        queue: Queue[str] = Queue(maxsize=1)
        cancelled_get = queue.get()
        live_get = queue.get()
        cancelled_get.cancel()
        queue.put_nowait("x")
        assert await live_get == "x"
        queue.put_nowait("full")
        cancelled_put = queue.put("lost")
        live_put = queue.put("kept")
        cancelled_put.cancel()
        assert queue.get_nowait() == "full"
        await live_put
        assert queue.get_nowait() == "kept"
        assert queue.empty()

    run(main())


def test_getters_served_in_order() -> None:
    async def main() -> list[Any]:
        queue: Queue[int] = Queue()
        getters = [queue.get() for _ in range(3)]
        for i in range(3):
            await queue.put(i)
        return [await g for g in getters]

    assert run(main()) == [0, 1, 2]


def test_priority_queue_smallest_first() -> None:
    async def main() -> list[Any]:
        queue: PriorityQueue[tuple[int, str]] = PriorityQueue()
        for entry in [(3, "low"), (0, "urgent"), (1, "high"), (2, "medium")]:
            queue.put_nowait(entry)
        return [queue.get_nowait()[1] for _ in range(4)]

    assert run(main()) == ["urgent", "high", "medium", "low"]


def test_lifo_queue_last_first() -> None:
    async def main() -> list[int]:
        queue: LifoQueue[int] = LifoQueue()
        for i in (1, 2, 3):
            await queue.put(i)
        return [await queue.get() for _ in range(3)]

    assert run(main()) == [3, 2, 1]


def test_bad_timeout_type_is_refused_even_without_waiting() -> None:
    async def main() -> None:
        queue: Queue[int] = Queue()
        with pytest.raises(TypeError, match="timedelta"):
            queue.put(1, timeout="5")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="timedelta"):
            queue.get(timeout="5")  # type: ignore[arg-type]
        assert queue.empty()

    run(main())


@pytest.mark.parametrize("seed", range(5))
def test_random_timeouts_never_lose_or_duplicate_items(seed: int) -> None:
    """Producers and consumers with tiny random deadlines: every accepted item arrives once."""
    rng = random.Random(seed)
    accepted: list[int] = []
    received: list[int] = []
    timeouts = {"put": 0, "get": 0}

    async def main() -> None:
        queue: Queue[int] = Queue(maxsize=2)

        async def producer(base: int) -> None:
            for i in range(base, base + 30):
                try:
                    await queue.put(i, timeout=datetime.timedelta(seconds=rng.choice([0, 0.001])))
                except gen.TimeoutError:
                    timeouts["put"] += 1
                    continue
                accepted.append(i)
                if rng.random() < 0.3:
                    await asyncio.sleep(0)

        async def consumer() -> None:
            misses = 0
            while misses < 20:
                try:
                    item = await queue.get(timeout=datetime.timedelta(seconds=rng.choice([0, 0.001])))
                except gen.TimeoutError:
                    misses += 1
                    timeouts["get"] += 1
                    continue
                received.append(item)
                queue.task_done()
                # Sometimes slower than the producers, so that puts time out too.
                await asyncio.sleep(rng.choice([0, 0, 0.002]))

        await asyncio.gather(producer(0), producer(1000), consumer(), consumer())
        while not queue.empty():
            received.append(queue.get_nowait())
            queue.task_done()
        await queue.join(timeout=datetime.timedelta(seconds=5))

    run(main())
    assert sorted(received) == sorted(accepted)
    assert len(set(received)) == len(received)
    assert timeouts["put"] > 0 and timeouts["get"] > 0  # both paths were exercised
