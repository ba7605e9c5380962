"""squall.gen: coroutine utilities, including legacy ``@gen.coroutine`` generators.

``async def`` is the way to write coroutines; this package keeps code written
for Tornado's generator coroutines running (`coroutine`, `Return`, ``yield``
of futures, lists and dicts) and offers helpers that work with both styles:
`multi` (wait for many), `with_timeout`, `sleep`, `moment`, `WaitIterator`
(results in completion order) and `convert_yielded`.

`TimeoutError` is `asyncio.TimeoutError` (the built-in `TimeoutError` on
Python 3.11+), as in Tornado 6.2 and later.
"""

from ._convert import convert_yielded as convert_yielded
from ._convert import maybe_future as maybe_future
from ._convert import moment as moment
from ._convert import multi as multi
from ._convert import multi_future as multi_future
from ._coroutine import coroutine as coroutine
from ._coroutine import is_coroutine_function as is_coroutine_function
from ._errors import BadYieldError as BadYieldError
from ._errors import Return as Return
from ._errors import TimeoutError as TimeoutError
from ._timing import sleep as sleep
from ._timing import with_timeout as with_timeout
from ._wait_iterator import WaitIterator as WaitIterator

__all__ = [
    "BadYieldError",
    "Return",
    "TimeoutError",
    "WaitIterator",
    "convert_yielded",
    "coroutine",
    "is_coroutine_function",
    "maybe_future",
    "moment",
    "multi",
    "multi_future",
    "sleep",
    "with_timeout",
]
