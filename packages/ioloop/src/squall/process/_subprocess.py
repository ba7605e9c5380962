"""Subprocess: a child process with non-blocking pipes and an awaitable exit.

The exit is watched with a Linux pidfd when the platform has one (no signal
handler and no thread), otherwise by a thread of the loop's default executor
blocked in ``wait()``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable
from typing import Any

from squall.ioloop import IOLoop
from squall.iostream import PipeIOStream


class _StreamMarker:
    def __repr__(self) -> str:
        return "Subprocess.STREAM"


class Subprocess:
    """Run a child process (``subprocess.Popen``) whose pipes are `PipeIOStream` objects.

    Pass ``stdin``, ``stdout`` or ``stderr`` as `Subprocess.STREAM` to get a
    non-blocking stream in the attribute of the same name; any other value
    is handed to ``Popen`` as is (the attribute is then Popen's).

    Args:
        *args: ``Popen`` positional arguments (the command).
        **kwargs: ``Popen`` keyword arguments.

    Raises:
        OSError: the program could not be started (e.g. FileNotFoundError).
    """

    #: Marker for "give me a PipeIOStream for this pipe".
    STREAM: Any = _StreamMarker()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.io_loop = IOLoop.current()
        parent_ends: dict[str, int] = {}
        child_ends: list[int] = []
        try:
            for name in ("stdin", "stdout", "stderr"):
                if kwargs.get(name) is Subprocess.STREAM:
                    read_fd, write_fd = os.pipe()
                    if name == "stdin":
                        kwargs[name] = read_fd
                        child_ends.append(read_fd)
                        parent_ends[name] = write_fd
                    else:
                        kwargs[name] = write_fd
                        child_ends.append(write_fd)
                        parent_ends[name] = read_fd
            self.proc = subprocess.Popen(*args, **kwargs)
        except BaseException:
            for fd in child_ends + list(parent_ends.values()):
                os.close(fd)
            raise
        for fd in child_ends:
            os.close(fd)
        self.stdin: Any = self.proc.stdin
        self.stdout: Any = self.proc.stdout
        self.stderr: Any = self.proc.stderr
        for name, fd in parent_ends.items():
            setattr(self, name, PipeIOStream(fd))
        self.pid = self.proc.pid
        self.returncode: int | None = None
        self._exit_callback: Callable[[int], Any] | None = None
        self._exit_future: asyncio.Future[int] | None = None
        self._watching = False

    @classmethod
    def initialize(cls) -> None:
        """Accepted for compatibility; nothing needs initializing.

        Compatibility: exits are watched per process (pidfd or a waiting
        thread), so no SIGCHLD handler is installed.
        """

    @classmethod
    def uninitialize(cls) -> None:
        """Accepted for compatibility; see `initialize`."""

    def set_exit_callback(self, callback: Callable[[int], Any]) -> None:
        """Call ``callback(returncode)`` on the loop when the process exits.

        Args:
            callback: receives the exit status (negative: killed by that signal).
        """
        self._exit_callback = callback
        if self.returncode is not None:
            self.io_loop.add_callback(callback, self.returncode)
            self._exit_callback = None
        else:
            self._watch()

    def wait_for_exit(self, raise_error: bool = True) -> asyncio.Future[int]:
        """Wait for the process to exit.

        Args:
            raise_error: fail with `subprocess.CalledProcessError` when the
                exit status is not 0.

        Returns:
            A future of the exit status.

        Raises:
            subprocess.CalledProcessError: (in the future) non-zero status and
                ``raise_error``.
        """
        loop = self.io_loop.asyncio_loop
        result: asyncio.Future[int] = loop.create_future()
        if self._exit_future is None:
            self._exit_future = loop.create_future()
            self._watch()

        def done(fut: asyncio.Future[int]) -> None:
            if result.cancelled():
                return
            code = fut.result()
            if raise_error and code != 0:
                result.set_exception(subprocess.CalledProcessError(code, self.proc.args))
            else:
                result.set_result(code)

        self._exit_future.add_done_callback(done)
        return result

    def _watch(self) -> None:
        if self._watching:
            return
        self._watching = True
        loop = self.io_loop.asyncio_loop
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                pidfd = pidfd_open(self.pid)
            except OSError:
                pidfd = -1  # e.g. a kernel before 5.3, or already reaped
            if pidfd >= 0:

                def on_exit() -> None:
                    loop.remove_reader(pidfd)
                    os.close(pidfd)
                    self._set_returncode(self.proc.wait())

                loop.add_reader(pidfd, on_exit)
                return
        waiter = loop.run_in_executor(None, self.proc.wait)
        waiter.add_done_callback(lambda f: self._set_returncode(f.result()))

    def _set_returncode(self, code: int) -> None:
        self.returncode = code
        if self._exit_future is not None and not self._exit_future.done():
            self._exit_future.set_result(code)
        callback, self._exit_callback = self._exit_callback, None
        if callback is not None:
            self.io_loop.add_callback(callback, code)
