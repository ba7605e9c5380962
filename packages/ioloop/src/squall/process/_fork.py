"""Pre-forking worker processes: fork_processes, task_id and cpu_count.

How supervision works: the parent installs handlers for SIGTERM, SIGINT and
SIGCHLD that only note the signal, and points ``signal.set_wakeup_fd`` at a
pipe, so every signal also writes a byte that wakes the parent's ``select``.
One loop then does everything: reap dead children (``waitpid`` on our own
pids only, never another child of the process), forward stop signals, start
restarts whose back-off delay has passed, and kill children that outlive the
stop deadline. Children are forked with those three signals blocked, so a
signal can never run the parent's handler inside a new child or slip between
``fork()`` and the parent's bookkeeping; the child restores the original
handlers, then unblocks (a pending stop signal is then delivered to it with
the application's own disposition).

A child learns of its parent's abrupt death (SIGKILL, a crash) on Linux
through ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel sends it SIGTERM
when the parent dies. Other platforms skip this step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, NoReturn

gen_log = logging.getLogger("squall.general")

_task_id: int | None = None

#: Default cap on child restarts over the parent's lifetime.
DEFAULT_MAX_RESTARTS = 100
#: Default seconds children get to exit after a stop signal before SIGKILL.
DEFAULT_STOP_TIMEOUT = 30.0

# Restart back-off per child slot: the first restart waits _BACKOFF_FIRST,
# each further quick crash doubles the wait up to _BACKOFF_MAX, and a child
# that stayed up _BACKOFF_RESET seconds starts the sequence again.
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0
_BACKOFF_RESET = 10.0

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def cpu_count() -> int:
    """Return the number of CPUs this process may run on.

    Returns:
        The CPUs in the scheduling affinity set (or the machine's count), at least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        pass
    return os.cpu_count() or 1


def task_id() -> int | None:
    """Return the task id of this child of `fork_processes`.

    Returns:
        The child's id in ``range(num_processes)``, or None in a process that
        is not such a child.
    """
    return _task_id


def fork_processes(
    num_processes: int | None,
    max_restarts: int | None = None,
    *,
    stop_timeout: float | None = None,
) -> int:
    """Fork ``num_processes`` children and return the task id in each of them.

    The parent never returns: it supervises its children until they are all
    gone, then exits.

    - A child that dies abnormally (killed by a signal or exiting with a
      non-zero status) is restarted after a back-off delay: 0.1 s, doubling
      with each further crash of the same child up to 5 s, back to 0.1 s
      once a child has stayed up for 10 s.
    - SIGTERM or SIGINT sent to the parent is forwarded to every child (each
      further one too); the parent restarts nothing more, waits up to
      ``stop_timeout`` seconds for the children to exit, SIGKILLs any still
      running, and exits with status 0 (1 if it had to SIGKILL).
    - After more than ``max_restarts`` abnormal deaths the parent gives up:
      it stops the remaining children the same way (SIGTERM, then SIGKILL
      after ``stop_timeout``) and raises RuntimeError.
    - When every child has exited cleanly the parent exits with status 0.
    - On Linux each child receives SIGTERM if the parent dies abruptly (even
      by SIGKILL), through ``prctl(PR_SET_PDEATHSIG)``; elsewhere it is left
      running.

    Call this from the main thread, before creating any IOLoop or thread:
    the children must not share them. Each child starts with the signal
    handlers that were in place before the call.

    Compatibility: Tornado's parent neither forwards signals nor backs off;
    ``stop_timeout`` is squall's addition.

    Args:
        num_processes: how many children; 0 or None means one per CPU.
        max_restarts: how many abnormal deaths to tolerate in total before
            giving up (default 100).
        stop_timeout: seconds the children get to exit after a stop signal
            or giving up, before SIGKILL (default 30).

    Returns:
        In each child, its task id, an int in ``range(num_processes)``.

    Raises:
        RuntimeError: called inside a running event loop, off the main
            thread, or a second time in one process tree; or, in the parent,
            more than ``max_restarts`` children died abnormally (the others
            have been stopped by then).
        ValueError: ``max_restarts`` or ``stop_timeout`` is negative.
        OSError: ``fork()`` failed (children already started are stopped).
    """
    if not hasattr(os, "fork"):
        raise RuntimeError("fork_processes() needs os.fork(), which this platform lacks")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "fork_processes() must be called before the event loop starts; "
            "children cannot share a running loop"
        )
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "fork_processes() must be called from the main thread: it handles "
            "SIGTERM, SIGINT and SIGCHLD, which only the main thread can"
        )
    if _task_id is not None:
        raise RuntimeError("fork_processes() was already called in this process tree")
    if num_processes is None or num_processes <= 0:
        num_processes = cpu_count()
    if max_restarts is None:
        max_restarts = DEFAULT_MAX_RESTARTS
    elif max_restarts < 0:
        raise ValueError(f"max_restarts must be 0 or more, not {max_restarts}")
    if stop_timeout is None:
        stop_timeout = DEFAULT_STOP_TIMEOUT
    elif not stop_timeout >= 0:
        raise ValueError(f"stop_timeout must be 0 or more seconds, not {stop_timeout}")
    gen_log.info("Starting %d processes", num_processes)
    return _Supervisor(num_processes, max_restarts, stop_timeout).run()


