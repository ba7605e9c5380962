"""squall.locks: synchronisation between coroutines on one event loop.

`Lock`, `Semaphore`, `BoundedSemaphore`, `Event` and `Condition`, as in
Tornado: every wait returns a future (so legacy ``yield`` code can use them)
and takes an optional ``timeout`` (an absolute `IOLoop.time` deadline or a
`datetime.timedelta`), after which it raises `squall.gen.TimeoutError`
(`Condition.wait` resolves to False instead). A waiter that timed out never
consumes a later release or notify. None of these is thread-safe: use them
from the loop's thread only.
"""

from ._condition import Condition as Condition
from ._event import Event as Event
from ._semaphore import BoundedSemaphore as BoundedSemaphore
from ._semaphore import Lock as Lock
from ._semaphore import Semaphore as Semaphore

__all__ = ["BoundedSemaphore", "Condition", "Event", "Lock", "Semaphore"]
