"""Catching errors that the event loop logs while a test runs.

How this works: an error raised in a callback does not reach the test that
scheduled it. asyncio's default exception handler logs it to the ``asyncio``
logger, and the IOLoop facade (``squall.ioloop``) logs callback failures to
``squall.application`` with fixed message templates. `LoopErrorLog` is a
logging handler on those two loggers that keeps such ERROR records from the
test's own thread, so the test can be failed with the original exception.
Handlers run after logger filters, so a record hidden by `ExpectLog` never
reaches it: an expected error does not fail the test.

Errors while serving a request (a handler raising, answered with a 500) are
logged too, but are not callback errors: tests provoke them on purpose and
assert on the 500, so they are deliberately not collected.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["LEAK_POLICIES", "LeakWarning", "LoopErrorLog", "check_leak_policy", "leak_policy", "warn_leaks"]

#: What to do with a test's leftovers: issue a `LeakWarning`, or raise it.
LEAK_POLICIES = ("warn", "error")

#: The policy of the test running now, set by the pytest plugin for the tests
#: that report their own leaks (AsyncTestCase); "warn" outside pytest.
leak_policy: contextvars.ContextVar[str] = contextvars.ContextVar("squall_leaks", default="warn")

# The facade's templates for a failed callback (squall.ioloop and the server's
# connection close callbacks). Matched on ``record.msg``, the unformatted template.
_CALLBACK_TEMPLATES = (
    "Exception in callback",
    "Exception in handler for fd",
    "Callback %r returned an unusable awaitable",
    "Exception in PeriodicCallback",
    "exception in connection close callback",
)
_LOGGERS = ("asyncio", "squall.application")


class LeakWarning(RuntimeWarning):
    """A test ended with tasks still running or callbacks still scheduled.

    Under pytest, make leaks fail the tests with the ``squall_leaks = error``
    ini option, the ``@pytest.mark.squall_leaks("error")`` marker or a
    ``squall_leaks`` fixture returning ``"error"`` (in a ``conftest.py``):
    the warning is then raised. ``-W error::squall.testing.LeakWarning``
    does the same for a whole run (with unittest too).
    """

    __module__ = "squall.testing"  # the documented name, in tracebacks and -W filters


def check_leak_policy(value: object, *, source: str) -> str:
    """Validate a leak policy given by a user; ``source`` names where it came from."""
    if value not in LEAK_POLICIES:
        raise ValueError(
            f"{source} must be 'warn' or 'error' (what to do when a test leaves work on "
            f"its event loop), got {value!r}"
        )
    return str(value)


class LoopErrorLog(logging.Handler):
    """Collects ERROR records that event-loop callbacks log in this thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []
        #: Called with each collected record (e.g. to stop the loop early).
        self.listener: Callable[[logging.LogRecord], None] | None = None
        self._installed = False

    def install(self) -> None:
        if not self._installed:
            for name in _LOGGERS:
                logging.getLogger(name).addHandler(self)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            for name in _LOGGERS:
                logging.getLogger(name).removeHandler(self)
            self._installed = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        if record.name == "squall.application":
            template = record.msg if isinstance(record.msg, str) else ""
            if not template.startswith(_CALLBACK_TEMPLATES):
                return
        self.records.append(record)
        listener = self.listener
        if listener is not None:
            listener(record)

    def pop_error(self) -> BaseException | None:
        """Return (and forget) an exception standing for the collected errors.

        The first error's own exception is returned when the record carries
        one, with a note naming the log message and any further errors; a
        record without a traceback becomes an `AssertionError`.
        """
        if not self.records:
            return None
        records, self.records = self.records, []
        first = records[0]
        summary = _describe(first)
        more = [_describe(r) for r in records[1:]]
        note = f"logged by the test's event loop ({summary})"
        if more:
            note += f"; {len(more)} more error(s) logged: " + "; ".join(more)
        exc = first.exc_info[1] if first.exc_info else None
        if exc is None:
            return AssertionError(f"error logged by the test's event loop: {note}")
        add_note = getattr(exc, "add_note", None)  # Python 3.11+
        if add_note is not None:
            add_note(note)
        return exc


def _describe(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a broken %-format must not hide the error itself
        message = repr(record.msg)
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None:
        message += f" -> {type(exc).__name__}: {exc}"
    return f"{record.name}: {message}"


def warn_leaks(
    test_id: str, leaks: list[str], test_function: Any, policy: str | None = None
) -> None:
    """Report ``leaks`` as one `LeakWarning`, located at the test function.

    With ``policy`` "error" (default: the current `leak_policy`), the
    `LeakWarning` is raised instead of issued.
    """
    message = (
        f"{test_id} left work on its event loop (cancelled at the end of the test):\n  "
        + "\n  ".join(leaks)
    )
    if (policy or leak_policy.get()) == "error":
        raise LeakWarning(
            message + "\n(squall_leaks is 'error' for this test: leaks fail it; finish or "
            "cancel that work before the test ends)"
        )
    target = inspect.unwrap(test_function) if callable(test_function) else None
    code = getattr(target, "__code__", None)
    if code is None:
        warnings.warn(LeakWarning(message), stacklevel=3)
        return
    warnings.warn_explicit(
        LeakWarning(message),
        LeakWarning,
        filename=code.co_filename,
        lineno=code.co_firstlineno,
        module=getattr(target, "__module__", None) or "squall.testing",
    )
