"""AsyncTestCase and gen_test, driven through unittest's own runner."""

from __future__ import annotations

import asyncio
import logging
import unittest
import warnings
from typing import Any

import pytest

from squall.ioloop import IOLoop
from squall.testing import AsyncTestCase, ExpectLog, LeakWarning, gen_test

# The cases run here report their leaks as warnings that the tests collect,
# whatever policy the surrounding pytest run has (squall_leaks = error).
pytestmark = pytest.mark.squall_leaks("warn")


def run_case(case: type[unittest.TestCase], name: str) -> tuple[unittest.TestResult, list[Any]]:
    """Run one test method; return the result and the warnings it issued."""
    result = unittest.TestResult()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case(name).run(result)
    return result, [w for w in caught if issubclass(w.category, LeakWarning)]


def only_problem(result: unittest.TestResult) -> str:
    problems = result.failures + result.errors
    assert len(problems) == 1, problems
    return problems[0][1]


def test_gen_test_runs_the_coroutine_on_the_test_loop() -> None:
    seen: dict[str, Any] = {}

    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            await asyncio.sleep(0.001)
            seen["current"] = IOLoop.current()
            seen["mine"] = self.io_loop
            seen["running"] = asyncio.get_running_loop()

    result, leaks = run_case(Case, "test_it")
    assert result.wasSuccessful(), result.errors + result.failures
    assert seen["current"] is seen["mine"]
    assert seen["running"] is seen["mine"].asyncio_loop
    assert seen["running"].is_closed()  # closed by tearDown
    assert leaks == []


def test_each_test_gets_a_fresh_loop() -> None:
    loops: list[IOLoop] = []

    class Case(AsyncTestCase):
        def test_a(self) -> None:
            loops.append(self.io_loop)

        def test_b(self) -> None:
            loops.append(self.io_loop)

    run_case(Case, "test_a")
    run_case(Case, "test_b")
    assert loops[0] is not loops[1]
    assert loops[0].asyncio_loop is not loops[1].asyncio_loop
    assert IOLoop.current(instance=False) is None


def test_failing_assert_is_a_failure_with_its_traceback() -> None:
    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            await asyncio.sleep(0)
            answer = 41
            self.assertEqual(answer, 42, "the answer is wrong")

    result, _ = run_case(Case, "test_it")
    assert len(result.failures) == 1 and not result.errors
    text = result.failures[0][1]
    assert "the answer is wrong" in text
    assert 'self.assertEqual(answer, 42, "the answer is wrong")' in text
    assert "in test_it" in text


def test_exception_in_the_coroutine_is_an_error() -> None:
    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            await asyncio.sleep(0)
            raise KeyError("missing-key")

    result, _ = run_case(Case, "test_it")
    assert len(result.errors) == 1 and not result.failures
    assert "KeyError: 'missing-key'" in result.errors[0][1]


def test_hanging_test_is_stopped_by_the_timeout_and_says_where() -> None:
    class Case(AsyncTestCase):
        @gen_test(timeout=0.1)
        async def test_it(self) -> None:
            never = asyncio.Event()
            await never.wait()

    result, leaks = run_case(Case, "test_it")
    text = only_problem(result)
    assert "TimeoutError" in text
    assert "Case.test_it timed out after 0.1 seconds" in text
    assert "gen_test(timeout=...)" in text
    assert "await never.wait()" in text  # where it was stuck
    assert leaks == []  # the test's own task was cancelled, not leaked


def test_default_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.05")

    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            await asyncio.sleep(30)

    result, _ = run_case(Case, "test_it")
    assert "timed out after 0.05 seconds" in only_problem(result)


def test_gen_test_with_empty_parentheses() -> None:
    ran = []

    class Case(AsyncTestCase):
        @gen_test()
        async def test_it(self) -> None:
            ran.append(True)

    result, _ = run_case(Case, "test_it")
    assert result.wasSuccessful() and ran == [True]


def test_gen_test_rejects_bad_use() -> None:
    with pytest.raises(ValueError, match="positive"):
        gen_test(timeout=0)
    with pytest.raises(ValueError, match="positive"):
        gen_test(timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="async def"):
        gen_test(lambda self: None)
    with pytest.raises(TypeError, match=r"gen_test\(timeout=...\)"):
        gen_test(5)  # type: ignore[call-overload]


def test_gen_test_needs_an_async_test_case() -> None:
    class Plain(unittest.TestCase):
        @gen_test
        async def test_it(self) -> None:
            pass

    result, _ = run_case(Plain, "test_it")
    assert "needs an AsyncTestCase" in only_problem(result)


def test_undecorated_async_method_is_refused_not_silently_passed() -> None:
    class Case(AsyncTestCase):
        async def test_it(self) -> None:
            raise AssertionError("never runs")

    result, _ = run_case(Case, "test_it")
    assert "decorate it with @squall.testing.gen_test" in only_problem(result)


