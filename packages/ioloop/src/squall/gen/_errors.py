"""The exceptions of squall.gen."""

from __future__ import annotations

import asyncio
from typing import Any

TimeoutError = asyncio.TimeoutError
"""Raised by `with_timeout` and by the timed waits of squall.locks and squall.queues.

It *is* `asyncio.TimeoutError` (on Python 3.11+ that is the built-in
`TimeoutError`), as ``tornado.gen.TimeoutError`` has been since Tornado 6.2:
``except gen.TimeoutError`` also catches the timeouts of `asyncio.wait_for`
and `asyncio.timeout` (and, on Python 3.11+, of `IOLoop.run_sync`), and
``except asyncio.TimeoutError`` catches squall's. There is no squall-only
subclass to tell them apart; wrap the calls separately if you must.
"""


class Return(Exception):
    """End a legacy generator coroutine with a value: ``raise gen.Return(value)``.

    Equivalent to ``return value`` in the generator, which is the better
    spelling on Python 3; kept for code written before generators could
    return values.

    Args:
        value: the coroutine's result.
    """

    def __init__(self, value: Any = None) -> None:
        super().__init__(value)
        self.value = value


class BadYieldError(TypeError):
    """A legacy coroutine yielded something that is not awaitable.

    Raised inside the generator, at the ``yield``, so the coroutine can catch it.
    A legacy coroutine may yield a future, an awaitable, None or `moment`, or
    a list or dict of awaitables.

    Compatibility: a subclass of `TypeError` (Tornado's derives from `Exception`).
    """
