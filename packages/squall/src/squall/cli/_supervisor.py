"""The parent side of ``squall serve --processes N``: pass stop signals on to the workers.

How this works: `squall.process.fork_processes` keeps the parent blocked in
``os.wait()``, restarting workers that crash. A SIGTERM sent to the parent
alone (by a process manager, ``docker stop``, ``kill``) would kill it and
orphan the workers, so before forking we install a handler that marks the
tree as stopping and sends the same signal to every child (found in
``/proc``; fork_processes keeps its list to itself). Each worker then shuts
down gracefully and exits with status 0, which fork_processes does not
restart; once all are gone it ends the parent. A worker forked *after* the
signal (a restart racing the shutdown) inherits the "stopping" mark and
exits at once.

On Ctrl+C the terminal signals the whole process group, so the workers get
SIGINT directly as well; forwarding it again is harmless (a second signal
only forces a worker that is still finishing requests).
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

log = logging.getLogger("squall.cli")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def child_pids(parent: int) -> list[int]:
    """Return the ids of the live child processes of ``parent`` (Linux ``/proc``).

    Args:
        parent: a process id.

    Returns:
        The children's ids; empty where ``/proc`` is not available.
    """
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # the process ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat.rpartition(b")")[2].split()
        if len(fields) > 1 and fields[1].isdigit() and int(fields[1]) == parent:
            found.append(int(name))
    return found


class Supervisor:
    """Stop-signal handling for a forking parent and its workers.

    Create it and call `install` in the parent before forking; the workers
    inherit it (the fork copies it) and check `stopping` once they are ready.
    """

    def __init__(self) -> None:
        self.parent_pid = os.getpid()
        self.stopping = False
        self.signals_received = 0

    def install(self) -> None:
        """Handle SIGTERM and SIGINT in this (the parent) process."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        self.signals_received += 1
        if os.getpid() != self.parent_pid:
            # A worker before its own handlers are installed: it looks at
            # `stopping` when it is ready.
            return
        children = child_pids(self.parent_pid)
        if not children and not os.path.isdir("/proc"):
            log.warning(
                "cannot find the worker processes without /proc; signal them directly"
            )
        for pid in children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def stop_children(self, signum: int = signal.SIGTERM) -> None:
        """Mark the tree as stopping and send ``signum`` to every worker.

        Args:
            signum: the signal to send.
        """
        self._on_signal(signum, None)
