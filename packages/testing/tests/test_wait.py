"""wait_until, run on the plugin's loop."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from squall.ioloop import IOLoop
from squall.testing import wait_until


async def test_returns_the_first_true_value_once_the_loop_made_it_true() -> None:
    seen: list[str] = []
    IOLoop.current().call_later(0.02, seen.append, "done")
    assert await wait_until(lambda: seen[:1], timeout=2) == ["done"]


async def test_true_at_once_does_not_wait() -> None:
    calls = []

    def condition() -> int:
        calls.append(1)
        return 7

    assert await wait_until(condition, timeout=0.01) == 7
    assert calls == [1]


async def test_another_thread_setting_an_event() -> None:
    event = threading.Event()
    timer = threading.Timer(0.02, event.set)
    timer.start()
    try:
        assert await wait_until(event.is_set, timeout=2) is True
    finally:
        timer.cancel()
        timer.join()


async def test_failure_names_the_condition_its_last_value_and_the_message() -> None:
    items: list[int] = []
    with pytest.raises(TimeoutError) as caught:
        await wait_until(lambda: len(items) > 2 and items, timeout=0.05, message="three items")
    text = str(caught.value)
    assert text.startswith("wait_until(<lambda> at test_wait.py:")
    assert "gave up after 0.05 s: the condition was still false (last value: False); three items" in text

    def nothing_yet() -> list[int]:
        return items

    with pytest.raises(TimeoutError, match=r"wait_until\(.*nothing_yet at test_wait.py:\d+\) .*last value: \[\]\)$"):
        await wait_until(nothing_yet, timeout=0.02)


async def test_the_loop_runs_between_checks() -> None:
    ticks: list[int] = []

    async def ticker() -> None:
        for i in range(3):
            ticks.append(i)
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await wait_until(lambda: len(ticks) == 3, timeout=2)
    await task


async def test_errors_of_the_condition_propagate() -> None:
    def broken() -> bool:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        await wait_until(broken, timeout=1)


async def test_bad_arguments() -> None:
    async def coroutine() -> bool:
        return True

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" either
        with pytest.raises(TypeError, match="returned an awaitable, which is always true"):
            await wait_until(coroutine, timeout=1)
    with pytest.raises(TypeError, match="takes a function to call, not bool"):
        await wait_until(True, timeout=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be a positive"):
        await wait_until(lambda: True, timeout=-1)
    with pytest.raises(ValueError, match="interval must be a positive"):
        await wait_until(lambda: True, interval=0)


async def test_default_timeout_is_half_the_async_test_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.1")
    with pytest.raises(TimeoutError, match="gave up after 0.05 s"):
        await wait_until(lambda: False)