@dataclass
class _Child:
    index: int
    started: float


def _load_prctl() -> Callable[..., int] | None:
    """Return libc's ``prctl`` on Linux, None elsewhere or when it cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, ImportError):
        return None
    return prctl


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.WEXITSTATUS(status)}"


class _Supervisor:
    """The parent's side of fork_processes; `run` returns only in a child."""

    def __init__(self, count: int, max_restarts: int, stop_timeout: float) -> None:
        self.count = count
        self.max_restarts = max_restarts
        self.stop_timeout = stop_timeout
        self.parent_pid = os.getpid()
        self.children: dict[int, _Child] = {}
        self.due: dict[int, float] = {}  # child index -> when to restart it
        self.delays: dict[int, float] = {}  # child index -> its next back-off
        self.restarts = 0
        self.received: list[int] = []
        self.stopping = False
        self.deadline = 0.0
        self.killed = False
        self.failure: str | None = None
        self.prctl = _load_prctl()
        self.handled = (*_STOP_SIGNALS, signal.SIGCHLD)
        self.old_handlers: dict[int, Any] = {}
        self.old_wakeup_fd: int | None = None  # set while ours is installed
        self.wake_r = self.wake_w = -1

    # -- signals ---------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between bytecodes of the main loop: only note it, the loop acts.
        if signum != signal.SIGCHLD:
            self.received.append(signum)

    def _install(self) -> None:
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        for signum in self.handled:
            self.old_handlers[signum] = signal.signal(signum, self._on_signal)
        self.old_wakeup_fd = signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)

    def _uninstall(self) -> None:
        if self.old_wakeup_fd is not None:
            signal.set_wakeup_fd(self.old_wakeup_fd)
            self.old_wakeup_fd = None
        for signum, old in self.old_handlers.items():
            # None: the old handler was not set from Python; the default is
            # the closest we can restore.
            signal.signal(signum, signal.SIG_DFL if old is None else old)
        self.old_handlers.clear()
        for fd in (self.wake_r, self.wake_w):
            if fd != -1:
                os.close(fd)
        self.wake_r = self.wake_w = -1

    # -- children --------------------------------------------------------------

    def _fork(self, index: int) -> int | None:
        """Start child ``index``; return its task id in the child, None in the parent."""
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.handled)
        try:
            pid = os.fork()
            if pid == 0:
                self._become_child(index)
                return index
            self.children[pid] = _Child(index, time.monotonic())
            return None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def _become_child(self, index: int) -> None:
        global _task_id
        self._uninstall()
        self.children.clear()
        if self.prctl is not None:
            self.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != self.parent_pid:
            # The parent died before prctl took effect: act as if it had
            # (pending until the caller unblocks signals).
            os.kill(os.getpid(), signal.SIGTERM)
        # Reseed so siblings do not share random sequences.
        random.seed()
        _task_id = index

    def _reap(self) -> None:
        now = time.monotonic()
        for pid in list(self.children):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                # Reaped by someone else (a SIGCHLD handler of the caller's):
                # the status is lost, so count it as a crash.
                done, status = pid, 1 << 8
            if done == 0:
                continue
            child = self.children.pop(pid)
            self._on_exit(pid, child, status, now)

    def _on_exit(self, pid: int, child: _Child, status: int, now: float) -> None:
        how = _describe(status)
        if self.stopping:
            gen_log.info("child %d (pid %d) %s", child.index, pid, how)
            return
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            gen_log.info("child %d (pid %d) exited normally", child.index, pid)
            return
        self.restarts += 1
        if self.restarts > self.max_restarts:
            gen_log.error("child %d (pid %d) %s", child.index, pid, how)
            self.failure = (
                f"too many child restarts ({self.restarts} > max_restarts="
                f"{self.max_restarts}); giving up"
            )
            self._begin_stop(signal.SIGTERM, self.failure)
            return
        if now - child.started >= _BACKOFF_RESET:
            delay = _BACKOFF_FIRST
        else:
            delay = self.delays.get(child.index, _BACKOFF_FIRST)
        self.delays[child.index] = min(delay * 2, _BACKOFF_MAX)
        self.due[child.index] = now + delay
        gen_log.warning(
            "child %d (pid %d) %s, restarting in %.1f s", child.index, pid, how, delay
        )

    def _begin_stop(self, signum: int, reason: str) -> None:
        if not self.stopping:
            self.stopping = True
            self.deadline = time.monotonic() + self.stop_timeout
            self.due.clear()
            gen_log.info("%s: stopping %d children", reason, len(self.children))
        self._signal_children(signum)

    def _signal_children(self, signum: int) -> None:
        for pid in self.children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass  # exited; reaped on the next pass

    def _kill_stragglers(self) -> None:
        gen_log.error(
            "%d children still running %.1f s after the stop signal; sending SIGKILL",
            len(self.children),
            self.stop_timeout,
        )
        self.killed = True
        self._signal_children(signal.SIGKILL)

    # -- the loop --------------------------------------------------------------

    def _wait(self, timeout: float | None) -> None:
        select.select([self.wake_r], [], [], timeout)
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _next_timeout(self, now: float) -> float:
        # The wakeup pipe makes every signal end the wait; the cap only
        # bounds the cost of a wakeup lost in some unforeseen way.
        times = [now + 5.0]
        if self.stopping:
            if not self.killed:
                times.append(self.deadline)
        else:
            times.extend(self.due.values())
        return max(0.0, min(times) - now)

    def run(self) -> int:
        try:
            self._install()
            for index in range(self.count):
                if self._fork(index) is not None:
                    return index
            while True:
                self._reap()
                received, self.received = self.received, []
                for signum in received:
                    self._begin_stop(signum, f"received {signal.Signals(signum).name}")
                now = time.monotonic()
                if self.stopping:
                    if not self.children:
                        break
                    if not self.killed and now >= self.deadline:
                        self._kill_stragglers()
                else:
                    if not self.children and not self.due:
                        break  # every child exited cleanly
                    for index, when in sorted(self.due.items()):
                        if when <= now:
                            del self.due[index]
                            if self._fork(index) is not None:
                                return index
                self._wait(self._next_timeout(time.monotonic()))
        except BaseException:
            if os.getpid() == self.parent_pid:
                self._abort()
            raise
        self._uninstall()
        if self.failure is not None:
            raise RuntimeError(self.failure)
        self._exit()

    def _exit(self) -> NoReturn:
        sys.exit(1 if self.killed else 0)

    def _abort(self) -> None:
        """Stop every child after an unexpected error in the parent, then uninstall."""
        if self.children:
            gen_log.error("supervisor failed; stopping %d children", len(self.children))
            self._begin_stop(signal.SIGTERM, "supervisor failed")
            while self.children:
                self._reap()
                if not self.children:
                    break
                if not self.killed and time.monotonic() >= self.deadline:
                    self._kill_stragglers()
                self._wait(self._next_timeout(time.monotonic()))
        self._uninstall()
