"""BaseIOStream: buffered, non-blocking reads and writes on a file descriptor.

How this works: the descriptor is non-blocking and registered with the asyncio
loop (``add_reader`` / ``add_writer``) only while there is something to do,
decided in one place, `_update_io`.

Reads land, via ``recv_into``-style calls, in the free tail of one bytearray
(``_rbuf[_rstart:_rend]`` holds unread data), so incoming data is copied once
by the kernel and once more only when a read hands it out as ``bytes``.
``read_into`` with an empty buffer reads straight into the caller's buffer.
At most one read is pending; it is described by ``_read_kind`` and its
parameters, and `_find_read_size` decides when the buffer satisfies it. While
no read is pending the stream keeps reading (to notice a close promptly) until
``read_chunk_size`` bytes are buffered, then stops: back-pressure.

Writes are sent straight from the caller's buffer when nothing is queued;
only the unsent rest is copied into ``_wbuf``. Each write's future resolves
when the kernel has accepted every byte up to the end of that write.
"""

from __future__ import annotations

import asyncio
import collections
import re
import sys
from typing import Any, Union

from squall.ioloop import IOLoop

from ._errors import StreamBufferFullError, StreamClosedError, UnsatisfiableReadError

_DEFAULT_MAX_BUFFER_SIZE = 100 * 1024 * 1024
_DEFAULT_READ_CHUNK_SIZE = 64 * 1024
# read_bytes up to this size receives into a fresh bytes object of that size
# when the buffer is empty; larger reads go through the buffer, so a huge
# num_bytes never turns into a huge allocation per system call.
_DIRECT_READ_MAX = 1024 * 1024
# A direct read of at least this size asks the kernel for up to
# read_chunk_size bytes more than it needs (see _read_bytes_direct).
_GREEDY_READ_MIN = 16 * 1024

# Read kinds.
_NONE = 0
_BYTES = 1
_UNTIL = 2
_REGEX = 3
_INTO = 4
_UNTIL_CLOSE = 5

Buffer = Union[bytes, bytearray, memoryview]


def _byte_view(data: Any) -> memoryview:
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view


