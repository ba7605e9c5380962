"""`StreamingInput`: a WSGI ``wsgi.input`` fed from the connection as the body arrives.

Two threads share it. The event loop *feeds* it (`StreamingInput.feed`,
`StreamingInput.feed_eof`, `StreamingInput.abort`) with the pieces of the
request body the server receives; the WSGI application *reads* it in an
executor thread (``read``, ``readline``, ``readlines``, iteration), blocking
until data arrives. A `threading.Condition` guards the buffer.

Back-pressure: once `HIGH_WATER` bytes wait unread, `feed` returns a future
that the server awaits before it reads more from the client; the reading
thread resolves it (through ``call_soon_threadsafe``) when the buffer drains
below `LOW_WATER`. Memory per request therefore stays near `HIGH_WATER`
plus whatever the application itself asks for in one ``read(size)``.

A body that cannot be completed (the client left, the body went over
``max_body_size``, the server stopped) makes every later read raise
`RequestBodyError`, an `OSError`, rather than return a silently truncated
body.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator

from ._errors import RequestBodyError

__all__ = ["HIGH_WATER", "LOW_WATER", "StreamingInput"]

HIGH_WATER = 256 * 1024
"""Unread bytes at which the server stops reading from the client."""

LOW_WATER = 64 * 1024
"""Unread bytes below which it starts again."""

# How often a reader waiting for data checks that the loop still runs.
_LOOP_CHECK_SECONDS = 1.0


class StreamingInput:
    """The request body as a file-like object, read in a worker thread.

    It has the methods PEP 3333 asks of ``wsgi.input``: ``read(size)``,
    ``readline(size)``, ``readlines(hint)`` and iteration. ``read()`` and
    ``read(size)`` block until ``size`` bytes or the end of the body are
    there, like a buffered file; at the end they return ``b""``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._eof = False
        self._error: RequestBodyError | None = None
        self._detached = False
        # Loop side only: the future the server waits on while we are full.
        self._paused: asyncio.Future[None] | None = None
        # Under the lock: the server waits for the buffer to drain, and
        # whether the reader already asked the loop to release it.
        self._full = False
        self._resume_scheduled = False

    @property
    def aborted(self) -> bool:
        """True once the body is known not to be completed (see `abort`)."""
        return self._error is not None

    # -- the loop's side -------------------------------------------------------

    def feed(self, chunk: bytes) -> asyncio.Future[None] | None:
        """Add a piece of the body (on the loop).

        Returns:
            A future to wait on before feeding more (the buffer is full), or
            None.
        """
        with self._cond:
            if self._detached or self._error is not None:
                return None  # nobody will read it: let the server drop it
            if chunk:
                self._chunks.append(chunk)
                self._buffered += len(chunk)
                self._cond.notify_all()
            if self._buffered < HIGH_WATER:
                return None
            self._full = True
            paused = self._paused
            if paused is None or paused.done():
                paused = self._paused = self._loop.create_future()
            return paused

    def feed_eof(self) -> None:
        """Mark the end of the body (on the loop)."""
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def abort(self, reason: str) -> None:
        """The body will not be completed; later reads raise (on the loop).

        Does nothing once the whole body was received.
        """
        with self._cond:
            if not self._eof and self._error is None:
                self._error = RequestBodyError(reason)
                self._cond.notify_all()
        self._resume()

    def detach(self) -> None:
        """The application is done with the body (on the loop).

        Data still arriving is dropped, and a server waiting for the buffer
        to drain is released, so it can discard the rest of the body.
        """
        with self._cond:
            self._detached = True
            self._chunks.clear()
            self._buffered = 0
        self._resume()

    def _resume(self) -> None:
        with self._cond:
            self._full = False
        paused, self._paused = self._paused, None
        if paused is not None and not paused.done():
            paused.set_result(None)

    # -- the reader's side (a worker thread) -----------------------------------

    def _take(self, limit: int, line: bool = False) -> bytes:
        """Up to ``limit`` bytes (up to a newline if ``line``); b"" at the end.

        Blocks until some data, the end of the body or an error.
        """
        with self._cond:
            while not self._chunks:
                if self._error is not None:
                    raise self._error
                if self._eof:
                    return b""
                self._cond.wait(_LOOP_CHECK_SECONDS)
                if not self._chunks and (self._loop.is_closed() or not self._loop.is_running()):
                    raise RequestBodyError(
                        "the server stopped before the request body was complete"
                    )
            if self._error is not None:
                raise self._error
            chunk = self._chunks[0]
            end = limit
            if line:
                newline = chunk.find(b"\n", 0, limit)
                if newline >= 0:
                    end = newline + 1
            if end >= len(chunk):
                self._chunks.popleft()
                piece = chunk
            else:
                piece = chunk[:end]
                self._chunks[0] = chunk[end:]
            self._buffered -= len(piece)
            if self._full and self._buffered < LOW_WATER and not self._resume_scheduled:
                self._resume_scheduled = True
                self._loop.call_soon_threadsafe(self._resume_if_drained)
            return piece

    def _resume_if_drained(self) -> None:
        with self._cond:
            self._resume_scheduled = False
            drained = self._buffered < HIGH_WATER
        if drained:
            self._resume()

    def read(self, size: int | None = -1) -> bytes:
        """Read ``size`` bytes (fewer only at the end of the body), or all if negative.

        Raises:
            RequestBodyError: the body cannot be completed (the client left,
                it exceeded ``max_body_size``, or the server stopped).
        """
        if size is None or size < 0:
            return b"".join(iter(lambda: self._take(1 << 20), b""))
        out: list[bytes] = []
        wanted = size
        while wanted > 0:
            piece = self._take(wanted)
            if not piece:
                break
            out.append(piece)
            wanted -= len(piece)
        return b"".join(out)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, with its ``\\n`` (at most ``size`` bytes if given).

        Raises:
            RequestBodyError: as for `read`.
        """
        limit = size if size is not None and size >= 0 else -1
        out: list[bytes] = []
        got = 0
        while limit < 0 or got < limit:
            piece = self._take(1 << 20 if limit < 0 else limit - got, line=True)
            if not piece:
                break
            out.append(piece)
            got += len(piece)
            if piece.endswith(b"\n"):
                break
        return b"".join(out)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read lines until the end of the body (or past ``hint`` bytes).

        Raises:
            RequestBodyError: as for `read`.
        """
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readable(self) -> bool:
        """True: this is a readable stream."""
        return True
