"""The exceptions of squall.queues."""

from __future__ import annotations

import asyncio


class QueueEmpty(asyncio.QueueEmpty):
    """`Queue.get_nowait` found no item.

    Compatibility: also an `asyncio.QueueEmpty`, so code catching asyncio's
    exception catches squall's too.
    """


class QueueFull(asyncio.QueueFull):
    """`Queue.put_nowait` found the queue at its ``maxsize``.

    Compatibility: also an `asyncio.QueueFull`.
    """
