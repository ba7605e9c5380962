"""Tests of squall.gen: legacy coroutines, multi, with_timeout, sleep, WaitIterator."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import logging
from collections.abc import Generator
from typing import Any

import pytest

from squall import gen
from squall.ioloop import IOLoop

TINY = datetime.timedelta(seconds=0.01)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@gen.coroutine
def double_later(x: int) -> Generator[Any, Any, int]:
    yield gen.sleep(0.001)
    return x * 2


@gen.coroutine
def fail_later(exc: BaseException) -> Generator[Any, Any, None]:
    yield gen.sleep(0.001)
    raise exc


# -- legacy coroutines ------------------------------------------------------------


def test_coroutine_returns_future_with_return_value() -> None:
    async def main() -> None:
        future = double_later(21)
        assert isinstance(future, asyncio.Future)
        assert await future == 42

    run(main())


def test_gen_return_sets_result() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, None]:
        value = yield double_later(5)
        raise gen.Return(value + 1)

    assert run(legacy_wrapper(legacy)) == 11


async def legacy_wrapper(fn: Any) -> Any:
    return await fn()


def test_yield_list_and_dict_gives_results_in_same_shape() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, tuple[Any, Any]]:
        as_list = yield [double_later(1), double_later(2), gen.sleep(0)]
        as_dict = yield {"x": double_later(3), "y": double_later(4)}
        return as_list, as_dict

    as_list, as_dict = run(legacy_wrapper(legacy))
    assert as_list == [2, 4, None]
    assert as_dict == {"x": 6, "y": 8}


def test_exception_is_raised_at_the_yield_and_can_be_caught() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, str]:
        try:
            yield fail_later(KeyError("gone"))
        except KeyError as exc:
            caught = exc.args[0]
        value = yield double_later(1)
        return f"{caught}:{value}"

    assert run(legacy_wrapper(legacy)) == "gone:2"


def test_uncaught_exception_fails_the_future() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, None]:
        yield fail_later(ValueError("boom"))

    with pytest.raises(ValueError, match="boom"):
        run(legacy_wrapper(legacy))


def test_plain_function_result_and_exception_are_wrapped() -> None:
    @gen.coroutine
    def plain(x: int) -> int:
        return x + 1

    @gen.coroutine
    def broken() -> None:
        raise RuntimeError("plain failure")

    async def main() -> None:
        future = plain(1)
        assert future.done() and future.result() == 2
        failed = broken()  # does not raise at the call
        with pytest.raises(RuntimeError, match="plain failure"):
            await failed

    run(main())


def test_runs_synchronously_until_first_pending_yield() -> None:
    events: list[str] = []

    @gen.coroutine
    def legacy() -> Generator[Any, Any, str]:
        events.append("start")
        done = asyncio.get_running_loop().create_future()
        done.set_result("ready")
        value = yield done  # already finished: no trip round the loop
        events.append(value)
        yield gen.sleep(0)
        events.append("end")
        return "ok"

    async def main() -> None:
        future = legacy()
        assert events == ["start", "ready"]
        assert not future.done()
        assert await future == "ok"
        assert events == ["start", "ready", "end"]

    run(main())


def test_yield_none_and_moment_let_other_callbacks_run() -> None:
    seen: list[str] = []

    @gen.coroutine
    def legacy() -> Generator[Any, Any, list[str]]:
        loop = asyncio.get_running_loop()
        loop.call_soon(seen.append, "first")
        yield gen.moment
        snapshot = list(seen)
        loop.call_soon(seen.append, "second")
        yield None
        return snapshot + seen

    assert run(legacy_wrapper(legacy)) == ["first", "first", "second"]


def test_await_moment_in_native_coroutine() -> None:
    async def main() -> list[int]:
        seen: list[int] = []
        asyncio.get_running_loop().call_soon(seen.append, 1)
        await gen.moment
        return seen

    assert run(main()) == [1]


def test_bad_yield_is_raised_inside_generator() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, str]:
        try:
            yield "not awaitable"
        except gen.BadYieldError as exc:
            return str(exc)
        return "unreachable"

    message = run(legacy_wrapper(legacy))
    assert "not awaitable" in message
    assert issubclass(gen.BadYieldError, TypeError)


def test_cancel_throws_cancelled_error_into_generator() -> None:
    cleanup: list[str] = []

    @gen.coroutine
    def legacy() -> Generator[Any, Any, None]:
        try:
            yield gen.sleep(10)
        finally:
            cleanup.append("finally ran")

    async def main() -> None:
        future = legacy()
        await asyncio.sleep(0)
        future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await future

    run(main())
    assert cleanup == ["finally ran"]


def test_native_and_legacy_coroutines_interoperate() -> None:
    async def native(x: int) -> int:
        await asyncio.sleep(0)
        return x + 100

    @gen.coroutine
    def legacy() -> Generator[Any, Any, int]:
        a = yield native(1)  # a coroutine object is scheduled as a task
        b = yield asyncio.ensure_future(native(2))
        return a + b

    async def main() -> int:
        return await legacy()

    assert run(main()) == 203


def test_yield_concurrent_future() -> None:
    pool = concurrent.futures.ThreadPoolExecutor(1)

    @gen.coroutine
    def legacy() -> Generator[Any, Any, int]:
        result = yield pool.submit(sum, [1, 2, 3])
        return result

    try:
        assert run(legacy_wrapper(legacy)) == 6
    finally:
        pool.shutdown()


def test_coroutine_runs_under_ioloop_run_sync(io_loop: IOLoop) -> None:
    assert io_loop.run_sync(lambda: double_later(8)) == 16


def test_coroutine_called_before_loop_runs_binds_current_ioloop(io_loop: IOLoop) -> None:
    future = double_later(2)
    assert future.get_loop() is io_loop.asyncio_loop

    async def wait() -> int:
        return await future

    assert io_loop.run_sync(wait) == 4


def test_is_coroutine_function() -> None:
    async def native() -> None:
        return None

    def plain() -> None:
        return None

    assert gen.is_coroutine_function(double_later)
    assert gen.is_coroutine_function(native)
    assert not gen.is_coroutine_function(plain)
    assert not gen.is_coroutine_function(42)
    assert double_later.__name__ == "double_later"


# -- multi ------------------------------------------------------------------------


def test_multi_list_and_dict() -> None:
    async def main() -> None:
        assert await gen.multi([double_later(1), double_later(2)]) == [2, 4]
        assert await gen.multi({"a": double_later(1)}) == {"a": 2}
        assert await gen.multi([]) == []
        assert await gen.multi({}) == {}
        assert await gen.multi_future([double_later(5)]) == [10]

    run(main())


def test_multi_raises_first_error_and_logs_later_ones(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        first: asyncio.Future[None] = loop.create_future()
        second: asyncio.Future[None] = loop.create_future()
        combined = gen.multi([first, second])
        first.set_exception(ValueError("first"))
        with pytest.raises(ValueError, match="first"):
            await combined
        second.set_exception(KeyError("second"))
        await asyncio.sleep(0)

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main())
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and isinstance(logged[0], KeyError)


def test_multi_quiet_exceptions_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b, c = (loop.create_future() for _ in range(3))
        combined = gen.multi([a, b, c], quiet_exceptions=(KeyError, LookupError))
        a.set_exception(ValueError("first"))
        b.set_exception(KeyError("quiet"))
        c.set_exception(OSError("loud"))
        with pytest.raises(ValueError):
            await combined
        await asyncio.sleep(0)

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main())
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(e) for e in logged] == [OSError]


def test_multi_cancel_does_not_cancel_children() -> None:
    async def main() -> None:
        child = gen.sleep(0.01)
        combined = gen.multi([child])
        combined.cancel()
        assert await child is None
        assert not child.cancelled()

    run(main())


def test_multi_rejects_non_collections() -> None:
    async def main() -> None:
        with pytest.raises(TypeError, match="list or a dict"):
            gen.multi(double_later(1))  # type: ignore[call-overload]

    run(main())


# -- with_timeout, sleep ----------------------------------------------------------------


def test_with_timeout_passes_result_through() -> None:
    async def main() -> int:
        return await gen.with_timeout(datetime.timedelta(seconds=5), double_later(3))

    assert run(main()) == 6


def test_with_timeout_raises_timeout_and_leaves_future_running() -> None:
    async def main() -> None:
        slow = gen.sleep(0.03)
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(TINY, slow)
        assert not slow.cancelled()
        assert await slow is None

    run(main())


def test_with_timeout_absolute_deadline() -> None:
    async def main() -> None:
        deadline = IOLoop.current().time() + 0.01
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(deadline, asyncio.get_running_loop().create_future())

    run(main())


def test_with_timeout_logs_late_failure_unless_quiet(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        loud: asyncio.Future[None] = loop.create_future()
        quiet: asyncio.Future[None] = loop.create_future()
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(TINY, loud)
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(TINY, quiet, quiet_exceptions=KeyError)
        loud.set_exception(OSError("late"))
        quiet.set_exception(KeyError("late but quiet"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main())
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(e) for e in logged] == [OSError]
    assert "after timeout" in caplog.records[0].getMessage()


def test_with_timeout_rejects_bad_timeout_without_starting_coroutine() -> None:
    started: list[bool] = []

    async def work() -> None:
        started.append(True)

    async def main() -> None:
        coro = work()
        with pytest.raises(TypeError, match="timedelta"):
            gen.with_timeout("soon", coro)  # type: ignore[arg-type]
        coro.close()

    run(main())
    assert started == []


def test_timeout_error_is_asyncios() -> None:
    assert gen.TimeoutError is asyncio.TimeoutError

    async def main() -> str:
        try:
            await asyncio.wait_for(asyncio.sleep(1), 0.01)
        except gen.TimeoutError:
            return "caught"
        return "not caught"

    assert run(main()) == "caught"


def test_sleep_resolves_to_none_and_validates() -> None:
    async def main() -> None:
        assert await gen.sleep(0.001) is None
        with pytest.raises(TypeError, match="number of seconds"):
            gen.sleep("1")  # type: ignore[arg-type]

    run(main())


# -- WaitIterator ---------------------------------------------------------------------


def test_wait_iterator_in_completion_order_with_positions() -> None:
    async def main() -> list[tuple[Any, Any]]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(3)]
        waiter = gen.WaitIterator(*futures)
        futures[2].set_result("c")
        futures[0].set_result("a")
        futures[1].set_exception(KeyError("b"))
        seen: list[tuple[Any, Any]] = []
        while not waiter.done():
            try:
                value = await waiter.next()
            except KeyError as exc:
                value = f"error {exc.args[0]}"
            assert waiter.current_future is futures[waiter.current_index]
            seen.append((waiter.current_index, value))
        assert waiter.current_index is None and waiter.current_future is None
        return seen

    assert run(main()) == [(2, "c"), (0, "a"), (1, "error b")]


def test_wait_iterator_keywords_and_async_for() -> None:
    async def main() -> dict[Any, Any]:
        waiter = gen.WaitIterator(slow=gen.sleep(0.02), fast=double_later(1))
        results = {}
        async for value in waiter:
            results[waiter.current_index] = value
        return results

    assert run(main()) == {"slow": None, "fast": 2}


def test_wait_iterator_misuse() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="not both"):
            gen.WaitIterator(gen.sleep(0), x=gen.sleep(0))
        empty = gen.WaitIterator()
        assert empty.done()
        with pytest.raises(RuntimeError, match="every result"):
            empty.next()

    run(main())


# -- convert_yielded, maybe_future ---------------------------------------------------------


def test_convert_yielded() -> None:
    class Custom:
        pass

    @gen.convert_yielded.register(Custom)
    def _(value: Custom) -> asyncio.Future[Any]:
        return gen.maybe_future("custom")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        assert gen.convert_yielded(fut) is fut
        task = gen.convert_yielded(double_later(1))
        assert await task == 2
        assert await gen.convert_yielded([double_later(1)]) == [2]
        assert await gen.convert_yielded(None) is None
        assert await gen.convert_yielded(gen.moment) is None
        assert await gen.convert_yielded(Custom()) == "custom"
        with pytest.raises(gen.BadYieldError):
            gen.convert_yielded(object())

    run(main())


def test_maybe_future() -> None:
    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()
        assert gen.maybe_future(fut) is fut
        wrapped = gen.maybe_future(7)
        assert wrapped.done() and wrapped.result() == 7

    run(main())


def test_works_under_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")

    @gen.coroutine
    def legacy() -> Generator[Any, Any, Any]:
        both = yield [double_later(1), double_later(2)]
        yield gen.moment
        try:
            yield gen.with_timeout(TINY, gen.sleep(1))
        except gen.TimeoutError:
            both.append("timeout")
        return both

    async def main() -> Any:
        return await legacy()

    assert uvloop.run(main()) == [2, 4, "timeout"]
