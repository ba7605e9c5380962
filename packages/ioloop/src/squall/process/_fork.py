"""Pre-forking worker processes: fork_processes, task_id and cpu_count."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys

gen_log = logging.getLogger("squall.general")

_task_id: int | None = None

#: Default cap on child restarts over the parent's lifetime.
DEFAULT_MAX_RESTARTS = 100


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


def fork_processes(num_processes: int | None, max_restarts: int | None = None) -> int:
    """Fork ``num_processes`` children and return the task id in each of them.

    The parent never returns: it waits for its children, restarting any that
    dies abnormally (killed by a signal or exiting with a non-zero status),
    and exits with status 0 once every child has exited cleanly. Call this
    before creating any IOLoop or thread: the children must not share them.

    Args:
        num_processes: how many children; 0 or None means one per CPU.
        max_restarts: how many abnormal deaths to tolerate in total before
            giving up (default 100).

    Returns:
        In each child, its task id, an int in ``range(num_processes)``.

    Raises:
        RuntimeError: called inside a running event loop, or in the parent,
            more than ``max_restarts`` children died abnormally.
        OSError: ``fork()`` failed.
    """
    global _task_id
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
    if _task_id is not None:
        raise RuntimeError("fork_processes() was already called in this process tree")
    if num_processes is None or num_processes <= 0:
        num_processes = cpu_count()
    if max_restarts is None:
        max_restarts = DEFAULT_MAX_RESTARTS
    gen_log.info("Starting %d processes", num_processes)

    children: dict[int, int] = {}

    def start_child(index: int) -> int | None:
        pid = os.fork()
        if pid == 0:
            # Child: reseed so siblings do not share random sequences.
            random.seed()
            global _task_id
            _task_id = index
            return index
        children[pid] = index
        return None

    for index in range(num_processes):
        child_id = start_child(index)
        if child_id is not None:
            return child_id

    restarts = 0
    while children:
        pid, status = os.wait()
        if pid not in children:
            continue
        index = children.pop(pid)
        if os.WIFSIGNALED(status):
            gen_log.warning(
                "child %d (pid %d) killed by signal %d, restarting",
                index,
                pid,
                os.WTERMSIG(status),
            )
        elif os.WEXITSTATUS(status) != 0:
            gen_log.warning(
                "child %d (pid %d) exited with status %d, restarting",
                index,
                pid,
                os.WEXITSTATUS(status),
            )
        else:
            gen_log.info("child %d (pid %d) exited normally", index, pid)
            continue
        restarts += 1
        if restarts > max_restarts:
            raise RuntimeError(
                f"too many child restarts ({restarts} > max_restarts={max_restarts}); giving up"
            )
        child_id = start_child(index)
        if child_id is not None:
            return child_id
    # Every child exited cleanly: the parent's work is done.
    sys.exit(0)
