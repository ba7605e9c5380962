"""PipeIOStream: a BaseIOStream over a pipe (or any non-socket descriptor)."""

from __future__ import annotations

import os

from ._base import BaseIOStream


class PipeIOStream(BaseIOStream):
    """A stream over a pipe's file descriptor, e.g. a child process's stdout.

    Args:
        fd: the descriptor; it is made non-blocking and owned (closed) by the stream.
        max_buffer_size: see `BaseIOStream`.
        read_chunk_size: see `BaseIOStream`.
        max_write_buffer_size: see `BaseIOStream`.
    """

    def __init__(
        self,
        fd: int,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        super().__init__(max_buffer_size, read_chunk_size, max_write_buffer_size)

    def fileno(self) -> int:
        """Return the pipe's file descriptor.

        Returns:
            The descriptor number (-1 once closed).
        """
        return self.fd

    def _read_into_fd(self, view: memoryview) -> int | None:
        try:
            return os.readv(self.fd, [view])
        except (BlockingIOError, InterruptedError):
            return None

    def _recv_fd(self, size: int) -> bytes | None:
        try:
            return os.read(self.fd, size)
        except (BlockingIOError, InterruptedError):
            return None

    def _write_from(self, view: memoryview) -> int:
        try:
            return os.write(self.fd, view)
        except (BlockingIOError, InterruptedError):
            return 0

    def _close_fd(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
