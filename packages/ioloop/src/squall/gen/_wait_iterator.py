"""`WaitIterator`: results of several futures in the order they finish."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from squall.concurrent._futures import chain_future
from squall.concurrent._loop import current_loop

from ._convert import convert_yielded


class WaitIterator:
    """Hand out the results of several futures as each one finishes.

    Give the futures positionally (`current_index` is then the position) or by
    keyword (`current_index` is the keyword), not both. Each `next` call
    returns a future of the next result to arrive; a failure is raised by that
    future, so one failing input does not stop the others::

        waiter = gen.WaitIterator(first=fetch(a), second=fetch(b))
        while not waiter.done():
            try:
                body = await waiter.next()
            except OSError as exc:
                print("failed:", waiter.current_index, exc)
            else:
                print("got", waiter.current_index, len(body))

    ``async for result in gen.WaitIterator(...)`` does the same, stopping at
    the first failure (which it raises).

    Args:
        *args: futures or other awaitables (see `convert_yielded`).
        **kwargs: the same, by name.

    Raises:
        ValueError: both positional and keyword futures were given.
    """

    current_index: Any
    """The position or keyword of the input behind the last result handed out.

    None before the first result and once `done` has returned True.
    """
    current_future: asyncio.Future[Any] | None
    """The input future behind the last result handed out (None likewise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError(
                "WaitIterator takes futures either positionally or by keyword, not both"
            )
        items: list[tuple[Any, Any]] = list(kwargs.items()) if kwargs else list(enumerate(args))
        self.current_index = None
        self.current_future = None
        self._index: dict[asyncio.Future[Any], Any] = {}
        self._unfinished = 0
        self._finished: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._waiting: asyncio.Future[Any] | None = None
        futures = [(key, convert_yielded(value)) for key, value in items]
        for key, future in futures:
            self._index.setdefault(future, key)
            self._unfinished += 1
        for _key, future in futures:
            future.add_done_callback(self._on_input_done)

    def done(self) -> bool:
        """Tell whether every result has been handed out.

        Returns:
            True once no input is left to wait for (and then `current_index`
            and `current_future` are reset to None).
        """
        if self._unfinished or self._finished:
            return False
        self.current_index = None
        self.current_future = None
        return True

    def next(self) -> asyncio.Future[Any]:
        """Return a future of the next result to arrive.

        Returns:
            A future that resolves with (or raises) the outcome of the next
            input to finish, setting `current_index` and `current_future`.

        Raises:
            RuntimeError: the previous `next` future has not resolved yet, or
                every result was already handed out (check `done` first).
        """
        if not self._unfinished and not self._finished:
            raise RuntimeError(
                "WaitIterator.next() called after every result was handed out; "
                "loop while not done()"
            )
        if self._waiting is not None and not self._waiting.done():
            raise RuntimeError(
                "WaitIterator.next() called again before the previous result arrived; "
                "await each next() before asking for another"
            )
        self._waiting = current_loop().create_future()
        if self._finished:
            self._hand_out(self._finished.popleft())
        return self._waiting

    def _on_input_done(self, future: asyncio.Future[Any]) -> None:
        self._unfinished -= 1
        if self._waiting is not None and not self._waiting.done():
            self._hand_out(future)
        else:
            self._finished.append(future)

    def _hand_out(self, future: asyncio.Future[Any]) -> None:
        assert self._waiting is not None
        self.current_future = future
        self.current_index = self._index[future]
        chain_future(future, self._waiting)

    def __aiter__(self) -> WaitIterator:
        return self

    def __anext__(self) -> asyncio.Future[Any]:
        if self.done():
            raise StopAsyncIteration
        return self.next()
