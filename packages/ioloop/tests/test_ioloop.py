"""Tests of squall.ioloop: the IOLoop facade and PeriodicCallback."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from squall.ioloop import IOLoop, PeriodicCallback, install_uvloop


def test_new_ioloop_is_current_and_wraps_fresh_asyncio_loop(io_loop: IOLoop) -> None:
    assert IOLoop.current() is io_loop
    assert IOLoop.instance() is io_loop
    assert isinstance(io_loop.asyncio_loop, asyncio.AbstractEventLoop)
    assert not io_loop.asyncio_loop.is_running()


def test_current_inside_coroutine_is_facade_of_running_loop(io_loop: IOLoop) -> None:
    async def main() -> tuple[IOLoop, IOLoop]:
        return IOLoop.current(), IOLoop.current()

    first, second = io_loop.run_sync(main)
    assert first is io_loop and second is io_loop


def test_current_under_asyncio_run_wraps_that_loop() -> None:
    async def main() -> tuple[IOLoop, asyncio.AbstractEventLoop]:
        return IOLoop.current(), asyncio.get_running_loop()

    facade, loop = asyncio.run(main())
    assert facade.asyncio_loop is loop


def test_current_instance_false_returns_none_without_loop() -> None:
    result: list[Any] = []

    def worker() -> None:
        result.append(IOLoop.current(instance=False))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert result == [None]


def test_current_creates_loop_in_fresh_thread() -> None:
    result: list[Any] = []

    def worker() -> None:
        loop = IOLoop.current()
        result.append((loop, IOLoop.current()))
        loop.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    first, second = result[0]
    assert isinstance(first, IOLoop) and first is second


def test_second_facade_for_same_loop_is_refused(io_loop: IOLoop) -> None:
    with pytest.raises(ValueError, match="already has an IOLoop"):
        IOLoop(asyncio_loop=io_loop.asyncio_loop)


def test_start_stop_and_callbacks_run_in_order(io_loop: IOLoop) -> None:
    calls: list[Any] = []
    io_loop.add_callback(calls.append, 1)
    io_loop.spawn_callback(calls.append, 2)
    io_loop.add_callback(lambda: calls.append(3))
    io_loop.add_callback(io_loop.stop)
    io_loop.start()
    assert calls == [1, 2, 3]


def test_callback_kwargs(io_loop: IOLoop) -> None:
    got: dict[str, Any] = {}

    def cb(a: int, *, b: int) -> None:
        got.update(a=a, b=b)
        io_loop.stop()

    io_loop.add_callback(cb, 1, b=2)
    io_loop.start()
    assert got == {"a": 1, "b": 2}


def test_start_twice_raises(io_loop: IOLoop) -> None:
    errors: list[BaseException] = []

    def nested() -> None:
        try:
            io_loop.start()
        except RuntimeError as exc:
            errors.append(exc)
        io_loop.stop()

    io_loop.add_callback(nested)
    io_loop.start()
    assert len(errors) == 1 and "already running" in str(errors[0])


def test_close_running_loop_raises_and_closed_loop_cannot_start(io_loop: IOLoop) -> None:
    errors: list[BaseException] = []

    def try_close() -> None:
        try:
            io_loop.close()
        except RuntimeError as exc:
            errors.append(exc)
        io_loop.stop()

    io_loop.add_callback(try_close)
    io_loop.start()
    assert errors
    io_loop.close()
    with pytest.raises(RuntimeError, match="closed"):
        io_loop.start()
    assert IOLoop.current(instance=False) is None


def test_close_all_fds_closes_registered_descriptors(io_loop: IOLoop) -> None:
    a, b = socket.socketpair()
    io_loop.add_handler(a, lambda fd, ev: None, IOLoop.READ)
    io_loop.close(all_fds=True)
    assert a.fileno() == -1
    b.close()


def test_stop_before_start_returns_promptly(io_loop: IOLoop) -> None:
    io_loop.stop()
    io_loop.start()  # returns instead of running forever


def test_add_callback_from_other_thread_wakes_loop(io_loop: IOLoop) -> None:
    seen: list[str] = []

    def worker() -> None:
        io_loop.add_callback(seen.append, threading.current_thread().name)
        io_loop.add_callback(io_loop.stop)

    io_loop.add_callback(lambda: threading.Thread(target=worker, name="w").start())
    io_loop.start()
    assert seen == ["w"]


def test_add_callback_from_signal(io_loop: IOLoop) -> None:
    seen: list[int] = []
    io_loop.add_callback_from_signal(seen.append, 5)
    io_loop.add_callback(io_loop.stop)
    io_loop.start()
    assert seen == [5]


def test_exception_in_callback_is_logged_and_loop_continues(
    io_loop: IOLoop, caplog: pytest.LogCaptureFixture
) -> None:
    after: list[bool] = []

    def boom() -> None:
        raise ZeroDivisionError("bad callback")

    io_loop.add_callback(boom)
    io_loop.add_callback(lambda: after.append(True))
    io_loop.add_callback(io_loop.stop)
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        io_loop.start()
    assert after == [True]
    records = [r for r in caplog.records if r.name == "squall.application"]
    assert records and records[0].exc_info is not None
    assert records[0].exc_info[0] is ZeroDivisionError


def test_exception_in_async_callback_is_logged(
    io_loop: IOLoop, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom() -> None:
        await asyncio.sleep(0)
        raise KeyError("async bad")

    io_loop.add_callback(boom)
    io_loop.call_later(0.02, io_loop.stop)
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        io_loop.start()
    assert any(
        r.exc_info and r.exc_info[0] is KeyError
        for r in caplog.records
        if r.name == "squall.application"
    )


def test_exception_in_timeout_is_logged(io_loop: IOLoop, caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise ValueError("late")

    io_loop.call_later(0, boom)
    io_loop.call_later(0.01, io_loop.stop)
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        io_loop.start()
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)


def test_run_sync_sync_and_async(io_loop: IOLoop) -> None:
    assert io_loop.run_sync(lambda: 42) == 42

    async def coro() -> str:
        await asyncio.sleep(0)
        return "done"

    assert io_loop.run_sync(coro) == "done"
    # The loop can be reused for another run_sync.
    assert io_loop.run_sync(coro) == "done"


def test_run_sync_propagates_exceptions(io_loop: IOLoop) -> None:
    async def fail() -> None:
        raise LookupError("inner")

    with pytest.raises(LookupError, match="inner"):
        io_loop.run_sync(fail)

    def sync_fail() -> None:
        raise OSError("sync")

    with pytest.raises(OSError, match="sync"):
        io_loop.run_sync(sync_fail)


def test_run_sync_timeout(io_loop: IOLoop) -> None:
    cancelled: list[bool] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(TimeoutError, match="timed out after 0.05"):
        io_loop.run_sync(slow, timeout=0.05)
    assert cancelled == [True]
    with pytest.raises(TimeoutError):
        io_loop.run_sync(slow, timeout=datetime.timedelta(milliseconds=20))


def test_run_sync_inner_timeout_error_is_not_confused(io_loop: IOLoop) -> None:
    async def raises_timeout() -> None:
        raise TimeoutError("from the function")

    with pytest.raises(TimeoutError, match="from the function"):
        io_loop.run_sync(raises_timeout, timeout=5)


def test_run_sync_stopped_early_raises(io_loop: IOLoop) -> None:
    async def stops() -> None:
        io_loop.stop()
        await asyncio.sleep(10)

    with pytest.raises(RuntimeError, match="stopped before"):
        io_loop.run_sync(stops)


def test_call_later_call_at_add_timeout_remove_timeout(io_loop: IOLoop) -> None:
    order: list[str] = []
    io_loop.call_later(0.03, order.append, "later")
    io_loop.call_at(io_loop.time() + 0.01, order.append, "at")
    io_loop.add_timeout(io_loop.time() + 0.02, order.append, "timeout-number")
    io_loop.add_timeout(datetime.timedelta(seconds=0.025), order.append, "timeout-delta")
    removed = io_loop.add_timeout(io_loop.time() + 0.015, order.append, "removed")
    io_loop.remove_timeout(removed)
    io_loop.call_later(0.05, io_loop.stop)
    io_loop.start()
    assert order == ["at", "timeout-number", "timeout-delta", "later"]
    io_loop.remove_timeout(removed)  # removing twice is harmless


def test_add_timeout_rejects_bad_deadline(io_loop: IOLoop) -> None:
    with pytest.raises(TypeError, match="timedelta"):
        io_loop.add_timeout("soon", lambda: None)  # type: ignore[arg-type]


def test_time_is_loop_clock(io_loop: IOLoop) -> None:
    assert abs(io_loop.time() - io_loop.asyncio_loop.time()) < 1.0


def test_add_future_asyncio_and_concurrent(io_loop: IOLoop) -> None:
    results: list[Any] = []
    main_thread = threading.get_ident()

    async def main() -> None:
        fut: asyncio.Future[int] = io_loop.asyncio_loop.create_future()
        done = asyncio.Event()
        def on_fut(f: asyncio.Future[int]) -> None:
            results.append(f.result())
            done.set()

        io_loop.add_future(fut, on_fut)
        fut.set_result(7)
        await done.wait()

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            cfut = pool.submit(lambda: 8)
            done2 = asyncio.Event()

            def on_done(f: concurrent.futures.Future[int]) -> None:
                results.append((f.result(), threading.get_ident() == main_thread))
                done2.set()

            io_loop.add_future(cfut, on_done)
            await done2.wait()

    io_loop.run_sync(main, timeout=5)
    assert results == [7, (8, True)]


def test_run_in_executor_and_default_executor(io_loop: IOLoop) -> None:
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="squall-test")

    async def main() -> tuple[int, str]:
        a = await io_loop.run_in_executor(None, lambda x: x * 2, 21)
        io_loop.set_default_executor(pool)
        b = await io_loop.run_in_executor(None, lambda: threading.current_thread().name)
        return a, b

    a, b = io_loop.run_sync(main, timeout=5)
    pool.shutdown()
    assert a == 42 and b.startswith("squall-test")


def test_handlers_read_write_update_remove(io_loop: IOLoop) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    events: list[tuple[Any, int]] = []

    def handler(fd: Any, ev: int) -> None:
        events.append((fd, ev))
        if ev == IOLoop.WRITE:
            io_loop.update_handler(fd, IOLoop.READ)
            b.send(b"x")
        else:
            assert fd.recv(10) == b"x"
            io_loop.remove_handler(fd)
            io_loop.stop()

    io_loop.add_handler(a, handler, IOLoop.WRITE)
    with pytest.raises(ValueError, match="already has a handler"):
        io_loop.add_handler(a.fileno(), handler, IOLoop.READ)
    io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    assert events == [(a, IOLoop.WRITE), (a, IOLoop.READ)]
    io_loop.remove_handler(a)  # not registered any more: no error
    with pytest.raises(KeyError):
        io_loop.update_handler(a, IOLoop.READ)
    with pytest.raises(TypeError, match="fileno"):
        io_loop.add_handler(object(), handler, IOLoop.READ)
    a.close()
    b.close()


def test_handler_with_int_fd_and_exception_logged(
    io_loop: IOLoop, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = socket.socketpair()
    seen: list[Any] = []

    def handler(fd: Any, ev: int) -> None:
        seen.append(fd)
        io_loop.remove_handler(fd)
        io_loop.add_callback(io_loop.stop)
        raise RuntimeError("handler failed")

    io_loop.add_handler(a.fileno(), handler, IOLoop.READ | IOLoop.ERROR)
    b.send(b"y")
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        io_loop.start()
    assert seen == [a.fileno()]
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
    a.close()
    b.close()


def test_loop_runs_in_background_thread_after_setup(io_loop: IOLoop) -> None:
    ran_in: list[int] = []
    io_loop.add_callback(lambda: ran_in.append(threading.get_ident()))
    thread = threading.Thread(target=io_loop.start)
    thread.start()
    deadline = time.monotonic() + 5
    while not ran_in and time.monotonic() < deadline:
        time.sleep(0.005)
    io_loop.add_callback(io_loop.stop)
    thread.join(5)
    assert not thread.is_alive()
    assert ran_in == [thread.ident]


def test_periodic_callback_runs_and_stops(io_loop: IOLoop) -> None:
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count == 3:
            pc.stop()
            io_loop.stop()

    pc = PeriodicCallback(tick, 5)
    assert not pc.is_running()

    def begin() -> None:
        pc.start()
        assert pc.is_running()

    io_loop.add_callback(begin)
    io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    assert count == 3 and not pc.is_running()


def test_periodic_callback_survives_exceptions_and_async(
    io_loop: IOLoop, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []

    async def tick() -> None:
        runs.append(len(runs))
        await asyncio.sleep(0)
        if len(runs) < 3:
            raise RuntimeError("periodic failure")
        pc.stop()
        io_loop.stop()

    pc = PeriodicCallback(tick, datetime.timedelta(milliseconds=2))
    io_loop.add_callback(pc.start)
    io_loop.call_later(5, io_loop.stop)
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        io_loop.start()
    assert runs == [0, 1, 2]
    assert sum(1 for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError) == 2


def test_periodic_callback_skips_missed_slots_without_drift(io_loop: IOLoop) -> None:
    fire_times: list[float] = []
    start_time: list[float] = []

    def tick() -> None:
        fire_times.append(io_loop.time())
        if len(fire_times) == 1:
            time.sleep(0.035)  # overrun several 10 ms slots
        if len(fire_times) == 3:
            pc.stop()
            io_loop.stop()

    pc = PeriodicCallback(tick, 10)

    def begin() -> None:
        pc.start()
        # The grid origin: one period before the first deadline.
        start_time.append(pc._next_timeout - 0.010)  # noqa: SLF001

    io_loop.add_callback(begin)
    io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    # Each run is scheduled on the ideal grid start + k * 10 ms, so no run can
    # happen before its slot, and the overrun skips slots instead of bursting.
    # A run may start late on a busy machine, never early, so the grid slot
    # a run belongs to is the whole part of its time in periods.
    slots = [int((t - start_time[0]) / 0.010 + 1e-3) for t in fire_times]
    assert slots[0] >= 1
    assert slots[1] >= 5  # the first run ended after 3.5 periods: slots 2-4 skipped
    assert slots[2] > slots[1]
    grid = (pc._next_timeout - start_time[0]) / 0.010  # noqa: SLF001
    assert abs(grid - round(grid)) < 1e-6


def test_periodic_callback_validates_arguments() -> None:
    with pytest.raises(ValueError, match="callback_time"):
        PeriodicCallback(lambda: None, 0)
    with pytest.raises(ValueError, match="jitter"):
        PeriodicCallback(lambda: None, 10, jitter=-1)


def test_install_uvloop_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"squall-ioloop\[uvloop\]"):
        install_uvloop()