def test_stop_and_wait() -> None:
    class Case(AsyncTestCase):
        def test_value(self) -> None:
            self.io_loop.call_later(0.001, self.stop, "value")
            self.assertEqual(self.wait(), "value")

        def test_keywords(self) -> None:
            self.io_loop.add_callback(lambda: self.stop(a=1, b=2))
            self.assertEqual(self.wait(), {"a": 1, "b": 2})

        def test_stop_before_wait(self) -> None:
            self.stop("early")
            self.assertEqual(self.wait(), "early")

        def test_condition(self) -> None:
            calls: list[int] = []

            def tick() -> None:
                calls.append(1)
                self.stop()
                if len(calls) < 3:
                    self.io_loop.add_callback(tick)

            self.io_loop.add_callback(tick)
            self.wait(condition=lambda: len(calls) >= 3)
            self.assertEqual(len(calls), 3)

        def test_both(self) -> None:
            with self.assertRaises(TypeError):
                self.stop("x", y=1)

    for name in ("test_value", "test_keywords", "test_stop_before_wait", "test_condition", "test_both"):
        result, leaks = run_case(Case, name)
        assert result.wasSuccessful(), (name, result.errors + result.failures)
        assert leaks == [], name


def test_wait_times_out_with_a_failure() -> None:
    class Case(AsyncTestCase):
        def test_it(self) -> None:
            self.wait(timeout=0.05)

    result, _ = run_case(Case, "test_it")
    assert len(result.failures) == 1
    assert "wait() timed out after 0.05 seconds" in result.failures[0][1]


def test_callback_error_fails_a_gen_test_at_once() -> None:
    class Case(AsyncTestCase):
        @gen_test(timeout=10)
        async def test_it(self) -> None:
            self.io_loop.add_callback(lambda: 1 / 0)
            await asyncio.sleep(10)  # cut short by the error

    result, _ = run_case(Case, "test_it")
    text = only_problem(result)
    assert "ZeroDivisionError" in text
    assert "TimeoutError" not in text


def test_callback_error_stops_wait() -> None:
    class Case(AsyncTestCase):
        def test_it(self) -> None:
            self.io_loop.call_later(0.001, lambda: {}["nope"])
            self.wait(timeout=10)

    result, _ = run_case(Case, "test_it")
    assert "KeyError: 'nope'" in only_problem(result)


def test_error_in_raw_asyncio_callback_fails_the_test() -> None:
    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            def explode() -> None:
                raise RuntimeError("raw asyncio callback")

            asyncio.get_running_loop().call_soon(explode)
            await asyncio.sleep(0.05)

    result, _ = run_case(Case, "test_it")
    assert "raw asyncio callback" in only_problem(result)


def test_callback_error_in_a_plain_test_fails_at_teardown() -> None:
    class Case(AsyncTestCase):
        def test_it(self) -> None:
            self.io_loop.add_callback(lambda: 1 / 0)
            self.io_loop.run_sync(lambda: asyncio.sleep(0.001))

    result, _ = run_case(Case, "test_it")
    assert "ZeroDivisionError" in only_problem(result)


def test_expected_callback_error_does_not_fail() -> None:
    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            with ExpectLog("squall.application", "Exception in callback"):
                self.io_loop.add_callback(lambda: 1 / 0)
                await asyncio.sleep(0.01)

    result, _ = run_case(Case, "test_it")
    assert result.wasSuccessful(), result.errors


def test_request_errors_logged_by_the_application_do_not_fail() -> None:
    class Case(AsyncTestCase):
        def test_it(self) -> None:
            logging.getLogger("squall.application").error("Uncaught exception GET /x")

    result, _ = run_case(Case, "test_it")
    assert result.wasSuccessful()


def test_leaked_task_and_timer_are_reported_by_name() -> None:
    async def forgotten_worker() -> None:
        await asyncio.sleep(30)

    def late_callback() -> None:
        raise AssertionError("must be cancelled, never run")

    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            self.task = asyncio.ensure_future(forgotten_worker())
            self.io_loop.call_later(30, late_callback)

    case = Case("test_it")
    result = unittest.TestResult()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case.run(result)
    assert result.wasSuccessful(), result.errors
    leaks = [w for w in caught if issubclass(w.category, LeakWarning)]
    assert len(leaks) == 1
    text = str(leaks[0].message)
    assert "Case.test_it" in text
    assert "forgotten_worker" in text
    assert "late_callback" in text
    assert case.task.cancelled()  # type: ignore[attr-defined]


def test_leak_warning_can_be_made_an_error() -> None:
    class Case(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            asyncio.ensure_future(asyncio.sleep(30))

    result = unittest.TestResult()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakWarning)
        Case("test_it").run(result)
    assert "LeakWarning" in only_problem(result)


def test_get_new_ioloop_can_supply_an_existing_loop() -> None:
    shared = IOLoop(make_current=False)
    try:

        class Case(AsyncTestCase):
            def get_new_ioloop(self) -> IOLoop:
                return shared

            @gen_test
            async def test_it(self) -> None:
                assert IOLoop.current() is shared

        shared.make_current()
        result, _ = run_case(Case, "test_it")
        assert result.wasSuccessful(), result.errors + result.failures
        assert not shared.asyncio_loop.is_closed()  # it was current before: not ours to close
    finally:
        IOLoop.clear_current()
        shared.close()
        asyncio.set_event_loop(None)


def test_get_new_ioloop_must_return_an_ioloop() -> None:
    class Case(AsyncTestCase):
        def get_new_ioloop(self) -> IOLoop:
            return asyncio.new_event_loop()  # type: ignore[return-value]

        def test_it(self) -> None:
            pass

    result, _ = run_case(Case, "test_it")
    assert "must return an IOLoop" in only_problem(result)
