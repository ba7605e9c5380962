"""ExpectLog: assert that a log message happens, and keep it out of the output."""

from __future__ import annotations

import logging
import re
from types import TracebackType

__all__ = ["ExpectLog"]


class ExpectLog(logging.Filter):
    """Context manager that expects (and hides) log messages matching a pattern.

    While the block runs, records logged on ``logger`` whose message matches
    ``regex`` are counted and dropped, so an expected error does not clutter
    the test output (nor fail an `AsyncTestCase` that fails on errors logged
    by the event loop). Other records pass through untouched. When the block
    ends without an exception and ``required`` is true but nothing matched,
    an `AssertionError` says which message was missing.

    Example:
        ```python
        with ExpectLog("squall.application", "Uncaught exception"):
            response = self.fetch("/fail")
        self.assertEqual(response.code, 500)
        ```

    The filter sits on the named logger itself, so it sees the records
    logged on that logger, not those of its child loggers (name the child).

    Args:
        logger: the logger, or its name (``"squall.access"``).
        regex: the pattern, matched with `re.match` against the formatted
            message (so it is anchored at the start; begin with ``.*`` to
            match anywhere).
        required: fail when no record matched.
        level: only match records of exactly this level (e.g.
            ``logging.WARNING``). The logger's level is lowered to it for
            the duration of the block if it would otherwise drop them.

    Attributes:
        matched: how many records matched.
        logged_stack: whether a matching record carried a traceback.

    Raises:
        AssertionError: on exit, when ``required`` and nothing matched.
    """

    def __init__(
        self,
        logger: logging.Logger | str,
        regex: str,
        required: bool = True,
        level: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        elif not isinstance(logger, logging.Logger):
            raise TypeError(
                f"ExpectLog needs a logging.Logger or a logger name, not {type(logger).__name__}"
            )
        if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
            raise TypeError(f"ExpectLog level must be a logging level (an int), not {level!r}")
        self.logger = logger
        self.regex = re.compile(regex)
        self.required = required
        self.level = level
        self.matched = 0
        self.logged_stack = False
        self._saved_level: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop (and count) a matching record; let every other one through.

        Args:
            record: the record being logged.

        Returns:
            False for a matching record, True otherwise.
        """
        if self.level is not None and record.levelno != self.level:
            return True
        if self.regex.match(record.getMessage()) is None:
            return True
        self.matched += 1
        if record.exc_info:
            self.logged_stack = True
        return False

    def __enter__(self) -> ExpectLog:
        if self.level is not None and self.logger.getEffectiveLevel() > self.level:
            self._saved_level = self.logger.level
            self.logger.setLevel(self.level)
        self.logger.addFilter(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.logger.removeFilter(self)
        if self._saved_level is not None:
            self.logger.setLevel(self._saved_level)
            self._saved_level = None
        if exc_type is None and self.required and not self.matched:
            level = f" at level {logging.getLevelName(self.level)}" if self.level is not None else ""
            raise AssertionError(
                f"expected a log message{level} on logger {self.logger.name!r} "
                f"matching {self.regex.pattern!r}, but none was logged"
            )
