"""squall.process: multi-process servers and child processes.

``fork_processes`` pre-forks workers, ``task_id`` tells a worker which one it
is, ``cpu_count`` counts usable CPUs, and ``Subprocess`` runs a child process
with non-blocking pipes.
"""

from ._fork import cpu_count as cpu_count
from ._fork import fork_processes as fork_processes
from ._fork import task_id as task_id
from ._subprocess import Subprocess as Subprocess

__all__ = ["Subprocess", "cpu_count", "fork_processes", "task_id"]