class BaseIOStream:
    """A buffered, non-blocking stream over a file descriptor.

    Subclasses (`IOStream`, `SSLIOStream`, `PipeIOStream`) supply the
    descriptor and its read/write calls. Every read method returns an asyncio
    Future; only one read may be pending at a time. Reads and writes on a
    closed stream raise `StreamClosedError` (buffered data can still be read).

    Args:
        max_buffer_size: most bytes to buffer for reading (default 100 MiB); a
            read that needs more fails with `StreamBufferFullError`.
        read_chunk_size: how much to read per system call (default 64 KiB).
        max_write_buffer_size: most bytes to queue for writing (default
            unlimited); a write beyond it raises `StreamBufferFullError`.
    """

    def __init__(
        self,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        self.io_loop = IOLoop.current()
        self._loop = self.io_loop.asyncio_loop
        self.max_buffer_size = max_buffer_size or _DEFAULT_MAX_BUFFER_SIZE
        self.read_chunk_size = max(
            1, min(read_chunk_size or _DEFAULT_READ_CHUNK_SIZE, self.max_buffer_size)
        )
        self.max_write_buffer_size = max_write_buffer_size
        #: The exception that closed the stream, if one did.
        self.error: BaseException | None = None

        self._rbuf = bytearray()
        self._rstart = 0
        self._rend = 0
        self._read_kind = _NONE
        self._read_future: asyncio.Future[Any] | None = None
        self._read_delimiter = b""
        self._read_regex: re.Pattern[bytes] | None = None
        self._read_max_bytes: int | None = None
        self._read_bytes = 0
        self._read_partial = False
        self._read_scanned = 0
        self._read_into_view: memoryview | None = None
        self._read_into_filled = 0
        # Once reading has begun, keep reading (up to read_chunk_size
        # buffered) so that a close by the peer is noticed while idle.
        self._reading_started = False

        self._wbuf = bytearray()
        self._wpos = 0
        self._queued_total = 0
        self._flushed_total = 0
        self._write_waiters: collections.deque[tuple[int, asyncio.Future[None]]] = (
            collections.deque()
        )

        # True while a subclass needs a say in the I/O (connecting, TLS
        # handshake); the hot paths skip the subclass hooks otherwise.
        self._special_io = False
        # A resolved future shared by writes that complete at once: a done
        # future is immutable, so sharing it is safe and saves an allocation.
        self._done_future: asyncio.Future[None] = self._loop.create_future()
        self._done_future.set_result(None)
        # A long-lived view of _rbuf; released before _rbuf is resized.
        self._rview = memoryview(self._rbuf)

        self._closed = False
        self._close_callback: Any = None
        self._reader_on = False
        self._writer_on = False
        self._registered_fd = -1

    # -- for subclasses ---------------------------------------------------

    #: Whether `_recv_fd` may serve read_bytes directly (TLS may hold
    #: decrypted data the selector does not report, so it drains via the buffer).
    _direct_reads = True

    def fileno(self) -> int:
        """Return the underlying file descriptor.

        Returns:
            The descriptor number.
        """
        raise NotImplementedError

    def _read_into_fd(self, view: memoryview) -> int | None:
        """Read into ``view``: bytes read, 0 at end of file, None if it would block."""
        raise NotImplementedError

    def _recv_fd(self, size: int) -> bytes | None:
        """Read up to ``size`` bytes: the data, b"" at end of file, None if it would block."""
        raise NotImplementedError

    def _write_from(self, view: memoryview) -> int:
        """Write from ``view``: bytes written (0 if it would block)."""
        raise NotImplementedError

    def _close_fd(self) -> None:
        raise NotImplementedError

    def _io_ready(self) -> bool:
        """Whether ordinary reads and writes may proceed (False while connecting)."""
        return True

    def _want_io(self) -> tuple[bool, bool] | None:
        """Subclass override of the (read, write) interest, or None for the default."""
        return None

    def _on_read_ready_special(self) -> bool:
        """Handle a readable event outside ordinary reading; True if handled."""
        return False

    def _on_write_ready_special(self) -> bool:
        """Handle a writable event outside ordinary writing; True if handled."""
        return False

    # -- state ----------------------------------------------------------------

    def closed(self) -> bool:
        """Return whether the stream is closed.

        Returns:
            True once `close` ran (by the application, the peer or an error).
        """
        return self._closed

    def reading(self) -> bool:
        """Return whether a read is pending.

        Returns:
            True while a read future is unresolved.
        """
        return self._read_kind != _NONE

    def writing(self) -> bool:
        """Return whether written data is still waiting to be sent.

        Returns:
            True while the write buffer is not empty.
        """
        return self._wpos < len(self._wbuf)

    def set_close_callback(self, callback: Any) -> None:
        """Call ``callback()`` (on the loop) when the stream closes.

        If the stream is already closed it is called soon. Setting a callback
        also makes the stream watch for the peer closing while no read is
        pending.

        Args:
            callback: a function of no arguments, or None to remove it.
        """
        self._close_callback = callback
        if self._closed:
            self._maybe_run_close_callback()
        elif callback is not None and not self._reading_started:
            self._reading_started = True
            self._update_io()

    # -- reading ---------------------------------------------------------------

    def read_until(self, delimiter: bytes, max_bytes: int | None = None) -> asyncio.Future[bytes]:
        """Read up to and including ``delimiter``.

        Args:
            delimiter: the non-empty byte string to stop after.
            max_bytes: fail if the delimiter is not within this many bytes
                (counting the delimiter).

        Returns:
            A future of the bytes read, ending with ``delimiter``.

        Raises:
            UnsatisfiableReadError: (in the future, or at once) the delimiter
                was not found within ``max_bytes``; the stream is closed.
            StreamBufferFullError: more than ``max_buffer_size`` bytes came
                without the delimiter; the stream is closed.
            StreamClosedError: the stream closed first.
        """
        if not isinstance(delimiter, (bytes, bytearray)) or not delimiter:
            raise ValueError(f"read_until delimiter must be non-empty bytes, got {delimiter!r}")
        self._check_max_bytes_arg(max_bytes)
        fut = self._start_read(_UNTIL)
        self._read_delimiter = bytes(delimiter)
        self._read_max_bytes = max_bytes
        self._read_scanned = 0
        self._try_inline_read()
        return fut

    def read_until_regex(
        self, regex: bytes | re.Pattern[bytes], max_bytes: int | None = None
    ) -> asyncio.Future[bytes]:
        """Read up to and including the first match of ``regex``.

        Args:
            regex: a bytes pattern or compiled bytes regex.
            max_bytes: fail if no match ends within this many bytes.

        Returns:
            A future of the bytes read, ending at the end of the match.

        Raises:
            UnsatisfiableReadError: no match within ``max_bytes``; the stream
                is closed.
            StreamBufferFullError: the buffer filled without a match.
            StreamClosedError: the stream closed first.
        """
        compiled = re.compile(regex) if isinstance(regex, bytes) else regex
        if not isinstance(compiled, re.Pattern) or not isinstance(compiled.pattern, bytes):
            raise TypeError(f"read_until_regex needs a bytes pattern, got {regex!r}")
        self._check_max_bytes_arg(max_bytes)
        fut = self._start_read(_REGEX)
        self._read_regex = compiled
        self._read_max_bytes = max_bytes
        self._try_inline_read()
        return fut

    def read_bytes(self, num_bytes: int, partial: bool = False) -> asyncio.Future[bytes]:
        """Read ``num_bytes`` bytes (or, with ``partial``, 1 to ``num_bytes``).

        Args:
            num_bytes: how many bytes to read; 0 gives ``b""`` at once.
            partial: finish as soon as any data is available.

        Returns:
            A future of the bytes read.

        Raises:
            StreamClosedError: the stream closed before enough data arrived.
            StreamBufferFullError: ``num_bytes`` exceeds ``max_buffer_size``.
        """
        if type(num_bytes) is not int or num_bytes < 0:
            raise ValueError(f"read_bytes needs a non-negative int, got {num_bytes!r}")
        if self._read_kind == _NONE and not self._closed:
            start = self._rstart
            buffered = self._rend - start
            if buffered >= num_bytes or (partial and buffered):
                # Fast path: the data is already here.
                size = num_bytes if buffered >= num_bytes else buffered
                done: asyncio.Future[bytes] = self._loop.create_future()
                done.set_result(self._rview[start : start + size].tobytes())
                start += size
                if start == self._rend:
                    self._rstart = self._rend = 0
                else:
                    self._rstart = start
                self._reading_started = True
                if not self._reader_on:
                    self._update_io()
                return done
            if buffered < self.max_buffer_size:
                # Common path: wait for data; nothing buffered can help yet.
                fut: asyncio.Future[bytes] = self._loop.create_future()
                self._read_kind = _BYTES
                self._read_future = fut
                self._read_bytes = num_bytes
                self._read_partial = partial
                self._reading_started = True
                if not self._reader_on:
                    self._update_io()
                return fut
        fut = self._start_read(_BYTES)
        self._read_bytes = num_bytes
        self._read_partial = partial
        self._try_inline_read()
        return fut

    def read_into(self, buf: Any, partial: bool = False) -> asyncio.Future[int]:
        """Read into the writable buffer ``buf`` until it is full (or, with ``partial``, any data).

        Data is received straight into ``buf`` when nothing is buffered.

        Args:
            buf: a writable bytes-like object (bytearray, memoryview, ...).
            partial: finish as soon as some data has been stored.

        Returns:
            A future of the number of bytes stored.

        Raises:
            StreamClosedError: the stream closed before ``buf`` was filled.
        """
        view = _byte_view(buf)
        if view.readonly:
            raise TypeError("read_into needs a writable buffer (e.g. bytearray)")
        fut = self._start_read(_INTO)
        self._read_into_view = view
        self._read_into_filled = 0
        self._read_partial = partial
        self._try_inline_read()
        return fut

    def read_until_close(self) -> asyncio.Future[bytes]:
        """Read everything until the peer closes the stream.

        Returns:
            A future of all remaining data.

        Raises:
            StreamBufferFullError: more than ``max_buffer_size`` bytes arrived.
        """
        fut = self._start_read(_UNTIL_CLOSE)
        if self._closed:
            self._finish_read(self._rend - self._rstart)
        else:
            self._try_inline_read()
        return fut

    @staticmethod
    def _check_max_bytes_arg(max_bytes: int | None) -> None:
        if max_bytes is not None and (
            not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1
        ):
            raise ValueError(f"max_bytes must be a positive int or None, got {max_bytes!r}")

    def _start_read(self, kind: int) -> asyncio.Future[Any]:
        if self._read_future is not None and self._read_future.cancelled():
            # The previous reader gave up (e.g. a timeout); its data stays buffered.
            self._clear_read()
        if self._read_kind != _NONE:
            raise RuntimeError(
                "a read is already pending on this stream; await it before starting another"
            )
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._read_kind = kind
        self._read_future = fut
        self._reading_started = True
        return fut

    def _clear_read(self) -> asyncio.Future[Any]:
        fut = self._read_future
        assert fut is not None
        self._read_kind = _NONE
        self._read_future = None
        self._read_into_view = None
        self._read_regex = None
        return fut

    def _try_inline_read(self) -> None:
        try:
            size = self._find_read_size()
        except (UnsatisfiableReadError, StreamBufferFullError) as exc:
            fut = self._clear_read()
            fut.cancel()
            self.close(exc_info=exc)
            raise
        if size is not None:
            self._finish_read(size)
            return
        if self._closed:
            self._clear_read().cancel()
            raise StreamClosedError(real_error=self.error)
        if not self._reader_on:
            self._update_io()

    def _find_read_size(self) -> int | None:
        """How many buffered bytes complete the pending read, or None if not yet."""
        kind = self._read_kind
        buffered = self._rend - self._rstart
        if kind == _BYTES:
            want = self._read_bytes
            if buffered >= want or (self._read_partial and buffered):
                return min(want, buffered)
        elif kind == _UNTIL:
            delimiter = self._read_delimiter
            idx = self._rbuf.find(delimiter, self._rstart + self._read_scanned, self._rend)
            if idx >= 0:
                size = idx - self._rstart + len(delimiter)
                self._check_max_bytes(size)
                return size
            # Never rescan bytes already known not to start the delimiter, so
            # a line arriving one byte at a time costs linear, not quadratic, time.
            self._read_scanned = max(0, buffered - len(delimiter) + 1)
            self._check_max_bytes(buffered + 1)
        elif kind == _REGEX:
            assert self._read_regex is not None
            match = self._read_regex.search(self._rbuf, self._rstart, self._rend)
            if match is not None:
                size = match.end() - self._rstart
                self._check_max_bytes(size)
                return size
            self._check_max_bytes(buffered + 1)
        elif kind == _INTO:
            assert self._read_into_view is not None
            room = len(self._read_into_view) - self._read_into_filled
            if buffered and room:
                take = min(room, buffered)
                self._read_into_view[
                    self._read_into_filled : self._read_into_filled + take
                ] = self._rview[self._rstart : self._rstart + take]
                self._consume(take)
                self._read_into_filled += take
                room -= take
            if room == 0 or (self._read_partial and self._read_into_filled):
                return 0
            return None
        elif kind == _UNTIL_CLOSE:
            pass
        else:
            return None
        if buffered >= self.max_buffer_size:
            raise StreamBufferFullError(
                f"reached max_buffer_size ({self.max_buffer_size} bytes) before the read "
                f"could finish; raise max_buffer_size or read in smaller pieces"
            )
        return None

    def _check_max_bytes(self, size: int) -> None:
        if self._read_max_bytes is not None and size > self._read_max_bytes:
            raise UnsatisfiableReadError(
                f"delimiter not found within max_bytes={self._read_max_bytes} bytes"
            )

    def _consume(self, size: int) -> None:
        self._rstart += size
        if self._rstart == self._rend:
            self._rstart = self._rend = 0

    def _finish_read(self, size: int) -> None:
        kind = self._read_kind
        fut = self._clear_read()
        if fut.cancelled():
            # Unconsumed data stays buffered for the next read.
            self._read_into_filled = 0
            return
        result: Any
        if kind == _INTO:
            result = self._read_into_filled
            self._read_into_filled = 0
        else:
            start = self._rstart
            result = self._rview[start : start + size].tobytes()
            start += size
            if start == self._rend:
                self._rstart = self._rend = 0
            else:
                self._rstart = start
        fut.set_result(result)
        if not self._closed and (
            not self._reader_on or self._rend - self._rstart >= self.read_chunk_size
        ):
            self._update_io()

    # -- event handlers -----------------------------------------------------------

    def _on_readable(self) -> None:
        if self._special_io and self._on_read_ready_special():
            return
        if self._closed:
            return
        kind = self._read_kind
        if (
            kind == _BYTES
            and self._rstart == self._rend
            and self._read_bytes <= _DIRECT_READ_MAX
            and self._direct_reads
        ):
            self._read_bytes_direct()
            return
        try:
            if kind == _INTO and self._rstart == self._rend and self._read_into_view is not None:
                n = self._read_into_fd(self._read_into_view[self._read_into_filled :])
                if n:
                    self._read_into_filled += n
            else:
                n = self._read_to_buffer()
        except OSError as exc:
            self.close(exc_info=exc)
            return
        if n is None:
            return
        if n == 0:
            self.close()
            return
        if self._read_kind == _BYTES and self._rend - self._rstart >= self._read_bytes:
            self._finish_read(self._read_bytes)
            return
        self._process_buffer()

    def _read_bytes_direct(self) -> None:
        # With nothing buffered, receive straight into a new bytes object:
        # when exactly the size asked for arrives (the usual case) it is the
        # result itself, with no copy through the buffer.
        #
        # A large read asks for up to read_chunk_size bytes more: what
        # follows a message then comes in the same system call, and the heap
        # stays steadier. recv allocates the larger size and shrinks the
        # object to what arrived; asked for exactly, 64 KiB results held by
        # 50 echoing connections made glibc shrink and regrow the heap (brk)
        # every few dozen messages, re-faulting every page: 10.6 page faults
        # per echoed message before, 5.3 after (tools/bench/bench_iostream.py).
        want = self._read_bytes
        ask = want + self.read_chunk_size if want >= _GREEDY_READ_MIN else want
        try:
            data = self._recv_fd(ask)
        except OSError as exc:
            self.close(exc_info=exc)
            return
        if data is None:
            return
        if not data:
            self.close()
            return
        size = len(data)
        if size == want or (self._read_partial and size < want):
            fut = self._clear_read()
            if not fut.cancelled():
                fut.set_result(data)
                return
        self._make_room(size)
        self._rview[self._rend : self._rend + size] = data
        self._rend += size
        if self._read_kind == _BYTES and size >= want:
            self._finish_read(want)
            return
        self._process_buffer()

    def _read_to_buffer(self) -> int | None:
        buffered = self._rend - self._rstart
        want = self.read_chunk_size
        if self._read_kind == _BYTES and self._read_bytes - buffered > want:
            # Size one call to the whole pending read, so a large message
            # arrives in as few system calls as the kernel allows.
            want = self._read_bytes - buffered
        room = self.max_buffer_size - buffered
        if want > room:
            want = room
            if want <= 0:
                return None
        if not buffered:
            self._rstart = self._rend = 0
        if len(self._rbuf) - self._rend < want:
            self._make_room(want)
        n = self._read_into_fd(self._rview[self._rend : self._rend + want])
        if n:
            self._rend += n
        return n

    def _make_room(self, want: int) -> None:
        """Resize _rbuf so ``want`` bytes fit after the unread data."""
        self._rview.release()
        if self._rstart:
            del self._rbuf[: self._rstart]
            self._rend -= self._rstart
            self._rstart = 0
        missing = self._rend + want - len(self._rbuf)
        if missing > 0:
            self._rbuf.extend(bytes(missing))
        self._rview = memoryview(self._rbuf)

    def _process_buffer(self) -> None:
        if self._read_kind == _NONE:
            self._update_io()
            return
        try:
            size = self._find_read_size()
        except (UnsatisfiableReadError, StreamBufferFullError) as exc:
            fut = self._clear_read()
            if not fut.done():
                fut.set_exception(exc)
            self.close(exc_info=exc)
            return
        if size is not None:
            self._finish_read(size)

    def _on_writable(self) -> None:
        if self._special_io and self._on_write_ready_special():
            return
        if self._closed:
            return
        self._flush()

    def _flush(self) -> None:
        try:
            while self._wpos < len(self._wbuf):
                with memoryview(self._wbuf) as view:
                    n = self._write_from(view[self._wpos :])
                if n <= 0:
                    break
                self._wpos += n
                self._flushed_total += n
        except OSError as exc:
            self.close(exc_info=exc)
            return
        if self._wpos == len(self._wbuf):
            self._wbuf.clear()
            self._wpos = 0
        elif self._wpos > 1024 * 1024 and self._wpos * 2 > len(self._wbuf):
            del self._wbuf[: self._wpos]
            self._wpos = 0
        self._resolve_write_waiters()
        self._update_io()

    def _resolve_write_waiters(self) -> None:
        waiters = self._write_waiters
        while waiters and waiters[0][0] <= self._flushed_total:
            fut = waiters.popleft()[1]
            if not fut.done():
                fut.set_result(None)

    # -- writing --------------------------------------------------------------

    def write(self, data: Buffer) -> asyncio.Future[None]:
        """Queue ``data`` for sending and try to send it at once.

        Awaiting the result is how a writer applies flow control: it resolves
        when the kernel has accepted all data written so far.

        Args:
            data: a bytes-like object (``str`` is refused: encode it first).

        Returns:
            A future resolved when this data has been sent.

        Raises:
            TypeError: ``data`` is not bytes-like.
            StreamClosedError: the stream is closed.
            StreamBufferFullError: queueing it would exceed
                ``max_write_buffer_size`` (nothing is queued).
        """
        if self._closed:
            raise StreamClosedError(real_error=self.error)
        view: Any
        if type(data) is bytes:
            view = data
        elif isinstance(data, str):  # type: ignore[unreachable]
            raise TypeError("IOStream.write() takes bytes, not str; encode it first")
        else:
            view = _byte_view(data)
        size = len(view)
        pending = len(self._wbuf) - self._wpos
        if size:
            if (
                self.max_write_buffer_size is not None
                and pending + size > self.max_write_buffer_size
            ):
                raise StreamBufferFullError(
                    f"write of {size} bytes would exceed max_write_buffer_size "
                    f"({self.max_write_buffer_size} bytes, {pending} already queued); "
                    f"await earlier writes first"
                )
            self._queued_total += size
            sent = 0
            if not pending and (not self._special_io or self._io_ready()):
                try:
                    sent = self._write_from(view)
                except OSError as exc:
                    self.close(exc_info=exc)
                    return self._failed_write_future()
                self._flushed_total += sent
            if sent < size:
                self._wbuf += memoryview(view)[sent:] if sent else view
                self._update_io()
                fut: asyncio.Future[None] = self._loop.create_future()
                self._write_waiters.append((self._queued_total, fut))
                return fut
        if self._flushed_total >= self._queued_total:
            return self._done_future
        fut = self._loop.create_future()
        self._write_waiters.append((self._queued_total, fut))
        return fut

    def _failed_write_future(self) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = self._loop.create_future()
        fut.set_exception(StreamClosedError(real_error=self.error))
        return fut

    # -- registration -----------------------------------------------------------

    def _update_io(self) -> None:
        """Register exactly the read/write interest the current state needs."""
        if self._closed:
            want_read = want_write = False
        else:
            special = self._want_io() if self._special_io else None
            if special is not None:
                want_read, want_write = special
            else:
                want_read = self._read_kind != _NONE or (
                    self._reading_started and self._rend - self._rstart < self.read_chunk_size
                )
                want_write = self._wpos < len(self._wbuf)
        if want_read != self._reader_on or want_write != self._writer_on:
            fd = self._registered_fd if self._registered_fd >= 0 else self.fileno()
            if want_read != self._reader_on:
                if want_read:
                    self._loop.add_reader(fd, self._on_readable)
                else:
                    self._loop.remove_reader(fd)
                self._reader_on = want_read
            if want_write != self._writer_on:
                if want_write:
                    self._loop.add_writer(fd, self._on_writable)
                else:
                    self._loop.remove_writer(fd)
                self._writer_on = want_write
            self._registered_fd = fd if (self._reader_on or self._writer_on) else -1

    def _unregister(self) -> None:
        fd = self._registered_fd
        if fd >= 0:
            if self._reader_on:
                self._loop.remove_reader(fd)
            if self._writer_on:
                self._loop.remove_writer(fd)
        self._reader_on = self._writer_on = False
        self._registered_fd = -1

    # -- closing -------------------------------------------------------------------

    def close(self, exc_info: Any = False) -> None:
        """Close the stream and its descriptor.

        A pending read that the buffered data satisfies still completes
        (``read_until_close`` receives the rest); other pending reads and
        writes fail with `StreamClosedError`.

        Args:
            exc_info: the error that caused the close: an exception, a
                ``sys.exc_info()`` tuple, or True for the exception being
                handled. Stored as `error`.
        """
        if self._closed:
            return
        if exc_info:
            if isinstance(exc_info, tuple):
                exc_info = exc_info[1]
            elif not isinstance(exc_info, BaseException):
                exc_info = sys.exc_info()[1]
            if isinstance(exc_info, BaseException):
                self.error = exc_info
        self._closed = True
        if not self._loop.is_closed():
            self._unregister()
        self._close_fd()
        self._signal_closed()

    def _signal_closed(self) -> None:
        if self._read_kind != _NONE:
            if self._read_kind == _UNTIL_CLOSE:
                self._finish_read(self._rend - self._rstart)
            else:
                try:
                    size = self._find_read_size()
                except (UnsatisfiableReadError, StreamBufferFullError):
                    size = None
                if size is not None:
                    self._finish_read(size)
                if self._read_kind != _NONE:
                    fut = self._clear_read()
                    if not fut.done():
                        fut.set_exception(StreamClosedError(real_error=self.error))
                        # The reader is usually awaiting this; if it is not,
                        # the close is not worth a "never retrieved" warning.
                        fut.exception()
        while self._write_waiters:
            fut = self._write_waiters.popleft()[1]
            if not fut.done():
                fut.set_exception(StreamClosedError(real_error=self.error))
                fut.exception()
        self._wbuf.clear()
        self._wpos = 0
        self._maybe_run_close_callback()

    def _maybe_run_close_callback(self) -> None:
        callback = self._close_callback
        if callback is not None:
            self._close_callback = None
            if not self._loop.is_closed():
                self.io_loop.add_callback(callback)

    def _check_closed(self) -> None:
        if self._closed:
            raise StreamClosedError(real_error=self.error)
