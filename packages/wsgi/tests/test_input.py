"""The streamed ``wsgi.input`` (``WSGIContainer(..., stream_request_body=True)``).

test_container.py checks it end to end through squall's server; here the
buffer's hand-over between the loop and a reading thread is driven step by
step, where a server would hide whether back-pressure engaged.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from squall.wsgi import RequestBodyError
from squall.wsgi._input import HIGH_WATER, LOW_WATER, StreamingInput


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking read in a thread of its own while the loop keeps running."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def run() -> None:
        try:
            result = function(*args)
        except BaseException as error:  # handed to the awaiting test
            loop.call_soon_threadsafe(future.set_exception, error)
        else:
            loop.call_soon_threadsafe(future.set_result, result)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        return await future
    finally:
        thread.join(5)


async def test_feeding_past_the_high_water_mark_pauses_until_the_reader_drains() -> None:
    body = StreamingInput(asyncio.get_running_loop())
    piece = b"p" * (HIGH_WATER // 4)
    assert [body.feed(piece) for _ in range(3)] == [None, None, None]
    paused = body.feed(piece)
    assert paused is not None and not paused.done()
    # Reading down to just above the low-water mark is not enough...
    keep = LOW_WATER
    await in_thread(body.read, HIGH_WATER - keep)
    await asyncio.sleep(0)
    assert not paused.done()
    # ...one byte more is.
    assert await in_thread(body.read, 1) == b"p"
    await asyncio.wait_for(paused, 5)
    body.feed_eof()
    assert await in_thread(body.read) == b"p" * (keep - 1)


async def test_detach_releases_the_server_and_drops_later_data() -> None:
    body = StreamingInput(asyncio.get_running_loop())
    paused = body.feed(b"x" * HIGH_WATER)
    assert paused is not None and not paused.done()
    body.detach()
    assert paused.done()
    assert body.feed(b"more") is None


async def test_abort_fails_a_blocked_read() -> None:
    body = StreamingInput(asyncio.get_running_loop())
    body.feed(b"partial")
    reading = asyncio.ensure_future(in_thread(body.read))
    await asyncio.sleep(0.01)  # let the thread block (the test passes either way)
    body.abort("the client left")
    with pytest.raises(RequestBodyError, match="the client left"):
        await reading
    assert body.aborted
    with pytest.raises(OSError):
        await in_thread(body.read, 1)


async def test_abort_after_the_end_of_the_body_changes_nothing() -> None:
    body = StreamingInput(asyncio.get_running_loop())
    body.feed(b"complete")
    body.feed_eof()
    body.abort("the connection closed after the request")
    assert not body.aborted
    assert await in_thread(body.read) == b"complete"


async def test_reads_across_pieces() -> None:
    body = StreamingInput(asyncio.get_running_loop())
    for piece in (b"ab", b"c\nde", b"f", b"\ng"):
        body.feed(piece)
    body.feed_eof()
    assert await in_thread(body.read, 2) == b"ab"
    assert await in_thread(body.readline) == b"c\n"
    assert await in_thread(body.read, 3) == b"def"
    assert await in_thread(body.readlines) == [b"\n", b"g"]
    assert await in_thread(body.read, 10) == b""
