"""Tests of squall.locks: Condition, Event, Semaphore, BoundedSemaphore, Lock."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Generator
from typing import Any

import pytest

from squall import gen
from squall.ioloop import IOLoop
from squall.locks import BoundedSemaphore, Condition, Event, Lock, Semaphore

TINY = datetime.timedelta(seconds=0.01)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def settle() -> None:
    """Let woken waiters run."""
    for _ in range(3):
        await asyncio.sleep(0)


# -- Condition --------------------------------------------------------------------


def test_condition_waiter_and_notifier() -> None:
    log: list[str] = []
    condition = Condition()

    async def waiter() -> None:
        log.append("waiting")
        notified = await condition.wait()
        log.append(f"woken {notified}")

    async def notifier() -> None:
        log.append("notifying")
        condition.notify()
        log.append("notified")

    async def main() -> None:
        await gen.multi([waiter(), notifier()])

    run(main())
    assert log == ["waiting", "notifying", "notified", "woken True"]


def test_condition_wait_timeout_resolves_false() -> None:
    async def main() -> None:
        condition = Condition()
        assert await condition.wait(timeout=TINY) is False
        assert await condition.wait(timeout=IOLoop.current().time() + 0.01) is False

    run(main())


def test_condition_notify_skips_timed_out_waiter() -> None:
    async def main() -> None:
        condition = Condition()
        early = condition.wait(timeout=TINY)
        late = condition.wait()
        assert await early is False
        condition.notify(1)  # must reach `late`, not the expired `early`
        assert await asyncio.wait_for(late, 5) is True

    run(main())


def test_condition_notify_n_in_fifo_order_and_notify_all() -> None:
    async def main() -> None:
        condition = Condition()
        waiters = [condition.wait() for _ in range(5)]
        condition.notify(2)
        await settle()
        assert [w.done() for w in waiters] == [True, True, False, False, False]
        cancelled = waiters[2]
        cancelled.cancel()
        condition.notify(1)
        await settle()
        assert waiters[3].done() and not waiters[4].done()
        condition.notify_all()
        await settle()
        assert all(w.done() for w in waiters)
        condition.notify()  # nobody waits: nothing happens

    run(main())


def test_condition_bad_timeout() -> None:
    async def main() -> None:
        with pytest.raises(TypeError, match="timedelta"):
            Condition().wait(timeout="1s")  # type: ignore[arg-type]

    run(main())


# -- Event ------------------------------------------------------------------------


def test_event_wakes_every_waiter() -> None:
    log: list[str] = []

    async def main() -> None:
        event = Event()

        async def waiter(name: str) -> None:
            await event.wait()
            log.append(name)

        tasks = [asyncio.ensure_future(waiter(n)) for n in ("a", "b")]
        await settle()
        assert log == [] and not event.is_set()
        event.set()
        await asyncio.gather(*tasks)
        assert sorted(log) == ["a", "b"] and event.is_set()
        done = event.wait()
        assert done.done()  # set already: resolved at once
        event.clear()
        assert not event.is_set()
        with pytest.raises(gen.TimeoutError):
            await event.wait(timeout=TINY)

    run(main())


def test_event_timeout_does_not_affect_other_waiters() -> None:
    async def main() -> None:
        event = Event()
        short = event.wait(timeout=TINY)
        long = event.wait()
        with pytest.raises(gen.TimeoutError):
            await short
        event.set()
        assert await asyncio.wait_for(long, 5) is None

    run(main())


def test_event_timeout_error_is_catchable_as_asyncio_timeout() -> None:
    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await Event().wait(timeout=TINY)

    run(main())


# -- Semaphore ----------------------------------------------------------------------


def test_semaphore_bounds_concurrency() -> None:
    active = 0
    peak = 0
    finished: list[int] = []

    async def main() -> None:
        slots = Semaphore(2)

        async def worker(n: int) -> None:
            nonlocal active, peak
            async with slots:
                active += 1
                peak = max(peak, active)
                await asyncio.sleep(0.001)
                active -= 1
            finished.append(n)

        await asyncio.gather(*(worker(n) for n in range(6)))

    run(main())
    assert peak == 2
    assert sorted(finished) == list(range(6))


def test_semaphore_serves_waiters_in_order() -> None:
    async def main() -> list[int]:
        sem = Semaphore(0)
        order: list[int] = []

        async def waiter(n: int) -> None:
            await sem.acquire()
            order.append(n)

        tasks = [asyncio.ensure_future(waiter(n)) for n in range(3)]
        await settle()
        for _ in range(3):
            sem.release()
        await asyncio.gather(*tasks)
        return order

    assert run(main()) == [0, 1, 2]


def test_semaphore_value_validation() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Semaphore(-1)
    with pytest.raises(TypeError):
        Semaphore("2")  # type: ignore[arg-type]
    Semaphore(0)


def test_semaphore_acquire_timeout_and_skip_of_timed_out_waiter() -> None:
    async def main() -> None:
        sem = Semaphore(1)
        await sem.acquire()
        expired = sem.acquire(timeout=TINY)
        live = sem.acquire()
        with pytest.raises(gen.TimeoutError):
            await expired
        sem.release()  # goes to `live`, not to the waiter that gave up
        await asyncio.wait_for(live, 5)
        assert "locked" in repr(sem)
        sem.release()
        # Exactly one slot is free again: one immediate acquire, then a wait.
        assert sem.acquire().done()
        assert not sem.acquire(timeout=TINY).done()

    run(main())


def test_semaphore_skips_cancelled_waiter() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        cancelled = sem.acquire()
        live = sem.acquire()
        cancelled.cancel()
        sem.release()
        await asyncio.wait_for(live, 5)

    run(main())


def test_semaphore_async_with_returns_slot_on_error_and_plain_with_refused() -> None:
    async def main() -> None:
        sem = Semaphore(1)
        with pytest.raises(KeyError):
            async with sem:
                raise KeyError("inside")
        assert sem.acquire().done()  # the slot came back
        with pytest.raises(RuntimeError, match="async with"):
            with sem:
                pass

    run(main())


def test_legacy_with_yield_acquire_releases() -> None:
    sem = Semaphore(1)

    @gen.coroutine
    def legacy() -> Generator[Any, Any, bool]:
        with (yield sem.acquire()):
            inside = "locked" in repr(sem)
        return inside

    async def main() -> None:
        assert await legacy() is True
        assert sem.acquire().done()

    run(main())


def test_bounded_semaphore_refuses_extra_release() -> None:
    async def main() -> None:
        sem = BoundedSemaphore(2)
        await sem.acquire()
        sem.release()
        with pytest.raises(ValueError, match="too many times"):
            sem.release()

    run(main())


# -- Lock --------------------------------------------------------------------------


def test_lock_excludes_and_is_released() -> None:
    async def main() -> list[str]:
        lock = Lock()
        log: list[str] = []

        async def critical(name: str) -> None:
            async with lock:
                log.append(f"{name} in")
                await asyncio.sleep(0.001)
                log.append(f"{name} out")

        await asyncio.gather(critical("a"), critical("b"))
        return log

    assert run(main()) == ["a in", "a out", "b in", "b out"]


def test_lock_release_unlocked_and_timeout() -> None:
    async def main() -> None:
        lock = Lock()
        with pytest.raises(RuntimeError, match="unlocked"):
            lock.release()
        await lock.acquire()
        with pytest.raises(gen.TimeoutError):
            await lock.acquire(timeout=TINY)
        lock.release()
        await asyncio.wait_for(lock.acquire(), 5)
        lock.release()
        with pytest.raises(RuntimeError, match="async with"):
            with lock:
                pass

    run(main())


def test_lock_timed_out_waiter_does_not_take_lock() -> None:
    async def main() -> None:
        lock = Lock()
        await lock.acquire()
        gave_up = lock.acquire(timeout=IOLoop.current().time() + 0.01)
        waiting = lock.acquire()
        with pytest.raises(gen.TimeoutError):
            await gave_up
        lock.release()
        await asyncio.wait_for(waiting, 5)
        lock.release()
        with pytest.raises(RuntimeError):
            lock.release()  # exactly one holder existed

    run(main())


def test_lock_async_with_cancelled_waiter_leaves_lock_usable() -> None:
    async def main() -> None:
        lock = Lock()
        await lock.acquire()

        async def blocked() -> None:
            async with lock:
                raise AssertionError("must not get the lock")

        task = asyncio.ensure_future(blocked())
        await settle()
        lock.release()  # hands the lock to `blocked`...
        task.cancel()  # ...which is cancelled before it can run: it must give it back
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(lock.acquire(timeout=TINY), 5)

    run(main())


def test_legacy_with_yield_lock() -> None:
    lock = Lock()

    @gen.coroutine
    def legacy() -> Generator[Any, Any, None]:
        with (yield lock.acquire()):
            yield gen.sleep(0)

    async def main() -> None:
        await gen.multi([legacy(), legacy()])
        await lock.acquire(timeout=TINY)

    run(main())


def test_many_timed_out_waiters_are_compacted() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        expired = [sem.acquire(timeout=IOLoop.current().time()) for _ in range(300)]
        await asyncio.gather(*expired, return_exceptions=True)
        live = sem.acquire()
        more = [sem.acquire(timeout=IOLoop.current().time()) for _ in range(300)]
        await asyncio.gather(*more, return_exceptions=True)
        assert "waiters:1" in repr(sem)
        sem.release()
        await asyncio.wait_for(live, 5)

    run(main())
