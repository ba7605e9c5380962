"""Loop helpers shared by squall.concurrent, squall.gen, squall.locks and squall.queues.

These four packages ship together in squall-ioloop, so they share this private
module rather than each carrying a copy. Nothing here is public API.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from typing import Any

from squall.ioloop import IOLoop

#: A timeout as the Tornado-style APIs take it: an absolute deadline on the
#: `IOLoop.time` clock, or a `datetime.timedelta` relative to now.
Deadline = float | datetime.timedelta


def current_loop() -> asyncio.AbstractEventLoop:
    """Return the running asyncio loop, else the loop of the thread's current IOLoop."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return IOLoop.current().asyncio_loop


def expire_at(
    future: asyncio.Future[Any], deadline: Deadline, on_timeout: Callable[[], None]
) -> None:
    """Call ``on_timeout()`` at ``deadline`` unless ``future`` is done by then.

    The timer is cancelled as soon as ``future`` finishes, so a finished wait
    leaves nothing scheduled on the loop. Call this *before* publishing the
    future to other code: a bad ``deadline`` raises here, leaving no trace.

    Raises:
        TypeError: ``deadline`` is neither a number nor a timedelta.
    """

    def fire() -> None:
        if not future.done():
            on_timeout()

    io_loop = IOLoop.current()
    handle = io_loop.add_timeout(deadline, fire)
    future.add_done_callback(lambda _f: handle.cancel())


def check_deadline(deadline: object) -> None:
    """Refuse a timeout that is neither a number nor a timedelta (as `expire_at` would).

    Used where a wait may finish at once without scheduling a timer, so that
    a bad ``timeout`` fails the same way whether or not the call had to wait.

    Raises:
        TypeError: ``deadline`` is neither a number nor a timedelta.
    """
    if isinstance(deadline, datetime.timedelta):
        return
    if isinstance(deadline, (int, float)) and not isinstance(deadline, bool):
        return
    raise TypeError(
        f"timeout must be a deadline on the IOLoop.time() clock (a number) or a "
        f"datetime.timedelta, not {type(deadline).__name__}"
    )
