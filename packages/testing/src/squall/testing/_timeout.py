"""The default timeout of asynchronous tests (``ASYNC_TEST_TIMEOUT``)."""

from __future__ import annotations

import math
import os

__all__ = ["DEFAULT_ASYNC_TEST_TIMEOUT", "get_async_test_timeout"]

#: Seconds an asynchronous test may run when ``ASYNC_TEST_TIMEOUT`` is unset.
DEFAULT_ASYNC_TEST_TIMEOUT = 5.0

_ENV = "ASYNC_TEST_TIMEOUT"


def get_async_test_timeout() -> float:
    """Return the default timeout of asynchronous tests, in seconds.

    It is the value of the ``ASYNC_TEST_TIMEOUT`` environment variable when
    that is set (useful on a slow CI machine), 5 seconds otherwise. The
    variable is read on every call, so it may be set after import.

    Returns:
        The timeout in seconds (a positive, finite number).

    Raises:
        ValueError: ``ASYNC_TEST_TIMEOUT`` is set but is not a positive,
            finite number of seconds.

    Compatibility: Tornado ignores a malformed value; squall reports it, so a
    typo in a CI setting is not silently replaced by the default.
    """
    raw = os.environ.get(_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_ASYNC_TEST_TIMEOUT
    return check_timeout(raw, source=f"the {_ENV} environment variable")


def check_timeout(value: object, *, source: str) -> float:
    """Validate a timeout given by a user; ``source`` names where it came from."""
    if isinstance(value, bool):
        raise TypeError(f"{source} must be a number of seconds, not a bool ({value!r})")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(
            f"{source} must be a positive number of seconds, got {value!r}"
        ) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{source} must be a positive, finite number of seconds, got {value!r}")
    return seconds
