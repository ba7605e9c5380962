"""Tests of squall.concurrent: future helpers and run_on_executor."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from squall.concurrent import (
    FUTURES,
    Future,
    chain_future,
    future_add_done_callback,
    future_set_exc_info,
    future_set_exception_unless_cancelled,
    future_set_result_unless_cancelled,
    is_future,
    run_on_executor,
)
from squall.ioloop import IOLoop


@pytest.fixture
def pool() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    executor = concurrent.futures.ThreadPoolExecutor(2)
    yield executor
    executor.shutdown(wait=True)


def test_future_is_asyncio_future() -> None:
    assert Future is asyncio.Future
    assert asyncio.Future in FUTURES and concurrent.futures.Future in FUTURES


def test_is_future_recognises_both_kinds_but_not_coroutines() -> None:
    async def coro() -> None:
        return None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert is_future(loop.create_future())
        task = asyncio.ensure_future(coro())
        assert is_future(task)
        await task
        assert is_future(concurrent.futures.Future())
        c = coro()
        assert not is_future(c)
        c.close()
        assert not is_future(None)
        assert not is_future(42)

    asyncio.run(main())


def test_chain_future_copies_result_exception_and_cancellation() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = loop.create_future(), loop.create_future()
        chain_future(a, b)
        a.set_result("value")
        assert await b == "value"

        a, b = loop.create_future(), loop.create_future()
        chain_future(a, b)
        a.set_exception(KeyError("missing"))
        with pytest.raises(KeyError, match="missing"):
            await b

        a, b = loop.create_future(), loop.create_future()
        chain_future(a, b)
        a.cancel()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert b.cancelled()

    asyncio.run(main())


def test_chain_future_leaves_an_already_finished_target_alone() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b, c = loop.create_future(), loop.create_future(), loop.create_future()
        chain_future(a, b)
        chain_future(a, c)
        b.set_result("first")
        c.cancel()
        a.set_result("second")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert b.result() == "first"
        assert c.cancelled()

    asyncio.run(main())


def test_chain_future_from_thread_pool_future(pool: concurrent.futures.ThreadPoolExecutor) -> None:
    release = threading.Event()

    def blocking() -> int:
        release.wait(5)
        return threading.get_ident()

    async def main() -> None:
        target: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        chain_future(pool.submit(blocking), target)
        release.set()
        worker_thread = await asyncio.wait_for(target, 5)
        assert worker_thread != threading.get_ident()

    asyncio.run(main())


def test_chain_future_into_concurrent_future() -> None:
    async def main() -> None:
        source: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        target: concurrent.futures.Future[str] = concurrent.futures.Future()
        chain_future(source, target)
        source.set_result("done")
        await asyncio.sleep(0)
        assert target.result(timeout=0) == "done"

    asyncio.run(main())


def test_set_result_unless_cancelled() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        pending = loop.create_future()
        future_set_result_unless_cancelled(pending, 3)
        assert pending.result() == 3
        cancelled = loop.create_future()
        cancelled.cancel()
        future_set_result_unless_cancelled(cancelled, 3)  # no InvalidStateError
        assert cancelled.cancelled()
        done = loop.create_future()
        done.set_result(1)
        with pytest.raises(asyncio.InvalidStateError):
            future_set_result_unless_cancelled(done, 2)

    asyncio.run(main())


def test_set_exception_unless_cancelled_logs_when_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        pending = loop.create_future()
        future_set_exception_unless_cancelled(pending, ValueError("bad"))
        assert isinstance(pending.exception(), ValueError)
        cancelled = loop.create_future()
        cancelled.cancel()
        with caplog.at_level(logging.ERROR, logger="squall.application"):
            future_set_exception_unless_cancelled(cancelled, ValueError("lost"))
        assert any(r.exc_info and str(r.exc_info[1]) == "lost" for r in caplog.records)

    asyncio.run(main())


def test_future_set_exc_info() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        try:
            raise OSError("disk on fire")
        except OSError:
            future_set_exc_info(future, sys.exc_info())
        with pytest.raises(OSError, match="disk on fire"):
            await future
        with pytest.raises(ValueError, match="without an exception"):
            future_set_exc_info(loop.create_future(), (None, None, None))

    asyncio.run(main())


def test_future_add_done_callback_runs_at_once_when_done() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        calls: list[Any] = []
        done = loop.create_future()
        done.set_result(1)
        future_add_done_callback(done, calls.append)
        assert calls == [done]  # synchronously, not on the next iteration

        pending = loop.create_future()
        future_add_done_callback(pending, calls.append)
        assert calls == [done]
        pending.set_result(2)
        await asyncio.sleep(0)
        assert calls == [done, pending]

        cf: concurrent.futures.Future[int] = concurrent.futures.Future()
        cf.set_result(3)
        future_add_done_callback(cf, calls.append)
        assert calls[-1] is cf

    asyncio.run(main())


class Worker:
    def __init__(self, pool: concurrent.futures.Executor) -> None:
        self.executor = pool
        self._other = pool
        self.loop_thread = threading.get_ident()

    @run_on_executor
    def where(self, offset: int, *, scale: int = 1) -> tuple[int, int]:
        return threading.get_ident(), offset * scale

    @run_on_executor(executor="_other")
    def fail(self) -> None:
        raise LookupError("nothing here")


def test_run_on_executor_runs_method_in_pool(pool: concurrent.futures.ThreadPoolExecutor) -> None:
    async def main() -> None:
        worker = Worker(pool)
        future = worker.where(4, scale=3)
        assert isinstance(future, asyncio.Future)
        thread, value = await future
        assert value == 12
        assert thread != threading.get_ident()
        with pytest.raises(LookupError, match="nothing here"):
            await worker.fail()

    asyncio.run(main())


def test_run_on_executor_outside_running_loop_binds_current_ioloop(
    io_loop: IOLoop, pool: concurrent.futures.ThreadPoolExecutor
) -> None:
    future = Worker(pool).where(1)
    assert future.get_loop() is io_loop.asyncio_loop

    async def wait() -> tuple[int, int]:
        return await future

    assert io_loop.run_sync(wait)[1] == 1


def test_run_on_executor_missing_executor_attribute() -> None:
    class NoPool:
        @run_on_executor
        def work(self) -> int:
            return 1

    async def main() -> None:
        with pytest.raises(AttributeError, match="needs self.executor"):
            NoPool().work()

    asyncio.run(main())


def test_run_on_executor_rejects_a_positional_executor_name() -> None:
    with pytest.raises(TypeError, match="executor='name'"):
        run_on_executor("_pool")  # type: ignore[call-overload]
