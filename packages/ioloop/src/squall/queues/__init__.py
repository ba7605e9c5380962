"""squall.queues: queues for coroutines.

`Queue` (first in, first out), `PriorityQueue` (smallest first) and
`LifoQueue` (last in, first out), as in Tornado: ``put``/``get``/``join``
return futures and take an optional ``timeout`` (an absolute `IOLoop.time`
deadline or a `datetime.timedelta`), after which they raise
`squall.gen.TimeoutError`; ``async for item in queue`` gets items forever.
`QueueEmpty` and `QueueFull` are raised by the ``*_nowait`` methods (and are
subclasses of asyncio's exceptions of the same names).
"""

from ._errors import QueueEmpty as QueueEmpty
from ._errors import QueueFull as QueueFull
from ._queue import LifoQueue as LifoQueue
from ._queue import PriorityQueue as PriorityQueue
from ._queue import Queue as Queue

__all__ = ["LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull"]
