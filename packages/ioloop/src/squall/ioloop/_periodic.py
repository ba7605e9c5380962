"""PeriodicCallback: call a function on a fixed schedule without drift.

The schedule is kept as an ideal time line (start + k * period). After each
run the next deadline is the first slot on that line strictly after now, so a
slow callback or a busy loop skips the slots it missed instead of running a
burst of late calls, and lateness never accumulates.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import math
import random
from collections.abc import Callable
from typing import Any

from ._ioloop import IOLoop, app_log


class PeriodicCallback:
    """Call ``callback`` every ``callback_time`` milliseconds once started.

    The callback may be a plain function or return an awaitable; in the second
    case the next run is scheduled only when the awaitable finishes. An
    exception raised by the callback is logged to ``squall.application`` and
    the schedule continues.

    Args:
        callback: the function to call, with no arguments.
        callback_time: the period, in milliseconds or as a timedelta.
        jitter: spread each period randomly by up to ``jitter / 2`` of it,
            e.g. ``0.1`` for +/- 5%.

    Raises:
        ValueError: ``callback_time`` is not positive, or ``jitter`` is negative.
    """

    def __init__(
        self,
        callback: Callable[[], Any],
        callback_time: float | datetime.timedelta,
        jitter: float = 0,
    ) -> None:
        if isinstance(callback_time, datetime.timedelta):
            callback_time = callback_time.total_seconds() * 1000.0
        if not callback_time > 0:
            raise ValueError(f"PeriodicCallback callback_time must be > 0 ms, got {callback_time!r}")
        if jitter < 0:
            raise ValueError(f"PeriodicCallback jitter must be >= 0, got {jitter!r}")
        self.callback = callback
        self.callback_time = float(callback_time)
        self.jitter = jitter
        self.io_loop: IOLoop | None = None
        self._running = False
        self._timeout: asyncio.TimerHandle | None = None
        self._next_timeout = 0.0

    def start(self) -> None:
        """Start calling the callback, on the current IOLoop; the first call is one period from now."""
        if self._running:
            return
        self.io_loop = IOLoop.current()
        self._running = True
        self._next_timeout = self.io_loop.time()
        self._schedule_next()

    def stop(self) -> None:
        """Stop calling the callback; a run in progress finishes."""
        self._running = False
        if self._timeout is not None:
            self._timeout.cancel()
            self._timeout = None

    def is_running(self) -> bool:
        """Return whether the callback is scheduled.

        Returns:
            True between `start` and `stop`.
        """
        return self._running

    def _run(self) -> None:
        self._timeout = None
        if not self._running:
            return
        try:
            result = self.callback()
        except Exception:
            app_log.error("Exception in PeriodicCallback %r", self.callback, exc_info=True)
            self._schedule_next()
            return
        if result is not None and inspect.isawaitable(result):
            assert self.io_loop is not None
            fut = asyncio.ensure_future(result, loop=self.io_loop.asyncio_loop)
            fut.add_done_callback(self._on_async_done)
        else:
            self._schedule_next()

    def _on_async_done(self, fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            app_log.error(
                "Exception in PeriodicCallback %r", self.callback, exc_info=fut.exception()
            )
        self._schedule_next()

    def _schedule_next(self) -> None:
        if not self._running or self.io_loop is None:
            return
        self._advance(self.io_loop.time())
        self._timeout = self.io_loop.asyncio_loop.call_at(self._next_timeout, self._run)

    def _advance(self, now: float) -> None:
        period = self.callback_time / 1000.0
        if self.jitter:
            period *= 1 + self.jitter * (random.random() - 0.5)
        if self._next_timeout <= now:
            # Skip every slot already in the past; land on the first future one.
            self._next_timeout += (math.floor((now - self._next_timeout) / period) + 1) * period
        else:
            # Woken a hair early (clock granularity): the next slot is one period on.
            self._next_timeout += period
