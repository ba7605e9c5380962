"""squall.concurrent: futures, and running blocking code on an executor.

squall's `Future` is `asyncio.Future`. The helpers accept both asyncio and
`concurrent.futures` futures: `chain_future` copies an outcome from one to
another (across threads when needed), `future_add_done_callback` runs a
callback at once on a finished future, and the ``*_unless_cancelled``
setters avoid `asyncio.InvalidStateError` on a cancelled future.
`run_on_executor` turns a blocking method into one returning a future.
"""

from ._executor import run_on_executor as run_on_executor
from ._futures import FUTURES as FUTURES
from ._futures import Future as Future
from ._futures import chain_future as chain_future
from ._futures import future_add_done_callback as future_add_done_callback
from ._futures import future_set_exc_info as future_set_exc_info
from ._futures import (
    future_set_exception_unless_cancelled as future_set_exception_unless_cancelled,
)
from ._futures import future_set_result_unless_cancelled as future_set_result_unless_cancelled
from ._futures import is_future as is_future

__all__ = [
    "FUTURES",
    "Future",
    "chain_future",
    "future_add_done_callback",
    "future_set_exc_info",
    "future_set_exception_unless_cancelled",
    "future_set_result_unless_cancelled",
    "is_future",
    "run_on_executor",
]
